// Appends protobuf wire-format bytes to a std::string through a raw cursor:
// the output of json_parser, which writes a record's bytes in one pass and
// fills in a nested message's length once the message is complete.
#ifndef LMDBAPI_JSON_WIRE_WRITER_H_
#define LMDBAPI_JSON_WIRE_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"

namespace lmdbapi::json {

// The number of bytes of `v` as a varint.
inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Writes `v` as a varint at `p`; returns the end.
inline char* PutVarint(uint64_t v, char* p) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

// The writer owns the string's tail between construction and Finish():
// the string is grown ahead of the cursor (so each write is a bounds check
// and a store, not a std::string append) and trimmed by Finish().
class WireWriter {
 public:
  // Appends after `out`'s current content; `hint` is the expected number of
  // bytes (more is fine, the writer grows).
  WireWriter(std::string* out, size_t hint) : out_(out) {
    size_t used = out->size();
    out->resize(used + hint + 16);
    Rebase(used);
  }
  WireWriter(const WireWriter&) = delete;
  WireWriter& operator=(const WireWriter&) = delete;

  // Trims the string to what was written.
  void Finish() { out_->resize(size()); }

  // Bytes written so far, counting the string's content before the writer.
  size_t size() const { return static_cast<size_t>(pos_ - base_); }

  // Makes room for `n` more bytes.
  void Ensure(size_t n) {
    if (static_cast<size_t>(end_ - pos_) < n) Grow(n);
  }

  void Bytes(const char* p, size_t n) {
    Ensure(n);
    std::memcpy(pos_, p, n);
    pos_ += n;
  }
  void Byte(char c) {
    Ensure(1);
    *pos_++ = c;
  }
  void Varint(uint64_t v) {
    Ensure(10);
    pos_ = PutVarint(v, pos_);
  }
  void Fixed32(uint32_t v) {
    Ensure(4);
    for (int i = 0; i < 4; ++i) *pos_++ = static_cast<char>(v >> (8 * i));
  }
  void Fixed64(uint64_t v) {
    Ensure(8);
    for (int i = 0; i < 8; ++i) *pos_++ = static_cast<char>(v >> (8 * i));
  }

  // The bytes written since `start` (valid until the next write).
  absl::string_view Since(size_t start) const {
    return absl::string_view(base_ + start, size() - start);
  }

  // `n` bytes the caller fills at the returned pointer (valid until the next
  // write).
  char* Append(size_t n) {
    Ensure(n);
    char* p = pos_;
    pos_ += n;
    return p;
  }

  // Starts a length-delimited value: reserves one byte for its length
  // (most nested values are short) and returns where its content starts.
  size_t OpenLength() {
    Byte(0);
    return size();
  }
  // Writes the length of the content since OpenLength(`start`), moving the
  // content when the length needs more than the byte reserved.
  void CloseLength(size_t start) {
    size_t len = size() - start;
    if (len < 0x80) {
      base_[start - 1] = static_cast<char>(len);
      return;
    }
    size_t extra = VarintSize(len) - 1;
    Ensure(extra);
    std::memmove(base_ + start + extra, base_ + start, len);
    PutVarint(len, base_ + start - 1);
    pos_ += extra;
  }

 private:
  void Rebase(size_t used) {
    base_ = &(*out_)[0];
    pos_ = base_ + used;
    end_ = base_ + out_->size();
  }
  void Grow(size_t n) {
    size_t used = size();
    out_->resize(2 * out_->size() + n);
    Rebase(used);
  }

  std::string* out_;
  char* base_;
  char* pos_;
  char* end_;
};

}  // namespace lmdbapi::json

#endif  // LMDBAPI_JSON_WIRE_WRITER_H_
