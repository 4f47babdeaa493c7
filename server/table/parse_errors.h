// A request that does not parse (a proto3 string that is not UTF-8, or bytes
// that are no message) is INVALID_ARGUMENT naming the field, rather than what
// gRPC 1.51 answers: UNIMPLEMENTED with no message from a callback handler,
// INTERNAL with no message from a synchronous one (Admin).
#ifndef LMDBAPI_SERVER_TABLE_PARSE_ERRORS_H_
#define LMDBAPI_SERVER_TABLE_PARSE_ERRORS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_interceptor.h"
#include "server/table/byte_buffer_view.h"

namespace lmdbapi::server {

// Installs protobuf's log handler that notes, per thread, the field protobuf
// names when it refuses a string that is not UTF-8 (and keeps that line out
// of the server's log: the client is told). Call once, before serving.
void NoteInvalidUtf8Fields();

// The field noted on this thread since the last call (then forgotten), or
// "": a stream's reader asks it when a read fails, to tell a message that
// did not parse from the end of the stream.
std::string TakeInvalidUtf8Field();

// The interceptor factory rewriting the UNIMPLEMENTED or INTERNAL status
// with no message of a method of `services` (full names of services the
// server implements: a method there exists, so its request did not parse
// and gRPC ran no handler) into ParseError's. The parse and the status happen
// on one thread, so the field noted there is the call's. The methods in
// `raw` (full names, "/pkg.Service/Method") parse their own requests with
// ParseRequest and get no interceptor.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
ParseErrorInterceptor(const std::vector<std::string>& services,
                      const absl::flat_hash_set<std::string>& raw = {});

// INVALID_ARGUMENT for a request of `method` that did not parse; `field`
// is protobuf's full name of the string that was not UTF-8 (e.g.
// "lmdbapi.examples.permits.Permit.client"), or "" when none was noted:
// "field 'client' (lmdbapi.examples.permits.Permit.client) is not valid
// UTF-8: ..." or "the request to <method> does not parse as its message".
absl::Status ParseError(absl::string_view method, absl::string_view field);

// A method named by its service and itself, joined ("/pkg.Service/Method")
// only when an error names it, so that a call that parses builds no string.
// An empty `service` names the method alone.
struct MethodPath {
  absl::string_view service;
  absl::string_view method;

  std::string Joined() const;
};

// Parses a raw method's request `bytes` into `request`: OK, or ParseError's
// for `method`, naming the string that was not UTF-8 when there was one.
absl::Status ParseRequest(const grpc::ByteBuffer& bytes, MethodPath method,
                          google::protobuf::Message* request);
// The same, leaving `view` on the bytes parsed (their wire form stays
// readable while `view` lives).
absl::Status ParseRequest(const grpc::ByteBuffer& bytes, MethodPath method,
                          google::protobuf::Message* request,
                          ByteBufferView* view);

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_PARSE_ERRORS_H_
