#include "daemon/rpc/rpc_server.h"

#include <grp.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <utility>

#include "daemon/rpc/ambi_service.h"

namespace ambi::daemon {
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
        service(bus_in, control_in,
                AmbiServiceOptions{options.subscriber_queue_capacity, options.athlete_exists}) {}

  RpcServerOptions options;
  EventBus* bus;
  AmbiService service;
  std::unique_ptr<grpc::Server> server;
  std::vector<ListeningAddress> listening;
  std::vector<std::string> socket_paths;  // created by this server, removed at shutdown
};

RpcServer::RpcServer(RpcServerOptions options, EventBus* bus, Control* control)
    : impl_(std::make_unique<Impl>(std::move(options), bus, control)) {}

RpcServer::~RpcServer() {
  if (running()) Shutdown(std::chrono::milliseconds(1000));
}

bool RpcServer::running() const { return impl_->server != nullptr; }

const std::vector<ListeningAddress>& RpcServer::listening_addresses() const {
  return impl_->listening;
}

void RpcServer::Start() {
  if (running()) throw std::logic_error("RpcServer::Start called twice");
  if (impl_->options.addresses.empty()) {
    throw std::runtime_error("no rpc address to listen on");
  }
  std::optional<gid_t> socket_gid;
  if (!impl_->options.socket_group.empty()) socket_gid = LookUpGroup(impl_->options.socket_group);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  std::vector<int> ports(impl_->options.addresses.size(), 0);
  std::vector<std::string> socket_paths;
  for (std::size_t i = 0; i < impl_->options.addresses.size(); ++i) {
    const std::string& address = impl_->options.addresses[i];
    if (const auto path = UnixSocketPath(address)) {
      PrepareSocketPath(address, *path);
      socket_paths.push_back(*path);
    } else {
      CheckTcpAddress(address);
    }
    builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &ports[i]);
  }
  builder.RegisterService(&impl_->service);
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
    if (ports[i] == 0) failed += (failed.empty() ? "'" : ", '") + impl_->options.addresses[i] + "'";
  }
  if (server == nullptr || !failed.empty()) {
    if (server) server->Shutdown();
    for (const auto& path : socket_paths) ::unlink(path.c_str());
    throw std::runtime_error("cannot listen on rpc address " +
                             (failed.empty() ? std::string("(gRPC refused to start)") : failed) +
                             " (in use, not permitted, or not resolvable)");
  }

  for (const auto& path : socket_paths) {
    // Only the owner and the service group may connect: the API controls sessions.
    if (::chmod(path.c_str(), 0660) != 0 ||
        (socket_gid && ::chown(path.c_str(), static_cast<uid_t>(-1), *socket_gid) != 0)) {
      const int error = errno;
      server->Shutdown();
      for (const auto& p : socket_paths) ::unlink(p.c_str());
      throw std::runtime_error("cannot set owner group/mode of rpc socket '" + path +
                               "': " + ErrnoText(error));
    }
  }

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
  impl_->socket_paths = std::move(socket_paths);
  impl_->server = std::move(server);
}

void RpcServer::Shutdown(std::chrono::system_clock::time_point deadline) {
  if (!running()) return;
  if (grpc::HealthCheckServiceInterface* health = impl_->server->GetHealthCheckService()) {
    health->SetServingStatus(false);
  }
  // Streams end when their subscriptions do; then the server has only unary calls to wait for.
  impl_->bus->Close();
  impl_->server->Shutdown(deadline);
  impl_->server->Wait();
  impl_->server.reset();
  for (const auto& path : impl_->socket_paths) ::unlink(path.c_str());
  impl_->socket_paths.clear();
}

}  // namespace ambi::daemon
