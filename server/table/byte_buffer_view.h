// The bytes of a gRPC ByteBuffer as one contiguous view, for the raw methods
// (Get, Import, Export) and the command line's generic calls, which parse or
// pass on serialized messages themselves.
#ifndef LMDBAPI_SERVER_TABLE_BYTE_BUFFER_VIEW_H_
#define LMDBAPI_SERVER_TABLE_BYTE_BUFFER_VIEW_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"

namespace lmdbapi::server {

// Holds what a view needs alive: the buffer's slices, and their bytes joined
// when there are several (a message gRPC received in pieces). Reusable: each
// Read replaces the last.
class ByteBufferView {
 public:
  // Takes `buffer`'s slices; false if gRPC could not hand them out.
  bool Read(const grpc::ByteBuffer& buffer);

  // The bytes of the buffer last read: valid until the next Read or the
  // view's end.
  absl::string_view bytes() const { return bytes_; }

 private:
  std::vector<grpc::Slice> slices_;
  std::string joined_;
  absl::string_view bytes_;
};

// A buffer holding a copy of `bytes` (a raw method's answer).
grpc::ByteBuffer ByteBufferOf(absl::string_view bytes);
// A buffer holding `bytes`: a large string (a page of records) is taken
// without a copy, its memory freed with the buffer's last slice.
grpc::ByteBuffer ByteBufferOf(std::string&& bytes);
// A buffer holding `head` then `tail`, copied once into one slice.
grpc::ByteBuffer ByteBufferOf(absl::string_view head, absl::string_view tail);

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_BYTE_BUFFER_VIEW_H_
