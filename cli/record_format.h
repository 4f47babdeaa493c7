// The files `lmdbapi export` writes and `lmdbapi import` reads:
//   ndjson  one record per line in protobuf's JSON mapping; exporting every
//           table, each line names its table: {"table":"permits","record":{…}}
//   binary  length-delimited records (a varint length, then the serialized
//           record), as protobuf's SerializeDelimitedTo/ParseDelimitedFrom
//           write and read them; one table per file.
#ifndef LMDBAPI_CLI_RECORD_FORMAT_H_
#define LMDBAPI_CLI_RECORD_FORMAT_H_

#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cli/backend.h"
#include "google/protobuf/message.h"

namespace lmdbapi::cli {

class RecordCodec;

enum class Format { kNdjson, kBinary };

// "ndjson" or "binary"; INVALID_ARGUMENT naming --format otherwise.
absl::StatusOr<Format> ParseFormat(const std::string& text);

// Writes records to `out` (not owned) in `format`; `tagged`: each NDJSON
// line names its table.
class RecordWriter {
 public:
  RecordWriter(FILE* out, Format format, bool tagged)
      : out_(out), format_(format), tagged_(tagged) {}
  // Writes the serialized record `record` of `table` without its
  // server-maintained fields (an import sets them anew); DATA_LOSS when it
  // does not parse.
  absl::Status Write(const TableInfo& table, absl::string_view record);
  // Flushes; an error when a write failed (a full disk, a closed pipe).
  absl::Status Close();

 private:
  FILE* out_;
  Format format_;
  bool tagged_;
  const google::protobuf::Descriptor* type_ = nullptr;  // of codec_
  const RecordCodec* codec_ = nullptr;
  std::string buffer_;
  std::string scratch_;
};

// Records of `type` from the file `path` ("-": standard input), in
// `format`.
absl::StatusOr<std::unique_ptr<RecordSource>> OpenRecordSource(
    const std::string& path, Format format,
    const google::protobuf::Descriptor* type);

// A record as one line of JSON (protobuf's mapping), without its newline.
absl::StatusOr<std::string> RecordJson(const google::protobuf::Message& record);
// An admin result (StatResponse, ...) as one line of JSON: field names as in
// the .proto, every field printed, zeros too.
absl::StatusOr<std::string> ResultJson(const google::protobuf::Message& result);
// `json` (protobuf's JSON mapping) into `record`; INVALID_ARGUMENT with what
// the parser said (it names the field).
absl::Status ParseJson(absl::string_view json,
                       google::protobuf::Message* record);

}  // namespace lmdbapi::cli

#endif  // LMDBAPI_CLI_RECORD_FORMAT_H_
