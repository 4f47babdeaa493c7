// server/access/token_verifier.h: JWTs signed RS256 and ES256 by keys made
// here are accepted, and every way a token can be wrong is refused with
// UNAUTHENTICATED saying what is wrong, never quoting the token.
#include "server/access/token_verifier.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/substitute.h"
#include "gtest/gtest.h"
#include "tests/server/jwt_test_keys.h"

namespace lmdbapi::server::access {
namespace {

using ::lmdbapi::testing::JwksOf;
using ::lmdbapi::testing::TestKey;

const absl::Time kNow = absl::FromUnixSeconds(1800000000);

void WriteFile(const std::string& path, const std::string& text) {
  std::string temporary = path + ".new";
  std::ofstream(temporary) << text;
  std::filesystem::rename(temporary, path);  // as a rotation would
}

// Claims valid at kNow, with `extra` members appended.
std::string Claims(absl::string_view extra = "",
                   int64_t exp = absl::ToUnixSeconds(kNow) + 300) {
  return absl::Substitute(
      R"({"iss":"https://issuer.test","aud":"lmdbapi","sub":"svc-reports",)"
      R"("exp":$0,"groups":["ops","audit"]$1})",
      exp, extra);
}

class TokenVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "/jwks-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() +
            ".json";
    WriteFile(path_, JwksOf({&rsa_, &ec_}));
    TokenVerifier::Options options;
    options.jwks_file = path_;
    options.issuer = "https://issuer.test";
    options.audience = "lmdbapi";
    absl::StatusOr<std::unique_ptr<TokenVerifier>> verifier =
        TokenVerifier::Create(options, kNow);
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    verifier_ = *std::move(verifier);
  }

  // The refusal of `token` at `now`: its message, after checking the code
  // and that the token is not in it.
  std::string Refusal(const std::string& token, absl::Time now = kNow) {
    absl::StatusOr<Identity> identity = verifier_->Verify(token, now);
    EXPECT_EQ(identity.status().code(), absl::StatusCode::kUnauthenticated)
        << identity.status();
    EXPECT_EQ(std::string(identity.status().message()).find(token),
              std::string::npos);
    return std::string(identity.status().message());
  }

  TestKey rsa_{"rsa-1", "RS256"};
  TestKey ec_{"ec-1", "ES256"};
  std::string path_;
  std::unique_ptr<TokenVerifier> verifier_;
};

TEST_F(TokenVerifierTest, AcceptsRs256TokenAsItsSubjectWithClaims) {
  absl::StatusOr<Identity> identity =
      verifier_->Verify(rsa_.Sign(Claims()), kNow);
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->kind, Identity::Kind::kJwt);
  EXPECT_EQ(identity->subject, "svc-reports");
  std::pair<std::string, std::string> ops("groups", "ops");
  EXPECT_NE(std::find(identity->claims.begin(), identity->claims.end(), ops),
            identity->claims.end());
}

TEST_F(TokenVerifierTest, AcceptsEs256Token) {
  absl::StatusOr<Identity> identity =
      verifier_->Verify(ec_.Sign(Claims()), kNow);
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->subject, "svc-reports");
}

TEST_F(TokenVerifierTest, AcceptsAudienceList) {
  std::string claims = absl::StrCat(
      R"({"iss":"https://issuer.test","aud":["other","lmdbapi"],"sub":"a",)",
      R"("exp":)", absl::ToUnixSeconds(kNow) + 60, "}");
  EXPECT_TRUE(verifier_->Verify(rsa_.Sign(claims), kNow).ok());
}

TEST_F(TokenVerifierTest, RefusesExpiredTokenPastTheLeeway) {
  std::string token = rsa_.Sign(Claims("", absl::ToUnixSeconds(kNow) - 10));
  EXPECT_TRUE(verifier_->Verify(token, kNow).ok());  // within 30 s
  EXPECT_NE(Refusal(token, kNow + absl::Seconds(25)).find("expired"),
            std::string::npos);
}

TEST_F(TokenVerifierTest, RefusesTokenNotValidYet) {
  std::string token = ec_.Sign(
      Claims(absl::StrCat(R"(,"nbf":)", absl::ToUnixSeconds(kNow) + 120)));
  EXPECT_NE(Refusal(token).find("not valid yet"), std::string::npos);
  EXPECT_TRUE(verifier_->Verify(token, kNow + absl::Seconds(100)).ok());
}

TEST_F(TokenVerifierTest, RefusesTokenWithoutExpiry) {
  std::string claims =
      R"({"iss":"https://issuer.test","aud":"lmdbapi","sub":"a"})";
  EXPECT_NE(Refusal(rsa_.Sign(claims)).find("no expiry"), std::string::npos);
}

