#include "daemon/sim/device_byte_stream.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace ambi::sim {

fusion::Vec3 EulerDegFromQuaternion(const fusion::Quaternion& q) {
  constexpr double kRadToDeg = 180.0 / std::numbers::pi;
  const double roll =
      std::atan2(2.0 * (q.w * q.x + q.y * q.z), 1.0 - 2.0 * (q.x * q.x + q.y * q.y));
  const double sin_pitch = std::clamp(2.0 * (q.w * q.y - q.z * q.x), -1.0, 1.0);
  const double pitch = std::asin(sin_pitch);
  const double yaw = std::atan2(2.0 * (q.w * q.z + q.x * q.y), 1.0 - 2.0 * (q.y * q.y + q.z * q.z));
  return {roll * kRadToDeg, pitch * kRadToDeg, yaw * kRadToDeg};
}

void AppendWitMotionSerial(const SimSample& sample,
                           const fusion::WitMotionSerialEncodeOptions& options,
                           std::vector<std::uint8_t>* out) {
  fusion::AppendWitMotionSerialFrames(sample.imu, EulerDegFromQuaternion(sample.sensor_to_earth),
                                      options, out);
}

DeviceByteStream::DeviceByteStream(const SessionSpec& spec, const SessionPlan& plan,
                                   fusion::Side side, fusion::Protocol protocol,
                                   const fusion::WitMotionSerialEncodeOptions& witmotion)
    : sampler_(spec, plan, side), protocol_(protocol), witmotion_(witmotion) {}

bool DeviceByteStream::Next(std::vector<std::uint8_t>* bytes, double* true_time_s) {
  if (!sampler_.Next(&sample_)) return false;
  bytes->clear();
  switch (protocol_) {
    case fusion::Protocol::kWitMotionSerial:
      AppendWitMotionSerial(sample_, witmotion_, bytes);
      break;
    case fusion::Protocol::kWitMotionBle:
      fusion::AppendWitMotionBleFrame(sample_.imu, EulerDegFromQuaternion(sample_.sensor_to_earth),
                                      bytes);
      break;
    case fusion::Protocol::kAmbiSample:
      fusion::AppendAmbiSampleFrame(sample_.imu, bytes);
      break;
  }
  *true_time_s = sample_.true_time_s;
  return true;
}

}  // namespace ambi::sim
