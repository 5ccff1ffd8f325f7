// Hostile capture files: sizes that lie. Kept apart from capture_test.cc because it replaces the
// global operator new to see the largest single allocation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>

#include "daemon/capture/capture_reader.h"
#include "daemon/capture/capture_writer.h"
#include "daemon/testing/temp_dir.h"

namespace {
std::atomic<std::size_t> largest_allocation{0};
}  // namespace

void* operator new(std::size_t bytes) {
  std::size_t seen = largest_allocation.load(std::memory_order_relaxed);
  while (bytes > seen && !largest_allocation.compare_exchange_weak(seen, bytes)) {
  }
  if (void* p = std::malloc(bytes == 0 ? 1 : bytes)) return p;
  throw std::bad_alloc();
}
// This replacement pair is matched (malloc above, free here); gcc cannot see that.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace ambi::capture {
namespace {

std::string TempPath(const std::string& name) {
  static const ::ambi::testing::TempDir dir("ambi-capture-limits-");
  return dir.File(name);
}

void AppendVarint(std::uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// A valid header, then a record whose prefix claims 60 MiB (under kMaxRecordBytes, so it is
// "plausible") followed by a few bytes: the whole file is a few hundred bytes.
TEST(CaptureReaderLimits, LengthPrefixBeyondTheFileIsTruncationWithoutAllocating) {
  const std::string path = TempPath("liar.cap");
  {
    ambi::v1::CaptureHeader header;
    header.set_format_version(1);
    header.set_athlete("ana");
    header.set_created_by(std::string(180, 'x'));
    CaptureWriter writer;
    ASSERT_TRUE(writer.Open(path, header).ok());
    ASSERT_TRUE(writer.Close().ok());
  }
  std::string tail;
  AppendVarint(60u << 20, &tail);
  tail += "partial record bytes";
  std::ofstream(path, std::ios::binary | std::ios::app) << tail;
  const auto file_bytes = std::filesystem::file_size(path);
  ASSERT_LT(file_bytes, 300u);

  CaptureReader reader;
  ambi::v1::CaptureHeader header;
  ASSERT_TRUE(reader.Open(path, &header).ok());
  largest_allocation = 0;
  ambi::v1::CaptureRecord record;
  EXPECT_FALSE(reader.Next(&record));
  EXPECT_LT(largest_allocation.load(), std::size_t{1} << 20);  // not 60 MiB
  EXPECT_EQ(reader.end(), CaptureEnd::kTruncated);
  EXPECT_THAT(reader.end_detail(),
              ::testing::HasSubstr("record 1 is cut short (file ends at byte " +
                                   std::to_string(file_bytes) + ")"));
  EXPECT_EQ(reader.end_offset(), file_bytes - tail.size());
}

}  // namespace
}  // namespace ambi::capture
