// JWT verification: the compact form's three parts, the header's kid and
// alg, the signature (jwks.h), then the claims.
#include "server/access/token_verifier.h"

#include <cmath>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace lmdbapi::server::access {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// A base64url JSON object part of the token; `part` names it in errors.
absl::StatusOr<Struct> Part(absl::string_view text, absl::string_view part) {
  std::string json;
  Struct out;
  if (!absl::WebSafeBase64Unescape(text, &json) ||
      !google::protobuf::util::JsonStringToMessage(json, &out).ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("the bearer token is not a valid JWT: its ", part,
                     " is not base64url JSON"));
  }
  return out;
}

const Value* Claim(const Struct& claims, const std::string& name) {
  auto it = claims.fields().find(name);
  return it == claims.fields().end() ? nullptr : &it->second;
}

std::string String(const Struct& object, const std::string& name) {
  const Value* value = Claim(object, name);
  return value == nullptr ? "" : value->string_value();
}

// OK when "aud" is `audience` or a list holding it.
absl::Status CheckAudience(const Struct& claims, const std::string& audience) {
  const Value* aud = Claim(claims, "aud");
  if (aud != nullptr && aud->string_value() == audience) {
    return absl::OkStatus();
  }
  if (aud != nullptr && aud->has_list_value()) {
    for (const Value& v : aud->list_value().values()) {
      if (v.string_value() == audience) return absl::OkStatus();
    }
  }
  return absl::UnauthenticatedError(absl::StrCat(
      "the token's audience (aud) is not '", audience, "' (--jwt_audience)"));
}

// The token's exp (required) and nbf (optional).
absl::StatusOr<TokenVerifier::Window> WindowOf(const Struct& claims) {
  const Value* exp = Claim(claims, "exp");
  if (exp == nullptr || exp->kind_case() != Value::kNumberValue) {
    return absl::UnauthenticatedError(
        "the token has no expiry (exp, seconds since 1970)");
  }
  TokenVerifier::Window window;
  window.until = absl::FromUnixSeconds(
      static_cast<int64_t>(std::floor(exp->number_value())));
  const Value* nbf = Claim(claims, "nbf");
  if (nbf == nullptr) return window;
  if (nbf->kind_case() != Value::kNumberValue) {
    return absl::UnauthenticatedError(
        "the token's nbf is not a number (seconds since 1970)");
  }
  window.from = absl::FromUnixSeconds(
      static_cast<int64_t>(std::ceil(nbf->number_value())));
  return window;
}

// The claims as (name, value) pairs for the policy's claim bindings.
std::vector<std::pair<std::string, std::string>> Flatten(const Struct& claims) {
  std::vector<std::pair<std::string, std::string>> out;
  auto add = [&out](const std::string& name, const Value& v) {
    if (v.kind_case() == Value::kStringValue) {
      out.emplace_back(name, v.string_value());
    } else if (v.kind_case() == Value::kBoolValue) {
      out.emplace_back(name, v.bool_value() ? "true" : "false");
    } else if (v.kind_case() == Value::kNumberValue) {
      out.emplace_back(name, absl::StrCat(v.number_value()));
    }
  };
  for (const auto& [name, value] : claims.fields()) {
    if (!value.has_list_value()) add(name, value);
    for (const Value& v : value.list_value().values()) add(name, v);
  }
  return out;
}

}  // namespace

