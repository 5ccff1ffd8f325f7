#ifndef AMBI_DAEMON_CAPTURE_CAPTURE_READER_H_
#define AMBI_DAEMON_CAPTURE_CAPTURE_READER_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ambi/v1/capture.pb.h"
#include "daemon/capture/capture_status.h"

namespace ambi::capture {

// How reading a capture ended.
enum class CaptureEnd : std::uint8_t {
  kNotYet,     // records may remain
  kClean,      // the file ends exactly after a whole record
  kTruncated,  // the last record is cut short (typical after a crash while writing)
  kCorrupt,    // a record's size is absurd or its bytes do not parse
  kReadError,  // the OS reported an error
};

std::string_view ToString(CaptureEnd end);

// Reads a file written by CaptureWriter: the header, then records one by one, up to the last
// whole record. After Next() returns false, end() tells why and end_offset() where: the byte
// offset of the first byte that is not part of a whole record (the file size when clean).
// Not thread-safe.
class CaptureReader {
 public:
  // Records larger than this are taken as corruption rather than allocated.
  static constexpr std::size_t kMaxRecordBytes = 64u << 20;
  static constexpr std::size_t kMaxHeaderBytes = 1u << 20;

  CaptureReader() = default;
  ~CaptureReader();
  CaptureReader(const CaptureReader&) = delete;
  CaptureReader& operator=(const CaptureReader&) = delete;

  // Opens 'path' and reads its header into 'header'. The error names the file and what is wrong
  // (missing, empty, not a capture, truncated header, unsupported version, an athlete name
  // that is not a config::SafeName).
  CaptureStatus Open(const std::string& path, ambi::v1::CaptureHeader* header);

  // Reads the next whole record; false at the end of the whole records (see end()).
  bool Next(ambi::v1::CaptureRecord* record);

  CaptureEnd end() const { return end_; }
  std::uint64_t end_offset() const { return end_offset_; }
  // For a person: the file, the offset and what was found there. Empty while kNotYet.
  const std::string& end_detail() const { return end_detail_; }
  std::uint64_t records_read() const { return records_; }

 private:
  enum class Frame : std::uint8_t { kOk, kEndOfFile, kTruncated, kTooLarge, kReadError };
  // Reads the next varint-delimited message's bytes; on kOk they are at message_ (size_).
  Frame NextFrame(std::size_t max_bytes, std::size_t* size, const std::uint8_t** message);
  // Makes at least 'n' bytes available from 'begin_' unless the file ends first.
  bool Fill(std::size_t n);
  // The file's length when it is a regular file.
  std::optional<std::uint64_t> FileBytes() const;
  void Finish(CaptureEnd end, std::string what);
  void CloseFile();

  std::string path_;
  std::FILE* file_ = nullptr;
  std::vector<std::uint8_t> buffer_;
  std::size_t begin_ = 0;  // unread bytes are buffer_[begin_, limit_)
  std::size_t limit_ = 0;
  std::uint64_t buffer_offset_ = 0;  // file offset of buffer_[0]
  bool eof_ = false;
  bool read_error_ = false;
  int read_errno_ = 0;
  CaptureEnd end_ = CaptureEnd::kNotYet;
  std::uint64_t end_offset_ = 0;
  std::string end_detail_;
  std::uint64_t records_ = 0;
};

}  // namespace ambi::capture

#endif  // AMBI_DAEMON_CAPTURE_CAPTURE_READER_H_
