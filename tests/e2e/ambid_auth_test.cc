// Remote access end to end: the real ambid on a TCP listener reachable from the network, with a
// TLS certificate made by this test (openssl), a token file and a real gRPC client, plus ambictl
// with --token-file and --tls-ca. The unix socket stays the local way in, without a token.

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ambi/v1/service.grpc.pb.h"
#include "daemon/sim/demo_roster.h"
#include "fusion/core/placement.h"
#include "tests/e2e/child_process.h"
#include "tests/e2e/sim_rig.h"

namespace ambi::e2e {
namespace {

// The port of the first "listening on 0.0.0.0:PORT" (or 127.0.0.1) line of ambid's log, or 0.
// (Plain string search: GCC 12's std::regex trips -Wmaybe-uninitialized in the sanitizer build.)
int ReportedTcpPort(const std::string& log) {
  for (const std::string host : {"0.0.0.0:", "127.0.0.1:"}) {
    const std::string prefix = "listening on " + host;
    const std::size_t at = log.find(prefix);
    if (at == std::string::npos) continue;
    std::size_t end = at + prefix.size();
    int port = 0;
    while (end < log.size() && log[end] >= '0' && log[end] <= '9' && port < 65536) {
      port = port * 10 + (log[end++] - '0');
    }
    if (port > 0 && port < 65536) return port;
  }
  return 0;
}

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr milliseconds kStartTimeout{15000};
constexpr milliseconds kCallTimeout{5000};
constexpr milliseconds kSubscribeWait{1000};
constexpr milliseconds kToolTimeout{30000};
constexpr milliseconds kStopTimeout{8000};

const std::string kReadToken = "read-0123456789abcdef0123456789";
const std::string kControlToken = "control-0123456789abcdef01234567";

std::chrono::system_clock::time_point After(milliseconds timeout) {
  return std::chrono::system_clock::now() + timeout;
}

class AmbidAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "ambi-auth-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    socket_path_ = dir_ + "/run/ambid.sock";
    log_path_ = dir_ + "/ambid.log";
    fs::create_directories(dir_ + "/run");
    sim_ = std::make_unique<SimRig>(dir_);
    std::optional<sim::SimAthlete> alice = sim::AthleteFromPreset("alice", "curl", /*loop=*/false);
    ASSERT_TRUE(alice);
    devices_ = sim_->AddAthlete(*alice);
  }

  void TearDown() override {
    if (daemon_ && daemon_->running()) {
      daemon_->Signal(SIGTERM);
      const std::optional<ExitInfo> exit = daemon_->WaitFor(kStopTimeout);
      EXPECT_TRUE(exit && exit->clean()) << (exit ? exit->Describe() : "did not stop");
    }
    daemon_.reset();
    sim_.reset();
    if (HasFailure()) std::cerr << "---- ambid log ----\n" << ReadFileOrEmpty(log_path_);
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // A CA and a server certificate for "localhost" and 127.0.0.1 signed by it, with openssl.
  void MakeCertificates() {
    const std::string ca_key = dir_ + "/ca.key";
    ca_cert_ = dir_ + "/ca.crt";
    server_key_ = dir_ + "/server.key";
    server_cert_ = dir_ + "/server.crt";
    const std::string csr = dir_ + "/server.csr";
    const std::string extensions = dir_ + "/server.ext";
    std::ofstream(extensions) << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    const std::vector<std::vector<std::string>> commands = {
        {"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key,
         "-out", ca_cert_, "-days", "1", "-subj", "/CN=ambi test CA"},
        {"/usr/bin/openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", server_key_, "-out",
         csr, "-subj", "/CN=localhost"},
        {"/usr/bin/openssl", "x509", "-req", "-in", csr, "-CA", ca_cert_, "-CAkey", ca_key,
         "-CAcreateserial", "-out", server_cert_, "-days", "1", "-extfile", extensions},
    };
    for (const auto& command : commands) {
      const std::string out = dir_ + "/openssl.log";
      const std::optional<ExitInfo> exit = RunToCompletion(command, out, out, kToolTimeout);
      ASSERT_TRUE(exit && exit->clean()) << command[1] << ": " << ReadFileOrEmpty(out);
    }
  }

  std::string WriteTokenFile() {
    const std::string path = dir_ + "/tokens";
    std::ofstream(path) << "# test tokens\nread " << kReadToken << "\ncontrol " << kControlToken
                        << "\n";
    EXPECT_EQ(::chmod(path.c_str(), 0600), 0);
    return path;
  }

  std::string WriteConfig(const std::string& tcp_address, bool tls, bool tokens) {
    std::ostringstream toml;
    toml << "[daemon]\nlisten = [\"unix:" << socket_path_ << "\", \"" << tcp_address << "\"]\n"
         << "data_dir = \"" << dir_ << "/data\"\n"
         << "catalog = \"" << AMBI_SOURCE_DIR << "/data/exercises.toml\"\n";
    if (tokens) toml << "token_file = \"" << WriteTokenFile() << "\"\n";
    if (tls) {
      toml << "[daemon.tls]\ncert_file = \"" << server_cert_ << "\"\nkey_file = \"" << server_key_
           << "\"\n";
    }
    toml << "\n[[athletes]]\nname = \"alice\"\nexercise = \"biceps_curl\"\n";
    for (const sim::SimDeviceInfo& device : devices_) {
      toml << "\n[[athletes.devices]]\nplacement = \"" << fusion::ToString(device.placement)
           << "\"\ntransport = \"serial\"\npath = \"" << device.link_path << "\"\n";
    }
    const std::string path = dir_ + "/ambid.toml";
    std::ofstream(path) << toml.str();
    return path;
  }

  // Starts ambid and returns the TCP port it reports ("listening on 0.0.0.0:PORT" or on
  // 127.0.0.1).
  int StartDaemon(const std::string& config_path, const std::vector<std::string>& env = {}) {
    daemon_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{AMBID_PATH, "--config", config_path}, log_path_, env);
    const auto deadline = steady_clock::now() + kStartTimeout;
    while (steady_clock::now() < deadline) {
      const std::string log = ReadFileOrEmpty(log_path_);
      if (log.find(" ready: ") != std::string::npos) {
        if (const int port = ReportedTcpPort(log); port > 0) return port;
      }
      if (!daemon_->running()) break;
      std::this_thread::sleep_for(milliseconds(50));
    }
    ADD_FAILURE() << "ambid did not report its TCP port";
    return 0;
  }

