// libFuzzer target: an Event message of arbitrary bytes (what a client or a store row may hold)
// through the JSON and text conversions: ToJson, RoundForGolden, DescribeEvent, and back from
// the JSON, which must parse. ToJson's writer (AppendCompactJson) must print the same bytes as
// protobuf's MessageToJsonString with ToJson's options, rounded or not.
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/json_util.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ambi/v1/events.pb.h"
#include "proto/convert/compact_json.h"
#include "proto/convert/event_convert.h"
#include "proto/convert/event_text.h"
#include "proto/convert/proto_json.h"

// Protobuf logs every string field with invalid UTF-8; that is an expected outcome here, and
// the log lines would slow the fuzzer down.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

namespace {

// Aborts, with both texts on stderr, when ambi's writer and protobuf's printer disagree.
void ExpectSameAsProtobuf(const ambi::v1::Event& event) {
  const std::string expected = ambi::proto::ProtobufJson(event);
  if (expected.empty()) return;  // protobuf itself could not print it
  std::string json;
  if (!ambi::proto::AppendCompactJson(event, &json) || json != expected) {
    std::fprintf(stderr, "ambi:     %s\nprotobuf: %s\n", json.c_str(), expected.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ambi::v1::Event event;
  if (!event.ParseFromArray(data, static_cast<int>(size))) return 0;
  ExpectSameAsProtobuf(event);
  const std::string json = ambi::proto::ToJson(event);
  (void)ambi::proto::DescribeEvent(event);
  ambi::v1::Event rounded = event;
  ambi::proto::RoundForGolden(&rounded);
  ExpectSameAsProtobuf(rounded);
  (void)ambi::proto::ToJson(rounded, /*pretty=*/true);
  ambi::v1::Event back;
  if (!json.empty() && !google::protobuf::util::JsonStringToMessage(json, &back).ok()) {
    // Non-finite doubles print as "NaN"/"Infinity", which parse; anything else is a bug.
    std::abort();
  }
  return 0;
}
