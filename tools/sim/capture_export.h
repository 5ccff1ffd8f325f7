#ifndef AMBI_TOOLS_SIM_CAPTURE_EXPORT_H_
#define AMBI_TOOLS_SIM_CAPTURE_EXPORT_H_

#include <cstdint>
#include <string>

#include "daemon/capture/capture_status.h"
#include "daemon/sim/delivery_stalls.h"
#include "daemon/sim/session_spec.h"
#include "fusion/decode/protocol.h"

namespace ambi::sim {

struct CaptureExportOptions {
  // The byte format each simulated device sends. WitMotion frames carry no time, so the
  // pipeline must time them from arrival; kAmbiSample carries the device clock.
  fusion::Protocol protocol = fusion::Protocol::kWitMotionSerial;
  // Scale written to the header and used for 0x54 frames when the spec has a magnetometer.
  double witmotion_mag_uT_per_count = 0.15;
  // Arrival time = true time + latency + |jitter| (seeded, per sample); the capture's session
  // clock is true time.
  double latency_s = 0.004;
  double latency_jitter_s = 0.0;
  // ... and delivery stalls on each port (none by default): what is due in one arrives when it
  // ends, all at once.
  DeliveryStallSpec stalls;
  std::string athlete = "sim";
  std::string exercise;  // catalog name for the header; empty: CatalogNameOf(spec.exercise)
  bool replace_existing = false;
};

// Streams both sensors of 'spec' into a capture file at 'path' (constant memory): a header with
// sensors (ids 1 = left, 2 = right, device model "ambi-sim") and the ground truth summary, then
// one data record per sample in arrival order. Invalid specs and I/O errors come back as status.
capture::CaptureStatus WriteSessionCapture(const SessionSpec& spec,
                                           const CaptureExportOptions& options,
                                           const std::string& path);

}  // namespace ambi::sim

#endif  // AMBI_TOOLS_SIM_CAPTURE_EXPORT_H_
