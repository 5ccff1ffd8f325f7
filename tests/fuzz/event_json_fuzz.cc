// libFuzzer target: an Event message of arbitrary bytes (what a client or a store row may hold)
// through the JSON and text conversions: ToJson, RoundForGolden, DescribeEvent, and back from
// the JSON, which must parse.
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/json_util.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "ambi/v1/events.pb.h"
#include "proto/convert/event_convert.h"
#include "proto/convert/event_text.h"
#include "proto/convert/proto_json.h"

// Protobuf logs every string field with invalid UTF-8; that is an expected outcome here, and
// the log lines would slow the fuzzer down.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ambi::v1::Event event;
  if (!event.ParseFromArray(data, static_cast<int>(size))) return 0;
  const std::string json = ambi::proto::ToJson(event);
  (void)ambi::proto::DescribeEvent(event);
  ambi::v1::Event rounded = event;
  ambi::proto::RoundForGolden(&rounded);
  (void)ambi::proto::ToJson(rounded, /*pretty=*/true);
  ambi::v1::Event back;
  if (!json.empty() && !google::protobuf::util::JsonStringToMessage(json, &back).ok()) {
    // Non-finite doubles print as "NaN"/"Infinity", which parse; anything else is a bug.
    std::abort();
  }
  return 0;
}
