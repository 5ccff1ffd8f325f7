// The one-line text of a set summary, as ambi-watch, ambictl and the replay tool print it.
#include "proto/convert/event_text.h"

#include <gtest/gtest.h>

#include <string>

#include "ambi/v1/events.pb.h"

namespace ambi::proto {
namespace {

v1::Event UnilateralSummary(std::uint32_t left_reps, std::uint32_t right_reps) {
  v1::Event event;
  v1::SetSummary* summary = event.mutable_set_summary();
  summary->set_set_index(1);
  summary->set_exercise("lunge");
  summary->set_mode(v1::SET_MODE_UNILATERAL);
  summary->set_limb(v1::LIMB_ANKLE);
  summary->mutable_left()->set_rep_count(left_reps);
  summary->mutable_left()->set_mean_rom_deg(55.0);
  summary->mutable_right()->set_rep_count(right_reps);
  summary->mutable_right()->set_mean_rom_deg(35.0);
  summary->mutable_verdict()->set_judged(false);
  return event;
}

TEST(EventTextTest, BothSidesOfAUnilateralSetAreCounted) {
  const std::string text = DescribeEvent(UnilateralSummary(5, 4));
  EXPECT_NE(text.find("reps L 5 / R 4"), std::string::npos) << text;
  EXPECT_NE(text.find("mean ROM L 55.0° / R 35.0°"), std::string::npos) << text;
}

TEST(EventTextTest, TheFirstSetOfAUnilateralPairWaitsForTheOtherSide) {
  // Eight good reps are not "too few": the set has no other side's set to be compared with yet.
  v1::Event first = UnilateralSummary(8, 0);
  EXPECT_NE(DescribeEvent(first).find("verdict: judged after the other side's set"),
            std::string::npos)
      << DescribeEvent(first);

  v1::Event second = UnilateralSummary(0, 2);
  second.mutable_set_summary()->set_compared_with_set_index(1);
  EXPECT_NE(DescribeEvent(second).find("verdict: too few reps to judge"), std::string::npos)
      << DescribeEvent(second);

  v1::Event bilateral = UnilateralSummary(2, 2);
  bilateral.mutable_set_summary()->set_mode(v1::SET_MODE_BILATERAL);
  EXPECT_NE(DescribeEvent(bilateral).find("verdict: too few reps to judge"), std::string::npos)
      << DescribeEvent(bilateral);
}

}  // namespace
}  // namespace ambi::proto
