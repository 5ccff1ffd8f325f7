#include "daemon/transport/witmotion_commands.h"

#include <stdexcept>
#include <string>

namespace ambi::transport {
namespace {

constexpr std::uint8_t kRegUnlock = 0x69;
constexpr std::uint16_t kUnlockKey = 0xB588;

// Output content register bits: bit n enables frame type 0x50 + n.
constexpr std::uint16_t kContentAccel = 1u << 1;  // 0x51
constexpr std::uint16_t kContentGyro = 1u << 2;   // 0x52
constexpr std::uint16_t kContentMag = 1u << 4;    // 0x54

}  // namespace

WitMotionCommand WitMotionWriteRegister(std::uint8_t reg, std::uint16_t value) {
  return {0xFF, 0xAA, reg, static_cast<std::uint8_t>(value & 0xFF),
          static_cast<std::uint8_t>(value >> 8)};
}

WitMotionCommand WitMotionUnlockCommand() { return WitMotionWriteRegister(kRegUnlock, kUnlockKey); }

std::optional<std::uint8_t> WitMotionSerialRateCode(int rate_hz) {
  switch (rate_hz) {
    case 10:
      return 0x06;
    case 20:
      return 0x07;
    case 50:
      return 0x08;
    case 100:
      return 0x09;
    case 200:
      return 0x0B;
    default:
      return std::nullopt;
  }
}

std::vector<WitMotionCommand> WitMotionSetupCommands(const WitMotionSetup& setup) {
  const std::optional<std::uint8_t> rate_code = WitMotionSerialRateCode(setup.rate_hz);
  if (!rate_code) {
    throw std::invalid_argument("WitMotion setup: rate_hz " + std::to_string(setup.rate_hz) +
                                " has no register code (allowed: 10, 20, 50, 100, 200)");
  }
  std::uint16_t content = kContentAccel | kContentGyro;
  if (setup.with_mag) content |= kContentMag;
  std::vector<WitMotionCommand> commands = {
      WitMotionUnlockCommand(),
      WitMotionWriteRegister(kWitMotionRegRate, *rate_code),
      WitMotionWriteRegister(kWitMotionRegContent, content),
  };
  if (setup.save) commands.push_back(WitMotionWriteRegister(kWitMotionRegSave, 0x0000));
  return commands;
}

}  // namespace ambi::transport
