#ifndef AMBI_DAEMON_TRANSPORT_ASIO_H_
#define AMBI_DAEMON_TRANSPORT_ASIO_H_

// The one header that includes Boost.Asio. Boost 1.74's awaitable.hpp uses std::exchange without
// including <utility>, which breaks -std=c++20 unless <utility> comes first (clang-format
// would sort it after).
// clang-format off
#include <utility>
#include <boost/asio.hpp>
// clang-format on

namespace ambi {
namespace asio = boost::asio;
}  // namespace ambi

#endif  // AMBI_DAEMON_TRANSPORT_ASIO_H_
