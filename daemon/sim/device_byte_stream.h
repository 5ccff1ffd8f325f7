#ifndef AMBI_DAEMON_SIM_DEVICE_BYTE_STREAM_H_
#define AMBI_DAEMON_SIM_DEVICE_BYTE_STREAM_H_

#include <cstdint>
#include <vector>

#include "daemon/sim/limb_simulator.h"
#include "fusion/core/geometry.h"
#include "fusion/decode/encoder.h"
#include "fusion/decode/protocol.h"

namespace ambi::sim {

// Roll, pitch, yaw (deg; ZYX convention, as WitMotion devices report) of a sensor-to-earth
// orientation.
fusion::Vec3 EulerDegFromQuaternion(const fusion::Quaternion& sensor_to_earth);

// Appends the WitMotion serial frames a device would send for 'sample' (0x51, 0x52, 0x53 with
// the true orientation's angles, and 0x54 when the sample has a magnetometer reading and
// 'options' give a scale).
void AppendWitMotionSerial(const SimSample& sample,
                           const fusion::WitMotionSerialEncodeOptions& options,
                           std::vector<std::uint8_t>* out);

// The bytes one simulated device sends, output cycle by output cycle, with the true time each
// cycle leaves the device. A live source writes each chunk into a pseudo-terminal when its time
// comes (pacing is the caller's business: this class reads no clock). Constant memory.
// Not thread-safe; one per device.
class DeviceByteStream {
 public:
  // 'plan' need not outlive the stream (the side's reps are copied).
  DeviceByteStream(const SessionSpec& spec, const SessionPlan& plan, fusion::Side side,
                   fusion::Protocol protocol,
                   const fusion::WitMotionSerialEncodeOptions& witmotion = {});

  // Replaces 'bytes' with the next cycle's bytes and sets 'true_time_s'; false at the end.
  bool Next(std::vector<std::uint8_t>* bytes, double* true_time_s);

  fusion::Placement placement() const { return sampler_.placement(); }

 private:
  SensorSampler sampler_;
  fusion::Protocol protocol_;
  fusion::WitMotionSerialEncodeOptions witmotion_;
  SimSample sample_;
};

}  // namespace ambi::sim

#endif  // AMBI_DAEMON_SIM_DEVICE_BYTE_STREAM_H_
