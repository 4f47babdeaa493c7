// Who is calling, once authenticated: the holder of --auth_token (subject
// "token"), the subject of a verified JWT, or the subject of a verified
// client certificate. The access policy matches identities (policy.h).
#ifndef LMDBAPI_SERVER_ACCESS_IDENTITY_H_
#define LMDBAPI_SERVER_ACCESS_IDENTITY_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace lmdbapi::server::access {

struct Identity {
  enum class Kind { kToken, kJwt, kCertificate };

  Kind kind = Kind::kToken;
  // "token", a JWT's "sub", or a certificate's subject ("CN=...,O=...").
  std::string subject;
  // A JWT's claims as (name, value) pairs: a string claim once, a list of
  // strings once per element, numbers and booleans as their JSON text.
  std::vector<std::pair<std::string, std::string>> claims;
};

// The subject of the static bearer token (--auth_token).
inline constexpr absl::string_view kStaticTokenSubject = "token";

inline absl::string_view KindName(Identity::Kind kind) {
  switch (kind) {
    case Identity::Kind::kToken:
      return "token";
    case Identity::Kind::kJwt:
      return "jwt";
    case Identity::Kind::kCertificate:
      return "certificate";
  }
  return "?";
}

}  // namespace lmdbapi::server::access

#endif  // LMDBAPI_SERVER_ACCESS_IDENTITY_H_
