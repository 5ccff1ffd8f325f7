#ifndef AMBI_DAEMON_TRANSPORT_BLE_BUS_H_
#define AMBI_DAEMON_TRANSPORT_BLE_BUS_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/transport/byte_source.h"

namespace sdbus {
class IConnection;
}  // namespace sdbus

namespace ambi::daemon {

// A change BlueZ announced, already decoded from D-Bus types (only what BLE sources use).
struct BluezSignal {
  enum class Kind {
    kPropertiesChanged,  // org.freedesktop.DBus.Properties.PropertiesChanged on 'path'
    kInterfacesRemoved,  // ObjectManager.InterfacesRemoved; 'path' is the removed object
    kBusLost,            // the system bus connection itself went away ('detail' says why)
    kBluezGone,          // org.bluez left the bus (bluetoothd stopped or crashed)
  };
  Kind kind = Kind::kPropertiesChanged;
  SteadyTime arrival;  // stamped on the D-Bus thread when the message was read
  std::string path;
  std::string interface;                           // kPropertiesChanged
  std::optional<bool> connected;                   // org.bluez.Device1.Connected
  std::optional<bool> services_resolved;           // org.bluez.Device1.ServicesResolved
  std::optional<std::vector<std::uint8_t>> value;  // org.bluez.GattCharacteristic1.Value
  std::vector<std::string> removed_interfaces;     // kInterfacesRemoved
  std::string detail;                              // kBusLost, kBluezGone
};

// The one system-bus connection shared by every BLE source of the process, and the thread that
// runs its event loop. That thread connects (and after a lost bus, reconnects every second),
// installs one match for BlueZ's PropertiesChanged and InterfacesRemoved (and one for org.bluez
// leaving the bus), and hands each signal to the subscribers whose path prefix covers it. One match
// for all devices instead of one per proxy keeps the per-notification cost to a single dispatch.
//
// Thread-safe. Subscriber handlers run on the D-Bus thread with the subscriber lock held: they
// must be quick and must not call Subscribe or destroy a Subscription (post elsewhere instead).
class BleBus {
 public:
  // Starts the D-Bus thread; never throws for an unreachable bus (see connection()).
  BleBus();
  // Leaves the event loop and joins the thread. Every Subscription and every user of the
  // connection must be gone by then (BleSource keeps its BleBus alive through a shared_ptr).
  ~BleBus();
  BleBus(const BleBus&) = delete;
  BleBus& operator=(const BleBus&) = delete;

  struct Connection {
    // Null while the system bus cannot be reached.
    std::shared_ptr<sdbus::IConnection> connection;
    // Changes each time a new connection is made, so users know to rebuild their proxies.
    std::uint64_t generation = 0;
    // Why there is no connection ("cannot connect to the system D-Bus at ...: ...").
    std::string error;
  };
  Connection connection() const;

  using Handler = std::function<void(const BluezSignal&)>;

  // Stops delivery to its handler when destroyed; once the destructor returns the handler is
  // not running and never runs again.
  class Subscription {
   public:
    ~Subscription();
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

   private:
    friend class BleBus;
    Subscription(BleBus* bus, std::uint64_t id) : bus_(bus), id_(id) {}
    BleBus* bus_;
    std::uint64_t id_;
  };

  // Delivers the signals of objects at or below 'path_prefix' (and kBusLost, kBluezGone) to
  // 'handler'.
  [[nodiscard]] std::unique_ptr<Subscription> Subscribe(std::string path_prefix, Handler handler);

 private:
  struct Subscriber {
    std::uint64_t id;
    std::string path_prefix;
    Handler handler;
  };

  void Run();
  // Runs one connection's event loop until it ends; returns why it ended.
  std::string ServeConnection(const std::shared_ptr<sdbus::IConnection>& connection);
  void Dispatch(const BluezSignal& signal);
  void Unsubscribe(std::uint64_t id);

  mutable std::mutex mutex_;  // guards the connection state below
  std::condition_variable wake_;
  bool stopping_ = false;
  std::shared_ptr<sdbus::IConnection> connection_;
  std::uint64_t generation_ = 0;
  std::string error_ = "system D-Bus not connected yet";

  std::mutex subscribers_mutex_;
  std::vector<Subscriber> subscribers_;
  std::uint64_t next_subscriber_id_ = 1;

  std::thread thread_;  // last: starts after everything above is constructed
};

}  // namespace ambi::daemon

#endif  // AMBI_DAEMON_TRANSPORT_BLE_BUS_H_
