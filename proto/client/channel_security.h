#ifndef AMBI_PROTO_CLIENT_CHANNEL_SECURITY_H_
#define AMBI_PROTO_CLIENT_CHANNEL_SECURITY_H_

#include <string>

namespace ambi::proto {

// How a client proves itself to ambid and checks it is talking to ambid. Both empty: plaintext
// without a token, as on the unix socket.
struct ChannelSecurity {
  // File holding the bearer token sent with every call ("authorization: Bearer <token>"): the
  // token alone, or a line "<role> <token>" as in ambid's token file; '#' lines are skipped.
  std::string token_file;
  // PEM file of the CA that signed ambid's certificate: the channel uses TLS and trusts it.
  std::string tls_ca_file;
};

}  // namespace ambi::proto

#endif  // AMBI_PROTO_CLIENT_CHANNEL_SECURITY_H_
