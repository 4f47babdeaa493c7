// Verification of signed bearer tokens: JWTs (RFC 7519) in JWS compact form
// signed RS256 or ES256 by a key of --jwks_file (its "kid" picks the key,
// its "alg" must be the key's), with "iss" --jwt_issuer, "aud" (or one of
// them) --jwt_audience, "exp" in the future and "nbf" (when present) in the
// past, each with a leeway for clocks apart. Its identity is its "sub".
//
// A verified token is remembered (up to kMaxVerified, then all are
// forgotten at once) with its validity window and the key set that
// verified it, so a client sending the same token on every call pays for
// the signature check once, while expiry and a key rotation still apply.
#ifndef LMDBAPI_SERVER_ACCESS_TOKEN_VERIFIER_H_
#define LMDBAPI_SERVER_ACCESS_TOKEN_VERIFIER_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/access/identity.h"
#include "server/access/jwks.h"
#include "server/access/watched_file.h"

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

  // When a token is valid: [from, until] (nbf, exp), before the leeway.
  struct Window {
    absl::Time from = absl::InfinitePast();
    absl::Time until;
  };
  static constexpr size_t kMaxVerified = 4096;

 private:
  struct Verified {
    Identity identity;
    Window window;
    std::shared_ptr<const Jwks> keys;  // the set that verified it
  };
  TokenVerifier(Options options, std::unique_ptr<WatchedFile<Jwks>> keys)
      : options_(std::move(options)), keys_(std::move(keys)) {}

  // Everything about `token` but its validity window at a time.
  absl::StatusOr<Verified> VerifyUncached(absl::string_view token,
                                          const Jwks& keys) const;
  // OK when `now` is in `window`, give or take the leeway.
  absl::Status CheckWindow(const Window& window, absl::Time now) const;

  Options options_;
  std::unique_ptr<WatchedFile<Jwks>> keys_;
  mutable absl::Mutex mu_;
  // Tokens verified before, by their text.
  mutable absl::flat_hash_map<std::string, Verified> verified_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace lmdbapi::server::access

#endif  // LMDBAPI_SERVER_ACCESS_TOKEN_VERIFIER_H_
