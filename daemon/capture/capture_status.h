#ifndef AMBI_DAEMON_CAPTURE_CAPTURE_STATUS_H_
#define AMBI_DAEMON_CAPTURE_CAPTURE_STATUS_H_

#include <string>
#include <utility>

namespace ambi::capture {

// Outcome of a file operation: ok, or a message for a person that names the file and what went
// wrong (with the OS error where there is one). Returned as a value; nothing here throws.
class CaptureStatus {
 public:
  CaptureStatus() = default;  // ok
  static CaptureStatus Ok() { return CaptureStatus(); }
  static CaptureStatus Error(std::string message) {
    CaptureStatus status;
    status.message_ = message.empty() ? std::string("unknown error") : std::move(message);
    return status;
  }

  bool ok() const { return message_.empty(); }
  const std::string& message() const { return message_; }

 private:
  std::string message_;  // empty when ok
};

}  // namespace ambi::capture

#endif  // AMBI_DAEMON_CAPTURE_CAPTURE_STATUS_H_
