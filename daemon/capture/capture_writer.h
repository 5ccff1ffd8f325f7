#ifndef AMBI_DAEMON_CAPTURE_CAPTURE_WRITER_H_
#define AMBI_DAEMON_CAPTURE_CAPTURE_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ambi/v1/capture.pb.h"
#include "daemon/capture/capture_status.h"

namespace ambi::capture {

// Captures are health data: read-write for the owner, readable by the group (ambid's), nothing
// for others. The umask may narrow it further.
inline constexpr unsigned kCaptureFileMode = 0640;

struct CaptureWriterOptions {
  // An existing file is never overwritten unless asked: a capture may be the only copy of a
  // session.
  bool replace_existing = false;
  // Records are gathered in memory up to this size before one write(); larger means fewer
  // system calls, smaller means less lost if the process dies (Sync() bounds the loss anyway).
  std::size_t buffer_bytes = 64 * 1024;
};

// Writes a capture file: varint size + CaptureHeader, then varint size + CaptureRecord each,
// appended in order. The file is opened O_APPEND, so every write lands at the end and a crash
// leaves whole records followed by at most one cut record, which CaptureReader reports.
// Not thread-safe; one writer per file.
class CaptureWriter {
 public:
  CaptureWriter() = default;
  explicit CaptureWriter(CaptureWriterOptions options) : options_(options) {}
  ~CaptureWriter();  // Close(), errors ignored: call Close() to see them
  CaptureWriter(const CaptureWriter&) = delete;
  CaptureWriter& operator=(const CaptureWriter&) = delete;

  // Creates 'path' (mode kCaptureFileMode) and writes 'header' (buffered, like the records).
  // On failure the writer stays closed, path() is unchanged, and Open() may be tried again.
  CaptureStatus Open(const std::string& path, const ambi::v1::CaptureHeader& header);
  // Appends one record; writes the buffer out when it is full.
  CaptureStatus Append(const ambi::v1::CaptureRecord& record);
  // Convenience for the hot path: a data record without building a message first.
  CaptureStatus AppendData(std::uint32_t sensor_id, std::int64_t arrival_time_ns,
                           std::span<const std::uint8_t> bytes);
  // Hands buffered bytes to the OS.
  CaptureStatus Flush();
  // Flush() and fsync(): what was appended survives a power loss.
  CaptureStatus Sync();
  // Sync() and close. A closed writer may Open() again, also after a failed write or Close()
  // (disk full, permission): that is how recording recovers.
  CaptureStatus Close();

  bool is_open() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }
  std::uint64_t records_written() const { return records_; }
  std::uint64_t bytes_written() const { return bytes_; }  // including buffered bytes

 private:
  CaptureStatus AppendMessage(const google::protobuf::MessageLite& message);
  CaptureStatus OsError(const char* what, int error) const;

  CaptureWriterOptions options_;
  std::string path_;
  int fd_ = -1;
  std::vector<std::uint8_t> buffer_;
  ambi::v1::CaptureRecord scratch_;  // reused by AppendData
  std::uint64_t records_ = 0;
  std::uint64_t bytes_ = 0;
};

}  // namespace ambi::capture

#endif  // AMBI_DAEMON_CAPTURE_CAPTURE_WRITER_H_
