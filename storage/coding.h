// The byte layouts lmdbapi writes itself: little-endian fixed 64-bit
// numbers and LEB128 varints (page tokens, record versions, change-log
// entries, the router's page tokens).
#ifndef LMDBAPI_STORAGE_CODING_H_
#define LMDBAPI_STORAGE_CODING_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace lmdbapi::storage {

void PutFixed64(uint64_t v, std::string* out);
// The 8 bytes at `p`. Inline, written so that the compiler makes it one
// load: a scan decodes a record's version for each record it reads.
inline uint64_t DecodeFixed64(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint64_t{u[0]} | uint64_t{u[1]} << 8 | uint64_t{u[2]} << 16 |
         uint64_t{u[3]} << 24 | uint64_t{u[4]} << 32 | uint64_t{u[5]} << 40 |
         uint64_t{u[6]} << 48 | uint64_t{u[7]} << 56;
}
void PutVarint64(uint64_t v, std::string* out);
// A varint length, then the bytes.
void PutLengthPrefixed(absl::string_view s, std::string* out);

// Protobuf wire-format fields: field `number` as a varint, or as a
// length-delimited field holding `bytes` (a string, bytes or an embedded
// message). The bulk paths (Export, `lmdbapi import`) write records and
// their envelopes as bytes, never as messages.
void PutWireVarint(int number, uint64_t value, std::string* out);
void PutWireBytes(int number, absl::string_view bytes, std::string* out);
// The tag and length of a length-delimited field of `length` bytes, which
// the caller appends (a record from pieces, not copied into one first).
void PutWireBytesHeader(int number, size_t length, std::string* out);

// The deterministic serialization of `message` (map entries in key order):
// how records are stored and commands replicated, so that equal records are
// equal bytes on every replica.
std::string DeterministicBytes(const google::protobuf::Message& message);

// Reads what the Put functions wrote, front to back. On short or malformed
// input ok() turns false and every read returns zero or empty.
class Decoder {
 public:
  explicit Decoder(absl::string_view in) : in_(in) {}

  uint8_t Byte();
  uint64_t Fixed64();
  uint64_t Varint64();
  std::string LengthPrefixed();

  bool ok() const { return ok_; }
  // What is left to read.
  absl::string_view rest() const { return in_; }

 private:
  absl::string_view in_;
  bool ok_ = true;
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_CODING_H_
