#include "daemon/transport/witmotion_commands.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace ambi::transport {
namespace {

TEST(WitMotionCommandsTest, UnlockRateContentWithoutSave) {
  WitMotionSetup setup;
  setup.rate_hz = 100;
  const auto commands = WitMotionSetupCommands(setup);
  ASSERT_EQ(commands.size(), 3u);
  EXPECT_EQ(commands[0], (WitMotionCommand{0xFF, 0xAA, 0x69, 0x88, 0xB5}));
  EXPECT_EQ(commands[1], (WitMotionCommand{0xFF, 0xAA, 0x03, 0x09, 0x00}));
  EXPECT_EQ(commands[2], (WitMotionCommand{0xFF, 0xAA, 0x02, 0x06, 0x00}));  // accel + gyro
}

TEST(WitMotionCommandsTest, MagAndSave) {
  WitMotionSetup setup;
  setup.rate_hz = 200;
  setup.with_mag = true;
  setup.save = true;
  const auto commands = WitMotionSetupCommands(setup);
  ASSERT_EQ(commands.size(), 4u);
  EXPECT_EQ(commands[1], (WitMotionCommand{0xFF, 0xAA, 0x03, 0x0B, 0x00}));
  EXPECT_EQ(commands[2], (WitMotionCommand{0xFF, 0xAA, 0x02, 0x16, 0x00}));
  EXPECT_EQ(commands[3], (WitMotionCommand{0xFF, 0xAA, 0x00, 0x00, 0x00}));
}

TEST(WitMotionCommandsTest, RegisterWriteIsLittleEndianAfterTheHeader) {
  EXPECT_EQ(WitMotionWriteRegister(0x03, 0x0A), (WitMotionCommand{0xFF, 0xAA, 0x03, 0x0A, 0x00}));
  EXPECT_EQ(WitMotionWriteRegister(0x02, 0x1234), (WitMotionCommand{0xFF, 0xAA, 0x02, 0x34, 0x12}));
  EXPECT_EQ(WitMotionUnlockCommand(), (WitMotionCommand{0xFF, 0xAA, 0x69, 0x88, 0xB5}));
}

TEST(WitMotionCommandsTest, RateTable) {
  EXPECT_EQ(WitMotionSerialRateCode(10), 0x06);
  EXPECT_EQ(WitMotionSerialRateCode(20), 0x07);
  EXPECT_EQ(WitMotionSerialRateCode(50), 0x08);
  EXPECT_EQ(WitMotionSerialRateCode(100), 0x09);
  EXPECT_EQ(WitMotionSerialRateCode(200), 0x0B);
  EXPECT_EQ(WitMotionSerialRateCode(25), std::nullopt);
}

TEST(WitMotionCommandsTest, UnknownRateIsNamed) {
  WitMotionSetup setup;
  setup.rate_hz = 25;
  try {
    WitMotionSetupCommands(setup);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("rate_hz 25"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace ambi::transport
