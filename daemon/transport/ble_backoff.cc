#include "daemon/transport/ble_backoff.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace ambi::daemon {

BleBackoff::BleBackoff(Delay initial, Delay max) : initial_(initial), max_(max), next_(initial) {
  if (initial.count() <= 0 || max < initial) {
    throw std::invalid_argument("BLE backoff needs 0 < initial <= max, got initial " +
                                std::to_string(initial.count()) + " ms, max " +
                                std::to_string(max.count()) + " ms");
  }
}

BleBackoff::Delay BleBackoff::Next() {
  const Delay delay = next_;
  next_ = std::min(max_, next_ * 2);
  return delay;
}

}  // namespace ambi::daemon
