// One record type's conversions between its serialized bytes and protobuf's
// JSON mapping, for `lmdbapi export`, `import`, `get` and `list`: the fast
// paths of json/ (JsonPrinter, JsonParser) where they apply, protobuf's own
// JSON conversion where they do not (types they leave to it) and for every
// error message (protobuf's parser names the field). One codec per record
// type, made on first use and kept; safe to use from many threads.
#ifndef LMDBAPI_CLI_RECORD_CODEC_H_
#define LMDBAPI_CLI_RECORD_CODEC_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "json/json_parser.h"
#include "json/json_printer.h"
#include "json/wire_check.h"

namespace lmdbapi::cli {

class RecordCodec {
 public:
  // The codec of `type` (which must outlive the process's use of it).
  static const RecordCodec& For(const google::protobuf::Descriptor* type);

  // Appends the JSON of the serialized record `wire` to `out` (one line, no
  // newline), leaving out the server-maintained fields (revision,
  // create_time, update_time) when `without_server_fields`. DATA_LOSS when
  // `wire` does not parse as the type.
  absl::Status PrintJson(absl::string_view wire, bool without_server_fields,
                         std::string* out) const;
  // Replaces `wire` with the serialization of the JSON record `json`;
  // INVALID_ARGUMENT "field F: ..." (protobuf's words) when it is not one.
  absl::Status ParseJson(absl::string_view json, std::string* wire) const;
  // Whether `wire` parses as the type (what a server's parse of it needs),
  // parsed into `scratch` (from New(): reused, it allocates once).
  bool Parses(absl::string_view wire, google::protobuf::Message* scratch) const;

  // The top-level fields the server maintains.
  const absl::flat_hash_set<int>& server_fields() const {
    return server_fields_;
  }
  const std::string& type_name() const { return type_->full_name(); }
  // A new, empty message of the type.
  std::unique_ptr<google::protobuf::Message> New() const;

  explicit RecordCodec(const google::protobuf::Descriptor* type);
  ~RecordCodec();

 private:
  // protobuf's conversions, for what the fast paths leave to it.
  absl::Status SlowPrint(absl::string_view wire, bool without_server_fields,
                         std::string* out) const;
  absl::Status SlowParse(absl::string_view json, std::string* wire) const;

  const google::protobuf::Descriptor* type_;
  std::unique_ptr<google::protobuf::MessageFactory> factory_;
  const google::protobuf::Message* prototype_;
  std::unique_ptr<json::JsonPrinter> printer_;  // null: protobuf's
  std::unique_ptr<json::JsonParser> parser_;    // null: protobuf's
  absl::flat_hash_set<int> server_fields_;
  json::WireCheck check_;  // Parses' fast answer
};

}  // namespace lmdbapi::cli

#endif  // LMDBAPI_CLI_RECORD_CODEC_H_
