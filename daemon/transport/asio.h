#ifndef AMBI_DAEMON_TRANSPORT_ASIO_H_
#define AMBI_DAEMON_TRANSPORT_ASIO_H_

// The one header that includes Boost.Asio. Boost 1.74's awaitable.hpp uses std::exchange without
// including <utility>, which breaks -std=c++20 unless <utility> comes first.
#include <boost/asio.hpp>
#include <utility>

namespace ambi::daemon {
namespace asio = boost::asio;
}  // namespace ambi::daemon

#endif  // AMBI_DAEMON_TRANSPORT_ASIO_H_
