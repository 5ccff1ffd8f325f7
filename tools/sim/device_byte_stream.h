#ifndef AMBI_TOOLS_SIM_DEVICE_BYTE_STREAM_H_
#define AMBI_TOOLS_SIM_DEVICE_BYTE_STREAM_H_

#include <cstdint>
#include <vector>

#include "fusion/decode/encoder.h"
#include "fusion/decode/protocol.h"
#include "tools/sim/limb_simulator.h"

namespace ambi::sim {

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

#endif  // AMBI_TOOLS_SIM_DEVICE_BYTE_STREAM_H_
