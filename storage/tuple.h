// Order-preserving tuple encoding for index keys (docs/STORAGE.md).
//
// For every supported type, the byte order of encodings equals the order of
// the values, and a tuple's encoding is a prefix of the encoding of any longer
// tuple that starts with the same values. An index therefore serves equality
// on any leading prefix of its fields plus a range on the next one.
//
//   string/bytes  bytes with 0x00 escaped as 0x00 0xFF, then 0x00 0x01
//   int64         8 bytes big-endian with the sign bit flipped
//   uint64        8 bytes big-endian
//   double        8 bytes: IEEE bits, all flipped when negative, else the sign
//                 bit flipped (-0.0 is encoded as 0.0, NaNs as one NaN after
//                 +infinity)
//   bool          1 byte, 0 or 1
//   timestamp     int64 seconds as above, then nanos as 4 bytes big-endian
//
// Elements carry no type tag: the reader must know the types (the schema
// does), exactly as the writer did.
#ifndef LMDBAPI_STORAGE_TUPLE_H_
#define LMDBAPI_STORAGE_TUPLE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lmdbapi::storage {

// Appends elements to a byte string it does not own.
class TupleWriter {
 public:
  explicit TupleWriter(std::string* out) : out_(out) {}
  void AppendString(absl::string_view value);
  void AppendInt64(int64_t value);
  void AppendUint64(uint64_t value);
  void AppendDouble(double value);
  void AppendBool(bool value);
  void AppendTimestamp(int64_t seconds, int32_t nanos);

 private:
  std::string* out_;
};

// Reads elements back in the order they were written. Every method fails
// with INVALID_ARGUMENT on truncated or malformed input and never reads past
// the end of the buffer.
class TupleReader {
 public:
  explicit TupleReader(absl::string_view in) : in_(in) {}
  absl::StatusOr<std::string> ReadString();
  absl::StatusOr<int64_t> ReadInt64();
  absl::StatusOr<uint64_t> ReadUint64();
  absl::StatusOr<double> ReadDouble();
  absl::StatusOr<bool> ReadBool();
  // Returns {seconds, nanos}.
  absl::StatusOr<std::pair<int64_t, int32_t>> ReadTimestamp();
  // Skips one string element without copying it.
  absl::Status SkipString();
  absl::Status SkipFixed(size_t width);

  // What is left after the elements read so far.
  absl::string_view rest() const { return in_; }

 private:
  absl::string_view in_;
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_TUPLE_H_
