#include "fusion/decode/protocol.h"

namespace ambi::fusion {

std::string_view ToString(Protocol protocol) {
  switch (protocol) {
    case Protocol::kWitMotionSerial:
      return "witmotion_serial";
    case Protocol::kWitMotionBle:
      return "witmotion_ble";
    case Protocol::kAmbiSample:
      return "ambi_sample";
  }
  return "unknown";
}

std::optional<Protocol> ParseProtocol(std::string_view text) {
  for (const Protocol protocol :
       {Protocol::kWitMotionSerial, Protocol::kWitMotionBle, Protocol::kAmbiSample}) {
    if (text == ToString(protocol)) return protocol;
  }
  return std::nullopt;
}

}  // namespace ambi::fusion
