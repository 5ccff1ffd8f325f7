#ifndef AMBI_DAEMON_STORE_STORE_WRITER_H_
#define AMBI_DAEMON_STORE_STORE_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "ambi/v1/events.pb.h"
#include "daemon/store/sqlite_handle.h"

namespace ambi::store {

struct BeginSessionWrite {
  std::string session_id;
  std::string athlete;
  std::int64_t start_unix_ns = 0;
  std::string capture_path;
};
struct EventWrite {
  std::string session_id;
  v1::Event event;
  std::int64_t unix_ns = 0;
};
struct EndSessionWrite {
  std::string session_id;
  std::int64_t end_unix_ns = 0;
};
using StoreWrite = std::variant<BeginSessionWrite, EventWrite, EndSessionWrite>;

// Turns queued writes into rows, on the write connection, with statements prepared once.
// Used by the store's writer thread only.
class StoreWriter {
 public:
  explicit StoreWriter(std::unique_ptr<SqliteConnection> connection);
  ~StoreWriter();

  bool BeginTransaction(std::string* error);
  bool Commit(std::string* error);
  void Rollback();
  // Writes one item inside the open transaction; false and *error (naming the session and the
  // event) when the database refused it. A failed item changes nothing.
  bool Write(const StoreWrite& write, std::string* error);

  SqliteConnection* connection() { return connection_.get(); }

 private:
  bool WriteBegin(const BeginSessionWrite& write, std::string* error);
  bool WriteEnd(const EndSessionWrite& write, std::string* error);
  bool WriteEvent(const EventWrite& write, std::string* error);
  bool WriteSetStarted(const EventWrite& write, std::string* error);
  bool WriteSetSummary(const EventWrite& write, std::string* error);
  bool WriteRep(const EventWrite& write, std::string* error);
  bool WriteRepPair(const EventWrite& write, std::string* error);
  bool WriteCue(const EventWrite& write, std::string* error);
  bool WriteLogEvent(const EventWrite& write, std::string* error);

  std::unique_ptr<SqliteConnection> connection_;
  struct Statements;
  std::unique_ptr<Statements> statements_;
};

}  // namespace ambi::store

#endif  // AMBI_DAEMON_STORE_STORE_WRITER_H_
