// A full disk under the store: writes fail with ENOSPC (injected into SQLite's unix VFS, at its
// write system calls), then space comes back. The rows of the failed batches must be written
// then, not lost; and a store closing while the disk is still full must say what it lost.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <string>

#include "ambi/v1/service.pb.h"
#include "daemon/store/session_store.h"
#include "daemon/store/store_test_util.h"

namespace ambi::store {
namespace {

using testing::GoldenEvents;
using testing::TempDir;
using testing::UnixNs;

std::atomic<bool> disk_full{false};
sqlite3_syscall_ptr real_write = nullptr;
sqlite3_syscall_ptr real_pwrite = nullptr;
sqlite3_syscall_ptr real_pwrite64 = nullptr;

ssize_t FullWrite(int fd, const void* data, size_t size) {
  if (disk_full) {
    errno = ENOSPC;
    return -1;
  }
  return reinterpret_cast<ssize_t (*)(int, const void*, size_t)>(real_write)(fd, data, size);
}
ssize_t FullPwrite(int fd, const void* data, size_t size, off_t at) {
  if (disk_full) {
    errno = ENOSPC;
    return -1;
  }
  return reinterpret_cast<ssize_t (*)(int, const void*, size_t, off_t)>(real_pwrite)(fd, data, size,
                                                                                     at);
}
ssize_t FullPwrite64(int fd, const void* data, size_t size, off64_t at) {
  if (disk_full) {
    errno = ENOSPC;
    return -1;
  }
  return reinterpret_cast<ssize_t (*)(int, const void*, size_t, off64_t)>(real_pwrite64)(fd, data,
                                                                                         size, at);
}

// Routes the unix VFS's write calls through the Full* functions for the test's lifetime.
class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vfs_ = sqlite3_vfs_find(nullptr);
    ASSERT_NE(vfs_, nullptr);
    ASSERT_NE(vfs_->xSetSystemCall, nullptr);
    real_write = vfs_->xGetSystemCall(vfs_, "write");
    real_pwrite = vfs_->xGetSystemCall(vfs_, "pwrite");
    real_pwrite64 = vfs_->xGetSystemCall(vfs_, "pwrite64");
    ASSERT_NE(real_write, nullptr);
    vfs_->xSetSystemCall(vfs_, "write", reinterpret_cast<sqlite3_syscall_ptr>(&FullWrite));
    if (real_pwrite != nullptr) {
      vfs_->xSetSystemCall(vfs_, "pwrite", reinterpret_cast<sqlite3_syscall_ptr>(&FullPwrite));
    }
    if (real_pwrite64 != nullptr) {
      vfs_->xSetSystemCall(vfs_, "pwrite64", reinterpret_cast<sqlite3_syscall_ptr>(&FullPwrite64));
    }
  }
  void TearDown() override {
    disk_full = false;
    for (const char* name : {"write", "pwrite", "pwrite64"})
      vfs_->xSetSystemCall(vfs_, name, nullptr);
  }

  sqlite3_vfs* vfs_ = nullptr;
};

TEST_F(DiskFullTest, RowsLostToEnospcAreWrittenWhenSpaceReturns) {
  TempDir dir;
  SessionStoreOptions options;
  options.path = dir.File("ambi.db");
  options.commit_interval = std::chrono::milliseconds(5);
  options.retry_interval = std::chrono::milliseconds(20);
  std::string error;
  auto store = SessionStore::Open(options, nullptr, &error);
  ASSERT_NE(store, nullptr) << error;
  const std::string id = store->BeginSession("ana", UnixNs(2026, 11, 23, 9), "");
  ASSERT_TRUE(store->Flush(&error)) << error;

  disk_full = true;
  const auto events = GoldenEvents("curl_asym10");
  std::int64_t unix_ns = UnixNs(2026, 11, 23, 9);
  for (const v1::Event& event : events) ASSERT_TRUE(store->RecordEvent(id, event, unix_ns += 1000));
  EXPECT_FALSE(store->Flush(&error));
  EXPECT_NE(error.find("full"), std::string::npos) << error;
  EXPECT_NE(error.find("to retry"), std::string::npos) << error;

  disk_full = false;
  // This Flush waits for the queued-again batch to be tried once more, which now succeeds; it
  // may still report the tries that failed before space came back. The next one has nothing.
  store->Flush(&error);
  ASSERT_TRUE(store->Flush(&error)) << error;
  v1::GetSessionRequest request;
  request.set_session_id(id);
  v1::GetSessionResponse response;
  ASSERT_TRUE(store->GetSession(request, &response, &error)) << error;
  EXPECT_EQ(response.session().rep_count(), 20u);
  EXPECT_EQ(response.rep_pairs_size(), 10);
  EXPECT_EQ(response.sets_size(), 1);
}

TEST_F(DiskFullTest, ClosingWhileStillFullSaysWhatWasLost) {
  TempDir dir;
  SessionStoreOptions options;
  options.path = dir.File("ambi.db");
  options.commit_interval = std::chrono::milliseconds(5);
  options.retry_interval = std::chrono::milliseconds(20);
  std::string error;
  auto store = SessionStore::Open(options, nullptr, &error);
  ASSERT_NE(store, nullptr) << error;
  const std::string id = store->BeginSession("ana", UnixNs(2026, 11, 23, 9), "");
  ASSERT_TRUE(store->Flush(&error)) << error;
  disk_full = true;
  ASSERT_TRUE(store->EndSession(id, UnixNs(2026, 11, 23, 10)));
  store->Close();  // bounded: one last try, then the loss is reported
  EXPECT_NE(store->last_write_error().find("lost at shutdown"), std::string::npos)
      << store->last_write_error();
}

}  // namespace
}  // namespace ambi::store
