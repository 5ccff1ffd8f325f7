#include "daemon/rpc/rpc_server.h"

#include <grp.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_posix.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>

#include "daemon/rpc/accept_probe.h"
#include "daemon/rpc/access_tokens.h"
#include "daemon/rpc/ambi_service.h"
#include "daemon/rpc/call_access.h"
#include "daemon/rpc/unix_listener.h"

namespace ambi::rpc {
namespace {

constexpr std::string_view kUnixPrefix = "unix:";

std::string ErrnoText(int error) { return std::strerror(error); }

// The socket path of a "unix:PATH" or "unix:///PATH" address; nullopt for TCP addresses.
std::optional<std::string> UnixSocketPath(const std::string& address) {
  if (!address.starts_with(kUnixPrefix)) return std::nullopt;
  std::string path = address.substr(kUnixPrefix.size());
  if (path.starts_with("//")) path = path.substr(2);  // unix:///abs/path
  return path;
}

// Checks "host:port" / "[v6]:port" enough to give a clear message instead of gRPC's log line.
void CheckTcpAddress(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    throw std::runtime_error("rpc address '" + address + "' is neither unix:/path nor host:port");
  }
  const std::string_view port_text = std::string_view(address).substr(colon + 1);
  int port = -1;
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc() || end != port_text.data() + port_text.size() || port < 0 ||
      port > 65535) {
    throw std::runtime_error("rpc address '" + address + "' has port '" + std::string(port_text) +
                             "', expected 0..65535");
  }
}

// True if a process accepts connections on the unix socket at 'path'.
bool SomeoneListens(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const bool connected =
      ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return connected;
}

// Makes 'path' free for a new socket: the directory must exist; a stale socket left by a
// crashed daemon is removed; a live one, or a file that is not a socket, is an error.
void PrepareSocketPath(const std::string& address, const std::string& path) {
  if (path.empty()) throw std::runtime_error("rpc address '" + address + "' has no socket path");
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    throw std::runtime_error("rpc socket path '" + path + "' is longer than " +
                             std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes");
  }
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code error;
  if (!parent.empty() && !std::filesystem::is_directory(parent, error)) {
    throw std::runtime_error("directory '" + parent.string() + "' of rpc socket '" + path +
                             "' does not exist");
  }
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return;
    throw std::runtime_error("cannot inspect rpc socket path '" + path + "': " + ErrnoText(errno));
  }
  if (!S_ISSOCK(info.st_mode)) {
    throw std::runtime_error("rpc socket path '" + path + "' exists and is not a socket");
  }
  if (SomeoneListens(path)) {
    throw std::runtime_error("rpc socket '" + path +
                             "' is in use by another process (is ambid already running?)");
  }
  if (::unlink(path.c_str()) != 0) {
    throw std::runtime_error("cannot remove stale rpc socket '" + path + "': " + ErrnoText(errno));
  }
}

// True for "127.x.x.x:port", "localhost:port" and "[::1]:port": listeners only this machine
// reaches. "0.0.0.0", "[::]", host names and other addresses are reachable from the network.
bool IsLoopbackAddress(const std::string& address) {
  const std::string_view host = std::string_view(address).substr(0, address.rfind(':'));
  // 127.0.0.0/8 as a numeric address only: "127.example.com" is a host name like any other.
  const bool numeric = host.find_first_not_of("0123456789.") == std::string_view::npos;
  return (host.starts_with("127.") && numeric) || host == "localhost" || host == "[::1]";
}

std::string ReadPemFile(const std::string& path, const std::string& key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("[daemon.tls] " + key + " = \"" + path + "\": cannot read it (" +
                             ErrnoText(errno) + ")");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().find("-----BEGIN ") == std::string::npos) {
    throw std::runtime_error("[daemon.tls] " + key + " = \"" + path + "\" is not a PEM file");
  }
  return text.str();
}

std::shared_ptr<grpc::ServerCredentials> TlsCredentials(const RpcTlsFiles& files) {
  if (files.cert_file.empty()) throw std::runtime_error("[daemon.tls] cert_file is missing");
  if (files.key_file.empty()) throw std::runtime_error("[daemon.tls] key_file is missing");
  grpc::SslServerCredentialsOptions options(
      files.client_ca_file.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                   : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_key_cert_pairs.push_back(
      {ReadPemFile(files.key_file, "key_file"), ReadPemFile(files.cert_file, "cert_file")});
  if (!files.client_ca_file.empty()) {
    options.pem_root_certs = ReadPemFile(files.client_ca_file, "client_ca_file");
  }
  return grpc::SslServerCredentials(options);
}

gid_t LookUpGroup(const std::string& name) {
  group entry{};
  group* found = nullptr;
  std::vector<char> buffer(16384);
  const int error = ::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (error != 0) {
    throw std::runtime_error("cannot look up socket group '" + name + "': " + ErrnoText(error));
  }
  if (found == nullptr) {
    throw std::runtime_error("socket group '" + name + "' does not exist");
  }
  return found->gr_gid;
}

}  // namespace

