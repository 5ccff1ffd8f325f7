#ifndef AMBI_FUSION_DECODE_PROTOCOL_H_
#define AMBI_FUSION_DECODE_PROTOCOL_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace ambi::fusion {

// The byte protocols a sensor stream may use. Captures store bytes, so each needs a decoder.
enum class Protocol : std::uint8_t {
  kWitMotionSerial,  // 11-byte 0x55 frames, UART (PROTOCOLS.md)
  kWitMotionBle,     // 20-byte 0x55 0x61 frames in GATT notifications
  kAmbiSample,       // ambi's own frame carrying one SI sample with a device timestamp
};

std::string_view ToString(Protocol protocol);  // "witmotion_serial", "witmotion_ble", "ambi_sample"
std::optional<Protocol> ParseProtocol(std::string_view text);

// True when the protocol carries a device timestamp per sample.
constexpr bool HasDeviceTime(Protocol protocol) { return protocol == Protocol::kAmbiSample; }

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_DECODE_PROTOCOL_H_
