#ifndef AMBI_PROTO_CLIENT_AMBID_CHANNEL_H_
#define AMBI_PROTO_CLIENT_AMBID_CHANNEL_H_

#include <grpcpp/channel.h>
#include <grpcpp/support/channel_arguments.h>

#include <memory>
#include <optional>
#include <string>

#include "proto/client/channel_security.h"

namespace ambi::proto {

// The token in 'path' (see ChannelSecurity::token_file), or nullopt and *error naming the file.
std::optional<std::string> ReadTokenFile(const std::string& path, std::string* error);

// A channel to ambid at 'address' ("unix:/path" or "host:port") with 'security', or nullptr and
// *error naming the file or the problem. Refuses to send a token in plaintext to an address
// other than the unix socket or loopback: without --tls-ca anyone on the network would read it.
std::shared_ptr<grpc::Channel> CreateAmbidChannel(const std::string& address,
                                                  const ChannelSecurity& security,
                                                  const grpc::ChannelArguments& arguments,
                                                  std::string* error);

}  // namespace ambi::proto

#endif  // AMBI_PROTO_CLIENT_AMBID_CHANNEL_H_
