#include "daemon/transport/ble_discovery_claims.h"

#include <stdexcept>
#include <utility>

namespace ambi::transport {

BleDiscoveryClaims::Actions BleDiscoveryClaims::Claim(std::uint64_t claim,
                                                      const std::string& adapter) {
  if (claim == 0 || adapter_of_claim_.count(claim) != 0) {
    throw std::invalid_argument("BLE discovery claim id " + std::to_string(claim) +
                                " is 0 or already in use");
  }
  adapter_of_claim_[claim] = adapter;
  Adapter& state = adapters_[adapter];
  state.claims.insert(claim);
  Actions actions;
  if (state.phase == Phase::kRunning) {
    actions.push_back({BleDiscoveryAction::Kind::kNotify, adapter, 0, claim, std::nullopt});
  } else {
    state.waiting.insert(claim);
    Settle(adapter, state, actions);
  }
  return actions;
}

BleDiscoveryClaims::Actions BleDiscoveryClaims::Release(std::uint64_t claim) {
  Actions actions;
  const auto it = adapter_of_claim_.find(claim);
  if (it == adapter_of_claim_.end()) return actions;
  const std::string adapter = it->second;
  adapter_of_claim_.erase(it);
  Adapter& state = adapters_[adapter];
  state.claims.erase(claim);
  state.waiting.erase(claim);
  Settle(adapter, state, actions);
  return actions;
}

BleDiscoveryClaims::Adapter* BleDiscoveryClaims::AwaitingReply(const std::string& name, Phase phase,
                                                               std::uint64_t call) {
  const auto it = adapters_.find(name);
  if (it == adapters_.end()) return nullptr;
  Adapter& adapter = it->second;
  return adapter.phase == phase && adapter.pending_call == call ? &adapter : nullptr;
}

BleDiscoveryClaims::Actions BleDiscoveryClaims::OnStarted(
    const std::string& adapter, std::uint64_t call, const std::optional<std::string>& failure) {
  Actions actions;
  Adapter* const awaited = AwaitingReply(adapter, Phase::kStarting, call);
  if (awaited == nullptr) return actions;
  Adapter& state = *awaited;
  state.pending_call = 0;
  if (failure) {
    state.phase = Phase::kStopped;
    for (const std::uint64_t claim : state.claims) {
      actions.push_back({BleDiscoveryAction::Kind::kNotify, adapter, 0, claim, failure});
      adapter_of_claim_.erase(claim);
    }
    state.claims.clear();
    state.waiting.clear();
    return actions;
  }
  state.phase = Phase::kRunning;
  for (const std::uint64_t claim : state.waiting) {
    actions.push_back({BleDiscoveryAction::Kind::kNotify, adapter, 0, claim, std::nullopt});
  }
  state.waiting.clear();
  Settle(adapter, state, actions);  // everyone may have left while it was starting
  return actions;
}

BleDiscoveryClaims::Actions BleDiscoveryClaims::OnStopped(const std::string& adapter,
                                                          std::uint64_t call) {
  Actions actions;
  Adapter* const awaited = AwaitingReply(adapter, Phase::kStopping, call);
  if (awaited == nullptr) return actions;
  Adapter& state = *awaited;
  state.pending_call = 0;
  state.phase = Phase::kStopped;
  Settle(adapter, state, actions);  // a claim made while it was stopping starts it again
  return actions;
}

BleDiscoveryClaims::Actions BleDiscoveryClaims::Reset(const std::string& reason) {
  Actions actions;
  for (auto& [name, state] : adapters_) {
    for (const std::uint64_t claim : state.claims) {
      actions.push_back({BleDiscoveryAction::Kind::kNotify, name, 0, claim, reason});
    }
  }
  adapters_.clear();
  adapter_of_claim_.clear();
  return actions;
}

bool BleDiscoveryClaims::discovering(const std::string& adapter) const {
  const auto it = adapters_.find(adapter);
  return it != adapters_.end() && it->second.phase == Phase::kRunning;
}

std::size_t BleDiscoveryClaims::claims(const std::string& adapter) const {
  const auto it = adapters_.find(adapter);
  return it == adapters_.end() ? 0 : it->second.claims.size();
}

void BleDiscoveryClaims::Settle(const std::string& name, Adapter& state, Actions& actions) {
  // While a call is under way its reply decides; Settle runs again then.
  if (state.phase == Phase::kStopped && !state.claims.empty()) {
    state.phase = Phase::kStarting;
    state.pending_call = next_call_++;
    actions.push_back({BleDiscoveryAction::Kind::kStart, name, state.pending_call, 0, {}});
  } else if (state.phase == Phase::kRunning && state.claims.empty()) {
    state.phase = Phase::kStopping;
    state.pending_call = next_call_++;
    actions.push_back({BleDiscoveryAction::Kind::kStop, name, state.pending_call, 0, {}});
  }
}

}  // namespace ambi::transport
