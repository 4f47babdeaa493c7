// Whether a record's wire bytes certainly parse as its type, without
// parsing them: the check `lmdbapi import --format=binary` makes of each
// record before sending it, so that a bad record is named by its place in
// the file. A parse into a DynamicMessage costs the command ~1.7 µs a
// permit, CPU the server does not get when both share a machine; this walk
// costs a fraction of it.
//
// It answers true only where protobuf's parser accepts: every tag, varint,
// fixed value and length well formed; a proto3 string valid UTF-8; a nested
// message (and a map entry) valid in turn; a packed repeated scalar made of
// whole elements. Fields it does not know, or whose wire type is not their
// type's, are skipped as protobuf keeps them as unknown fields. False means
// "not sure": the caller asks protobuf (RecordCodec::Parses), whose verdict
// stands. Groups, and types that hold required fields, are always "not
// sure".
#ifndef LMDBAPI_JSON_WIRE_CHECK_H_
#define LMDBAPI_JSON_WIRE_CHECK_H_

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace lmdbapi::json {

class WireCheck {
 public:
  explicit WireCheck(const google::protobuf::Descriptor* type);

  bool CertainlyParses(absl::string_view wire) const;

 private:
  bool Message(absl::string_view wire, const google::protobuf::Descriptor* type,
               int depth) const;

  const google::protobuf::Descriptor* type_;
  bool usable_;  // false: the type holds required fields somewhere
};

}  // namespace lmdbapi::json

#endif  // LMDBAPI_JSON_WIRE_CHECK_H_
