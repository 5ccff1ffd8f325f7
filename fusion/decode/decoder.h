#ifndef AMBI_FUSION_DECODE_DECODER_H_
#define AMBI_FUSION_DECODE_DECODER_H_

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "fusion/core/imu_sample.h"
#include "fusion/core/time.h"
#include "fusion/decode/protocol.h"
#include "fusion/decode/wire_format.h"

namespace ambi::fusion {

struct DecoderParams {
  Protocol protocol = Protocol::kWitMotionSerial;
  // WitMotion 0x54 magnetometer frames are raw counts whose scale depends on the chip
  // (register 0x72). 0 ignores magnetometer frames (6-axis fusion).
  double witmotion_mag_uT_per_count = 0.0;
};

// Counters, returned as values; the daemon turns them into rate-limited logs and status events.
// Every byte fed is accounted for: bytes_in = bytes_discarded + bytes in well-formed frames
// + Decoder::pending_bytes().
struct DecoderStats {
  std::uint64_t bytes_in = 0;
  std::uint64_t frames = 0;           // well-formed frames of any type
  std::uint64_t samples = 0;          // ImuSamples produced
  std::uint64_t bytes_discarded = 0;  // skipped while resynchronising
  std::uint64_t checksum_errors = 0;
  std::uint64_t unknown_frames = 0;  // well-formed but of a type we do not use
  // WitMotion serial only: output cycles that lost their accel or gyro frame. They produce no
  // sample, because pairing accel and gyro of different cycles would invent data.
  std::uint64_t incomplete_cycles = 0;
  // WitMotion serial only: samples emitted without magnetometer although the stream carries it
  // (its 0x54 frame of that cycle was lost).
  std::uint64_t samples_missing_mag = 0;
};

// Turns a sensor's byte stream into ImuSamples. Bytes may arrive in any split (one byte at a
// time, several frames at once, frames cut across reads); garbage is skipped and counted, never
// thrown. Fixed-size buffer, no allocation. Not thread-safe; one per sensor.
//
// Whole frames are decoded straight from the caller's bytes; only a frame cut at the end of a
// read is copied into the carry buffer, so the common path costs no copy.
//
// WitMotion serial sends one frame per quantity and output cycle, in ascending type order
// (0x51 accel, 0x52 gyro, 0x53 angle, 0x54 mag). A sample is emitted when its cycle has accel and
// gyro (and mag, once the stream has shown it carries mag and mag is enabled); a data frame whose
// type is not above the previous one opens a new cycle. A cycle still missing mag is emitted when
// the next cycle opens (one frame of latency) and counted; one missing accel or gyro is dropped
// and counted. Limitation: with no time per frame, a cycle that lost everything after its accel
// followed by a cycle that lost its accel cannot be told from one whole cycle.
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
  // Bytes held back as the start of a frame not yet complete.
  std::size_t pending_bytes() const { return carry_len_; }

 private:
  // Largest frame of any protocol; a frame cut across reads waits in 'carry_'.
  static constexpr std::size_t kMaxFrameBytes = wire::kAmbiMaxFrameBytes;
  static_assert(kMaxFrameBytes >= wire::kWitSerialFrameBytes);
  static_assert(kMaxFrameBytes >= wire::kWitBleFrameBytes);

  // The position of the next 'sync' byte at or after 'pos' (or 'size'); the bytes skipped are
  // counted as discarded.
  std::size_t SkipToSync(std::uint8_t sync, const std::uint8_t* data, std::size_t pos,
                         std::size_t size) {
    const void* next = std::memchr(data + pos, sync, size - pos);
    const std::size_t sync_pos =
        next == nullptr ? size
                        : static_cast<std::size_t>(static_cast<const std::uint8_t*>(next) - data);
    stats_.bytes_discarded += sync_pos - pos;
    return sync_pos;
  }

  // Decodes whole frames from 'data'; returns the bytes consumed. Stops at the first position
  // that could start a frame not yet complete, so fewer than kMaxFrameBytes remain unconsumed.
  template <typename OnSample>
  std::size_t Parse(const std::uint8_t* data, std::size_t size, Time arrival_time,
                    OnSample& on_sample);
  template <typename OnSample>
  std::size_t ParseWitSerial(const std::uint8_t* data, std::size_t size, Time arrival_time,
                             OnSample& on_sample);
  template <typename OnSample>
  std::size_t ParseWitBle(const std::uint8_t* data, std::size_t size, Time arrival_time,
                          OnSample& on_sample);
  template <typename OnSample>
  std::size_t ParseAmbi(const std::uint8_t* data, std::size_t size, OnSample& on_sample);

