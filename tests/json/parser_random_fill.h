// Random messages for json_parser's differential tests: fields set by
// reflection with edge values (0, -1, the limits, NaN, infinities, -0.0,
// huge and tiny doubles, strings with quotes, backslashes, control
// characters and 2- to 4-byte UTF-8, unknown enum numbers, Timestamps and
// Durations at their limits), repeated fields and maps of 0 to 4 elements.
#ifndef LMDBAPI_TESTS_JSON_PARSER_RANDOM_FILL_H_
#define LMDBAPI_TESTS_JSON_PARSER_RANDOM_FILL_H_

#include <random>

#include "google/protobuf/message.h"

namespace lmdbapi::json::testing {

// Sets each field of `message` with some probability; nested messages down
// to `depth` levels. The result is canonical: map keys are distinct (the
// message is serialized and parsed back).
void FillRandom(std::mt19937* rng, int depth,
                google::protobuf::Message* message);

}  // namespace lmdbapi::json::testing

#endif  // LMDBAPI_TESTS_JSON_PARSER_RANDOM_FILL_H_
