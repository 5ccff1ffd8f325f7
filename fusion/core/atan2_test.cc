#include "fusion/core/atan2.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <random>

namespace ambi::fusion {
namespace {

constexpr double kTolRad = 4e-15;

TEST(Atan2Test, MatchesTheLibraryOverRandomDirectionsAndScales) {
  std::mt19937_64 random(8);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  std::uniform_real_distribution<double> exponent(-30.0, 30.0);
  double worst_rad = 0.0;
  for (int i = 0; i < 1'000'000; ++i) {
    const double scale = std::pow(10.0, exponent(random));
    const double y = unit(random) * scale;
    const double x = unit(random) * scale;
    worst_rad = std::max(worst_rad, std::abs(Atan2(y, x) - std::atan2(y, x)));
  }
  EXPECT_LT(worst_rad, kTolRad);
}

TEST(Atan2Test, MatchesTheLibraryAroundEveryFoldOfTheOctants) {
  // The folds: the axes, the diagonals (45 deg) and the 15 deg switch of the series, from
  // both sides, in every quadrant.
  double worst_rad = 0.0;
  for (int fold = 0; fold < 24; ++fold) {
    const double base_rad = fold * std::numbers::pi / 12.0;
    for (int k = -1000; k <= 1000; ++k) {
      const double angle_rad = base_rad + k * 1e-9;
      const double y = std::sin(angle_rad);
      const double x = std::cos(angle_rad);
      worst_rad = std::max(worst_rad, std::abs(Atan2(y, x) - std::atan2(y, x)));
    }
  }
  EXPECT_LT(worst_rad, kTolRad);
}

TEST(Atan2Test, KeepsTheLibrarysSignsAndSpecialValues) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double tiny = std::numeric_limits<double>::denorm_min();
  for (const double y : {0.0, -0.0, 1.0, -1.0, inf, -inf, tiny, -tiny}) {
    for (const double x : {0.0, -0.0, 1.0, -1.0, inf, -inf, tiny, -tiny}) {
      const double expected = std::atan2(y, x);
      EXPECT_NEAR(Atan2(y, x), expected, kTolRad) << "y " << y << " x " << x;
      EXPECT_EQ(std::signbit(Atan2(y, x)), std::signbit(expected)) << "y " << y << " x " << x;
    }
  }
  EXPECT_TRUE(std::isnan(Atan2(nan, 1.0)));
  EXPECT_TRUE(std::isnan(Atan2(1.0, nan)));
  EXPECT_EQ(Atan2(1.0, 1e-300), std::atan2(1.0, 1e-300));  // exactly pi/2 either way
  EXPECT_EQ(Atan2(-1e-300, -1.0), std::atan2(-1e-300, -1.0));
}

}  // namespace
}  // namespace ambi::fusion
