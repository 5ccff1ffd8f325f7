#include "proto/client/ambid_channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/client_interceptor.h>

#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

namespace ambi::proto {
namespace {

// Adds the bearer token to every call's metadata. An interceptor rather than call credentials:
// gRPC sends call credentials over TLS only, and loopback TCP may carry a token in plaintext.
class BearerInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit BearerInterceptor(const std::string* header) : header_(header) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->insert({"authorization", *header_});
    }
    methods->Proceed();
  }

 private:
  const std::string* header_;
};

class BearerInterceptorFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit BearerInterceptorFactory(const std::string& token) : header_("Bearer " + token) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* /*info*/) override {
    return new BearerInterceptor(&header_);
  }

 private:
  const std::string header_;  // the channel keeps the factory as long as any call
};

bool IsLocalAddress(const std::string& address) {
  if (address.starts_with("unix:")) return true;
  const std::string host = address.substr(0, address.rfind(':'));
  const bool numeric = host.find_first_not_of("0123456789.") == std::string::npos;
  return (host.starts_with("127.") && numeric) || host == "localhost" || host == "[::1]";
}

}  // namespace

std::optional<std::string> ReadTokenFile(const std::string& path, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "token file " + path + ": cannot read it";
    return std::nullopt;
  }
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string first;
    std::string second;
    if (!(fields >> first) || first.starts_with("#")) continue;
    fields >> second;
    return second.empty() ? first : second;
  }
  *error = "token file " + path + " holds no token";
  return std::nullopt;
}

std::shared_ptr<grpc::Channel> CreateAmbidChannel(const std::string& address,
                                                  const ChannelSecurity& security,
                                                  const grpc::ChannelArguments& arguments,
                                                  std::string* error) {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!security.tls_ca_file.empty()) {
    std::ifstream in(security.tls_ca_file);
    std::ostringstream pem;
    if (in) pem << in.rdbuf();
    if (!in || pem.str().find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      *error = "TLS CA file " + security.tls_ca_file + ": cannot read a PEM certificate from it";
      return nullptr;
    }
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = pem.str();
    credentials = grpc::SslCredentials(options);
  }
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  if (!security.token_file.empty()) {
    if (security.tls_ca_file.empty() && !IsLocalAddress(address)) {
      *error = "refusing to send the token in " + security.token_file + " in plaintext to " +
               address + ": give the CA of ambid's certificate (--tls-ca)";
      return nullptr;
    }
    std::optional<std::string> token = ReadTokenFile(security.token_file, error);
    if (!token) return nullptr;
    interceptors.push_back(std::make_unique<BearerInterceptorFactory>(*token));
  }
  return grpc::experimental::CreateCustomChannelWithInterceptors(address, credentials, arguments,
                                                                 std::move(interceptors));
}

}  // namespace ambi::proto
