// The unix socket's peer-credential rule (UnixListener::PeerAllowed) with clients that really run
// as another user: /usr/bin/python3 started through setpriv as 'nobody', connecting to a
// listener of this (root) process. Root is needed to change user; without it the tests skip.

#include "daemon/rpc/unix_listener.h"

#include <gtest/gtest.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace ambi::rpc {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr const char* kSetpriv = "/usr/bin/setpriv";
constexpr const char* kPython = "/usr/bin/python3";
constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;
// A group no account has: only a client given it with --groups is a member.
constexpr gid_t kStaffGroup = 4242;
constexpr milliseconds kClientTimeout{20000};

// Connects and leaves; exit 13 when the socket's file mode refuses the connect (EACCES).
constexpr const char* kClientScript =
    "import socket, sys\n"
    "s = socket.socket(socket.AF_UNIX)\n"
    "try:\n"
    "    s.connect(sys.argv[1])\n"
    "except PermissionError:\n"
    "    sys.exit(13)\n";

class UnixListenerPeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a client as another user";
    if (!fs::exists(kSetpriv) || !fs::exists(kPython)) {
      GTEST_SKIP() << "needs " << kSetpriv << " and " << kPython;
    }
    std::string pattern = (fs::temp_directory_path() / "ambi-peer-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);  // 'nobody' reaches the socket; its mode decides
  }

  void TearDown() override {
    listener_.reset();
    for (const int fd : accepted_fds_) ::close(fd);
    std::error_code ignored;
    if (!dir_.empty()) fs::remove_all(dir_, ignored);
  }

  void Listen(std::optional<gid_t> group) {
    listener_.reset();
    const std::string path = dir_ + "/ambid.sock";
    listener_ = std::make_unique<UnixListener>(UnixListenerOptions{path, group, [this](int fd) {
                                                                     std::lock_guard lock(mutex_);
                                                                     accepted_fds_.push_back(fd);
                                                                     ++accepted_;
                                                                   }});
    listener_->Start();
    path_ = path;
  }

  // Runs the client as 'nobody' (group nogroup, plus 'extra_group' when given); its exit code.
  int ConnectAsNobody(std::optional<gid_t> extra_group) {
    std::vector<std::string> argv = {kSetpriv, "--reuid=" + std::to_string(kNobody),
                                     "--regid=" + std::to_string(kNogroup)};
    argv.push_back(extra_group ? "--groups=" + std::to_string(*extra_group) : "--clear-groups");
    for (const char* arg : {kPython, "-c", kClientScript}) argv.emplace_back(arg);
    argv.push_back(path_);
    std::vector<char*> args;
    for (std::string& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    pid_t pid = -1;
    if (posix_spawn(&pid, kSetpriv, nullptr, nullptr, args.data(), environ) != 0) return -1;
    const auto deadline = steady_clock::now() + kClientTimeout;
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
      if (steady_clock::now() > deadline) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        return -1;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // Waits (bounded) until the listener has decided on 'connections' connections in all.
  void WaitForDecisions(std::size_t connections) {
    const auto deadline = steady_clock::now() + kClientTimeout;
    while (accepted_ + listener_->refused_peers() < connections) {
      ASSERT_LT(steady_clock::now(), deadline) << "the listener never took the connection";
      std::this_thread::sleep_for(milliseconds(10));
    }
  }

  // Connects from this process (root, the listener's own user).
  void ConnectAsOwnUser() {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof(address.sun_path) - 1);
    EXPECT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0)
        << std::strerror(errno);
    ::close(fd);
  }

  std::string dir_;
  std::string path_;
  std::unique_ptr<UnixListener> listener_;
  std::mutex mutex_;
  std::vector<int> accepted_fds_;
  std::atomic<std::size_t> accepted_{0};
};

TEST_F(UnixListenerPeerTest, AnotherUserIsRefusedByTheModeAndThenByItsCredentials) {
  Listen(std::nullopt);  // the socket's group: root's
  struct stat info {};
  ASSERT_EQ(::stat(path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0660u);
  // 0660 root:root: the kernel refuses 'nobody' before ambid sees anything.
  EXPECT_EQ(ConnectAsNobody(std::nullopt), 13);

  // Opened to everyone (an admin's chmod): the connect goes through, SO_PEERCRED refuses it.
  ASSERT_EQ(::chmod(path_.c_str(), 0666), 0);
  EXPECT_EQ(ConnectAsNobody(std::nullopt), 0);
  ASSERT_NO_FATAL_FAILURE(WaitForDecisions(1));
  EXPECT_EQ(listener_->refused_peers(), 1u);
  EXPECT_EQ(accepted_, 0u);

  // The listener's own user (root here) is served.
  ConnectAsOwnUser();
  ASSERT_NO_FATAL_FAILURE(WaitForDecisions(2));
  EXPECT_EQ(accepted_, 1u);
  EXPECT_EQ(listener_->refused_peers(), 1u);
}

TEST_F(UnixListenerPeerTest, AMemberOfTheSocketGroupIsServedByItsPrimaryGroup) {
  Listen(kNogroup);
  struct stat info {};
  ASSERT_EQ(::stat(path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_gid, kNogroup);
  EXPECT_EQ(ConnectAsNobody(std::nullopt), 0);
  ASSERT_NO_FATAL_FAILURE(WaitForDecisions(1));
  EXPECT_EQ(accepted_, 1u);
  EXPECT_EQ(listener_->refused_peers(), 0u);
}

TEST_F(UnixListenerPeerTest, AMemberOfTheSocketGroupIsServedByASupplementaryGroup) {
  Listen(kStaffGroup);
  // nobody:nogroup with the socket's group as a supplementary one (SO_PEERGROUPS).
  EXPECT_EQ(ConnectAsNobody(kStaffGroup), 0);
  ASSERT_NO_FATAL_FAILURE(WaitForDecisions(1));
  EXPECT_EQ(accepted_, 1u);
  EXPECT_EQ(listener_->refused_peers(), 0u);

  // Another supplementary group is not enough, even with the socket opened to everyone.
  ASSERT_EQ(::chmod(path_.c_str(), 0666), 0);
  EXPECT_EQ(ConnectAsNobody(kStaffGroup + 1), 0);
  ASSERT_NO_FATAL_FAILURE(WaitForDecisions(2));
  EXPECT_EQ(accepted_, 1u);
  EXPECT_EQ(listener_->refused_peers(), 1u);
}

}  // namespace
}  // namespace ambi::rpc
