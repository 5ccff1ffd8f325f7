#ifndef AMBI_DAEMON_TRANSPORT_BLE_DISCOVERY_CLAIMS_H_
#define AMBI_DAEMON_TRANSPORT_BLE_DISCOVERY_CLAIMS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ambi::transport {

// What BleDiscoveryClaims asks its owner to do.
struct BleDiscoveryAction {
  enum class Kind {
    kStart,   // SetDiscoveryFilter({Transport: "le"}) then StartDiscovery() on 'adapter'
    kStop,    // StopDiscovery() on 'adapter'
    kNotify,  // tell claim 'claim' that discovery runs (failure empty) or why it does not
  };
  Kind kind = Kind::kNotify;
  std::string adapter;
  // kStart, kStop: hand it back to OnStarted / OnStopped, so a stale reply is recognized.
  std::uint64_t call = 0;
  std::uint64_t claim = 0;             // kNotify
  std::optional<std::string> failure;  // kNotify
};

// The reference count of LE discovery per adapter, shared by every BLE source of the process.
// BlueZ keeps one discovery session per D-Bus client and answers a second StartDiscovery() with
// org.bluez.Error.InProgress, so the sources must not each start and stop it: the first claim on
// an adapter starts discovery, the last release stops it, and claims made while a start or stop
// is under way wait for its outcome. Pure bookkeeping: no D-Bus, no threads, no locking; every
// call returns the actions its owner (BleBus) must carry out, in order. Claim ids are the owner's.
class BleDiscoveryClaims {
 public:
  using Actions = std::vector<BleDiscoveryAction>;

  // 'claim' (unique, not 0) wants discovery on 'adapter'.
  Actions Claim(std::uint64_t claim, const std::string& adapter);
  // 'claim' no longer wants it; unknown claims (dropped by a failure or Reset) are ignored.
  Actions Release(std::uint64_t claim);
  // The outcome of the kStart action 'call': nullopt when discovery now runs. A failure is
  // told to every claim of the adapter, which are then dropped (their owners end their attempt).
  Actions OnStarted(const std::string& adapter, std::uint64_t call,
                    const std::optional<std::string>& failure);
  // The kStop action 'call' finished (successfully or not: either way discovery is no longer ours).
  Actions OnStopped(const std::string& adapter, std::uint64_t call);
  // BlueZ forgot every discovery session of ours (bus lost, bluetoothd gone, new connection):
  // every claim is told 'reason' and dropped, and replies still outstanding are ignored.
  Actions Reset(const std::string& reason);

  bool discovering(const std::string& adapter) const;
  std::size_t claims(const std::string& adapter) const;

 private:
  enum class Phase { kStopped, kStarting, kRunning, kStopping };
  struct Adapter {
    Phase phase = Phase::kStopped;
    std::uint64_t pending_call = 0;  // the kStart/kStop whose reply is awaited; 0: none
    std::set<std::uint64_t> claims;
    std::set<std::uint64_t> waiting;  // claims not yet told that discovery runs
  };

  // After a phase change: starts or stops discovery if the claims call for it.
  void Settle(const std::string& name, Adapter& adapter, Actions& actions);
  // The adapter whose call 'call' in 'phase' is the one awaited, or null for a stale reply.
  Adapter* AwaitingReply(const std::string& name, Phase phase, std::uint64_t call);

  std::map<std::string, Adapter> adapters_;
  std::map<std::uint64_t, std::string> adapter_of_claim_;
  std::uint64_t next_call_ = 1;
};

}  // namespace ambi::transport

#endif  // AMBI_DAEMON_TRANSPORT_BLE_DISCOVERY_CLAIMS_H_
