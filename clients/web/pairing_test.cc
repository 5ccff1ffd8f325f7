#include "clients/web/pairing.h"

#include <gtest/gtest.h>

#include <vector>

namespace ambi::web {
namespace {

// A counter as the random source: distinct codes and tokens, reproducible.
struct CountingRandom {
  unsigned char next = 0;
  void operator()(unsigned char* out, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) out[i] = next++;
  }
};

class PairingTest : public ::testing::Test {
 protected:
  PairingTest()
      : pairing_([this](unsigned char* out, std::size_t size) { random_(out, size); },
                 [this](const std::string& code) { codes_.push_back(code); }) {}

  CountingRandom random_;
  std::vector<std::string> codes_;
  Pairing pairing_;
};

TEST_F(PairingTest, PrintsACodeAtStart) {
  ASSERT_EQ(codes_.size(), 1u);
  EXPECT_EQ(codes_[0].size(), Pairing::kCodeLength);
  EXPECT_EQ(pairing_.code(), codes_[0]);
}

TEST_F(PairingTest, TheRightCodeGivesASessionAndIsUsedUp) {
  const std::string code = pairing_.code();
  const auto token = pairing_.Pair(code);
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->size(), 32u);
  EXPECT_TRUE(pairing_.IsPaired("theme=dark; ambi_session=" + *token));
  EXPECT_TRUE(pairing_.IsPaired("ambi_session=" + *token + "; theme=dark"));
  EXPECT_FALSE(pairing_.IsPaired("ambi_session=" + *token + "0"));
  EXPECT_FALSE(pairing_.IsPaired(""));
  EXPECT_FALSE(pairing_.IsPaired("other=" + *token));
  // One code, one tablet: the same code does not pair a second browser.
  EXPECT_NE(pairing_.code(), code);
  EXPECT_FALSE(pairing_.Pair(code).has_value());
}

TEST_F(PairingTest, AcceptsLowerCaseAndSeparators) {
  std::string typed = pairing_.code();
  for (char& c : typed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  typed.insert(3, "-");
  EXPECT_TRUE(pairing_.Pair(typed).has_value());
}

TEST_F(PairingTest, WrongGuessesReplaceTheCode) {
  const std::string code = pairing_.code();
  for (int i = 0; i + 1 < Pairing::kMaxWrongAttempts; ++i) {
    EXPECT_FALSE(pairing_.Pair("WRONG1").has_value());
    EXPECT_EQ(pairing_.code(), code);
  }
  EXPECT_FALSE(pairing_.Pair("WRONG1").has_value());
  EXPECT_NE(pairing_.code(), code);
  EXPECT_FALSE(pairing_.Pair(code).has_value()) << "the replaced code still worked";
}

TEST_F(PairingTest, ForgetsTheOldestSessionBeyondTheLimit) {
  const auto first = pairing_.Pair(pairing_.code());
  ASSERT_TRUE(first);
  for (std::size_t i = 0; i < Pairing::kMaxSessions; ++i) {
    ASSERT_TRUE(pairing_.Pair(pairing_.code()));
  }
  EXPECT_FALSE(pairing_.IsPaired(std::string("ambi_session=") + *first));
}

TEST(PairingCookie, IsHttpOnlyAndSameSite) {
  const std::string plain = Pairing::SetCookieValue("abc", false);
  EXPECT_NE(plain.find("ambi_session=abc"), std::string::npos);
  EXPECT_NE(plain.find("HttpOnly"), std::string::npos);
  EXPECT_NE(plain.find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(plain.find("Secure"), std::string::npos);
  EXPECT_NE(Pairing::SetCookieValue("abc", true).find("; Secure"), std::string::npos);
}

TEST(FindCookie, FindsByExactName) {
  EXPECT_EQ(FindCookie("a=1; ambi_session=xyz", "ambi_session"), "xyz");
  EXPECT_FALSE(FindCookie("xambi_session=1", "ambi_session").has_value());
  EXPECT_FALSE(FindCookie("ambi_session", "ambi_session").has_value());
  EXPECT_EQ(FindCookie("ambi_session=", "ambi_session"), "");
}

}  // namespace
}  // namespace ambi::web
