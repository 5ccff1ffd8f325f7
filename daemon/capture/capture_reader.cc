#include "daemon/capture/capture_reader.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "daemon/config/safe_name.h"

namespace ambi::capture {

std::string_view ToString(CaptureEnd end) {
  switch (end) {
    case CaptureEnd::kNotYet:
      return "not_yet";
    case CaptureEnd::kClean:
      return "clean";
    case CaptureEnd::kTruncated:
      return "truncated";
    case CaptureEnd::kCorrupt:
      return "corrupt";
    case CaptureEnd::kReadError:
      return "read_error";
  }
  return "unknown";
}

CaptureReader::~CaptureReader() { CloseFile(); }

void CaptureReader::CloseFile() {
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
}

bool CaptureReader::Fill(std::size_t n) {
  if (limit_ - begin_ >= n) return true;
  // Move the unread bytes to the front, then grow if one message needs more room.
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, limit_ - begin_);
    buffer_offset_ += begin_;
    limit_ -= begin_;
    begin_ = 0;
  }
  if (buffer_.size() < n) buffer_.resize(n);
  while (limit_ < n && !eof_ && !read_error_) {
    const std::size_t got = std::fread(buffer_.data() + limit_, 1, buffer_.size() - limit_, file_);
    limit_ += got;
    if (got == 0) {
      if (std::ferror(file_) != 0) {
        read_error_ = true;
        read_errno_ = errno;
      } else {
        eof_ = true;
      }
    }
  }
  return limit_ >= n;
}

CaptureReader::Frame CaptureReader::NextFrame(std::size_t max_bytes, std::size_t* size,
                                              const std::uint8_t** message) {
  Fill(10);  // the longest varint
  if (read_error_ && limit_ == begin_) return Frame::kReadError;
  if (limit_ == begin_) return Frame::kEndOfFile;
  std::uint64_t value = 0;
  std::size_t used = 0;
  bool complete = false;
  for (int shift = 0; begin_ + used < limit_ && shift < 64; shift += 7) {
    const std::uint8_t byte = buffer_[begin_ + used++];
    value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      complete = true;
      break;
    }
  }
  if (!complete) return used >= 10 ? Frame::kTooLarge : Frame::kTruncated;
  if (value > max_bytes) return Frame::kTooLarge;
  *size = static_cast<std::size_t>(value);
  // A size prefix beyond the bytes the file still holds is a cut record: say so before the
  // buffer grows (a 60 MiB prefix in a 231-byte file once allocated 64 MB first).
  const std::uint64_t buffered = limit_ - begin_;
  if (used + *size > buffered) {
    const std::uint64_t file_bytes = FileBytes().value_or(UINT64_MAX);  // unknown: trust Fill
    const std::uint64_t read_so_far = buffer_offset_ + limit_;
    const std::uint64_t unread = file_bytes - std::min(file_bytes, read_so_far);
    if (used + *size > buffered + unread) return Frame::kTruncated;
  }
  if (!Fill(used + *size)) return read_error_ ? Frame::kReadError : Frame::kTruncated;
  *message = buffer_.data() + begin_ + used;
  begin_ += used + *size;
  return Frame::kOk;
}

std::optional<std::uint64_t> CaptureReader::FileBytes() const {
  struct stat info {};
  if (file_ == nullptr || ::fstat(::fileno(file_), &info) != 0 || !S_ISREG(info.st_mode)) {
    return std::nullopt;  // a pipe or a device: its length is not known ahead
  }
  return static_cast<std::uint64_t>(info.st_size);
}

void CaptureReader::Finish(CaptureEnd end, std::string what) {
  end_ = end;
  end_detail_ = "capture " + path_ + " at byte " + std::to_string(end_offset_) + ": " + what;
  CloseFile();
}

CaptureStatus CaptureReader::Open(const std::string& path, ambi::v1::CaptureHeader* header) {
  CloseFile();
  begin_ = limit_ = 0;
  buffer_offset_ = 0;
  eof_ = read_error_ = false;
  read_errno_ = 0;
  end_ = CaptureEnd::kNotYet;
  end_offset_ = 0;
  end_detail_.clear();
  records_ = 0;
  path_ = path;
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) {
    return CaptureStatus::Error("capture " + path + ": cannot open: " + std::strerror(errno));
  }
  buffer_.resize(256 * 1024);
  std::size_t size = 0;
  const std::uint8_t* message = nullptr;
  const Frame frame = NextFrame(kMaxHeaderBytes, &size, &message);
  std::string problem;
  switch (frame) {
    case Frame::kOk:
      if (!header->ParseFromArray(message, static_cast<int>(size))) {
        problem = "not a capture file (the header does not parse)";
      } else if (header->format_version() != 1) {
        problem = "not a capture file or an unsupported version (format_version " +
                  std::to_string(header->format_version()) + ", expected 1)";
      } else if (std::string name_error;
                 !header->athlete().empty() &&
                 !config::SafeName::Parse(header->athlete(), "athlete", &name_error)) {
        // The athlete becomes a file name and log text on replay: refuse it here, once.
        problem = "the header's " + name_error;
      }
      break;
    case Frame::kEndOfFile:
      problem = "empty file, no capture header";
      break;
    case Frame::kTruncated:
      problem = "not a capture file, or its header is cut short (file is " +
                std::to_string(limit_) + " bytes)";
      break;
    case Frame::kTooLarge:
      problem = "not a capture file (absurd header size)";
      break;
    case Frame::kReadError:
      problem = std::string("read error: ") + std::strerror(read_errno_);
      break;
  }
  if (!problem.empty()) {
    CloseFile();
    return CaptureStatus::Error("capture " + path + ": " + problem);
  }
  end_offset_ = buffer_offset_ + begin_;
  return CaptureStatus::Ok();
}

bool CaptureReader::Next(ambi::v1::CaptureRecord* record) {
  if (end_ != CaptureEnd::kNotYet || file_ == nullptr) return false;
  std::size_t size = 0;
  const std::uint8_t* message = nullptr;
  const Frame frame = NextFrame(kMaxRecordBytes, &size, &message);
  switch (frame) {
    case Frame::kOk:
      if (!record->ParseFromArray(message, static_cast<int>(size))) {
        Finish(CaptureEnd::kCorrupt, "record " + std::to_string(records_ + 1) + " of " +
                                         std::to_string(size) + " bytes does not parse");
        return false;
      }
      ++records_;
      end_offset_ = buffer_offset_ + begin_;
      return true;
    case Frame::kEndOfFile:
      Finish(CaptureEnd::kClean, "end of file after " + std::to_string(records_) + " records");
      return false;
    case Frame::kTruncated:
      Finish(CaptureEnd::kTruncated,
             "record " + std::to_string(records_ + 1) + " is cut short (file ends at byte " +
                 std::to_string(std::max(buffer_offset_ + limit_, FileBytes().value_or(0))) + ")");
      return false;
    case Frame::kTooLarge:
      Finish(CaptureEnd::kCorrupt, "record size is not plausible");
      return false;
    case Frame::kReadError:
      Finish(CaptureEnd::kReadError, std::string("read error: ") + std::strerror(read_errno_));
      return false;
  }
  return false;
}

}  // namespace ambi::capture
