// Tokens, who may call what, and the per-client rate limit, without a server.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "daemon/rpc/access_tokens.h"
#include "daemon/rpc/call_access.h"
#include "daemon/rpc/rate_limiter.h"

namespace ambi::rpc {
namespace {

using ::testing::HasSubstr;

const std::string kReadToken = "read-token-0123456789abcdef";
const std::string kControlToken = "control-token-0123456789abcdef";

AccessTokens Tokens() {
  std::string error;
  auto tokens = AccessTokens::Parse(
      "# coach tablets\nread " + kReadToken + "\n\n  control " + kControlToken + "\r\n", "tokens",
      &error);
  EXPECT_TRUE(tokens) << error;
  return *tokens;
}

TEST(AccessTokensTest, EachTokenHasItsRoleAndNothingElseMatches) {
  const AccessTokens tokens = Tokens();
  EXPECT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens.RoleOf(kReadToken), AccessRole::kRead);
  EXPECT_EQ(tokens.RoleOf(kControlToken), AccessRole::kControl);
  EXPECT_EQ(tokens.RoleOf(""), AccessRole::kNone);
  EXPECT_EQ(tokens.RoleOf(kReadToken.substr(0, kReadToken.size() - 1)), AccessRole::kNone);
  EXPECT_EQ(tokens.RoleOf(kReadToken + "x"), AccessRole::kNone);
  std::string flipped = kControlToken;
  flipped[0] = 'C';
  EXPECT_EQ(tokens.RoleOf(flipped), AccessRole::kNone);
  EXPECT_EQ(tokens.RoleOf(std::string(AccessTokens::kMaxTokenBytes + 1, 'a')), AccessRole::kNone);
}

TEST(AccessTokensTest, BadFilesAreRefusedNamingTheLine) {
  struct Case {
    std::string text;
    std::string expected;
  };
  const Case cases[] = {
      {"admin " + kReadToken + "\n", "tokens:1: the role must be"},
      {"# only a comment\n\n", "tokens: no token"},
      {"read short\n", "tokens:1: the token is 5 bytes long; it must be 16 to 256"},
      {"read\n", "tokens:1: expected \"<role> <token>\""},
      {"read " + kReadToken + " extra\n", "tokens:1: expected"},
      {"read " + kReadToken + "\ncontrol " + kReadToken + "\n", "tokens:2: the token is listed"},
      {"read " + std::string(257, 'x') + "\n", "is 257 bytes long"},
      {"read abcdefghijklmnop\x7f\n", "not printable ASCII"},
  };
  for (const Case& c : cases) {
    std::string error;
    EXPECT_FALSE(AccessTokens::Parse(c.text, "tokens", &error)) << c.text;
    EXPECT_THAT(error, HasSubstr(c.expected)) << c.text;
  }
}

TEST(AccessTokensTest, AFileOthersCanReadIsRefused) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("ambi-tokens-" + std::to_string(::getpid())))
          .string();
  std::ofstream(path) << "control " << kControlToken << "\n";
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  std::string error;
  EXPECT_FALSE(AccessTokens::LoadFile(path, &error));
  EXPECT_THAT(error, HasSubstr("has mode 0644: others may read or write it"));
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  const auto tokens = AccessTokens::LoadFile(path, &error);
  ASSERT_TRUE(tokens) << error;
  EXPECT_EQ(tokens->RoleOf(kControlToken), AccessRole::kControl);
  std::filesystem::remove(path);
  EXPECT_FALSE(AccessTokens::LoadFile(path, &error));
  EXPECT_THAT(error, HasSubstr("No such file"));
}

