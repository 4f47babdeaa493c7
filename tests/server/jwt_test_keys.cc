// OpenSSL 3 key generation and signing for the server/access tests.
#include "tests/server/jwt_test_keys.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <cstdlib>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace lmdbapi::testing {
namespace {

std::string BnParam(EVP_PKEY* key, const char* name, int size = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) std::abort();
  int n = size > 0 ? size : BN_num_bytes(bn);
  std::string out(n, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), n);
  BN_free(bn);
  return out;
}

// DER ECDSA signature -> JWS r||s.
std::string RawEcdsa(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (sig == nullptr) std::abort();
  std::string out(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig),
               reinterpret_cast<unsigned char*>(out.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig),
               reinterpret_cast<unsigned char*>(out.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return out;
}

}  // namespace

std::string Base64Url(absl::string_view bytes) {
  std::string out;
  absl::WebSafeBase64Escape(bytes, &out);  // unpadded
  return out;
}

TestKey::TestKey(std::string kid, std::string alg)
    : kid_(std::move(kid)), alg_(std::move(alg)) {
  EVP_PKEY* key = alg_ == "RS256" ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
  if (key == nullptr) std::abort();
  key_.reset(key, EVP_PKEY_free);
}

std::string TestKey::Jwk() const {
  if (alg_ == "RS256") {
    return absl::StrCat(
        R"({"kty":"RSA","use":"sig","alg":"RS256","kid":")", kid_, R"(","n":")",
        Base64Url(BnParam(key_.get(), OSSL_PKEY_PARAM_RSA_N)), R"(","e":")",
        Base64Url(BnParam(key_.get(), OSSL_PKEY_PARAM_RSA_E)), R"("})");
  }
  return absl::StrCat(
      R"({"kty":"EC","crv":"P-256","kid":")", kid_, R"(","x":")",
      Base64Url(BnParam(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32)),
      R"(","y":")",
      Base64Url(BnParam(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32)), R"("})");
}

std::string TestKey::Sign(absl::string_view claims_json,
                          absl::string_view header_alg) const {
  std::string header =
      absl::StrCat(R"({"typ":"JWT","alg":")",
                   header_alg.empty() ? alg_ : std::string(header_alg),
                   R"(","kid":")", kid_, R"("})");
  std::string input =
      absl::StrCat(Base64Url(header), ".", Base64Url(claims_json));
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  size_t size = 0;
  EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, key_.get());
  EVP_DigestSign(md, nullptr, &size,
                 reinterpret_cast<const unsigned char*>(input.data()),
                 input.size());
  std::string signature(size, '\0');
  if (EVP_DigestSign(md, reinterpret_cast<unsigned char*>(signature.data()),
                     &size,
                     reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    std::abort();
  }
  EVP_MD_CTX_free(md);
  signature.resize(size);
  if (alg_ == "ES256") signature = RawEcdsa(signature);
  return absl::StrCat(input, ".", Base64Url(signature));
}

std::string JwksOf(std::initializer_list<const TestKey*> keys) {
  std::vector<std::string> jwks;
  for (const TestKey* key : keys) jwks.push_back(key->Jwk());
  return absl::StrCat(R"({"keys":[)", absl::StrJoin(jwks, ","), "]}");
}

}  // namespace lmdbapi::testing
