#include "clients/web/static_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace ambi::web {
namespace {

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ambi_web_static_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "sub");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(StaticFilesTest, ServesOnlyTheFilesOfTheDirectory) {
  Write("index.html", "<p>hi</p>");
  Write("app.js", "1;");
  Write("secret.key", "no");
  Write(".hidden.js", "no");
  Write("sub/inner.js", "no");
  const StaticFiles files = StaticFiles::Load(dir_.string());
  ASSERT_NE(files.Find("/index.html"), nullptr);
  EXPECT_EQ(*files.Find("/index.html")->body, "<p>hi</p>");
  EXPECT_EQ(files.Find("/index.html")->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(files.Find("/app.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(files.Find("/secret.key"), nullptr);
  EXPECT_EQ(files.Find("/.hidden.js"), nullptr);
  EXPECT_EQ(files.Find("/sub/inner.js"), nullptr);
  EXPECT_EQ(files.Find("/../index.html"), nullptr);
  EXPECT_EQ(files.Find("/app.js/"), nullptr);
  EXPECT_EQ(files.size(), 2u);
}

TEST_F(StaticFilesTest, NeedsAnIndex) {
  Write("app.js", "1;");
  EXPECT_THROW(StaticFiles::Load(dir_.string()), std::runtime_error);
  EXPECT_THROW(StaticFiles::Load((dir_ / "missing").string()), std::runtime_error);
}

TEST(StaticFiles, ShipsThePage) {
  const StaticFiles files = StaticFiles::Load(std::string(AMBI_SOURCE_DIR) + "/clients/web/www");
  for (const char* name : {"/index.html", "/app.css", "/app.js", "/pair.html"}) {
    EXPECT_NE(files.Find(name), nullptr) << name;
  }
}

}  // namespace
}  // namespace ambi::web
