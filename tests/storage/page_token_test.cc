// Page tokens round-trip and reject anything they did not produce.
#include "storage/page_token.h"

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace lmdbapi::storage {
namespace {

constexpr TokenSecret kSecret = {1, 2,  3,  4,  5,  6,  7,  8,
                                 9, 10, 11, 12, 13, 14, 15, 16};

TEST(PageTokenTest, RoundTripsTheLastKey) {
  std::string key("permit\0key\xff", 11);
  std::string token = EncodePageToken(kSecret, 42, key);
  absl::StatusOr<std::string> decoded = DecodePageToken(kSecret, 42, token);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, key);
  for (char c : token) EXPECT_TRUE(isalnum(c) || c == '-' || c == '_') << token;
}

TEST(PageTokenTest, RejectsEveryAlteredByte) {
  std::string token = EncodePageToken(kSecret, 7, "last-key");
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(token, &raw));
  for (size_t i = 0; i < raw.size(); ++i) {
    std::string bad = raw;
    bad[i] ^= 0x01;
    absl::StatusOr<std::string> decoded =
        DecodePageToken(kSecret, 7, absl::WebSafeBase64Escape(bad));
    ASSERT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument) << i;
    EXPECT_NE(decoded.status().message().find("page_token"), std::string::npos);
  }
}

TEST(PageTokenTest, RejectsTokenOfAnotherQueryOrDatabase) {
  std::string token = EncodePageToken(kSecret, 7, "k");
  EXPECT_EQ(DecodePageToken(kSecret, 8, token).status().code(),
            absl::StatusCode::kInvalidArgument);
  TokenSecret other = kSecret;
  other[0] ^= 1;
  EXPECT_EQ(DecodePageToken(other, 7, token).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PageTokenTest, RejectsGarbage) {
  for (const std::string& bad :
       std::vector<std::string>{"", "!!!", "abc", std::string(5000, 'A'),
                                "AAAAAAAAAAAAAAAAAAAAAAAAAAAA"}) {
    EXPECT_EQ(DecodePageToken(kSecret, 1, bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(PageTokenTest, SipHashMatchesReferenceVector) {
  // Reference: SipHash-2-4 paper, key 00..0f, message 00..0e ->
  // a129ca6149be45e5.
  TokenSecret key;
  for (int i = 0; i < 16; ++i) key[i] = static_cast<uint8_t>(i);
  std::string msg;
  for (int i = 0; i < 15; ++i) msg.push_back(static_cast<char>(i));
  EXPECT_EQ(SipHash24(key, msg), 0xa129ca6149be45e5ULL);
}

}  // namespace
}  // namespace lmdbapi::storage
