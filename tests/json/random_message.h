// Random messages of any proto3 type, filled by reflection, for json/'s
// differential tests: every kind of field, with edge values (0, -1, the
// extremes, NaN, infinities, -0, subnormals, unknown enum numbers, control
// characters, quotes, the code points JSON printers escape, 4-byte UTF-8)
// and well-known types with values protobuf's JSON printer accepts (and,
// rarely, ones it refuses).
#ifndef LMDBAPI_TESTS_JSON_RANDOM_MESSAGE_H_
#define LMDBAPI_TESTS_JSON_RANDOM_MESSAGE_H_

#include <cstdint>
#include <random>
#include <string>

#include "google/protobuf/message.h"

namespace lmdbapi::json_test {

class RandomMessages {
 public:
  explicit RandomMessages(uint32_t seed) : rng_(seed) {}

  // Clears `message`, then sets about half its fields (one member or none
  // of each oneof), with messages nested up to `max_depth` levels.
  void Fill(google::protobuf::Message* message, int max_depth = 4);

  // Random values of one kind, edge values often.
  int32_t Int32();
  int64_t Int64();
  double Double();
  float Float();
  std::string Utf8();  // Well-formed UTF-8.
  std::string Bytes();
  std::string FieldMaskPath();

  std::mt19937& rng() { return rng_; }
  // True with probability `percent` / 100.
  bool Chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }

 private:
  void FillField(google::protobuf::Message* message,
                 const google::protobuf::FieldDescriptor* field, int depth);
  void AddOrSet(google::protobuf::Message* message,
                const google::protobuf::FieldDescriptor* field, int depth);
  void FillMessage(google::protobuf::Message* message, int depth);
  void FillTimestamp(google::protobuf::Message* message);
  void FillDuration(google::protobuf::Message* message);
  uint32_t CodePoint();
  uint64_t Bits(int max_bits);

  std::mt19937 rng_;
};

// The deterministic serialization of `message` (map entries by key).
std::string DeterministicBytes(const google::protobuf::Message& message);

// `bytes` damaged once, at random: a byte changed, cut, inserted or
// dropped, or two halves swapped (fields out of order, or repeated).
std::string Damaged(std::string bytes, std::mt19937& rng);

}  // namespace lmdbapi::json_test

#endif  // LMDBAPI_TESTS_JSON_RANDOM_MESSAGE_H_
