// Test keys and tokens for server/access: RS256 and ES256 key pairs made
// with OpenSSL at test time, their JWKS entries, and JWTs signed with them.
#ifndef LMDBAPI_TESTS_SERVER_JWT_TEST_KEYS_H_
#define LMDBAPI_TESTS_SERVER_JWT_TEST_KEYS_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"

struct evp_pkey_st;

namespace lmdbapi::testing {

class TestKey {
 public:
  // A new key pair: alg "RS256" (RSA 2048) or "ES256" (P-256).
  TestKey(std::string kid, std::string alg);

  // This key's public JWK, a JSON object.
  std::string Jwk() const;
  // The JWT of `claims_json` (a JSON object) with header {alg, kid};
  // `header_alg` overrides the header's alg when not empty.
  std::string Sign(absl::string_view claims_json,
                   absl::string_view header_alg = "") const;

  const std::string& kid() const { return kid_; }

 private:
  std::string kid_, alg_;
  std::shared_ptr<evp_pkey_st> key_;
};

// {"keys": [...]} of the keys' JWKs.
std::string JwksOf(std::initializer_list<const TestKey*> keys);

// base64url without padding.
std::string Base64Url(absl::string_view bytes);

}  // namespace lmdbapi::testing

#endif  // LMDBAPI_TESTS_SERVER_JWT_TEST_KEYS_H_
