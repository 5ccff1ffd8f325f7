#include "tools/sim/device_byte_stream.h"

#include "tools/sim/session_writer.h"

namespace ambi::sim {

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
