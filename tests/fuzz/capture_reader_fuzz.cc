// libFuzzer target: a capture file of arbitrary bytes. The reader must end in one of its
// states with a message, never crash, never read past a record, and never allocate more than
// the file could hold.
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "daemon/capture/capture_reader.h"
#include "tests/fuzz/fuzz_input_file.h"

// Protobuf logs every string field with invalid UTF-8; that is an expected outcome here, and
// the log lines would slow the fuzzer down.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static ambi::fuzz::FuzzInputFile file;
  const std::string& path = file.Write(data, size);
  ambi::capture::CaptureReader reader;
  ambi::v1::CaptureHeader header;
  if (!reader.Open(path, &header).ok()) return 0;
  ambi::v1::CaptureRecord record;
  while (reader.Next(&record)) {
    if (reader.end_offset() > size) std::abort();
  }
  if (reader.end() == ambi::capture::CaptureEnd::kNotYet || reader.end_detail().empty() ||
      reader.end_offset() > size) {
    std::abort();
  }
  return 0;
}
