#include "daemon/transport/ble_bluez_names.h"

#include <cctype>
#include <stdexcept>

namespace ambi::transport {
namespace {

constexpr std::string_view kSigBaseTail = "-0000-1000-8000-00805f9b34fb";
constexpr std::string_view kWitMotionBaseTail = "-0000-1000-8000-00805f9a34fb";

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::uint16_t> ParseHex16(std::string_view four) {
  if (four.size() != 4) return std::nullopt;
  std::uint16_t value = 0;
  for (char c : four) {
    if (!IsHex(c)) return std::nullopt;
    const int digit = std::isdigit(static_cast<unsigned char>(c)) != 0
                          ? c - '0'
                          : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
    value = static_cast<std::uint16_t>(value * 16 + digit);
  }
  return value;
}

}  // namespace

std::optional<std::string> NormalizeBleAddress(std::string_view address) {
  // "AA:BB:CC:DD:EE:FF": 17 characters, a ':' after every byte but the last.
  if (address.size() != 17) return std::nullopt;
  std::string out(address);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i % 3 == 2) {
      if (out[i] != ':') return std::nullopt;
    } else {
      if (!IsHex(out[i])) return std::nullopt;
      out[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[i])));
    }
  }
  return out;
}

std::string BluezDevicePath(std::string_view adapter, std::string_view address) {
  const std::optional<std::string> normalized = NormalizeBleAddress(address);
  if (!normalized) {
    throw std::invalid_argument("BLE address '" + std::string(address) +
                                "' is not of the form AA:BB:CC:DD:EE:FF");
  }
  // An object path element is [A-Za-z0-9_]+.
  bool adapter_ok = !adapter.empty();
  for (char c : adapter) {
    adapter_ok = adapter_ok && (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_');
  }
  if (!adapter_ok) {
    throw std::invalid_argument("BLE adapter '" + std::string(adapter) +
                                "' is not an adapter name like hci0");
  }
  std::string path = "/org/bluez/" + std::string(adapter) + "/dev_" + *normalized;
  for (std::size_t i = path.size() - normalized->size(); i < path.size(); ++i) {
    if (path[i] == ':') path[i] = '_';
  }
  return path;
}

std::optional<std::uint16_t> BleUuid16(std::string_view uuid) {
  const std::string text = Lower(uuid);
  std::string_view view = text;
  if (view.size() == 4) return ParseHex16(view);
  if (view.size() == 6 && view.substr(0, 2) == "0x") return ParseHex16(view.substr(2));
  // 0000XXXX-0000-1000-8000-00805f9b34fb (or ...9a34fb)
  if (view.size() != 36 || view.substr(0, 4) != "0000") return std::nullopt;
  const std::string_view tail = view.substr(8);
  if (tail != kSigBaseTail && tail != kWitMotionBaseTail) return std::nullopt;
  return ParseHex16(view.substr(4, 4));
}

bool BleUuidMatches(std::string_view wanted, std::string_view found) {
  if (Lower(wanted) == Lower(found)) return true;
  const std::optional<std::uint16_t> wanted16 = BleUuid16(wanted);
  const std::optional<std::uint16_t> found16 = BleUuid16(found);
  return wanted16 && found16 && *wanted16 == *found16;
}

std::optional<std::string> FindGattCharacteristic(
    const std::vector<GattCharacteristicInfo>& characteristics, std::string_view device_path,
    std::string_view uuid) {
  std::optional<std::string> best;
  for (const GattCharacteristicInfo& info : characteristics) {
    const bool below_device = info.path.size() > device_path.size() + 1 &&
                              info.path.compare(0, device_path.size(), device_path) == 0 &&
                              info.path[device_path.size()] == '/';
    if (!below_device || !BleUuidMatches(uuid, info.uuid)) continue;
    if (!best || info.path < *best) best = info.path;
  }
  return best;
}

}  // namespace ambi::transport
