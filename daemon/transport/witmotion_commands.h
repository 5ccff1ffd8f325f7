#ifndef AMBI_DAEMON_TRANSPORT_WITMOTION_COMMANDS_H_
#define AMBI_DAEMON_TRANSPORT_WITMOTION_COMMANDS_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace ambi::transport {

// A WitMotion host->device command: FF AA REG DATAL DATAH, no checksum (PROTOCOLS.md). The
// framing is the same over serial and BLE; only some register codes differ between models.
using WitMotionCommand = std::array<std::uint8_t, 5>;

inline constexpr std::uint8_t kWitMotionRegSave = 0x00;
inline constexpr std::uint8_t kWitMotionRegContent = 0x02;
inline constexpr std::uint8_t kWitMotionRegRate = 0x03;

// Writes 'value' (little-endian) to register 'reg'.
WitMotionCommand WitMotionWriteRegister(std::uint8_t reg, std::uint16_t value);
// FF AA 69 88 B5: the devices ignore register writes that do not follow it.
WitMotionCommand WitMotionUnlockCommand();

// What to configure on a WitMotion serial device after each connect.
struct WitMotionSetup {
  int rate_hz = 100;      // output rate: 10, 20, 50, 100 or 200
  bool with_mag = false;  // also send 0x54 magnetometer frames (9-axis fusion)
  // Writes the settings to the device's flash. Off by default: flash has limited write cycles
  // and the settings are sent again on every connect anyway.
  bool save = false;
  // Pause between two commands; the devices drop a command that follows another too closely.
  std::chrono::milliseconds command_gap{50};
};

// The rate register (0x03) code of 'rate_hz' on serial models; nullopt for a rate they lack.
std::optional<std::uint8_t> WitMotionSerialRateCode(int rate_hz);

// The commands, in order: unlock, output rate, output content (accel + gyro [+ mag]; the angle
// frame is left out since the core runs its own fusion), and save when asked.
// Throws std::invalid_argument naming the rate when it has no register code.
std::vector<WitMotionCommand> WitMotionSetupCommands(const WitMotionSetup& setup);

}  // namespace ambi::transport

#endif  // AMBI_DAEMON_TRANSPORT_WITMOTION_COMMANDS_H_
