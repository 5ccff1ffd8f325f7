#ifndef AMBI_DAEMON_TRANSPORT_BLE_BLUEZ_NAMES_H_
#define AMBI_DAEMON_TRANSPORT_BLE_BLUEZ_NAMES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ambi::transport {

// BlueZ's D-Bus names for BLE objects, and GATT UUID comparison. Pure functions.

// "aa:bb:cc:dd:ee:ff" -> "AA:BB:CC:DD:EE:FF"; nullopt unless six two-digit hex bytes separated
// by ':'.
std::optional<std::string> NormalizeBleAddress(std::string_view address);

// The object path BlueZ gives the device 'address' on 'adapter' ("hci0"):
// "/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF". Throws std::invalid_argument naming the bad input when
// the address is malformed or the adapter is not a valid object path element.
std::string BluezDevicePath(std::string_view adapter, std::string_view address);

// The 16-bit part of a GATT UUID: "ffe4", "0xFFE4", or a 128-bit UUID built on the Bluetooth SIG
// base (...-0000-1000-8000-00805f9b34fb) or on WitMotion's look-alike base (...-00805f9a34fb).
// nullopt for any other UUID.
std::optional<std::uint16_t> BleUuid16(std::string_view uuid);

// True when 'found' (a characteristic's UUID as BlueZ reports it) is the characteristic 'wanted'
// names: equal ignoring case, or both carry the same 16-bit part (BleUuid16), since WitMotion's
// base differs from the SIG base in one digit and firmware revisions are not consistent.
bool BleUuidMatches(std::string_view wanted, std::string_view found);

// A GATT characteristic object as BlueZ's ObjectManager lists it.
struct GattCharacteristicInfo {
  std::string path;  // "/org/bluez/hci0/dev_.../service000c/char000d"
  std::string uuid;
};

// The path of the characteristic below 'device_path' whose UUID matches 'uuid' (the lowest path
// when several do, so the choice does not depend on listing order); nullopt when none does.
std::optional<std::string> FindGattCharacteristic(
    const std::vector<GattCharacteristicInfo>& characteristics, std::string_view device_path,
    std::string_view uuid);

}  // namespace ambi::transport

#endif  // AMBI_DAEMON_TRANSPORT_BLE_BLUEZ_NAMES_H_