TEST_F(TokenVerifierTest, RefusesWrongIssuerAndAudience) {
  std::string exp = absl::StrCat(absl::ToUnixSeconds(kNow) + 60);
  EXPECT_NE(
      Refusal(
          rsa_.Sign(absl::StrCat(
              R"({"iss":"https://evil.test","aud":"lmdbapi","sub":"a","exp":)",
              exp, "}")))
          .find("issuer (iss)"),
      std::string::npos);
  EXPECT_NE(
      Refusal(
          rsa_.Sign(absl::StrCat(
              R"({"iss":"https://issuer.test","aud":"other","sub":"a","exp":)",
              exp, "}")))
          .find("audience (aud)"),
      std::string::npos);
}

TEST_F(TokenVerifierTest, RefusesBadSignature) {
  std::string token = rsa_.Sign(Claims());
  // Another payload under the first one's signature.
  std::string forged = rsa_.Sign(Claims(R"(,"role":"admin")"));
  std::string spliced =
      forged.substr(0, forged.rfind('.')) + token.substr(token.rfind('.'));
  EXPECT_NE(Refusal(spliced).find("signature is not valid"), std::string::npos);
  std::string ec_token = ec_.Sign(Claims());
  std::string ec_forged = ec_.Sign(Claims(R"(,"x":1)"));
  EXPECT_NE(Refusal(ec_forged.substr(0, ec_forged.rfind('.')) +
                    ec_token.substr(ec_token.rfind('.')))
                .find("signature is not valid"),
            std::string::npos);
}

TEST_F(TokenVerifierTest, RefusesUnknownKid) {
  TestKey stranger("rsa-9", "RS256");
  EXPECT_NE(
      Refusal(stranger.Sign(Claims())).find("'rsa-9' is not in the key set"),
      std::string::npos);
}

TEST_F(TokenVerifierTest, RefusesAlgOtherThanTheKeys) {
  EXPECT_NE(
      Refusal(rsa_.Sign(Claims(), "ES256")).find("is not its key's (RS256)"),
      std::string::npos);
  EXPECT_NE(Refusal(rsa_.Sign(Claims(), "none")).find("alg 'none'"),
            std::string::npos);
}

TEST_F(TokenVerifierTest, RefusesWhatIsNoJwt) {
  EXPECT_NE(Refusal("a.b").find("not valid"), std::string::npos);
  EXPECT_NE(Refusal("!!.e30.e30").find("not base64url JSON"),
            std::string::npos);
}

TEST_F(TokenVerifierTest, TakesRotatedKeysFromDiskWithinASecond) {
  std::string old = rsa_.Sign(Claims());
  ASSERT_TRUE(verifier_->Verify(old, kNow).ok());  // and remembered
  TestKey next("rsa-2", "RS256");
  std::string token = next.Sign(Claims());
  EXPECT_NE(Refusal(token).find("not in the key set"), std::string::npos);
  WriteFile(path_, JwksOf({&next}));
  // Looked at most once a second: not yet at the same instant.
  EXPECT_FALSE(verifier_->Verify(token, kNow + absl::Milliseconds(500)).ok());
  EXPECT_TRUE(verifier_->Verify(token, kNow + absl::Seconds(2)).ok());
  // The old key is gone: a token it verified before is refused now.
  EXPECT_NE(Refusal(old, kNow + absl::Seconds(2)).find("not in the key set"),
            std::string::npos);
}

TEST_F(TokenVerifierTest, RemembersTokensButStillExpiresThem) {
  std::string token = ec_.Sign(Claims("", absl::ToUnixSeconds(kNow) + 60));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(verifier_->Verify(token, kNow).ok());
  EXPECT_NE(Refusal(token, kNow + absl::Seconds(90)).find("expired"),
            std::string::npos);
}

TEST_F(TokenVerifierTest, KeepsKeysWhenTheRotatedFileIsBroken) {
  WriteFile(path_, R"({"keys": [{"kty":"RSA","kid":"x","n":"AQAB"}]})");
  EXPECT_TRUE(
      verifier_->Verify(rsa_.Sign(Claims()), kNow + absl::Seconds(2)).ok());
}

TEST(TokenVerifierCreateTest, NamesTheFileAndKeyOfABadKeySet) {
  std::string path = ::testing::TempDir() + "/bad-jwks.json";
  WriteFile(path,
            R"({"keys": [{"kty":"EC","crv":"P-256","kid":"e","x":"AA"}]})");
  TokenVerifier::Options options{path, "iss", "aud"};
  absl::Status status = TokenVerifier::Create(options, kNow).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find(path), absl::string_view::npos) << status;
  EXPECT_NE(status.message().find("keys[0]"), absl::string_view::npos)
      << status;
}

TEST(TokenVerifierCreateTest, NeedsIssuerAndAudience) {
  TokenVerifier::Options options{"/nonexistent", "", "aud"};
  EXPECT_NE(TokenVerifier::Create(options, kNow)
                .status()
                .message()
                .find("--jwt_issuer"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace lmdbapi::server::access
