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

// OK when the file of --`cert_flag` holds a certificate (chain) and that of
// --`key_flag` the private key of its first certificate.
absl::Status CheckPair(const char* cert_flag, const std::string& cert_path,
                       const char* key_flag, const std::string& key_path) {
  LMDBAPI_ASSIGN_OR_RETURN(Certificate cert,
                           FirstCertificate(cert_flag, cert_path));
  LMDBAPI_ASSIGN_OR_RETURN(Bio key_file, Open(key_flag, key_path));
  // No passphrase callback: an encrypted key is refused here, as gRPC would.
  PrivateKey key(
      PEM_read_bio_PrivateKey(key_file.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return Bad(key_flag, key_path, "holds no unencrypted PEM private key");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return Bad(key_flag, key_path,
               absl::StrCat("is not the key of the certificate in --",
                            cert_flag, " ", cert_path));
  }
  return absl::OkStatus();
}

// What a failed read leaves in OpenSSL's (per thread) error queue is not
// gRPC's to find later.
struct ClearErrors {
  ~ClearErrors() { ERR_clear_error(); }
};

}  // namespace

absl::Status CheckTlsFiles(const Config& config) {
  if (config.tls_cert.empty()) return absl::OkStatus();
  ClearErrors clear_errors;
  LMDBAPI_RETURN_IF_ERROR(
      CheckPair("tls_cert", config.tls_cert, "tls_key", config.tls_key));
  if (!config.tls_client_ca.empty()) {
    LMDBAPI_RETURN_IF_ERROR(
        FirstCertificate("tls_client_ca", config.tls_client_ca).status());
  }
  return absl::OkStatus();
}

absl::Status CheckPeerTlsFiles(const Config& config) {
  if (config.peer_ca.empty()) return absl::OkStatus();
  ClearErrors clear_errors;
  LMDBAPI_RETURN_IF_ERROR(FirstCertificate("peer_ca", config.peer_ca).status());
  if (config.peer_cert.empty()) return absl::OkStatus();
  return CheckPair("peer_cert", config.peer_cert, "peer_key", config.peer_key);
}

}  // namespace lmdbapi::server
