// Verification of signed bearer tokens: JWTs (RFC 7519) in JWS compact form
// signed RS256 or ES256 by a key of --jwks_file (its "kid" picks the key,
// its "alg" must be the key's), with "iss" --jwt_issuer, "aud" (or one of
// them) --jwt_audience, "exp" in the future and "nbf" (when present) in the
// past, each with a leeway for clocks apart. Its identity is its "sub".
#ifndef LMDBAPI_SERVER_ACCESS_TOKEN_VERIFIER_H_
#define LMDBAPI_SERVER_ACCESS_TOKEN_VERIFIER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/access/identity.h"
#include "server/access/jwks_file.h"

namespace lmdbapi::server::access {

class TokenVerifier {
 public:
  struct Options {
    std::string jwks_file;  // required
    std::string issuer;     // required
    std::string audience;   // required
    absl::Duration leeway = absl::Seconds(30);
  };

  // INVALID_ARGUMENT naming the flag when an option is missing or the key
  // file cannot be read.
  static absl::StatusOr<std::unique_ptr<TokenVerifier>> Create(
      Options options, absl::Time now = absl::Now());

  // The identity of `token` at `now`, or UNAUTHENTICATED saying what is
  // wrong with it (never quoting the token).
  absl::StatusOr<Identity> Verify(absl::string_view token,
                                  absl::Time now = absl::Now()) const;

 private:
  TokenVerifier(Options options, std::unique_ptr<JwksFile> keys)
      : options_(std::move(options)), keys_(std::move(keys)) {}

  Options options_;
  std::unique_ptr<JwksFile> keys_;
};

}  // namespace lmdbapi::server::access

#endif  // LMDBAPI_SERVER_ACCESS_TOKEN_VERIFIER_H_
