// A JSON Web Key Set (RFC 7517) of public signing keys, and the check of a
// JWS signature (RFC 7515) against its key: RS256 (RSA PKCS#1 v1.5 with
// SHA-256) and ES256 (ECDSA P-256 with SHA-256), verified with OpenSSL.
// Keys of other types or algorithms in the set are skipped, so a set shared
// with other services can hold them.
#ifndef LMDBAPI_SERVER_ACCESS_JWKS_H_
#define LMDBAPI_SERVER_ACCESS_JWKS_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace lmdbapi::server::access {

class Jwks {
 public:
  // INVALID_ARGUMENT naming the key ("keys[2].n: ...") when the JSON is not
  // a key set or a key of a supported type is malformed.
  static absl::StatusOr<Jwks> Parse(absl::string_view json);

  // OK when `signature` (as in the JWS: ES256's is r||s) signs `data` with
  // key `kid` under `alg`; UNAUTHENTICATED saying why not (unknown kid, alg
  // not the key's, bad signature).
  absl::Status Verify(absl::string_view kid, absl::string_view alg,
                      absl::string_view data,
                      absl::string_view signature) const;

  size_t size() const { return keys_.size(); }

 private:
  struct Key {
    std::string alg;  // "RS256" or "ES256"
    std::shared_ptr<evp_pkey_st> key;
  };
  std::map<std::string, Key, std::less<>> keys_;  // by kid
};

}  // namespace lmdbapi::server::access

#endif  // LMDBAPI_SERVER_ACCESS_JWKS_H_
