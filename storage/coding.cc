#include "storage/coding.h"

#include "google/protobuf/io/coded_stream.h"

namespace lmdbapi::storage {

void PutFixed64(uint64_t v, std::string* out) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

void PutVarint64(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutLengthPrefixed(absl::string_view s, std::string* out) {
  PutVarint64(s.size(), out);
  out->append(s.data(), s.size());
}

void PutWireVarint(int number, uint64_t value, std::string* out) {
  PutVarint64(static_cast<uint64_t>(number) << 3, out);  // wire type 0
  PutVarint64(value, out);
}

void PutWireBytesHeader(int number, size_t length, std::string* out) {
  PutVarint64((static_cast<uint64_t>(number) << 3) | 2, out);
  PutVarint64(length, out);
}

void PutWireBytes(int number, absl::string_view bytes, std::string* out) {
  PutWireBytesHeader(number, bytes.size(), out);
  out->append(bytes.data(), bytes.size());
}

uint8_t Decoder::Byte() {
  if (!ok_ || in_.empty()) {
    ok_ = false;
    return 0;
  }
  uint8_t b = static_cast<uint8_t>(in_.front());
  in_.remove_prefix(1);
  return b;
}

uint64_t Decoder::Fixed64() {
  if (!ok_ || in_.size() < 8) {
    ok_ = false;
    return 0;
  }
  uint64_t v = DecodeFixed64(in_.data());
  in_.remove_prefix(8);
  return v;
}

uint64_t Decoder::Varint64() {
  uint64_t v = 0;
  for (int shift = 0; ok_ && shift < 64 && !in_.empty(); shift += 7) {
    uint8_t b = static_cast<uint8_t>(in_.front());
    in_.remove_prefix(1);
    v |= uint64_t{b & 0x7fu} << shift;
    if (b < 0x80) return v;
  }
  ok_ = false;
  return 0;
}

std::string Decoder::LengthPrefixed() {
  uint64_t n = Varint64();
  if (!ok_ || n > in_.size()) {
    ok_ = false;
    return "";
  }
  std::string s(in_.substr(0, n));
  in_.remove_prefix(n);
  return s;
}

std::string DeterministicBytes(const google::protobuf::Message& message) {
  // The size (which also caches each part's for the serializer) first: the
  // bytes are written into a string allocated once. The array stream is the
  // one SerializeWithCachedSizesToArray uses, made deterministic here: no
  // ZeroCopyOutputStream and CodedOutputStream to set up per record.
  const size_t size = message.ByteSizeLong();
  std::string bytes(size, '\0');
  auto* target = reinterpret_cast<uint8_t*>(bytes.data());
  google::protobuf::io::EpsCopyOutputStream stream(
      target, static_cast<int>(size), /*deterministic=*/true);
  message._InternalSerialize(target, &stream);
  return bytes;
}

}  // namespace lmdbapi::storage