TEST(AccessTokensTest, BearerHeaderIsParsed) {
  EXPECT_EQ(BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(BearerToken("bearer   abc "), "abc");
  EXPECT_FALSE(BearerToken("Basic abc"));
  EXPECT_FALSE(BearerToken("Bearer "));
  EXPECT_FALSE(BearerToken("abc"));
}

TEST(CallAccessTest, PeersAreClassifiedByTheirAddress) {
  EXPECT_EQ(PeerKindOf("unix:/run/ambi/ambid.sock"), PeerKind::kLocal);
  EXPECT_EQ(PeerKindOf("unix:"), PeerKind::kLocal);
  EXPECT_EQ(PeerKindOf("fd:12"), PeerKind::kLocal);
  EXPECT_EQ(PeerKindOf("ipv4:127.0.0.1:40000"), PeerKind::kLoopback);
  EXPECT_EQ(PeerKindOf("ipv6:[::1]:40000"), PeerKind::kLoopback);
  EXPECT_EQ(PeerKindOf("ipv4:10.1.2.3:40000"), PeerKind::kNetwork);
  EXPECT_EQ(PeerKindOf("ipv6:[fe80::1]:40000"), PeerKind::kNetwork);
  EXPECT_EQ(ClientKeyOf("ipv4:10.1.2.3:40000"), "ipv4:10.1.2.3");
  EXPECT_EQ(ClientKeyOf("ipv6:[fe80::1]:40000"), "ipv6:[fe80::1]");
  EXPECT_EQ(ClientKeyOf("unix:/x"), "local");
}

TEST(CallAccessTest, TcpCallsNeedATokenWhoseRoleCoversTheCall) {
  const CallAccess access(Tokens());
  const std::string remote = "ipv4:10.1.2.3:40000";
  const std::string read_header = "Bearer " + kReadToken;
  const std::string control_header = "Bearer " + kControlToken;

  AccessDecision none = access.Check(remote, std::nullopt, AccessRole::kRead, "Subscribe");
  EXPECT_EQ(none.code, AccessDecision::Code::kUnauthenticated);
  EXPECT_THAT(none.message, HasSubstr("Subscribe over TCP needs a bearer token"));
  EXPECT_EQ(access.Check(remote, "Bearer wrong-token-0123456789", AccessRole::kRead, "X").code,
            AccessDecision::Code::kUnauthenticated);
  EXPECT_EQ(access.Check(remote, kReadToken, AccessRole::kRead, "X").code,
            AccessDecision::Code::kUnauthenticated)
      << "a token without the Bearer scheme";

  EXPECT_TRUE(access.Check(remote, read_header, AccessRole::kRead, "ListSessions").allowed());
  AccessDecision denied = access.Check(remote, read_header, AccessRole::kControl, "StartSession");
  EXPECT_EQ(denied.code, AccessDecision::Code::kPermissionDenied);
  EXPECT_THAT(denied.message, HasSubstr("StartSession needs a control token; this one is read"));
  EXPECT_TRUE(access.Check(remote, control_header, AccessRole::kControl, "EndSet").allowed());
  EXPECT_TRUE(access.Check(remote, control_header, AccessRole::kRead, "Subscribe").allowed());

  // Loopback TCP is not trusted once tokens exist (every local user can reach it)...
  EXPECT_EQ(access.Check("ipv4:127.0.0.1:1", std::nullopt, AccessRole::kRead, "X").code,
            AccessDecision::Code::kUnauthenticated);
  // ...the unix socket is: its mode and group decide who connects.
  EXPECT_TRUE(access.Check("unix:", std::nullopt, AccessRole::kControl, "X").allowed());
}

TEST(CallAccessTest, WithoutTokensEveryCallIsAllowed) {
  const CallAccess open(std::nullopt);
  EXPECT_FALSE(open.tokens_required());
  EXPECT_TRUE(open.Check("ipv4:127.0.0.1:1", std::nullopt, AccessRole::kControl, "X").allowed());
}

TEST(RateLimiterTest, EachClientHasItsOwnBucketThatRefills) {
  RateLimiter limiter(RateLimit{/*burst=*/3.0, /*per_second=*/2.0, /*max_clients=*/16});
  const auto t0 = RateLimiter::Clock::time_point{} + std::chrono::hours(1);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Allow("a", t0)) << i;
  EXPECT_FALSE(limiter.Allow("a", t0));
  EXPECT_DOUBLE_EQ(limiter.SecondsUntilNext("a", t0), 0.5);
  EXPECT_TRUE(limiter.Allow("b", t0)) << "another client is not affected";
  EXPECT_FALSE(limiter.Allow("a", t0 + std::chrono::milliseconds(499)));
  EXPECT_TRUE(limiter.Allow("a", t0 + std::chrono::milliseconds(500)));
  EXPECT_FALSE(limiter.Allow("a", t0 + std::chrono::milliseconds(500)));
  // A long pause refills to the burst, not beyond.
  const auto later = t0 + std::chrono::hours(1);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Allow("a", later)) << i;
  EXPECT_FALSE(limiter.Allow("a", later));
}

TEST(RateLimiterTest, AFullTableForgetsTheIdlestClientOnly) {
  RateLimiter limiter(RateLimit{/*burst=*/1.0, /*per_second=*/0.001, /*max_clients=*/2});
  const auto t0 = RateLimiter::Clock::time_point{} + std::chrono::hours(1);
  EXPECT_TRUE(limiter.Allow("old", t0));
  EXPECT_TRUE(limiter.Allow("busy", t0 + std::chrono::seconds(1)));
  EXPECT_TRUE(limiter.Allow("new", t0 + std::chrono::seconds(2)));  // forgets "old"
  EXPECT_FALSE(limiter.Allow("busy", t0 + std::chrono::seconds(3))) << "still remembered";
}

}  // namespace
}  // namespace ambi::rpc
