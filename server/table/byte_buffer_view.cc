// ByteBufferView: a single slice is viewed in place; several are joined once.
#include "server/table/byte_buffer_view.h"

namespace lmdbapi::server {

bool ByteBufferView::Read(const grpc::ByteBuffer& buffer) {
  slices_.clear();
  bytes_ = absl::string_view();
  if (!buffer.Dump(&slices_).ok()) return false;
  if (slices_.size() == 1) {
    const grpc::Slice& s = slices_.front();
    bytes_ =
        absl::string_view(reinterpret_cast<const char*>(s.begin()), s.size());
    return true;
  }
  joined_.clear();
  for (const grpc::Slice& s : slices_) {
    joined_.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  bytes_ = joined_;
  return true;
}

grpc::ByteBuffer ByteBufferOf(absl::string_view bytes) {
  grpc::Slice slice(bytes.data(), bytes.size());
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace lmdbapi::server
