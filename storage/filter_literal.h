// The values written in a filter, for one field: reading a literal as a value
// of the field's kind (`APPROVED` as its number, `"2024-01-02T03:04:05Z"` as
// a Timestamp, `5` as 5.0 for a double field) and printing a value back as
// the canonical literal the parser reads the same way.
#ifndef LMDBAPI_STORAGE_FILTER_LITERAL_H_
#define LMDBAPI_STORAGE_FILTER_LITERAL_H_

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "storage/filter_parser.h"
#include "storage/value.h"

namespace lmdbapi::storage::filter {

// How messages name a field's type: "an int64 field", "a bytes field",
// "an enum lmdbapi.test.PermitStatus field", "a google.protobuf.Timestamp
// field".
std::string FieldTypePhrase(const google::protobuf::FieldDescriptor* field);

// How messages show a literal: a quoted one as written, a bare one in single
// quotes.
std::string ShowLiteral(const Literal& literal);

// `literal.text` as a value of `field`'s kind (a string field takes the text
// as it is; '*' is the caller's business). INVALID_ARGUMENT naming the field,
// e.g. "field 'fee_cents' is an int64 field; 'abc' is not an integer" (the
// caller adds the "filter: column N: " start).
absl::StatusOr<Value> LiteralValue(const FieldRef& field,
                                   const Literal& literal);

// The canonical literal of `value` for `field`: "\"Acme\"" (with \" \\ \*
// escapes; `prefix` adds an unescaped '*': "\"Ac*\""), "APPROVED" (an enum
// value by name when it has one), "-5", "2.5" (the shortest text that reads
// back as the same double), "true", "\"2024-01-02T03:04:05Z\"".
std::string FormatLiteral(const FieldRef& field, const Value& value,
                          bool prefix);
// The same, appended to `out`.
void AppendLiteral(const FieldRef& field, const Value& value, bool prefix,
                   std::string* out);

}  // namespace lmdbapi::storage::filter

#endif  // LMDBAPI_STORAGE_FILTER_LITERAL_H_
