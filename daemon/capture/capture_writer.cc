#include "daemon/capture/capture_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ambi::capture {
namespace {

void AppendVarint(std::uint64_t value, std::vector<std::uint8_t>* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<std::uint8_t>(value));
}

}  // namespace

CaptureWriter::~CaptureWriter() { Close(); }

CaptureStatus CaptureWriter::OsError(const char* what, int error) const {
  return CaptureStatus::Error("capture " + path_ + ": " + what + ": " + std::strerror(error));
}

CaptureStatus CaptureWriter::Open(const std::string& path, const ambi::v1::CaptureHeader& header) {
  if (is_open()) {
    return CaptureStatus::Error("capture " + path + ": writer already has " + path_ + " open");
  }
  int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
  flags |= options_.replace_existing ? O_TRUNC : O_EXCL;
  // Health data: owner and group only, whatever the umask allows beyond that.
  const int fd = ::open(path.c_str(), flags, kCaptureFileMode);
  if (fd < 0) {
    const int error = errno;
    return CaptureStatus::Error("capture " + path + ": cannot create: " + std::strerror(error));
  }
  // Only now: path() and the logs must never name a file that was not created.
  path_ = path;
  fd_ = fd;
  buffer_.clear();
  buffer_.reserve(options_.buffer_bytes + 1024);
  records_ = 0;
  bytes_ = 0;
  return AppendMessage(header);
}

CaptureStatus CaptureWriter::AppendMessage(const google::protobuf::MessageLite& message) {
  if (!is_open()) return CaptureStatus::Error("capture " + path_ + ": not open");
  const std::size_t size = message.ByteSizeLong();
  const std::size_t before = buffer_.size();
  AppendVarint(size, &buffer_);
  const std::size_t at = buffer_.size();
  buffer_.resize(at + size);
  if (!message.SerializeWithCachedSizesToArray(buffer_.data() + at) && size > 0) {
    buffer_.resize(before);
    return CaptureStatus::Error("capture " + path_ + ": cannot serialise message");
  }
  bytes_ += buffer_.size() - before;
  if (buffer_.size() >= options_.buffer_bytes) return Flush();
  return CaptureStatus::Ok();
}

CaptureStatus CaptureWriter::Append(const ambi::v1::CaptureRecord& record) {
  CaptureStatus status = AppendMessage(record);
  if (status.ok()) ++records_;
  return status;
}

CaptureStatus CaptureWriter::AppendData(std::uint32_t sensor_id, std::int64_t arrival_time_ns,
                                        std::span<const std::uint8_t> bytes) {
  scratch_.set_sensor_id(sensor_id);
  scratch_.set_arrival_time_ns(arrival_time_ns);
  scratch_.set_data(bytes.data(), bytes.size());
  return Append(scratch_);
}

CaptureStatus CaptureWriter::Flush() {
  if (!is_open()) return CaptureStatus::Error("capture " + path_ + ": not open");
  std::size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      // Keep what was not written, so a later Flush() can retry it.
      buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(done));
      return OsError("write failed", error);
    }
    done += static_cast<std::size_t>(n);
  }
  buffer_.clear();
  return CaptureStatus::Ok();
}

CaptureStatus CaptureWriter::Sync() {
  CaptureStatus status = Flush();
  if (!status.ok()) return status;
  if (::fsync(fd_) != 0) return OsError("fsync failed", errno);
  return CaptureStatus::Ok();
}

CaptureStatus CaptureWriter::Close() {
  if (!is_open()) return CaptureStatus::Ok();
  CaptureStatus status = Sync();
  if (::close(fd_) != 0 && status.ok()) status = OsError("close failed", errno);
  fd_ = -1;
  buffer_.clear();
  return status;
}

}  // namespace ambi::capture
