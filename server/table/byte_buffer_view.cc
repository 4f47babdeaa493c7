// ByteBufferView: a single slice is viewed in place; several are joined once.
#include "server/table/byte_buffer_view.h"

#include <cstring>
#include <utility>

#include "grpc/slice.h"

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

grpc::ByteBuffer ByteBufferOf(std::string&& bytes) {
  // Below this, copying costs less than a second allocation for the
  // string's owner and gRPC's reference count.
  constexpr size_t kTakenFrom = 16 * 1024;
  if (bytes.size() < kTakenFrom) return ByteBufferOf(absl::string_view(bytes));
  auto* owned = new std::string(std::move(bytes));
  grpc::Slice slice(
      owned->data(), owned->size(),
      [](void* string) { delete static_cast<std::string*>(string); }, owned);
  return grpc::ByteBuffer(&slice, 1);
}

grpc::ByteBuffer ByteBufferOf(absl::string_view head, absl::string_view tail) {
  grpc_slice bytes = grpc_slice_malloc(head.size() + tail.size());
  uint8_t* out = GRPC_SLICE_START_PTR(bytes);
  std::memcpy(out, head.data(), head.size());
  std::memcpy(out + head.size(), tail.data(), tail.size());
  grpc::Slice slice(bytes, grpc::Slice::STEAL_REF);
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace lmdbapi::server
