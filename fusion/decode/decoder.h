#ifndef AMBI_FUSION_DECODE_DECODER_H_
#define AMBI_FUSION_DECODE_DECODER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "fusion/core/imu_sample.h"
#include "fusion/core/time.h"
#include "fusion/decode/protocol.h"

namespace ambi::fusion {

struct DecoderParams {
  Protocol protocol = Protocol::kWitMotionSerial;
  // WitMotion 0x54 magnetometer frames are raw counts whose scale depends on the chip
  // (register 0x72). 0 ignores magnetometer frames (6-axis fusion).
  double witmotion_mag_uT_per_count = 0.0;
};

// Counters, returned as values; the daemon turns them into rate-limited logs and status events.
struct DecoderStats {
  std::uint64_t bytes_in = 0;
  std::uint64_t frames = 0;           // well-formed frames of any type
  std::uint64_t samples = 0;          // ImuSamples produced
  std::uint64_t bytes_discarded = 0;  // skipped while resynchronising
  std::uint64_t checksum_errors = 0;
  std::uint64_t unknown_frames = 0;   // well-formed but of a type we do not use
};

// Turns a sensor's byte stream into ImuSamples. Bytes may arrive in any split (one byte at a
// time, several frames at once, frames cut across reads); garbage is skipped and counted, never
// thrown. Fixed-size buffer, no allocation. Not thread-safe; one per sensor.
class Decoder {
 public:
  explicit Decoder(const DecoderParams& params);

  // Feeds 'bytes' that arrived at 'arrival_time'. Calls 'on_sample(const ImuSample&)' for each
  // completed sample. Samples of protocols without device time are stamped 'arrival_time'
  // (the clock stage smooths them); kAmbiSample samples carry their own time.
  template <typename OnSample>
  void Feed(std::span<const std::uint8_t> bytes, Time arrival_time, OnSample&& on_sample);

  // Forgets partial frames (after the transport lost the device).
  void Reset();

  const DecoderStats& stats() const { return stats_; }
  Protocol protocol() const { return params_.protocol; }

 private:
  // Internals (frame buffer, partial-sample assembly) are the decoder's own; keep them fixed-size.
  DecoderParams params_;
  DecoderStats stats_;
};

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_DECODE_DECODER_H_
