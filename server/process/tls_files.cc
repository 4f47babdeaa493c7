#include "server/process/tls_files.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/status_macros.h"

namespace lmdbapi::server {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Certificate = std::unique_ptr<X509, X509Free>;
using PrivateKey = std::unique_ptr<EVP_PKEY, KeyFree>;

absl::Status Bad(const char* flag, const std::string& path,
                 absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, ": '", path, "' ", what));
}

// The file at `path` (the value of --`flag`), opened for PEM reading.
absl::StatusOr<Bio> Open(const char* flag, const std::string& path) {
  Bio bio(BIO_new_file(path.c_str(), "r"));
  if (bio == nullptr) return Bad(flag, path, "is not a readable file");
  return bio;
}

// The first certificate in the PEM file (other PEM blocks, such as a key in
// a combined file, are skipped).
absl::StatusOr<Certificate> FirstCertificate(const char* flag,
                                             const std::string& path) {
  LMDBAPI_ASSIGN_OR_RETURN(Bio bio, Open(flag, path));
  Certificate cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) return Bad(flag, path, "holds no PEM certificate");
  return cert;
}

}  // namespace

absl::Status CheckTlsFiles(const Config& config) {
  if (config.tls_cert.empty()) return absl::OkStatus();
  // What a failed read leaves in OpenSSL's (per thread) error queue is not
  // gRPC's to find later.
  struct ClearErrors {
    ~ClearErrors() { ERR_clear_error(); }
  } clear_errors;
  LMDBAPI_ASSIGN_OR_RETURN(Certificate cert,
                           FirstCertificate("tls_cert", config.tls_cert));
  LMDBAPI_ASSIGN_OR_RETURN(Bio key_file, Open("tls_key", config.tls_key));
  // No passphrase callback: an encrypted key is refused here, as gRPC would.
  PrivateKey key(
      PEM_read_bio_PrivateKey(key_file.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return Bad("tls_key", config.tls_key,
               "holds no unencrypted PEM private key");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return Bad("tls_key", config.tls_key,
               absl::StrCat("is not the key of the certificate in --tls_cert ",
                            config.tls_cert));
  }
  if (!config.tls_client_ca.empty()) {
    LMDBAPI_RETURN_IF_ERROR(
        FirstCertificate("tls_client_ca", config.tls_client_ca).status());
  }
  return absl::OkStatus();
}

}  // namespace lmdbapi::server
