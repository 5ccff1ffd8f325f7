#ifndef AMBI_DAEMON_TRANSPORT_BLE_BUS_H_
#define AMBI_DAEMON_TRANSPORT_BLE_BUS_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/transport/ble_discovery_claims.h"
#include "daemon/transport/byte_source.h"

namespace sdbus {
class IConnection;
class IProxy;
}  // namespace sdbus

namespace ambi::transport {

// A change BlueZ announced, already decoded from D-Bus types (only what BLE sources use).
struct BluezSignal {
  enum class Kind {
    kPropertiesChanged,  // org.freedesktop.DBus.Properties.PropertiesChanged on 'path'
    kInterfacesAdded,    // ObjectManager.InterfacesAdded; 'path' is the new object
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
  std::vector<std::string> added_interfaces;       // kInterfacesAdded
  std::vector<std::string> removed_interfaces;     // kInterfacesRemoved
  std::string detail;                              // kBusLost, kBluezGone
};

// The one system-bus connection shared by every BLE source of the process, and the thread that
// runs its event loop. That thread connects (and after a lost bus, reconnects every second),
// installs one match for BlueZ's PropertiesChanged, one for its ObjectManager's InterfacesAdded and
// InterfacesRemoved (and one for org.bluez leaving the bus), and hands each signal to the
// subscribers whose path prefix covers it. One match for all devices instead of one per proxy
// keeps the per-notification cost to a single dispatch.
//
// It also owns LE discovery, which BlueZ keeps per client and per adapter: sources claim it
// (ClaimDiscovery) and a reference count per adapter (BleDiscoveryClaims) starts it for the first
// claim and stops it after the last one, so sources on one adapter never fight over it.
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

  // Releases its claim on discovery when destroyed (stopping discovery if it was the last one on
  // its adapter); once the destructor returns its handler is not running and never runs again.
  class DiscoveryClaim {
   public:
    ~DiscoveryClaim();
    DiscoveryClaim(const DiscoveryClaim&) = delete;
    DiscoveryClaim& operator=(const DiscoveryClaim&) = delete;

   private:
    friend class BleBus;
    DiscoveryClaim(BleBus* bus, std::uint64_t id) : bus_(bus), id_(id) {}
    BleBus* bus_;
    std::uint64_t id_;
  };

  // Called with nullopt once discovery runs, or with why it could not start or stopped being ours
  // (bus lost, BlueZ gone); after a failure the claim is void (it is still to be destroyed).
  using DiscoveryHandler = std::function<void(const std::optional<std::string>& failure)>;

  // Wants LE discovery on 'adapter' ("hci0") until the claim is destroyed. The first claim on an
  // adapter calls SetDiscoveryFilter({Transport: "le"}) then StartDiscovery() on it; the last
  // one released calls StopDiscovery(). Never waits for BlueZ. 'handler' runs on the D-Bus thread,
  // or within this call when discovery already runs; the rules of Subscribe's handlers apply (and
  // it must not destroy a DiscoveryClaim either).
  [[nodiscard]] std::unique_ptr<DiscoveryClaim> ClaimDiscovery(std::string adapter,
                                                               DiscoveryHandler handler);

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

  // Discovery. Never called with a lock held: the D-Bus calls they make take sdbus-c++'s own
  // lock, which the D-Bus thread holds while it runs our callbacks.
  void ReleaseDiscovery(std::uint64_t id);
  void ResetDiscovery(const std::string& reason);
  // Carries out what BleDiscoveryClaims asked for (and what the immediate outcomes ask next).
  void Perform(BleDiscoveryClaims::Actions actions);
  // Sends SetDiscoveryFilter then StartDiscovery (or StopDiscovery); their outcome goes to
  // OnDiscoveryStarted/Stopped. Returns a failure when the call could not even be sent.
  std::optional<std::string> SendStartDiscovery(const std::string& adapter, std::uint64_t call);
  std::optional<std::string> SendStopDiscovery(const std::string& adapter, std::uint64_t call);
  void OnDiscoveryStarted(const std::string& adapter, std::uint64_t call,
                          const std::optional<std::string>& failure);
  void OnDiscoveryStopped(const std::string& adapter, std::uint64_t call,
                          const std::optional<std::string>& failure);
  // The proxy of /org/bluez/<adapter> on the current connection (null and 'error' set without
  // one). Shared so a caller keeps it alive across its call even if a new connection replaces it.
  std::shared_ptr<sdbus::IProxy> AdapterProxy(const std::string& adapter, std::string& error);

  mutable std::mutex mutex_;  // guards the connection state below
  std::condition_variable wake_;
  bool stopping_ = false;
  std::shared_ptr<sdbus::IConnection> connection_;
  std::uint64_t generation_ = 0;
  std::string error_ = "system D-Bus not connected yet";

  std::mutex subscribers_mutex_;
  std::vector<Subscriber> subscribers_;
  std::uint64_t next_subscriber_id_ = 1;

  std::mutex discovery_mutex_;  // guards discovery_claims_
  BleDiscoveryClaims discovery_claims_;
  std::uint64_t next_discovery_claim_id_ = 1;  // under discovery_handlers_mutex_
  // Held while a handler runs, so releasing a claim waits for its running handler.
  std::mutex discovery_handlers_mutex_;
  std::map<std::uint64_t, DiscoveryHandler> discovery_handlers_;

  struct AdapterProxyEntry {
    std::uint64_t generation = 0;
    std::shared_ptr<sdbus::IConnection> connection;  // outlives the proxy built on it
    std::shared_ptr<sdbus::IProxy> proxy;
  };
  std::mutex adapter_proxies_mutex_;
  std::map<std::string, AdapterProxyEntry> adapter_proxies_;

  std::thread thread_;  // last: starts after everything above is constructed
};

}  // namespace ambi::transport

#endif  // AMBI_DAEMON_TRANSPORT_BLE_BUS_H_