struct RpcServer::Impl {
  Impl(RpcServerOptions options_in, EventBus* bus_in, Control* control_in)
      : options(std::move(options_in)),
        bus(bus_in),
        service(bus_in, control_in, ServiceOptions(options)) {}

  static AmbiServiceOptions ServiceOptions(const RpcServerOptions& options) {
    AmbiServiceOptions service_options;
    service_options.subscriber_queue_capacity = options.subscriber_queue_capacity;
    service_options.athlete_exists = options.athlete_exists;
    service_options.max_subscribers = options.max_subscribers;
    service_options.control_limiter = std::make_shared<RateLimiter>(options.control_rate_limit);
    return service_options;
  }

  RpcServerOptions options;
  EventBus* bus;
  AmbiService service;
  std::unique_ptr<grpc::Server> server;
  std::vector<ListeningAddress> listening;
  std::vector<std::unique_ptr<UnixListener>> listeners;  // remove their sockets when stopped

  // The accept probe of the TCP listeners (accepting()).
  void StartProbing();
  void StopProbing();
  void Probe();
  std::thread prober;
  std::mutex probe_mutex;
  std::condition_variable probe_wake;
  bool stop_probing = false;  // guarded by probe_mutex
  std::atomic<bool> accepting{true};
};

void RpcServer::Impl::StartProbing() {
  if (options.accept_probe_interval.count() <= 0) return;
  const bool any_tcp =
      std::any_of(listening.begin(), listening.end(),
                  [](const ListeningAddress& address) { return address.port > 0; });
  if (!any_tcp) return;
  stop_probing = false;
  prober = std::thread([this] { Probe(); });
}

void RpcServer::Impl::StopProbing() {
  {
    std::lock_guard<std::mutex> lock(probe_mutex);
    stop_probing = true;
  }
  probe_wake.notify_all();
  if (prober.joinable()) prober.join();
}

void RpcServer::Impl::Probe() {
  std::vector<int> misses(listening.size(), 0);
  std::unique_lock<std::mutex> lock(probe_mutex);
  while (
      !probe_wake.wait_for(lock, options.accept_probe_interval, [this] { return stop_probing; })) {
    lock.unlock();
    bool all_accept = true;
    for (std::size_t i = 0; i < listening.size(); ++i) {
      const ListeningAddress& address = listening[i];
      if (address.port == 0) continue;
      const std::string host = address.bound.substr(0, address.bound.rfind(':'));
      switch (ProbeOwnListener(host, address.port, options.accept_probe_timeout)) {
        case AcceptProbeResult::kAccepted:
          if (misses[i] >= 2)
            spdlog::info("rpc listener {} accepts connections again", address.bound);
          misses[i] = 0;
          break;
        case AcceptProbeResult::kNotAccepted:
          if (++misses[i] == 2) {
            spdlog::critical(
                "rpc listener {} accepts no connections: two test connections waited {} ms each "
                "(gRPC 1.51 stops accepting for good after running out of file descriptors); "
                "ambid must be restarted",
                address.bound, options.accept_probe_timeout.count());
          }
          break;
        case AcceptProbeResult::kUnknown:  // no descriptor for the probe itself: no news
          break;
      }
      if (misses[i] >= 2) all_accept = false;
    }
    accepting = all_accept;
    lock.lock();
  }
}

RpcServer::RpcServer(RpcServerOptions options, EventBus* bus, Control* control)
    : impl_(std::make_unique<Impl>(std::move(options), bus, control)) {}

RpcServer::~RpcServer() {
  if (running()) Shutdown(std::chrono::milliseconds(1000));
}

bool RpcServer::running() const { return impl_->server != nullptr; }

bool RpcServer::accepting() const { return impl_->accepting; }

const std::vector<ListeningAddress>& RpcServer::listening_addresses() const {
  return impl_->listening;
}

