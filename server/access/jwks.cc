// JWKS parsing (protobuf's JSON parser into a Struct) and JWS signature
// checks with OpenSSL 3's EVP interface.
#include "server/access/jwks.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace lmdbapi::server::access {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Bignum = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ParamBuilder =
    std::unique_ptr<OSSL_PARAM_BLD,
                    Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using Params =
    std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using PkeyContext =
    std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using MdContext =
    std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using EcdsaSig = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

// The string member `name` of `object`, or empty.
std::string Member(const Struct& object, const std::string& name) {
  auto it = object.fields().find(name);
  if (it == object.fields().end()) return "";
  return it->second.string_value();
}

// The base64url member `name` of key `where`, decoded; INVALID_ARGUMENT
// naming it when absent or not base64url.
absl::StatusOr<std::string> Bytes(const Struct& key, const std::string& name,
                                  absl::string_view where) {
  std::string bytes;
  std::string text = Member(key, name);
  if (text.empty() || !absl::WebSafeBase64Unescape(text, &bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".", name, ": required, base64url"));
  }
  return bytes;
}

Bignum ToBignum(const std::string& bytes) {
  return Bignum(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()), nullptr));
}

// An EVP_PKEY of `type` ("RSA" or "EC") from its public parameters.
absl::StatusOr<std::shared_ptr<EVP_PKEY>> FromParams(const char* type,
                                                     const ParamBuilder& build,
                                                     absl::string_view where) {
  Params params(OSSL_PARAM_BLD_to_param(build.get()));
  PkeyContext context(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (params == nullptr || context == nullptr ||
      EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": not a valid ", type, " public key"));
  }
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> RsaKey(const Struct& jwk,
                                                 absl::string_view where) {
  LMDBAPI_ASSIGN_OR_RETURN(std::string n, Bytes(jwk, "n", where));
  LMDBAPI_ASSIGN_OR_RETURN(std::string e, Bytes(jwk, "e", where));
  if (n.size() < 256) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ".n: an RSA key of ", n.size() * 8, " bits; expects >= 2048"));
  }
  Bignum bn_n = ToBignum(n), bn_e = ToBignum(e);
  ParamBuilder build(OSSL_PARAM_BLD_new());
  if (build == nullptr ||
      !OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
      !OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get())) {
    return absl::InternalError("OpenSSL: cannot build RSA parameters");
  }
  return FromParams("RSA", build, where);
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> EcKey(const Struct& jwk,
                                                absl::string_view where) {
  LMDBAPI_ASSIGN_OR_RETURN(std::string x, Bytes(jwk, "x", where));
  LMDBAPI_ASSIGN_OR_RETURN(std::string y, Bytes(jwk, "y", where));
  if (x.size() != 32 || y.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": P-256 x and y are 32 bytes each"));
  }
  std::string point = absl::StrCat("\x04", x, y);  // uncompressed
  ParamBuilder build(OSSL_PARAM_BLD_new());
  if (build == nullptr ||
      !OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                       "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                        point.data(), point.size())) {
    return absl::InternalError("OpenSSL: cannot build EC parameters");
  }
  return FromParams("EC", build, where);
}

// The algorithm a JWK is for: its "alg", else what its type implies;
// empty for keys this server does not verify with (skipped).
std::string AlgorithmOf(const Struct& jwk) {
  std::string kty = Member(jwk, "kty"), alg = Member(jwk, "alg");
  if (Member(jwk, "use") == "enc") return "";
  if (kty == "RSA" && (alg.empty() || alg == "RS256")) return "RS256";
  if (kty == "EC" && Member(jwk, "crv") == "P-256" &&
      (alg.empty() || alg == "ES256")) {
    return "ES256";
  }
  return "";
}

// A JWS ES256 signature (r||s, 32 bytes each) as the DER OpenSSL checks.
std::string EcdsaDer(absl::string_view raw) {
  if (raw.size() != 64) return "";
  auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  EcdsaSig sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes, 32, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + 32, 32, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr ||
      ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return "";
  }
  unsigned char* der = nullptr;
  int size = i2d_ECDSA_SIG(sig.get(), &der);
  if (size <= 0) return "";
  std::string out(reinterpret_cast<char*>(der), size);
  OPENSSL_free(der);
  return out;
}

}  // namespace

absl::StatusOr<Jwks> Jwks::Parse(absl::string_view json) {
  Struct set;
  auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &set);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not JSON: ", parsed.message().ToString()));
  }
  auto keys = set.fields().find("keys");
  if (keys == set.fields().end() || !keys->second.has_list_value()) {
    return absl::InvalidArgumentError("keys: required, a list of keys");
  }
  Jwks out;
  int i = 0;
  for (const Value& value : keys->second.list_value().values()) {
    std::string where = absl::StrCat("keys[", i++, "]");
    const Struct& jwk = value.struct_value();
    std::string alg = AlgorithmOf(jwk);
    if (alg.empty()) continue;
    std::string kid = Member(jwk, "kid");
    if (kid.empty() || out.keys_.count(kid) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".kid: required, and unique in the set"));
    }
    absl::StatusOr<std::shared_ptr<EVP_PKEY>> key =
        alg == "RS256" ? RsaKey(jwk, where) : EcKey(jwk, where);
    if (!key.ok()) return key.status();
    out.keys_[kid] = Key{alg, *std::move(key)};
  }
  return out;
}

absl::Status Jwks::Verify(absl::string_view kid, absl::string_view alg,
                          absl::string_view data,
                          absl::string_view signature) const {
  auto it = keys_.find(kid);
  if (it == keys_.end()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "the token's key id (kid) '", kid, "' is not in the key set"));
  }
  if (it->second.alg != alg) {
    return absl::UnauthenticatedError(absl::StrCat(
        "the token's alg '", alg, "' is not its key's (", it->second.alg, ")"));
  }
  std::string der;
  if (alg == "ES256") {
    der = EcdsaDer(signature);
    signature = der;
  }
  MdContext md(EVP_MD_CTX_new());
  bool good =
      md != nullptr && !signature.empty() &&
      EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr,
                           it->second.key.get()) == 1 &&
      EVP_DigestVerify(
          md.get(), reinterpret_cast<const unsigned char*>(signature.data()),
          signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
          data.size()) == 1;
  if (!good) {
    // OpenSSL's queue is per thread: leave nothing for gRPC's TLS to find.
    ERR_clear_error();
    return absl::UnauthenticatedError("the token's signature is not valid");
  }
  return absl::OkStatus();
}

}  // namespace lmdbapi::server::access