namespace {

// The key set of --jwks_file: at least one signing key.
absl::StatusOr<Jwks> ParseKeys(const std::string& text) {
  absl::StatusOr<Jwks> keys = Jwks::Parse(text);
  if (keys.ok() && keys->size() == 0) {
    return absl::InvalidArgumentError("no RS256 or ES256 signing key in it");
  }
  return keys;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TokenVerifier>> TokenVerifier::Create(
    Options options, absl::Time now) {
  for (const auto& [flag, value] :
       {std::pair{"--jwt_issuer", &options.issuer},
        std::pair{"--jwt_audience", &options.audience}}) {
    if (value->empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--jwks_file needs ", flag, " (tokens are checked for it)"));
    }
  }
  LMDBAPI_ASSIGN_OR_RETURN(
      std::unique_ptr<WatchedFile<Jwks>> keys,
      WatchedFile<Jwks>::Open("--jwks_file", options.jwks_file, ParseKeys,
                              now));
  return std::unique_ptr<TokenVerifier>(
      new TokenVerifier(std::move(options), std::move(keys)));
}

absl::Status TokenVerifier::CheckWindow(const Window& window,
                                        absl::Time now) const {
  if (now >= window.until + options_.leeway) {
    return absl::UnauthenticatedError(
        absl::StrCat("the token expired at ",
                     absl::FormatTime(window.until, absl::UTCTimeZone())));
  }
  if (now + options_.leeway < window.from) {
    return absl::UnauthenticatedError(
        absl::StrCat("the token is not valid yet (nbf ",
                     absl::FormatTime(window.from, absl::UTCTimeZone()), ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Identity> TokenVerifier::Verify(absl::string_view token,
                                               absl::Time now) const {
  std::shared_ptr<const Jwks> keys = keys_->Current(now);
  {
    absl::MutexLock lock(&mu_);
    auto hit = verified_.find(token);
    if (hit != verified_.end() && hit->second.keys == keys) {
      LMDBAPI_RETURN_IF_ERROR(CheckWindow(hit->second.window, now));
      return hit->second.identity;
    }
  }
  LMDBAPI_ASSIGN_OR_RETURN(Verified verified, VerifyUncached(token, *keys));
  LMDBAPI_RETURN_IF_ERROR(CheckWindow(verified.window, now));
  verified.keys = std::move(keys);
  absl::MutexLock lock(&mu_);
  if (verified_.size() >= kMaxVerified) verified_.clear();
  verified_[std::string(token)] = verified;
  return verified.identity;
}

absl::StatusOr<TokenVerifier::Verified> TokenVerifier::VerifyUncached(
    absl::string_view token, const Jwks& keys) const {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) {
    return absl::UnauthenticatedError("the bearer token is not valid");
  }
  LMDBAPI_ASSIGN_OR_RETURN(Struct header, Part(parts[0], "header"));
  std::string signature;
  if (!absl::WebSafeBase64Unescape(parts[2], &signature)) {
    return absl::UnauthenticatedError(
        "the bearer token is not a valid JWT: its signature is not base64url");
  }
  if (Claim(header, "crit") != nullptr) {
    return absl::UnauthenticatedError(
        "the token's header has critical (crit) extensions this server does "
        "not know");
  }
  std::string kid = String(header, "kid"), alg = String(header, "alg");
  absl::string_view signed_part(token.data(),
                                parts[0].size() + 1 + parts[1].size());
  LMDBAPI_RETURN_IF_ERROR(keys.Verify(kid, alg, signed_part, signature));
  LMDBAPI_ASSIGN_OR_RETURN(Struct claims, Part(parts[1], "payload"));
  if (String(claims, "iss") != options_.issuer) {
    return absl::UnauthenticatedError(
        absl::StrCat("the token's issuer (iss) is not '", options_.issuer,
                     "' (--jwt_issuer)"));
  }
  LMDBAPI_RETURN_IF_ERROR(CheckAudience(claims, options_.audience));
  Verified out;
  LMDBAPI_ASSIGN_OR_RETURN(out.window, WindowOf(claims));
  out.identity.kind = Identity::Kind::kJwt;
  out.identity.subject = String(claims, "sub");
  if (out.identity.subject.empty()) {
    return absl::UnauthenticatedError("the token has no subject (sub)");
  }
  out.identity.claims = Flatten(claims);
  return out;
}

}  // namespace lmdbapi::server::access