  std::unique_ptr<v1::Ambi::Stub> TlsStub(int port) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadFileOrEmpty(ca_cert_);
    return v1::Ambi::NewStub(
        grpc::CreateChannel("localhost:" + std::to_string(port), grpc::SslCredentials(options)));
  }

  struct Calls {
    grpc::Status list_sessions;
    grpc::Status start_session;
    grpc::Status end_set;
    grpc::Status subscribe;
    std::string session_id;
  };
  // One read call, two control calls and a subscription with 'token' ("": none).
  static Calls MakeCalls(v1::Ambi::Stub& stub, const std::string& token) {
    auto prepare = [&](grpc::ClientContext* context) {
      context->set_deadline(After(kCallTimeout));
      if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
    };
    Calls calls;
    {
      grpc::ClientContext context;
      prepare(&context);
      v1::ListSessionsResponse response;
      calls.list_sessions = stub.ListSessions(&context, {}, &response);
    }
    {
      grpc::ClientContext context;
      prepare(&context);
      v1::StartSessionRequest request;
      request.set_athlete("alice");
      v1::StartSessionResponse response;
      calls.start_session = stub.StartSession(&context, request, &response);
      calls.session_id = response.session().session_id();
    }
    {
      grpc::ClientContext context;
      prepare(&context);
      v1::EndSetRequest request;
      request.set_athlete("alice");
      v1::EndSetResponse response;
      calls.end_set = stub.EndSet(&context, request, &response);
    }
    {
      // An accepted stream waits for events: it ends at its (short) deadline instead.
      grpc::ClientContext context;
      prepare(&context);
      context.set_deadline(After(kSubscribeWait));
      auto reader = stub.Subscribe(&context, v1::SubscribeRequest());
      v1::LiveEvent event;
      if (reader->Read(&event)) {
        context.TryCancel();
        calls.subscribe = grpc::Status::OK;
        reader->Finish();
      } else {
        calls.subscribe = reader->Finish();
      }
    }
    return calls;
  }

  std::string dir_;
  std::string socket_path_;
  std::string log_path_;
  std::string ca_cert_;
  std::string server_key_;
  std::string server_cert_;
  std::unique_ptr<SimRig> sim_;
  std::vector<sim::SimDeviceInfo> devices_;
  std::unique_ptr<ChildProcess> daemon_;
};

