#include "daemon/transport/ble_witmotion_commands.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace ambi::transport {
namespace {

TEST(WitBleCommandsTest, RateCodesOfTheBt50Family) {
  EXPECT_EQ(WitBleRateCode(WitBleModel::kBt50, 10), 0x06);
  EXPECT_EQ(WitBleRateCode(WitBleModel::kBt50, 50), 0x08);
  EXPECT_EQ(WitBleRateCode(WitBleModel::kBt50, 100), 0x09);
  // 200 Hz is 0x0A on the BLE 5.0 models, unlike 0x0B on serial ones.
  EXPECT_EQ(WitBleRateCode(WitBleModel::kBt50, 200), 0x0A);
  EXPECT_FALSE(WitBleRateCode(WitBleModel::kBt50, 150));
}

TEST(WitBleCommandsTest, RateCommandIsUnlockThenRateRegisterWrite) {
  const std::vector<WitMotionCommand> commands = WitBleRateCommands(WitBleModel::kBt50, 200);
  ASSERT_EQ(commands.size(), 2u);
  EXPECT_EQ(commands[0], (WitMotionCommand{0xFF, 0xAA, 0x69, 0x88, 0xB5}));
  EXPECT_EQ(commands[1], (WitMotionCommand{0xFF, 0xAA, 0x03, 0x0A, 0x00}));
}

TEST(WitBleCommandsTest, UnsupportedRateNamesTheRateAndTheSupportedOnes) {
  try {
    WitBleRateCommands(WitBleModel::kBt50, 150);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("150 Hz"), std::string::npos) << message;
    EXPECT_NE(message.find("10, 20, 50, 100, 200"), std::string::npos) << message;
  }
}

TEST(WitBleCommandsTest, ModelNamesRoundTrip) {
  EXPECT_EQ(ParseWitBleModel("bt50"), WitBleModel::kBt50);
  EXPECT_EQ(ToString(WitBleModel::kBt50), "bt50");
  EXPECT_FALSE(ParseWitBleModel("jy901"));
}

}  // namespace
}  // namespace ambi::transport
