#include "daemon/transport/ble_discovery_claims.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace ambi::transport {
namespace {

using Kind = BleDiscoveryAction::Kind;
using Actions = BleDiscoveryClaims::Actions;

// "start hci0", "stop hci0", "ok 3", "fail 3: why": actions in a form that reads well in a diff.
std::vector<std::string> Describe(const Actions& actions) {
  std::vector<std::string> lines;
  for (const BleDiscoveryAction& action : actions) {
    switch (action.kind) {
      case Kind::kStart:
        lines.push_back("start " + action.adapter);
        break;
      case Kind::kStop:
        lines.push_back("stop " + action.adapter);
        break;
      case Kind::kNotify:
        lines.push_back(action.failure
                            ? "fail " + std::to_string(action.claim) + ": " + *action.failure
                            : "ok " + std::to_string(action.claim));
        break;
    }
  }
  return lines;
}

using Lines = std::vector<std::string>;

std::uint64_t CallOf(const Actions& actions) {
  for (const BleDiscoveryAction& action : actions) {
    if (action.kind != Kind::kNotify) return action.call;
  }
  ADD_FAILURE() << "no start or stop among the actions";
  return 0;
}

TEST(BleDiscoveryClaimsTest, FirstClaimStartsLastReleaseStops) {
  BleDiscoveryClaims claims;
  const Actions start = claims.Claim(1, "hci0");
  EXPECT_EQ(Describe(start), Lines({"start hci0"}));
  EXPECT_EQ(Describe(claims.Claim(2, "hci0")), Lines{});  // waits for the start under way
  EXPECT_FALSE(claims.discovering("hci0"));

  EXPECT_EQ(Describe(claims.OnStarted("hci0", CallOf(start), std::nullopt)),
            Lines({"ok 1", "ok 2"}));
  EXPECT_TRUE(claims.discovering("hci0"));
  EXPECT_EQ(Describe(claims.Claim(3, "hci0")), Lines({"ok 3"}));  // already running
  EXPECT_EQ(claims.claims("hci0"), 3u);

  EXPECT_EQ(Describe(claims.Release(2)), Lines{});
  EXPECT_EQ(Describe(claims.Release(1)), Lines{});
  const Actions stop = claims.Release(3);
  EXPECT_EQ(Describe(stop), Lines({"stop hci0"}));
  EXPECT_FALSE(claims.discovering("hci0"));
  EXPECT_EQ(Describe(claims.OnStopped("hci0", CallOf(stop))), Lines{});
  EXPECT_EQ(claims.claims("hci0"), 0u);
}

TEST(BleDiscoveryClaimsTest, AdaptersAreCountedApart) {
  BleDiscoveryClaims claims;
  const Actions hci0 = claims.Claim(1, "hci0");
  const Actions hci1 = claims.Claim(2, "hci1");
  EXPECT_EQ(Describe(hci0), Lines({"start hci0"}));
  EXPECT_EQ(Describe(hci1), Lines({"start hci1"}));
  EXPECT_EQ(Describe(claims.OnStarted("hci0", CallOf(hci0), std::nullopt)), Lines({"ok 1"}));
  EXPECT_EQ(Describe(claims.OnStarted("hci1", CallOf(hci1), std::nullopt)), Lines({"ok 2"}));
  EXPECT_EQ(Describe(claims.Release(1)), Lines({"stop hci0"}));
  EXPECT_TRUE(claims.discovering("hci1"));
}

TEST(BleDiscoveryClaimsTest, ReleasedWhileStartingStopsOnceStarted) {
  BleDiscoveryClaims claims;
  const Actions start = claims.Claim(1, "hci0");
  EXPECT_EQ(Describe(claims.Release(1)), Lines{});  // no StopDiscovery before the start replied
  EXPECT_EQ(Describe(claims.OnStarted("hci0", CallOf(start), std::nullopt)), Lines({"stop hci0"}));
}

TEST(BleDiscoveryClaimsTest, ClaimedWhileStoppingStartsAgainOnceStopped) {
  BleDiscoveryClaims claims;
  const Actions start = claims.Claim(1, "hci0");
  claims.OnStarted("hci0", CallOf(start), std::nullopt);
  const Actions stop = claims.Release(1);
  EXPECT_EQ(Describe(claims.Claim(2, "hci0")), Lines{});  // no StartDiscovery during the stop
  const Actions restart = claims.OnStopped("hci0", CallOf(stop));
  EXPECT_EQ(Describe(restart), Lines({"start hci0"}));
  EXPECT_EQ(Describe(claims.OnStarted("hci0", CallOf(restart), std::nullopt)), Lines({"ok 2"}));
}

TEST(BleDiscoveryClaimsTest, FailedStartIsToldToEveryClaimWhichIsDropped) {
  BleDiscoveryClaims claims;
  const Actions start = claims.Claim(1, "hci0");
  claims.Claim(2, "hci0");
  EXPECT_EQ(Describe(claims.OnStarted("hci0", CallOf(start), "org.bluez.Error.NotReady")),
            Lines({"fail 1: org.bluez.Error.NotReady", "fail 2: org.bluez.Error.NotReady"}));
  EXPECT_EQ(claims.claims("hci0"), 0u);
  EXPECT_EQ(Describe(claims.Release(1)), Lines{});  // the owner's late release is harmless
  EXPECT_EQ(Describe(claims.Claim(3, "hci0")), Lines({"start hci0"}));  // the next one retries
}

TEST(BleDiscoveryClaimsTest, StaleRepliesAreIgnored) {
  BleDiscoveryClaims claims;
  const Actions start = claims.Claim(1, "hci0");
  EXPECT_EQ(Describe(claims.OnStarted("hci0", CallOf(start) + 1, std::nullopt)), Lines{});
  EXPECT_EQ(Describe(claims.OnStopped("hci0", CallOf(start))), Lines{});  // not stopping
  EXPECT_FALSE(claims.discovering("hci0"));
  EXPECT_EQ(Describe(claims.OnStarted("hci9", 1, std::nullopt)), Lines{});
}

TEST(BleDiscoveryClaimsTest, ResetTellsEveryClaimAndForgetsOutstandingCalls) {
  BleDiscoveryClaims claims;
  const Actions start = claims.Claim(1, "hci0");
  claims.OnStarted("hci0", CallOf(start), std::nullopt);
  claims.Claim(2, "hci1");
  EXPECT_EQ(Describe(claims.Reset("BlueZ left the bus")),
            Lines({"fail 1: BlueZ left the bus", "fail 2: BlueZ left the bus"}));
  EXPECT_FALSE(claims.discovering("hci0"));
  EXPECT_EQ(Describe(claims.Release(1)), Lines{});  // no StopDiscovery to a BlueZ that forgot
  EXPECT_EQ(Describe(claims.OnStarted("hci0", CallOf(start), std::nullopt)), Lines{});
  EXPECT_EQ(Describe(claims.Claim(4, "hci0")), Lines({"start hci0"}));
}

TEST(BleDiscoveryClaimsTest, ClaimIdsMustBeUniqueAndNonZero) {
  BleDiscoveryClaims claims;
  claims.Claim(1, "hci0");
  EXPECT_THROW(claims.Claim(1, "hci1"), std::invalid_argument);
  EXPECT_THROW(claims.Claim(0, "hci0"), std::invalid_argument);
}

}  // namespace
}  // namespace ambi::transport
