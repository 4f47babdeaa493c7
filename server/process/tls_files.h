// The TLS files of the flags, checked once at start: each a readable PEM
// file, and the key the one of the certificate, so that a mistake stops the
// start naming the flag (the certificate watcher would only log it and fail
// every handshake).
#ifndef LMDBAPI_SERVER_PROCESS_TLS_FILES_H_
#define LMDBAPI_SERVER_PROCESS_TLS_FILES_H_

#include "absl/status/status.h"
#include "server/process/config.h"

namespace lmdbapi::server {

// OK when --tls_cert holds a certificate (chain), --tls_key the private key
// of its first certificate and --tls_client_ca (if given) a certificate;
// INVALID_ARGUMENT naming the flag and the file otherwise. Nothing to check
// without --tls_cert.
absl::Status CheckTlsFiles(const Config& config);

// The same for the files of the server's own calls: --peer_ca a certificate,
// --peer_cert/--peer_key (if given) a certificate and its key. Nothing to
// check without --peer_ca.
absl::Status CheckPeerTlsFiles(const Config& config);

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_PROCESS_TLS_FILES_H_
