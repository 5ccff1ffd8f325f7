#include "daemon/transport/ble_witmotion_commands.h"

#include <array>
#include <stdexcept>

namespace ambi::transport {
namespace {

struct RateCode {
  int rate_hz;
  std::uint8_t code;
};

// Register 0x03 codes of the BLE 5.0 family; only 200 Hz differs from the serial models.
constexpr std::array<RateCode, 5> kBt50Rates = {{
    {10, 0x06},
    {20, 0x07},
    {50, 0x08},
    {100, 0x09},
    {200, 0x0A},
}};

const std::array<RateCode, 5>& RatesOf(WitBleModel model) {
  switch (model) {
    case WitBleModel::kBt50:
      return kBt50Rates;
  }
  throw std::invalid_argument("unknown WitMotion BLE model");
}

}  // namespace

std::optional<WitBleModel> ParseWitBleModel(std::string_view name) {
  if (name == "bt50") return WitBleModel::kBt50;
  return std::nullopt;
}

std::string_view ToString(WitBleModel model) {
  switch (model) {
    case WitBleModel::kBt50:
      return "bt50";
  }
  return "unknown";
}

std::optional<std::uint8_t> WitBleRateCode(WitBleModel model, int rate_hz) {
  for (const RateCode& entry : RatesOf(model)) {
    if (entry.rate_hz == rate_hz) return entry.code;
  }
  return std::nullopt;
}

std::vector<int> WitBleRates(WitBleModel model) {
  std::vector<int> rates;
  for (const RateCode& entry : RatesOf(model)) rates.push_back(entry.rate_hz);
  return rates;
}

std::vector<WitMotionCommand> WitBleRateCommands(WitBleModel model, int rate_hz) {
  const std::optional<std::uint8_t> code = WitBleRateCode(model, rate_hz);
  if (!code) {
    std::string supported;
    for (int rate : WitBleRates(model)) {
      supported += (supported.empty() ? "" : ", ") + std::to_string(rate);
    }
    throw std::invalid_argument("WitMotion " + std::string(ToString(model)) + " has no " +
                                std::to_string(rate_hz) +
                                " Hz output rate (supported: " + supported + " Hz)");
  }
  return {WitMotionUnlockCommand(), WitMotionWriteRegister(kWitMotionRegRate, *code)};
}

}  // namespace ambi::transport