TEST_F(AmbidAuthTest, NetworkListenerServesOnlyTlsClientsWithATokenOfTheRightRole) {
  ASSERT_NO_FATAL_FAILURE(MakeCertificates());
  const int port = StartDaemon(WriteConfig("0.0.0.0:0", /*tls=*/true, /*tokens=*/true));
  ASSERT_GT(port, 0);
  auto stub = TlsStub(port);

  const Calls none = MakeCalls(*stub, "");
  EXPECT_EQ(none.list_sessions.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << none.list_sessions.error_message();
  EXPECT_EQ(none.start_session.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(none.subscribe.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  const Calls forged = MakeCalls(*stub, "read-0123456789abcdef0123456788");
  EXPECT_EQ(forged.list_sessions.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(forged.start_session.error_code(), grpc::StatusCode::UNAUTHENTICATED);

  const Calls read = MakeCalls(*stub, kReadToken);
  EXPECT_TRUE(read.list_sessions.ok()) << read.list_sessions.error_message();
  EXPECT_EQ(read.start_session.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << read.start_session.error_message();
  EXPECT_EQ(read.end_set.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(read.subscribe.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(read.subscribe.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  const Calls control = MakeCalls(*stub, kControlToken);
  EXPECT_TRUE(control.list_sessions.ok()) << control.list_sessions.error_message();
  EXPECT_TRUE(control.start_session.ok()) << control.start_session.error_message();
  EXPECT_FALSE(control.session_id.empty());
  // Past the access check: the daemon itself answers (no set is running).
  EXPECT_EQ(control.end_set.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << control.end_set.error_message();

  // A plaintext client gets no answer from the TLS port at all.
  auto plaintext = v1::Ambi::NewStub(
      grpc::CreateChannel("localhost:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  EXPECT_EQ(MakeCalls(*plaintext, kControlToken).list_sessions.error_code(),
            grpc::StatusCode::UNAVAILABLE);

  // The unix socket is local: no token, full control; and it was never open to others.
  struct stat info {};
  ASSERT_EQ(::stat(socket_path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0660u);
  auto local = v1::Ambi::NewStub(
      grpc::CreateChannel("unix:" + socket_path_, grpc::InsecureChannelCredentials()));
  const Calls unix_calls = MakeCalls(*local, "");
  EXPECT_TRUE(unix_calls.list_sessions.ok()) << unix_calls.list_sessions.error_message();
  EXPECT_TRUE(unix_calls.start_session.ok()) << unix_calls.start_session.error_message();

  // ambictl with the token file and the CA; without the token it is refused with the reason.
  const std::string address = "localhost:" + std::to_string(port);
  const std::string out = dir_ + "/ambictl.out";
  const std::string err = dir_ + "/ambictl.err";
  std::optional<ExitInfo> exit =
      RunToCompletion({AMBICTL_PATH, "--connect", address, "--tls-ca", ca_cert_, "--token-file",
                       dir_ + "/tokens", "sessions"},
                      out, err, kToolTimeout);
  ASSERT_TRUE(exit);
  EXPECT_TRUE(exit->clean()) << exit->Describe() << ": " << ReadFileOrEmpty(err);
  EXPECT_NE(ReadFileOrEmpty(out).find(control.session_id), std::string::npos)
      << ReadFileOrEmpty(out);
  exit = RunToCompletion({AMBICTL_PATH, "--connect", address, "--tls-ca", ca_cert_, "sessions"},
                         out, err, kToolTimeout);
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->code, 1);
  EXPECT_NE(ReadFileOrEmpty(err).find("needs a bearer token"), std::string::npos)
      << ReadFileOrEmpty(err);
}

TEST_F(AmbidAuthTest, NetworkListenerWithoutTlsOrTokensIsRefusedWithOneLine) {
  for (const bool tls : {false, true}) {
    ASSERT_NO_FATAL_FAILURE(MakeCertificates());
    const std::string config = WriteConfig("0.0.0.0:0", tls, /*tokens=*/false);
    const std::string out = dir_ + "/refused.out";
    const std::string err = dir_ + "/refused.err";
    fs::remove(err);
    const std::optional<ExitInfo> exit =
        RunToCompletion({AMBID_PATH, "--config", config}, out, err, kToolTimeout);
    ASSERT_TRUE(exit);
    EXPECT_EQ(exit->code, 2) << exit->Describe();
    const std::string message = ReadFileOrEmpty(err);
    EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 1) << message;
    EXPECT_NE(message.find(tls ? "[daemon] token_file is missing" : "[daemon.tls] is missing"),
              std::string::npos)
        << message;
    EXPECT_FALSE(fs::exists(socket_path_)) << "nothing listens";
  }
  // The same on the command line: --listen replaces the configured addresses.
  const std::string config = WriteConfig("127.0.0.1:0", false, false);
  const std::string err = dir_ + "/listen.err";
  const std::optional<ExitInfo> exit = RunToCompletion(
      {AMBID_PATH, "--config", config, "--listen", "[::]:0"}, err, err, kToolTimeout);
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->code, 2);
  EXPECT_NE(ReadFileOrEmpty(err).find("\"[::]:0\" is reachable from the network"),
            std::string::npos)
      << ReadFileOrEmpty(err);
}

// fd exhaustion: the daemon's descriptor limit is lowered (prlimit on the running process) to
// what it holds plus a few, clients connect until it cannot accept any more, then they all go
// away: a new client must be served. gRPC 1.51's own listener stopped accepting for good here.
TEST_F(AmbidAuthTest, UnixSocketServesAgainAfterTheDaemonRanOutOfFileDescriptors) {
  const int port = StartDaemon(WriteConfig("127.0.0.1:0", /*tls=*/false, /*tokens=*/false));
  ASSERT_GT(port, 0);
  const auto local_call = [&](milliseconds timeout) {
    auto stub = v1::Ambi::NewStub(
        grpc::CreateChannel("unix:" + socket_path_, grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(After(timeout));
    v1::ListSessionsResponse response;
    return stub->ListSessions(&context, {}, &response);
  };
  ASSERT_TRUE(local_call(kCallTimeout).ok());

  std::size_t open_fds = 0;
  for ([[maybe_unused]] const auto& entry :
       fs::directory_iterator("/proc/" + std::to_string(daemon_->pid()) + "/fd")) {
    ++open_fds;
  }
  rlimit original{};
  ASSERT_EQ(::prlimit(daemon_->pid(), RLIMIT_NOFILE, nullptr, &original), 0);
  rlimit low = original;
  low.rlim_cur = open_fds + 8;
  ASSERT_EQ(::prlimit(daemon_->pid(), RLIMIT_NOFILE, &low, nullptr), 0);

  // Raw connections (no gRPC): each one the daemon accepts costs it a descriptor.
  std::vector<int> clients;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket_path_.c_str(), sizeof(address.sun_path) - 1);
  for (int i = 0; i < 64; ++i) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0)
        << std::strerror(errno);
    clients.push_back(fd);
  }
  const auto deadline = steady_clock::now() + kStartTimeout;
  while (ReadFileOrEmpty(log_path_).find("cannot accept a client: Too many open files") ==
         std::string::npos) {
    ASSERT_LT(steady_clock::now(), deadline) << "ambid never ran out of descriptors";
    std::this_thread::sleep_for(milliseconds(50));
  }
  for (const int fd : clients) ::close(fd);
  ASSERT_TRUE(daemon_->running());

  // The descriptors come back as the daemon notices the closed connections; a new client is
  // served (bounded wait: it may take a few back-offs).
  const grpc::Status again = local_call(milliseconds(20000));
  EXPECT_TRUE(again.ok()) << again.error_message();
  EXPECT_NE(ReadFileOrEmpty(log_path_).find("accepting clients again"), std::string::npos);
  ASSERT_EQ(::prlimit(daemon_->pid(), RLIMIT_NOFILE, &original, nullptr), 0);
  EXPECT_TRUE(local_call(kCallTimeout).ok());
}

// Counts the WATCHDOG=1 messages waiting on the test's notify socket (it plays systemd).
int DrainWatchdogPings(int notify_fd) {
  int pings = 0;
  char message[512];
  while (true) {
    const ssize_t length = ::recv(notify_fd, message, sizeof(message) - 1, MSG_DONTWAIT);
    if (length < 0) return pings;
    message[length] = '\0';
    if (std::strstr(message, "WATCHDOG=1") != nullptr) ++pings;
  }
}

// The TCP side of fd exhaustion. gRPC 1.51 accepts TCP itself (ambid cannot take a TLS
// connection's descriptor from it) and its acceptor stops for good after one EMFILE. ambid's
// accept probe notices a listener that no longer accepts and withholds the watchdog pings, so
// systemd restarts it; the test plays systemd (NOTIFY_SOCKET, WATCHDOG_USEC). Should gRPC
// recover by itself, the new client is served and the pings must go on.
TEST_F(AmbidAuthTest, TcpListenerThatStopsAcceptingAfterRunningOutOfDescriptorsStopsTheWatchdog) {
  const std::string notify_path = dir_ + "/notify";
  const int notify_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(notify_fd, 0);
  sockaddr_un notify_address{};
  notify_address.sun_family = AF_UNIX;
  std::strncpy(notify_address.sun_path, notify_path.c_str(), sizeof(notify_address.sun_path) - 1);
  ASSERT_EQ(
      ::bind(notify_fd, reinterpret_cast<const sockaddr*>(&notify_address), sizeof(notify_address)),
      0);
  struct CloseFd {
    int fd;
    ~CloseFd() { ::close(fd); }
  } close_notify{notify_fd};
  // WatchdogSec=2s: a ping every second, and the accept probe as often.
  const int port = StartDaemon(WriteConfig("127.0.0.1:0", /*tls=*/false, /*tokens=*/false),
                               {"NOTIFY_SOCKET=" + notify_path, "WATCHDOG_USEC=2000000"});
  ASSERT_GT(port, 0);
  const auto tcp_call = [&](milliseconds timeout) {
    auto stub = v1::Ambi::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                      grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(After(timeout));
    v1::ListSessionsResponse response;
    return stub->ListSessions(&context, {}, &response);
  };
  ASSERT_TRUE(tcp_call(kCallTimeout).ok());
  int pings = 0;
  auto deadline = steady_clock::now() + kStartTimeout;
  while ((pings += DrainWatchdogPings(notify_fd)) < 2) {
    ASSERT_LT(steady_clock::now(), deadline) << "ambid never pinged the watchdog";
    std::this_thread::sleep_for(milliseconds(100));
  }

  std::size_t open_fds = 0;
  for ([[maybe_unused]] const auto& entry :
       fs::directory_iterator("/proc/" + std::to_string(daemon_->pid()) + "/fd")) {
    ++open_fds;
  }
  rlimit original{};
  ASSERT_EQ(::prlimit(daemon_->pid(), RLIMIT_NOFILE, nullptr, &original), 0);
  rlimit low = original;
  low.rlim_cur = open_fds + 8;
  ASSERT_EQ(::prlimit(daemon_->pid(), RLIMIT_NOFILE, &low, nullptr), 0);
  std::vector<int> clients;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < 64; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0)
        << std::strerror(errno);
    clients.push_back(fd);
  }
  deadline = steady_clock::now() + kStartTimeout;
  while (ReadFileOrEmpty(log_path_).find("Too many open files") == std::string::npos) {
    ASSERT_LT(steady_clock::now(), deadline) << "ambid never ran out of descriptors";
    std::this_thread::sleep_for(milliseconds(50));
  }
  for (const int fd : clients) ::close(fd);
  ASSERT_EQ(::prlimit(daemon_->pid(), RLIMIT_NOFILE, &original, nullptr), 0);
  ASSERT_TRUE(daemon_->running());

  const grpc::Status again = tcp_call(kCallTimeout);
  if (again.ok()) {
    // The listener recovered by itself: nothing to report, the pings go on.
    std::this_thread::sleep_for(milliseconds(9000));  // two probes' worth, misses included
    DrainWatchdogPings(notify_fd);
    std::this_thread::sleep_for(milliseconds(3000));
    EXPECT_GT(DrainWatchdogPings(notify_fd), 0);
    EXPECT_EQ(ReadFileOrEmpty(log_path_).find("accepts no connections"), std::string::npos);
    return;
  }
  // gRPC 1.51: the TCP listener is dead. The probe reports it and the pings stop.
  deadline = steady_clock::now() + milliseconds(30000);
  while (ReadFileOrEmpty(log_path_).find("watchdog: pings stop") == std::string::npos) {
    ASSERT_LT(steady_clock::now(), deadline)
        << "ambid did not notice that its TCP listener stopped accepting (the call: "
        << again.error_message() << ")";
    std::this_thread::sleep_for(milliseconds(100));
  }
  const std::string log = ReadFileOrEmpty(log_path_);
  EXPECT_NE(log.find("rpc listener 127.0.0.1:" + std::to_string(port) + " accepts no connections"),
            std::string::npos)
      << log;
  DrainWatchdogPings(notify_fd);
  std::this_thread::sleep_for(milliseconds(3000));  // three ping intervals
  EXPECT_EQ(DrainWatchdogPings(notify_fd), 0) << "the watchdog is still pinged";
  // Everything else still runs, which is why only the watchdog can tell.
  auto local = v1::Ambi::NewStub(
      grpc::CreateChannel("unix:" + socket_path_, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(After(kCallTimeout));
  v1::ListSessionsResponse response;
  EXPECT_TRUE(local->ListSessions(&context, {}, &response).ok());
}

}  // namespace
}  // namespace ambi::e2e
