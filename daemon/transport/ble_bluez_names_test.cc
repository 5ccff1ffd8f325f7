#include "daemon/transport/ble_bluez_names.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace ambi::transport {
namespace {

TEST(BleAddressTest, NormalizesCaseAndRejectsMalformedAddresses) {
  EXPECT_EQ(NormalizeBleAddress("aa:bb:cc:0d:ee:ff"), "AA:BB:CC:0D:EE:FF");
  EXPECT_FALSE(NormalizeBleAddress("AA:BB:CC:DD:EE"));
  EXPECT_FALSE(NormalizeBleAddress("AA-BB-CC-DD-EE-FF"));
  EXPECT_FALSE(NormalizeBleAddress("AA:BB:CC:DD:EE:FG"));
  EXPECT_FALSE(NormalizeBleAddress("AAB:B:CC:DD:EE:FF"));
}

TEST(BleAddressTest, DevicePathFollowsBluezNaming) {
  EXPECT_EQ(BluezDevicePath("hci0", "aa:bb:cc:dd:ee:0f"), "/org/bluez/hci0/dev_AA_BB_CC_DD_EE_0F");
  EXPECT_EQ(BluezDevicePath("hci1", "01:02:03:04:05:06"), "/org/bluez/hci1/dev_01_02_03_04_05_06");
}

TEST(BleAddressTest, DevicePathNamesTheBadInput) {
  try {
    BluezDevicePath("hci0", "AA:BB");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'AA:BB'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(BluezDevicePath("hci/0", "AA:BB:CC:DD:EE:FF"), std::invalid_argument);
  EXPECT_THROW(BluezDevicePath("", "AA:BB:CC:DD:EE:FF"), std::invalid_argument);
}

TEST(BleUuidTest, SixteenBitPartOfEveryAcceptedForm) {
  EXPECT_EQ(BleUuid16("ffe4"), 0xFFE4);
  EXPECT_EQ(BleUuid16("0xFFE4"), 0xFFE4);
  EXPECT_EQ(BleUuid16("0000ffe4-0000-1000-8000-00805f9a34fb"), 0xFFE4);  // WitMotion base
  EXPECT_EQ(BleUuid16("0000FFE4-0000-1000-8000-00805F9B34FB"), 0xFFE4);  // SIG base
  EXPECT_FALSE(BleUuid16("1234ffe4-0000-1000-8000-00805f9b34fb"));
  EXPECT_FALSE(BleUuid16("0000ffe4-0000-1000-8000-123456789abc"));
  EXPECT_FALSE(BleUuid16("ffz4"));
}

TEST(BleUuidTest, MatchesOnTheSixteenBitPartAcrossBases) {
  EXPECT_TRUE(BleUuidMatches("0000ffe4-0000-1000-8000-00805f9a34fb",
                             "0000ffe4-0000-1000-8000-00805f9b34fb"));
  EXPECT_TRUE(BleUuidMatches("ffe4", "0000FFE4-0000-1000-8000-00805F9A34FB"));
  EXPECT_FALSE(BleUuidMatches("ffe4", "0000ffe9-0000-1000-8000-00805f9a34fb"));
  // A vendor UUID matches only itself.
  EXPECT_TRUE(BleUuidMatches("6e400003-b5a3-f393-e0a9-e50e24dcca9e",
                             "6E400003-B5A3-F393-E0A9-E50E24DCCA9E"));
  EXPECT_FALSE(BleUuidMatches("6e400003-b5a3-f393-e0a9-e50e24dcca9e",
                              "6e400002-b5a3-f393-e0a9-e50e24dcca9e"));
}

TEST(FindGattCharacteristicTest, PicksTheMatchingCharacteristicUnderTheDevice) {
  const std::string device = "/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF";
  const std::vector<GattCharacteristicInfo> characteristics = {
      {"/org/bluez/hci0/dev_AA_BB_CC_DD_EE_F0/service0010/char0011",
       "0000ffe4-0000-1000-8000-00805f9a34fb"},  // another device whose path shares a prefix
      {device + "/service0010/char0013", "0000ffe9-0000-1000-8000-00805f9a34fb"},
      {device + "/service0010/char0011", "0000ffe4-0000-1000-8000-00805f9a34fb"},
  };
  EXPECT_EQ(FindGattCharacteristic(characteristics, device, "ffe4"),
            device + "/service0010/char0011");
  EXPECT_EQ(FindGattCharacteristic(characteristics, device, "ffe9"),
            device + "/service0010/char0013");
  EXPECT_FALSE(FindGattCharacteristic(characteristics, device, "2a37"));
  EXPECT_FALSE(
      FindGattCharacteristic(characteristics, "/org/bluez/hci1/dev_AA_BB_CC_DD_EE_FF", "ffe4"));
}

TEST(FindGattCharacteristicTest, LowestPathWinsWhateverTheListingOrder) {
  const std::string device = "/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF";
  const std::vector<GattCharacteristicInfo> characteristics = {
      {device + "/service0020/char0021", "ffe4"},
      {device + "/service0010/char0011", "ffe4"},
  };
  EXPECT_EQ(FindGattCharacteristic(characteristics, device, "ffe4"),
            device + "/service0010/char0011");
}

}  // namespace
}  // namespace ambi::transport
