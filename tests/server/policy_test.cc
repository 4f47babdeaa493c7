// server/access/policy.h: a read-only role on one table grants read there
// and nothing else; bindings by subject, certificate and claim; a bad policy
// is refused naming the field.
#include "server/access/policy.h"

#include "gtest/gtest.h"

namespace lmdbapi::server::access {
namespace {

const std::vector<std::string> kTables = {"permits", "inspections"};

constexpr char kPolicy[] = R"({
  "roles": [
    {"name": "reader",
     "grants": [{"tables": ["permits"], "permissions": ["read"]}]},
    {"name": "operator",
     "grants": [{"tables": ["*"], "permissions": ["read", "write", "admin"]}]}
  ],
  "bindings": [
    {"subject": "svc-reports", "roles": ["reader"]},
    {"certificate": "CN=backup-job,O=Example", "roles": ["operator"]},
    {"claim": "groups=ops", "roles": ["operator"]}
  ]
})";

Identity Bearer(std::string subject) {
  Identity identity;
  identity.kind = Identity::Kind::kJwt;
  identity.subject = std::move(subject);
  return identity;
}

class PolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<Policy> policy = Policy::Parse(kPolicy, kTables);
    ASSERT_TRUE(policy.ok()) << policy.status();
    policy_.emplace(*std::move(policy));
  }
  std::optional<Policy> policy_;
};

TEST_F(PolicyTest, ReaderReadsItsTableOnly) {
  Identity reports = Bearer("svc-reports");
  EXPECT_TRUE(policy_->Check(reports, "permits", Permission::kRead).ok());
  absl::Status write = policy_->Check(reports, "permits", Permission::kWrite);
  EXPECT_EQ(write.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(write.message(),
            "identity 'svc-reports' (role 'reader') lacks write on table "
            "'permits'");
  EXPECT_EQ(policy_->Check(reports, "inspections", Permission::kRead).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(policy_->Check(reports, kEveryTable, Permission::kAdmin).message(),
            "identity 'svc-reports' (role 'reader') lacks admin on every "
            "table ('*')");
}

TEST_F(PolicyTest, UnboundIdentityHasNoRole) {
  EXPECT_EQ(
      policy_->Check(Bearer("nobody"), "permits", Permission::kRead).message(),
      "identity 'nobody' (no role) lacks read on table 'permits'");
}

TEST(PolicyStaticTokenTest, SubjectTokenIsTheStaticTokensAlone) {
  absl::StatusOr<Policy> policy = Policy::Parse(R"({
    "roles": [{"name": "all", "grants": [{"tables": ["*"],
                                          "permissions": ["admin"]}]}],
    "bindings": [{"subject": "token", "roles": ["all"]}]})",
                                                kTables);
  ASSERT_TRUE(policy.ok()) << policy.status();
  Identity token;
  token.kind = Identity::Kind::kToken;
  token.subject = "token";
  EXPECT_TRUE(policy->Check(token, kEveryTable, Permission::kAdmin).ok());
  EXPECT_FALSE(
      policy->Check(Bearer("token"), kEveryTable, Permission::kAdmin).ok());
}

TEST_F(PolicyTest, CertificateSubjectBindsOnlyCertificates) {
  Identity certificate;
  certificate.kind = Identity::Kind::kCertificate;
  certificate.subject = "CN=backup-job,O=Example";
  EXPECT_TRUE(
      policy_->Check(certificate, kEveryTable, Permission::kAdmin).ok());
  EXPECT_FALSE(policy_
                   ->Check(Bearer("CN=backup-job,O=Example"), "permits",
                           Permission::kRead)
                   .ok());
}

TEST_F(PolicyTest, ClaimBindsAnyTokenHoldingIt) {
  Identity ops = Bearer("alice");
  ops.claims = {{"groups", "audit"}, {"groups", "ops"}};
  EXPECT_TRUE(policy_->Check(ops, "inspections", Permission::kWrite).ok());
}

// The message of the policy `json`'s refusal, checked INVALID_ARGUMENT.
std::string Refusal(const std::string& json) {
  absl::Status status = Policy::Parse(json, kTables).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << json;
  return std::string(status.message());
}

TEST(PolicyParseTest, BadPolicyNamesTheField) {
  EXPECT_NE(Refusal(R"({"rolez": []})").find("rolez"), std::string::npos);
  EXPECT_EQ(Refusal(R"({"roles": [{"name": "r", "grants": [{"tables":
                ["permits"], "permissions": ["wrte"]}]}]})"),
            "roles[0].grants[0].permissions[0]: 'wrte' is not a permission; "
            "expects read, write or admin");
  EXPECT_NE(Refusal(R"({"roles": [{"name": "r", "grants": [{"tables":
                ["permit"], "permissions": ["read"]}]}]})")
                .find("roles[0].grants[0].tables[0]: no table 'permit'"),
            std::string::npos);
  EXPECT_EQ(Refusal(R"({"bindings": [{"subject": "a", "roles": ["r"]}]})"),
            "bindings[0].roles[0]: no role 'r' in roles");
  EXPECT_EQ(Refusal(R"({"roles": [{"name": "r"}], "bindings": [{"subject":
                "a", "claim": "g=x", "roles": ["r"]}]})"),
            "bindings[0]: needs exactly one of subject, certificate or claim");
  EXPECT_EQ(Refusal(R"({"roles": [{"name": "r"}], "bindings": [{"claim":
                "g", "roles": ["r"]}]})"),
            "bindings[0].claim: expects name=value");
  EXPECT_NE(Refusal(R"({"roles": [{"name": 7}]})").find("name"),
            std::string::npos);
}

}  // namespace
}  // namespace lmdbapi::server::access
