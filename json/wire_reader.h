// A cursor over protobuf wire bytes for json/'s printer: tags, varints,
// fixed values and lengths, each refused where protobuf's parser refuses it
// (too long, past the end), and unknown fields skipped as it skips them.
#ifndef LMDBAPI_JSON_WIRE_READER_H_
#define LMDBAPI_JSON_WIRE_READER_H_

#include <cstdint>
#include <cstring>

#include "absl/strings/string_view.h"

namespace lmdbapi::json {

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

// Nesting protobuf's parser allows (messages and groups), as its default
// recursion limit.
inline constexpr int kMaxParseDepth = 100;

class WireReader {
 public:
  explicit WireReader(absl::string_view bytes)
      : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  bool done() const { return p_ == end_; }
  // Where the next read begins.
  const char* position() const { return p_; }

  // A varint of up to 10 bytes; bits past 64 are dropped, as protobuf does.
  bool ReadVarint(uint64_t* value) {
    if (p_ != end_ && static_cast<unsigned char>(*p_) < 0x80) {
      *value = static_cast<unsigned char>(*p_++);
      return true;
    }
    return ReadVarintSlow(value);
  }

  // A tag: a varint of up to 5 bytes, truncated to 32 bits.
  bool ReadTag(uint32_t* tag) {
    if (p_ != end_ && static_cast<unsigned char>(*p_) < 0x80) {
      *tag = static_cast<unsigned char>(*p_++);
      return true;
    }
    return ReadTagSlow(tag);
  }

  bool ReadFixed32(uint32_t* value) {
    if (end_ - p_ < 4) return false;
    std::memcpy(value, p_, 4);  // Little-endian hosts only (x86, arm64).
    p_ += 4;
    return true;
  }

  bool ReadFixed64(uint64_t* value) {
    if (end_ - p_ < 8) return false;
    std::memcpy(value, p_, 8);
    p_ += 8;
    return true;
  }

  // A length (up to 5 bytes, below 2 GiB) and the bytes it covers.
  bool ReadLengthDelimited(absl::string_view* payload) {
    uint64_t size;
    const char* start = p_;
    if (!ReadVarint(&size) || p_ - start > 5 || size >= (1u << 31) ||
        size > static_cast<uint64_t>(end_ - p_)) {
      return false;
    }
    *payload = absl::string_view(p_, size);
    p_ += size;
    return true;
  }

  // Skips the value of `tag` (an unknown field). A group must close with its
  // own end tag; `depth` is the nesting of the message being read.
  bool SkipField(uint32_t tag, int depth);

 private:
  bool ReadVarintSlow(uint64_t* value);
  bool ReadTagSlow(uint32_t* tag);
  bool SkipGroup(uint32_t number, int depth);

  const char* p_;
  const char* end_;
};

inline bool WireReader::ReadVarintSlow(uint64_t* value) {
  uint64_t result = 0;
  for (int i = 0; i < 10 && p_ != end_; ++i) {
    uint64_t byte = static_cast<unsigned char>(*p_++);
    result |= (byte & 0x7f) << (7 * i);  // Shifts past 63 drop, as wanted.
    if (byte < 0x80) {
      *value = result;
      return true;
    }
  }
  return false;
}

inline bool WireReader::ReadTagSlow(uint32_t* tag) {
  uint32_t result = 0;
  for (int i = 0; i < 5 && p_ != end_; ++i) {
    uint32_t byte = static_cast<unsigned char>(*p_++);
    result |= (byte & 0x7f) << (7 * i);
    if (byte < 0x80) {
      *tag = result;
      return true;
    }
  }
  return false;
}

inline bool WireReader::SkipField(uint32_t tag, int depth) {
  uint64_t u64;
  uint32_t u32;
  absl::string_view payload;
  switch (tag & 7) {
    case kVarint:
      return ReadVarint(&u64);
    case kFixed64:
      return ReadFixed64(&u64);
    case kLengthDelimited:
      return ReadLengthDelimited(&payload);
    case kStartGroup:
      return SkipGroup(tag >> 3, depth + 1);
    case kFixed32:
      return ReadFixed32(&u32);
    default:  // An end tag with no group open, or wire types 6 and 7.
      return false;
  }
}

inline bool WireReader::SkipGroup(uint32_t number, int depth) {
  if (depth > kMaxParseDepth) return false;
  uint32_t tag;
  while (ReadTag(&tag)) {
    if ((tag >> 3) == 0) return false;
    if ((tag & 7) == kEndGroup) return (tag >> 3) == number;
    if (!SkipField(tag, depth)) return false;
  }
  return false;
}

}  // namespace lmdbapi::json

#endif  // LMDBAPI_JSON_WIRE_READER_H_
