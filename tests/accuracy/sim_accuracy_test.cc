#include <gtest/gtest.h>

#include "tests/accuracy/sim_scenarios.h"

namespace ambi::accuracy {
namespace {

TEST(SimAccuracyTest, Placeholder) {
  ScenarioOptions o;
  const ScenarioResult r = RunScenario(MakeScenario(o));
  EXPECT_EQ(r.left.true_reps, 10);
}

}  // namespace
}  // namespace ambi::accuracy
