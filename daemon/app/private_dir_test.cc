#include "daemon/app/private_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace ambi::app {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class PrivateDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/ambi-private-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(PrivateDirTest, MakesItOwnFolderPrivate) {
  const std::string path = dir_ + "/ambi-1000";
  EXPECT_EQ(EnsurePrivateDirectory(path), "");
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  EXPECT_EQ(EnsurePrivateDirectory(path), "") << "its own existing folder is fine";
}

TEST_F(PrivateDirTest, RefusesAPlantedFolderLinkOrFile) {
  const std::string open = dir_ + "/open";
  ASSERT_EQ(::mkdir(open.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(open.c_str(), 0777), 0);
  EXPECT_THAT(EnsurePrivateDirectory(open), HasSubstr("has mode 0777: others may write in it"));

  const std::string link = dir_ + "/link";
  fs::create_directory_symlink(open, link);
  EXPECT_THAT(EnsurePrivateDirectory(link), HasSubstr("is not a directory"));

  const std::string file = dir_ + "/file";
  std::ofstream(file) << "x";
  EXPECT_THAT(EnsurePrivateDirectory(file), HasSubstr("is not a directory"));

  if (::geteuid() == 0) {  // only root can give a folder to someone else
    const std::string theirs = dir_ + "/theirs";
    ASSERT_EQ(::mkdir(theirs.c_str(), 0700), 0);
    ASSERT_EQ(::chown(theirs.c_str(), 65534, 65534), 0);
    EXPECT_THAT(EnsurePrivateDirectory(theirs), HasSubstr("belongs to uid 65534"));
  }
}

}  // namespace
}  // namespace ambi::app
