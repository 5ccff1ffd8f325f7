#include "daemon/central/shipper.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <thread>
#include <vector>

#include "daemon/central/central_schema.h"
#include "daemon/central/upsert_batch.h"

namespace ambi::central {
namespace {

std::string PercentEncode(const std::string& text) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 0xF];
    }
  }
  return out;
}

std::int64_t UnixNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// libpq's messages end with a newline and may span lines; the status shows one line.
std::string OneLine(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\t', ' ');
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

}  // namespace

std::string RedactUrl(const std::string& url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const std::size_t authority = scheme + 3;
  const std::size_t end = url.find_first_of("/?", authority);
  const std::size_t at = url.rfind('@', end == std::string::npos ? url.size() : end);
  if (at == std::string::npos || at < authority) return url;
  const std::size_t colon = url.find(':', authority);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

std::string ConnectionUri(const ShipperOptions& options) {
  std::string uri = options.url;
  const auto add = [&uri](const std::string& key, const std::string& value) {
    if (value.empty()) return;
    uri += (uri.find('?') == std::string::npos ? '?' : '&');
    uri += key + "=" + PercentEncode(value);
  };
  add("password", options.password);
  add("passfile", options.passfile);
  add("application_name", "ambid");
  // An unreachable host must not hold the shipper (and the daemon's shutdown) for the kernel's
  // TCP timeout; the URL may choose another.
  if (uri.find("connect_timeout=") == std::string::npos) add("connect_timeout", "5");
  return uri;
}

class Shipper::Impl {
 public:
  Impl(const ShipperOptions& options, std::unique_ptr<LocalOutbox> outbox)
      : options_(options), outbox_(std::move(outbox)) {
    status_.target = RedactUrl(options.url);
    status_.box_id = options.box_id;
    thread_ = std::thread([this] { Run(); });
  }
  ~Impl() { Stop(); }

  void Stop() {
    {
      std::lock_guard lock(mutex_);
      if (!stopping_) {
        stopping_ = true;
        drain_deadline_ = std::chrono::steady_clock::now() + options_.drain_on_stop;
      }
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  ShipperStatus status() const {
    std::lock_guard lock(mutex_);
    return status_;
  }

 private:
  void Run() {
    std::chrono::milliseconds retry = options_.retry_first;
    bool reported_down = false;
    for (;;) {
      UpdateBacklog();
      if (ShouldExit()) break;
      if (!connection_ && !Connect()) {
        if (!reported_down) {
          spdlog::warn(
              "central {}: not connected ({}); history waits in the local store and is "
              "shipped once the database can be reached",
              status_.target, status().last_error);
          reported_down = true;
        }
        if (IsStopping()) break;  // no server to drain to
        Wait(retry);
        retry = std::min(retry * 2, options_.retry_longest);
        continue;
      }
      if (reported_down) {
        spdlog::info("central {}: connected as box '{}'", status_.target, options_.box_id);
        reported_down = false;
      }
      const std::size_t shipped = ShipBatch();
      if (!connection_) {  // the batch failed: read it again after a pause
        if (IsStopping()) break;
        Wait(retry);
        retry = std::min(retry * 2, options_.retry_longest);
        continue;
      }
      retry = options_.retry_first;
      if (shipped == 0 && !IsStopping()) Ping();
      if (shipped < options_.batch_rows) {
        if (IsStopping()) {
          UpdateBacklog();
          break;
        }
        Wait(options_.poll_interval);
      }
    }
    connection_.reset();
    std::lock_guard lock(mutex_);
    status_.connected = false;
  }

  bool Connect() {
    try {
      auto connection = std::make_unique<pqxx::connection>(ConnectionUri(options_));
      std::string error;
      if (!EnsureCentralSchema(*connection, &error)) return Failed(error);
      connection->prepare("ambi_box",
                          "INSERT INTO ambi_boxes (box_id) VALUES ($1) ON CONFLICT (box_id) DO "
                          "UPDATE SET last_shipped_at = now()");
      connection_ = std::move(connection);
      last_contact_ = std::chrono::steady_clock::now();
      std::lock_guard lock(mutex_);
      status_.connected = true;
      return true;
    } catch (const std::exception& failure) {
      return Failed(failure.what());
    }
  }

  // An idle box asks the server now and then, so its status says "not connected" when the server
  // has gone even while there is nothing to ship.
  void Ping() {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_contact_ < options_.idle_ping_interval) return;
    try {
      pqxx::nontransaction query(*connection_, "ambi_ping");
      query.exec("SELECT 1");
      last_contact_ = now;
    } catch (const std::exception& failure) {
      spdlog::warn("central {}: the connection was lost while idle: {}", status_.target,
                   OneLine(failure.what()));
      Failed(failure.what());
    }
  }

  bool Failed(const std::string& error) {
    connection_.reset();
    std::lock_guard lock(mutex_);
    status_.connected = false;
    status_.last_error = OneLine(error);
    return false;
  }

  // Ships one batch; returns the number of outbox rows it covered. On a failure the connection
  // is dropped (and the batch is read again after reconnecting).
  std::size_t ShipBatch() {
    std::vector<OutboxRow> rows;
    std::int64_t last_seq = 0;
    std::string error;
    if (!outbox_->ReadBatch(options_.batch_rows, &rows, &last_seq, &error)) {
      spdlog::error("central: {}", error);
      Failed(error);
      return 0;
    }
    if (last_seq <= shipped_seq_) return 0;  // nothing new
    try {
      if (!rows.empty()) {
        pqxx::work work(*connection_, "ambi_ship");
        work.exec_prepared0("ambi_box", options_.box_id);
        // A few multi-row statements per batch, not a round trip per row (catch-up speed).
        std::vector<const char*> params;
        for (const UpsertStatement& statement : PlanUpserts(rows, options_.box_id)) {
          params.clear();
          for (const auto& value : statement.params) {
            params.push_back(value ? value->c_str() : nullptr);
          }
          work.exec_params0(statement.sql, pqxx::prepare::make_dynamic_params(params));
        }
        work.commit();
      }
    } catch (const std::exception& failure) {
      spdlog::warn("central {}: shipping a batch of {} rows failed, will retry: {}", status_.target,
                   rows.size(), OneLine(failure.what()));
      Failed(failure.what());
      return 0;
    }
    last_contact_ = std::chrono::steady_clock::now();
    if (outbox_->Advance(last_seq, &error)) {
      shipped_seq_ = last_seq;
    } else {
      // Shipped but not recorded: the batch goes again, and lands once.
      spdlog::error("central: {}", error);
    }
    std::lock_guard lock(mutex_);
    status_.shipped_rows += static_cast<std::int64_t>(rows.size());
    status_.last_error.clear();
    return std::max<std::size_t>(rows.size(), 1);
  }

  void UpdateBacklog() {
    OutboxBacklog backlog;
    std::string error;
    if (!outbox_->Backlog(&backlog, &error)) {
      spdlog::error("central: {}", error);
      return;
    }
    std::lock_guard lock(mutex_);
    status_.backlog_rows = backlog.rows;
    status_.behind_s =
        backlog.rows > 0
            ? std::max(0.0, static_cast<double>(UnixNowMs() - backlog.oldest_unix_ms) / 1e3)
            : 0.0;
  }

  bool IsStopping() const {
    std::lock_guard lock(mutex_);
    return stopping_;
  }

  bool ShouldExit() const {
    std::lock_guard lock(mutex_);
    if (!stopping_) return false;
    return status_.backlog_rows == 0 || std::chrono::steady_clock::now() >= drain_deadline_;
  }

  void Wait(std::chrono::milliseconds pause) {
    std::unique_lock lock(mutex_);
    if (stopping_) pause = std::min(pause, options_.poll_interval);
    wake_.wait_for(lock, pause);
  }

  const ShipperOptions options_;
  std::unique_ptr<LocalOutbox> outbox_;
  std::unique_ptr<pqxx::connection> connection_;        // the shipper thread's only
  std::int64_t shipped_seq_ = 0;                        // the shipper thread's only
  std::chrono::steady_clock::time_point last_contact_;  // the shipper thread's only

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point drain_deadline_;
  ShipperStatus status_;
  std::thread thread_;
};

std::unique_ptr<Shipper> Shipper::Start(const ShipperOptions& options, ExerciseTraitsLookup traits,
                                        std::string* error) {
  if (options.box_id.empty()) {
    *error = "central: box_id is empty; name this box ([central] box_id)";
    return nullptr;
  }
  std::unique_ptr<LocalOutbox> outbox =
      LocalOutbox::Open(options.store_path, std::move(traits), error);
  if (!outbox) return nullptr;
  return std::unique_ptr<Shipper>(new Shipper(std::make_unique<Impl>(options, std::move(outbox))));
}

Shipper::Shipper(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Shipper::~Shipper() { Stop(); }
void Shipper::Stop() { impl_->Stop(); }
ShipperStatus Shipper::status() const { return impl_->status(); }

}  // namespace ambi::central
