#ifndef AMBI_DAEMON_CENTRAL_SHIPPER_H_
#define AMBI_DAEMON_CENTRAL_SHIPPER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "daemon/central/local_outbox.h"

namespace ambi::central {

struct ShipperOptions {
  std::string url;         // libpq URI, postgresql://user@host/db?sslmode=require
  std::string password;    // optional; else libpq's usual sources (PGPASSFILE, ~/.pgpass)
  std::string passfile;    // optional passfile path (libpq 'passfile')
  std::string box_id;      // this box's name in the central database
  std::string store_path;  // the local SQLite store
  std::size_t batch_rows = 1000;
  std::chrono::milliseconds poll_interval{200};
  // With nothing to ship, the server is asked this often whether it is still there.
  std::chrono::milliseconds idle_ping_interval{2000};
  // Reconnection waits double from the first to the longest while the server is unreachable.
  std::chrono::milliseconds retry_first{250};
  std::chrono::milliseconds retry_longest{5000};
  // How long Stop() keeps shipping what is left before the daemon exits.
  std::chrono::milliseconds drain_on_stop{3000};
};

// What the shipper is doing, for ListDevices and the log.
struct ShipperStatus {
  std::string target;  // the URL without its password
  std::string box_id;
  bool connected = false;
  std::int64_t backlog_rows = 0;
  double behind_s = 0.0;          // age of the oldest row not yet shipped; 0 without backlog
  std::int64_t shipped_rows = 0;  // since the daemon started
  std::string last_error;         // empty once a batch has gone through since
};

// Copies what the local store commits to the central PostgreSQL database, on its own thread:
// reads batches from the LocalOutbox, upserts them in one central transaction per batch, then
// moves the local cursor. Delivery is at least once (a crash between the central commit and the
// cursor repeats a batch) and the upserts make a repeat harmless. When the server is down the
// rows wait in the local store and the thread reconnects with a growing pause; the daemon never
// waits for it.
class Shipper {
 public:
  // Opens the outbox (creating it in the store on first use); nullptr and *error if the local
  // store cannot hold it. The server is not contacted here: an unreachable server only delays.
  static std::unique_ptr<Shipper> Start(const ShipperOptions& options, ExerciseTraitsLookup traits,
                                        std::string* error);
  ~Shipper();  // Stop()
  Shipper(const Shipper&) = delete;
  Shipper& operator=(const Shipper&) = delete;

  // Ships what is left for up to options.drain_on_stop, then ends the thread. Idempotent.
  void Stop();
  ShipperStatus status() const;

 private:
  class Impl;
  explicit Shipper(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// 'url' with the password of its user-info part, if any, replaced by "***".
std::string RedactUrl(const std::string& url);
// The libpq connection string: 'url' with password and passfile added as URI parameters, and a
// connect_timeout of 5 s unless the URL gives one.
std::string ConnectionUri(const ShipperOptions& options);

}  // namespace ambi::central

#endif  // AMBI_DAEMON_CENTRAL_SHIPPER_H_
