#include "storage/tuple.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "absl/status/status.h"
#include "base/status_macros.h"

namespace lmdbapi::storage {
namespace {

constexpr uint64_t kSignBit = uint64_t{1} << 63;

void PutBigEndian64(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
  out->append(buf, 8);
}

uint64_t GetBigEndian64(absl::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

uint64_t DoubleToOrderedBits(double value) {
  if (std::isnan(value)) value = std::numeric_limits<double>::quiet_NaN();
  if (value == 0.0) value = 0.0;  // -0.0 sorts and compares as 0.0.
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  if (std::isnan(value)) bits = 0x7FF8000000000000ULL;  // one canonical NaN.
  return (bits & kSignBit) ? ~bits : (bits | kSignBit);
}

double OrderedBitsToDouble(uint64_t bits) {
  bits = (bits & kSignBit) ? (bits & ~kSignBit) : ~bits;
  double value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

absl::Status Truncated(const char* what) {
  return absl::InvalidArgumentError(
      std::string("tuple key is truncated in a ") + what + " element");
}

}  // namespace

void TupleWriter::AppendString(absl::string_view value) {
  size_t start = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\0') {
      out_->append(value.data() + start, i - start + 1);
      out_->push_back('\xFF');
      start = i + 1;
    }
  }
  out_->append(value.data() + start, value.size() - start);
  out_->push_back('\0');
  out_->push_back('\x01');
}

void TupleWriter::AppendInt64(int64_t value) {
  PutBigEndian64(out_, static_cast<uint64_t>(value) ^ kSignBit);
}

void TupleWriter::AppendUint64(uint64_t value) { PutBigEndian64(out_, value); }

void TupleWriter::AppendDouble(double value) {
  PutBigEndian64(out_, DoubleToOrderedBits(value));
}

void TupleWriter::AppendBool(bool value) { out_->push_back(value ? 1 : 0); }

void TupleWriter::AppendTimestamp(int64_t seconds, int32_t nanos) {
  AppendInt64(seconds);
  uint32_t n = static_cast<uint32_t>(nanos);
  char buf[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                 static_cast<char>(n >> 8), static_cast<char>(n)};
  out_->append(buf, 4);
}

absl::StatusOr<std::string> TupleReader::ReadString() {
  std::string value;
  size_t i = 0;
  while (true) {
    size_t zero = in_.find('\0', i);
    if (zero == absl::string_view::npos || zero + 1 >= in_.size()) {
      return Truncated("string");
    }
    value.append(in_.data() + i, zero - i);
    char marker = in_[zero + 1];
    if (marker == '\x01') {
      in_.remove_prefix(zero + 2);
      return value;
    }
    if (marker != '\xFF') {
      return absl::InvalidArgumentError(
          "tuple key has a bad escape in a string element");
    }
    value.push_back('\0');
    i = zero + 2;
  }
}

absl::Status TupleReader::SkipString() {
  size_t i = 0;
  while (true) {
    size_t zero = in_.find('\0', i);
    if (zero == absl::string_view::npos || zero + 1 >= in_.size()) {
      return Truncated("string");
    }
    char marker = in_[zero + 1];
    if (marker == '\x01') {
      in_.remove_prefix(zero + 2);
      return absl::OkStatus();
    }
    if (marker != '\xFF') {
      return absl::InvalidArgumentError(
          "tuple key has a bad escape in a string element");
    }
    i = zero + 2;
  }
}

absl::Status TupleReader::SkipFixed(size_t width) {
  if (in_.size() < width) return Truncated("fixed-width");
  in_.remove_prefix(width);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> TupleReader::ReadInt64() {
  if (in_.size() < 8) return Truncated("int64");
  uint64_t v = GetBigEndian64(in_) ^ kSignBit;
  in_.remove_prefix(8);
  return static_cast<int64_t>(v);
}

absl::StatusOr<uint64_t> TupleReader::ReadUint64() {
  if (in_.size() < 8) return Truncated("uint64");
  uint64_t v = GetBigEndian64(in_);
  in_.remove_prefix(8);
  return v;
}

absl::StatusOr<double> TupleReader::ReadDouble() {
  if (in_.size() < 8) return Truncated("double");
  double v = OrderedBitsToDouble(GetBigEndian64(in_));
  in_.remove_prefix(8);
  return v;
}

absl::StatusOr<bool> TupleReader::ReadBool() {
  if (in_.empty()) return Truncated("bool");
  char c = in_[0];
  if (c != 0 && c != 1) {
    return absl::InvalidArgumentError("tuple key has a bad bool element");
  }
  in_.remove_prefix(1);
  return c == 1;
}

absl::StatusOr<std::pair<int64_t, int32_t>> TupleReader::ReadTimestamp() {
  LMDBAPI_ASSIGN_OR_RETURN(int64_t seconds, ReadInt64());
  if (in_.size() < 4) return Truncated("timestamp");
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<uint8_t>(in_[i]);
  in_.remove_prefix(4);
  return std::make_pair(seconds, static_cast<int32_t>(n));
}

}  // namespace lmdbapi::storage
