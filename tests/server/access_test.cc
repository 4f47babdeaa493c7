// server/access/access.h: which credential makes which identity (static
// token "token", JWT, client certificate), what is refused before any
// policy, and that without credentials configured everything is open.
#include "server/access/access.h"

#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/server/jwt_test_keys.h"

namespace lmdbapi::server::access {
namespace {

TEST(AccessTest, WithoutCredentialsEverythingIsOpen) {
  Access open;
  EXPECT_FALSE(open.enabled());
}

TEST(AccessTest, StaticTokenIsIdentityToken) {
  Access::Options options;
  options.static_token = "s3cret";
  auto access = Access::Create(options);
  ASSERT_TRUE(access.ok()) << access.status();
  absl::StatusOr<Identity> identity =
      (*access)->Authenticate("Bearer s3cret", "");
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->kind, Identity::Kind::kToken);
  EXPECT_EQ(identity->subject, "token");
  absl::Status wrong = (*access)->Authenticate("Bearer s3cres", "").status();
  EXPECT_EQ(wrong.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(wrong.message(), "the bearer token is not valid");
  absl::Status none = (*access)->Authenticate(std::nullopt, "").status();
  EXPECT_EQ(none.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(none.message().find("requires a bearer token"),
            absl::string_view::npos);
  EXPECT_EQ((*access)->Authenticate("Basic czNjcmV0", "").status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(AccessTest, VerifiedCertificateSubjectIsAnIdentity) {
  Access::Options options;
  options.static_token = "s3cret";
  auto access = Access::Create(options);
  ASSERT_TRUE(access.ok());
  absl::StatusOr<Identity> identity =
      (*access)->Authenticate(std::nullopt, "CN=backup-job,O=Example");
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->kind, Identity::Kind::kCertificate);
  EXPECT_EQ(identity->subject, "CN=backup-job,O=Example");
  // A bearer token sent decides, even beside a certificate.
  EXPECT_FALSE(
      (*access)->Authenticate("Bearer nope", "CN=backup-job,O=Example").ok());
}

TEST(AccessTest, JwtAndPolicyTogether) {
  testing::TestKey key("k1", "ES256");
  std::string dir = ::testing::TempDir();
  std::ofstream(dir + "/access-jwks.json") << testing::JwksOf({&key});
  std::ofstream(dir + "/access-policy.json") << R"({
    "roles": [{"name": "reader", "grants": [{"tables": ["permits"],
                                              "permissions": ["read"]}]}],
    "bindings": [{"subject": "svc-reports", "roles": ["reader"]}]})";
  Access::Options options;
  options.jwks_file = dir + "/access-jwks.json";
  options.jwt_issuer = "iss";
  options.jwt_audience = "aud";
  options.policy_file = dir + "/access-policy.json";
  options.tables = {"permits"};
  auto access = Access::Create(options);
  ASSERT_TRUE(access.ok()) << access.status();
  absl::Time now = absl::Now();
  std::string token = key.Sign(
      absl::StrCat(R"({"iss":"iss","aud":"aud","sub":"svc-reports","exp":)",
                   absl::ToUnixSeconds(now) + 60, "}"));
  absl::StatusOr<Identity> identity =
      (*access)->Authenticate("Bearer " + token, "", now);
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_TRUE((*access)->Permit(*identity, "permits", Permission::kRead).ok());
  EXPECT_EQ((*access)->Permit(*identity, "permits", Permission::kWrite).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(AccessTest, IssuerWithoutKeysIsAFlagError) {
  Access::Options options;
  options.jwt_issuer = "iss";
  EXPECT_EQ(Access::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lmdbapi::server::access
