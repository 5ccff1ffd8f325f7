#include "fusion/core/rotation.h"

#include <gtest/gtest.h>

#include <numbers>

namespace ambi::fusion {
namespace {

void ExpectNear(const Vec3& a, const Vec3& b, double tolerance) {
  EXPECT_NEAR(a.x, b.x, tolerance);
  EXPECT_NEAR(a.y, b.y, tolerance);
  EXPECT_NEAR(a.z, b.z, tolerance);
}

// A turn back from its quaternion: small, large, and about every axis.
TEST(RotationTest, ARotationVectorComesBackFromItsQuaternion) {
  for (const Vec3& v :
       {Vec3{0.3, -0.2, 0.1}, Vec3{1e-9, 0.0, -2e-9}, Vec3{0.0, 2.5, 0.0}, Vec3{-1.0, 1.0, 1.5}}) {
    ExpectNear(ToRotationVector(FromRotationVector(v)), v, 1e-12);
  }
}

// q and -q are the same rotation: either way it comes back the shorter way round.
TEST(RotationTest, TheNegatedQuaternionGivesTheSameTurn) {
  const Vec3 v{0.4, 0.1, -0.7};
  const Quaternion q = FromRotationVector(v);
  ExpectNear(ToRotationVector({-q.w, -q.x, -q.y, -q.z}), v, 1e-12);
  // Past half a turn, the shorter way is the other way round.
  const Vec3 beyond{0.0, 0.0, 1.5 * std::numbers::pi};
  ExpectNear(ToRotationVector(FromRotationVector(beyond)), {0.0, 0.0, -0.5 * std::numbers::pi},
             1e-12);
}

// A turn seen from a rotated frame: the same angle, its axis rotated into that frame, as
// GiveBackTiltSnap takes an earth-frame snap into the sensor's frame.
TEST(RotationTest, ATurnConjugatedIntoAnotherFrameKeepsItsAngle) {
  const Quaternion frame = FromRotationVector({0.0, 0.0, 0.5 * std::numbers::pi});  // 90 deg yaw
  const Quaternion turn = FromRotationVector({0.2, 0.0, 0.0});                      // about earth x
  const Vec3 seen = ToRotationVector(Compose(Compose(Inverse(frame), turn), frame));
  // Earth x is the sensor's -y after a 90 deg yaw of the sensor.
  ExpectNear(seen, {0.0, -0.2, 0.0}, 1e-12);
}

}  // namespace
}  // namespace ambi::fusion
