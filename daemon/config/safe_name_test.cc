#include "daemon/config/safe_name.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ambi::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(SafeNameTest, AcceptsConfigStyleNames) {
  const std::vector<std::string> names = {"alice",    "alice-left_wrist",
                                          "A.Thlete", "x",
                                          "b0b.2026", std::string(SafeName::kMaxBytes, 'a')};
  for (const std::string& name : names) {
    std::string error;
    const auto parsed = SafeName::Parse(name, "athlete", &error);
    ASSERT_TRUE(parsed.has_value()) << name << ": " << error;
    EXPECT_EQ(parsed->str(), name);
    EXPECT_EQ(SafeName::Problem(name), "");
  }
}

// The hostile names of issue 12: a capture header naming athlete ../../../../tmp/x wrote
// outside the data directory, 5000 characters aborted the daemon (ENAMETOOLONG thrown), and a
// newline injected a fake log line.
TEST(SafeNameTest, RefusesTraversalLongNamesAndControlCharacters) {
  struct Case {
    std::string text;
    std::string problem;
  };
  const Case cases[] = {
      {"../../../../tmp/x", "must not start with '.'"},
      {"..", "must not start with '.'"},
      {".hidden", "must not start with '.'"},
      {"a/b", "contains a path separator '/'"},
      {"a\\b", "contains a path separator '\\'"},
      {std::string(5000, 'a'), "is 5000 bytes long, more than 64"},
      {"", "is empty"},
      {"alice\n[info] session stopped", "contains a line break"},
      {std::string("nul\0byte", 8), "contains a control character"},
      {"\x1b[31mred", "contains a control character"},
      {"caf\xc3\xa9", "contains a non-ASCII byte"},
      {"two words", "contains ' '"},
  };
  for (const Case& c : cases) {
    std::string error;
    EXPECT_FALSE(SafeName::Parse(c.text, "athlete", &error).has_value()) << c.text;
    EXPECT_THAT(error, HasSubstr("athlete name \"")) << c.text;
    EXPECT_THAT(error, HasSubstr(c.problem)) << c.text;
    // The message itself is one safe line of bounded length.
    EXPECT_THAT(error, Not(HasSubstr("\n")));
    EXPECT_LT(error.size(), 300u);
  }
}

TEST(SafeNameTest, EscapeForMessageShowsBytesOnOneLine) {
  EXPECT_EQ(EscapeForMessage("a\nb\"c\\"), "a\\x0Ab\\\"c\\\\");
  EXPECT_EQ(EscapeForMessage("abcdef", 3), "abc...(6 bytes)");
}

}  // namespace
}  // namespace ambi::config