  // WitMotion serial cycle assembly, called for every well-formed frame.
  template <typename OnSample>
  void OnWitSerialFrame(std::uint8_t type, const std::uint8_t* frame, Time arrival_time,
                        OnSample& on_sample);
  // Closes the current cycle before a new one opens: emits it without mag, or drops it.
  template <typename OnSample>
  void CloseWitCycle(OnSample& on_sample);

  // Bits of the WitMotion data frames received in the current cycle.
  static constexpr std::uint8_t kHaveAccel = 1;
  static constexpr std::uint8_t kHaveGyro = 2;
  static constexpr std::uint8_t kHaveMag = 4;
  // Consecutive cycles without mag after which the stream is taken to carry none (each of them
  // costs one frame of latency).
  static constexpr int kMagMissingCyclesToForget = 3;

  DecoderParams params_;
  DecoderStats stats_;
  bool mag_enabled_ = false;

  std::array<std::uint8_t, 2 * kMaxFrameBytes> carry_{};
  std::size_t carry_len_ = 0;

  ImuSample cycle_sample_;
  std::uint8_t cycle_have_ = 0;
  std::uint8_t cycle_last_type_ = 0;  // 0: no data frame yet in this cycle
  bool cycle_emitted_ = false;
  bool stream_has_mag_ = false;
  int mag_missing_run_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Implementation of the templates (the per-sample path, kept inline for speed).

template <typename OnSample>
void Decoder::Feed(std::span<const std::uint8_t> bytes, Time arrival_time, OnSample&& on_sample) {
  stats_.bytes_in += bytes.size();
  const std::uint8_t* in = bytes.data();
  std::size_t in_size = bytes.size();

  if (carry_len_ > 0) {
    // Top up the carry with at most one frame's worth: enough either to finish its frame and
    // move past it, or (input exhausted) to keep waiting. Since Parse leaves fewer than
    // kMaxFrameBytes unconsumed, adding kMaxFrameBytes guarantees progress past the old carry.
    const std::size_t old_len = carry_len_;
    const std::size_t take = std::min(in_size, kMaxFrameBytes);
    std::memcpy(carry_.data() + old_len, in, take);
    carry_len_ += take;
    const std::size_t used = Parse(carry_.data(), carry_len_, arrival_time, on_sample);
    if (take == in_size) {
      // Everything went into the carry; keep what is unconsumed.
      carry_len_ -= used;
      std::memmove(carry_.data(), carry_.data() + used, carry_len_);
      return;
    }
    // used > old_len here: continue on the caller's bytes where the carry parse stopped.
    in += used - old_len;
    in_size -= used - old_len;
    carry_len_ = 0;
  }

  const std::size_t used = Parse(in, in_size, arrival_time, on_sample);
  carry_len_ = in_size - used;
  std::memcpy(carry_.data(), in + used, carry_len_);
}

template <typename OnSample>
std::size_t Decoder::Parse(const std::uint8_t* data, std::size_t size, Time arrival_time,
                           OnSample& on_sample) {
  switch (params_.protocol) {
    case Protocol::kWitMotionSerial:
      return ParseWitSerial(data, size, arrival_time, on_sample);
    case Protocol::kWitMotionBle:
      return ParseWitBle(data, size, arrival_time, on_sample);
    case Protocol::kAmbiSample:
      return ParseAmbi(data, size, on_sample);
  }
  // Unknown enum value: treat every byte as garbage.
  stats_.bytes_discarded += size;
  return size;
}

template <typename OnSample>
std::size_t Decoder::ParseWitSerial(const std::uint8_t* data, std::size_t size, Time arrival_time,
                                    OnSample& on_sample) {
  std::size_t pos = 0;
  while (pos < size) {
    if (data[pos] != wire::kWitSync) {
      pos = SkipToSync(wire::kWitSync, data, pos, size);
      continue;
    }
    if (size - pos < wire::kWitSerialFrameBytes) break;
    const std::uint8_t* frame = data + pos;
    const std::uint8_t type = frame[1];
    if (!wire::IsWitSerialType(type)) {
      ++stats_.bytes_discarded;
      ++pos;
      continue;
    }
    if (wire::WitSerialChecksum(frame) != frame[10]) {
      ++stats_.checksum_errors;
      ++stats_.bytes_discarded;
      ++pos;
      continue;
    }
    ++stats_.frames;
    pos += wire::kWitSerialFrameBytes;
    OnWitSerialFrame(type, frame, arrival_time, on_sample);
  }
  return pos;
}

template <typename OnSample>
void Decoder::CloseWitCycle(OnSample& on_sample) {
  if (cycle_emitted_ || cycle_have_ == 0) return;
  if ((cycle_have_ & (kHaveAccel | kHaveGyro)) == (kHaveAccel | kHaveGyro)) {
    // Mag was expected but lost; the inertial part is whole, so it still counts.
    cycle_sample_.has_mag = false;
    ++stats_.samples_missing_mag;
    ++stats_.samples;
    on_sample(static_cast<const ImuSample&>(cycle_sample_));
    // One lost 0x54 frame is noise; several in a row mean the device stopped sending mag.
    if (++mag_missing_run_ >= kMagMissingCyclesToForget) stream_has_mag_ = false;
  } else {
    ++stats_.incomplete_cycles;
  }
}

template <typename OnSample>
void Decoder::OnWitSerialFrame(std::uint8_t type, const std::uint8_t* frame, Time arrival_time,
                               OnSample& on_sample) {
  // Every frame type takes part in the ordering, so "accel, angle, gyro" shows that the gyro
  // belongs to the next cycle.
  if (type <= cycle_last_type_) {
    CloseWitCycle(on_sample);
    cycle_have_ = 0;
    cycle_emitted_ = false;
  }
  cycle_last_type_ = type;
  switch (type) {
    case wire::kWitAccel:
      cycle_sample_.accel_m_s2 = wire::WitAccelFromFrame(frame);
      cycle_have_ |= kHaveAccel;
      break;
    case wire::kWitGyro:
      cycle_sample_.gyro_rad_s = wire::WitGyroFromFrame(frame);
      cycle_have_ |= kHaveGyro;
      break;
    case wire::kWitMag:
      if (!mag_enabled_) return;
      cycle_sample_.mag_uT = wire::WitMagFromFrame(frame, params_.witmotion_mag_uT_per_count);
      cycle_have_ |= kHaveMag;
      stream_has_mag_ = true;
      mag_missing_run_ = 0;
      break;
    case wire::kWitAngle:
      return;  // the core runs its own fusion
    default:
      ++stats_.unknown_frames;
      return;
  }
  if (cycle_emitted_) return;  // e.g. the mag frame that taught us the stream carries mag
  const std::uint8_t need =
      stream_has_mag_ ? (kHaveAccel | kHaveGyro | kHaveMag) : (kHaveAccel | kHaveGyro);
  if ((cycle_have_ & need) != need) return;
  cycle_sample_.time = arrival_time;
  cycle_sample_.has_mag = (cycle_have_ & kHaveMag) != 0;
  cycle_emitted_ = true;
  ++stats_.samples;
  on_sample(static_cast<const ImuSample&>(cycle_sample_));
}

template <typename OnSample>
std::size_t Decoder::ParseWitBle(const std::uint8_t* data, std::size_t size, Time arrival_time,
                                 OnSample& on_sample) {
  std::size_t pos = 0;
  while (pos < size) {
    if (data[pos] != wire::kWitSync) {
      pos = SkipToSync(wire::kWitSync, data, pos, size);
      continue;
    }
    if (size - pos < 2) break;
    const std::uint8_t type = data[pos + 1];
    if (type != wire::kWitBleData && type != wire::kWitBleRegisters) {
      ++stats_.bytes_discarded;
      ++pos;
      continue;
    }
    if (size - pos < wire::kWitBleFrameBytes) break;
    const std::uint8_t* frame = data + pos;
    pos += wire::kWitBleFrameBytes;
    ++stats_.frames;
    if (type == wire::kWitBleRegisters) {
      ++stats_.unknown_frames;
      continue;
    }
    ImuSample sample;
    sample.time = arrival_time;
    wire::WitBleDecode(frame, &sample);
    ++stats_.samples;
    on_sample(static_cast<const ImuSample&>(sample));
  }
  return pos;
}

template <typename OnSample>
std::size_t Decoder::ParseAmbi(const std::uint8_t* data, std::size_t size, OnSample& on_sample) {
  std::size_t pos = 0;
  while (pos < size) {
    if (data[pos] != wire::kAmbiSync0) {
      pos = SkipToSync(wire::kAmbiSync0, data, pos, size);
      continue;
    }
    const std::size_t avail = size - pos;
    const std::uint8_t* frame = data + pos;
    // Check the header bytes as far as they have arrived; any mismatch is garbage.
    const std::size_t header_seen = std::min(avail, wire::kAmbiHeaderBytes);
    if (!wire::AmbiHeaderPrefixValid(frame, header_seen)) {
      ++stats_.bytes_discarded;
      ++pos;
      continue;
    }
    if (avail < wire::kAmbiHeaderBytes) break;
    const std::size_t frame_bytes = wire::AmbiFrameBytes(frame);
    if (avail < frame_bytes) break;
    if (!wire::AmbiChecksumValid(frame, frame_bytes)) {
      ++stats_.checksum_errors;
      ++stats_.bytes_discarded;
      ++pos;
      continue;
    }
    ImuSample sample;
    wire::AmbiDecode(frame, &sample);
    pos += frame_bytes;
    ++stats_.frames;
    ++stats_.samples;
    on_sample(static_cast<const ImuSample&>(sample));
  }
  return pos;
}

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_DECODE_DECODER_H_
