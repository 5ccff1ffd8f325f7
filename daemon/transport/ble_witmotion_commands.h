#ifndef AMBI_DAEMON_TRANSPORT_BLE_WITMOTION_COMMANDS_H_
#define AMBI_DAEMON_TRANSPORT_BLE_WITMOTION_COMMANDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/transport/witmotion_commands.h"

namespace ambi::transport {

// WitMotion BLE models whose output-rate register codes differ (PROTOCOLS.md).
enum class WitBleModel {
  // BLE 5.0 family: WT901BLECL, BWT901BLE5.0, WT9011DCL. 200 Hz is 0x0A here (0x0B on serial
  // models).
  kBt50,
};

// "bt50" -> kBt50; nullopt for unknown names.
std::optional<WitBleModel> ParseWitBleModel(std::string_view name);
std::string_view ToString(WitBleModel model);

// The rate register (0x03) code for 'rate_hz' on 'model'; nullopt when the model has no such rate.
std::optional<std::uint8_t> WitBleRateCode(WitBleModel model, int rate_hz);

// Output rates 'model' supports, ascending, for error messages.
std::vector<int> WitBleRates(WitBleModel model);

// The writes that set the output rate, in order: unlock `FF AA 69 88 B5`, then
// `FF AA 03 <code> 00` (the framing of witmotion_commands.h, with this model's rate code). Not
// saved to flash: the device returns to its own rate on power-up, so a daemon never leaves a sensor
// reconfigured. Throws std::invalid_argument naming the rate and the supported ones when 'rate_hz'
// is not available on 'model'.
std::vector<WitMotionCommand> WitBleRateCommands(WitBleModel model, int rate_hz);

}  // namespace ambi::transport

#endif  // AMBI_DAEMON_TRANSPORT_BLE_WITMOTION_COMMANDS_H_
