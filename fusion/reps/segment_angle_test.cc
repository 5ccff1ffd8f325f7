#include "fusion/reps/segment_angle.h"

#include <gtest/gtest.h>

#include <cmath>

#include "fusion/reps/hinge_motion_for_test.h"

namespace ambi::fusion {
namespace {

using hinge::FromAxisAngle;
using hinge::kDegToRad;
using hinge::Rotate;

// Earth-up in the sensor frame for a sensor-to-earth orientation q.
Vec3 Up(const Quaternion& q) { return Rotate(Inverse(q), {0, 0, 1}); }

TEST(SegmentAngleTest, GravityAngleIsTheRotationAboutAHorizontalHingeForAnyMount) {
  const Quaternion mount = {0.8, 0.2, 0.4, 0.4};  // normalised below by FromAxisAngle use
  const double n = std::sqrt(0.8 * 0.8 + 0.2 * 0.2 + 0.4 * 0.4 + 0.4 * 0.4);
  const Quaternion m = {mount.w / n, mount.x / n, mount.y / n, mount.z / n};
  const Vec3 hinge_earth = {0, 1, 0};
  const Vec3 axis_sensor = Rotate(Inverse(m), hinge_earth);
  SegmentAngle angle({});
  angle.SetReferenceGravity(Up(m));
  angle.SetAxis(axis_sensor, /*first=*/true);
  EXPECT_EQ(angle.source(), AngleSource::kGravity);
  double previous = 0.0;
  for (double deg = 0.0; deg <= 170.0; deg += 10.0) {
    const Quaternion q = Compose(FromAxisAngle(hinge_earth, deg * kDegToRad), m);
    previous = angle.Angle(Up(q), 0.0, deg > 0.0, previous, 0.0, 0.01);
    EXPECT_NEAR(previous, deg, 1e-9);
  }
}

TEST(SegmentAngleTest, UnwrapsPastHalfATurn) {
  SegmentAngle angle({});
  angle.SetReferenceGravity({0, 0, 1});
  angle.SetAxis({0, 1, 0}, /*first=*/true);
  double previous = 0.0;
  for (double deg = 0.0; deg <= 350.0; deg += 20.0) {
    const Vec3 up = Rotate(Inverse(FromAxisAngle({0, 1, 0}, deg * kDegToRad)), {0, 0, 1});
    previous = angle.Angle(up, 0.0, deg > 0.0, previous, 0.0, 0.01);
    EXPECT_NEAR(previous, deg, 1e-9);
  }
}

TEST(SegmentAngleTest, NearVerticalAxisIntegratesTheGyro) {
  SegmentAngle angle({});
  angle.SetReferenceGravity({0, 0, 1});
  const Vec3 axis = {std::sin(10.0 * kDegToRad), 0, std::cos(10.0 * kDegToRad)};
  angle.SetAxis(axis, /*first=*/true);
  EXPECT_EQ(angle.source(), AngleSource::kGyro);
  EXPECT_NEAR(angle.SpeedDegS({axis.x * kDegToRad * 30, 0, axis.z * kDegToRad * 30}), 30, 1e-9);
  EXPECT_DOUBLE_EQ(angle.Angle({0, 0, 1}, 30.0, /*has_previous=*/false, 0, 0, 0), 0.0);
  // Trapezoid: 10 deg + (20 + 30) / 2 deg/s * 0.1 s.
  EXPECT_NEAR(angle.Angle({0, 0, 1}, 30.0, true, 10.0, 20.0, 0.1), 12.5, 1e-12);
}

TEST(SegmentAngleTest, GravityOrGyroChoiceHasHysteresis) {
  SegmentAngleParams params;  // 20 deg, margin 5 deg
  SegmentAngle angle(params);
  angle.SetReferenceGravity({0, 0, 1});
  auto tilted = [](double from_vertical_deg) {
    return Vec3{std::sin(from_vertical_deg * kDegToRad), 0,
                std::cos(from_vertical_deg * kDegToRad)};
  };
  angle.SetAxis(tilted(22), /*first=*/true);
  EXPECT_EQ(angle.source(), AngleSource::kGravity);
  angle.SetAxis(tilted(18), /*first=*/false);  // inside the margin: keeps gravity
  EXPECT_EQ(angle.source(), AngleSource::kGravity);
  angle.SetAxis(tilted(14), /*first=*/false);  // clearly past: gyro
  EXPECT_EQ(angle.source(), AngleSource::kGyro);
  angle.SetAxis(tilted(22), /*first=*/false);  // inside the margin: keeps gyro
  EXPECT_EQ(angle.source(), AngleSource::kGyro);
  angle.SetAxis(tilted(26), /*first=*/false);
  EXPECT_EQ(angle.source(), AngleSource::kGravity);
}

}  // namespace
}  // namespace ambi::fusion