void RpcServer::Start() {
  if (running()) throw std::logic_error("RpcServer::Start called twice");
  if (impl_->options.addresses.empty()) {
    throw std::runtime_error("no rpc address to listen on");
  }
  const RpcServerOptions& options = impl_->options;
  std::optional<gid_t> socket_gid;
  if (!options.socket_group.empty()) socket_gid = LookUpGroup(options.socket_group);
  for (const std::string& address : options.addresses) {
    if (UnixSocketPath(address)) continue;
    CheckTcpAddress(address);
    if (IsLoopbackAddress(address)) continue;
    if (!options.tls) {
      throw std::runtime_error("rpc address '" + address +
                               "' is reachable from the network: it needs TLS ([daemon.tls] "
                               "cert_file and key_file)");
    }
    if (options.token_file.empty()) {
      throw std::runtime_error("rpc address '" + address +
                               "' is reachable from the network: it needs bearer tokens "
                               "([daemon] token_file)");
    }
  }
  std::optional<AccessTokens> tokens;
  if (!options.token_file.empty()) {
    std::string error;
    tokens = AccessTokens::LoadFile(options.token_file, &error);
    if (!tokens) throw std::runtime_error(error);
  }
  const bool tokens_required = tokens.has_value();
  impl_->service.SetAccess(std::make_shared<const CallAccess>(std::move(tokens)));
  std::shared_ptr<grpc::ServerCredentials> tcp_credentials =
      options.tls ? TlsCredentials(*options.tls) : grpc::InsecureServerCredentials();

  grpc::EnableDefaultHealthCheckService(true);
  if (options.reflection && !tokens_required) {
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  }
  grpc::ServerBuilder builder;
  std::vector<int> ports(options.addresses.size(), 0);
  std::vector<std::string> socket_paths;
  for (std::size_t i = 0; i < options.addresses.size(); ++i) {
    const std::string& address = options.addresses[i];
    if (const auto path = UnixSocketPath(address)) {
      // Accepted by ambid itself (UnixListener), handed to gRPC connection by connection.
      PrepareSocketPath(address, *path);
      socket_paths.push_back(*path);
    } else {
      builder.AddListeningPort(address, tcp_credentials, &ports[i]);
    }
  }
  builder.RegisterService(&impl_->service);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, options.max_streams_per_connection);
  builder.SetMaxReceiveMessageSize(impl_->options.max_receive_message_bytes);
  builder.AddChannelArgument(
      GRPC_ARG_KEEPALIVE_TIME_MS,
      static_cast<int>(std::chrono::milliseconds(impl_->options.keepalive_time).count()));
  builder.AddChannelArgument(
      GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
      static_cast<int>(std::chrono::milliseconds(impl_->options.keepalive_timeout).count()));
  // A quiet stream (no reps for minutes) still gets pinged.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);

  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  std::string failed;
  for (std::size_t i = 0; i < ports.size(); ++i) {
    if (ports[i] == 0 && !UnixSocketPath(options.addresses[i])) {
      failed += (failed.empty() ? "'" : ", '") + options.addresses[i] + "'";
    }
  }
  if (server == nullptr || !failed.empty()) {
    if (server) server->Shutdown();
    for (const auto& path : socket_paths) ::unlink(path.c_str());
    throw std::runtime_error("cannot listen on rpc address " +
                             (failed.empty() ? std::string("(gRPC refused to start)") : failed) +
                             " (in use, not permitted, or not resolvable)");
  }

  std::vector<std::unique_ptr<UnixListener>> listeners;
  try {
    for (const auto& path : socket_paths) {
      grpc::Server* raw_server = server.get();
      listeners.push_back(std::make_unique<UnixListener>(UnixListenerOptions{
          path, socket_gid,
          [raw_server](int fd) { grpc::AddInsecureChannelFromFd(raw_server, fd); }}));
    }
  } catch (const std::runtime_error&) {
    listeners.clear();
    server->Shutdown();
    throw;
  }
  for (auto& listener : listeners) listener->Start();

  impl_->listening.clear();
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const std::string& address = impl_->options.addresses[i];
    ListeningAddress listening{address, address, 0};
    if (!UnixSocketPath(address)) {
      listening.port = ports[i];
      listening.bound = address.substr(0, address.rfind(':') + 1) + std::to_string(ports[i]);
    }
    impl_->listening.push_back(std::move(listening));
  }
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  if (health != nullptr) {
    health->SetServingStatus("", true);
    health->SetServingStatus(v1::Ambi::service_full_name(), true);
  }
  impl_->listeners = std::move(listeners);
  impl_->server = std::move(server);
  impl_->StartProbing();
}

void RpcServer::Shutdown(std::chrono::system_clock::time_point deadline) {
  if (!running()) return;
  if (grpc::HealthCheckServiceInterface* health = impl_->server->GetHealthCheckService()) {
    health->SetServingStatus(false);
  }
  // Streams end when their subscriptions do; then the server has only unary calls to wait for.
  impl_->StopProbing();
  impl_->bus->Close();
  for (auto& listener : impl_->listeners) listener->Stop();  // no new connections from here on
  impl_->server->Shutdown(deadline);
  impl_->server->Wait();
  impl_->server.reset();
  impl_->listeners.clear();
}

}  // namespace ambi::rpc
