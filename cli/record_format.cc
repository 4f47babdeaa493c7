#include "cli/record_format.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/record_codec.h"
#include "cli/wire_fields.h"
#include "google/protobuf/util/json_util.h"
#include "storage/coding.h"

namespace lmdbapi::cli {
namespace {

using google::protobuf::Message;

constexpr size_t kFlushBytes = 1 << 20;
// The largest record a binary file may hold (LMDB's and gRPC's limits are
// lower; this only stops a corrupt length from allocating gigabytes).
constexpr uint32_t kMaxRecordBytes = 64u << 20;

// A file opened for reading, closed on destruction unless it is stdin.
class InputFile {
 public:
  static absl::StatusOr<InputFile> Open(const std::string& path) {
    if (path == "-") return InputFile(stdin, false, 0);
    FILE* file = fopen(path.c_str(), "rb");
    if (file == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("cannot open ", path, ": ", strerror(errno)));
    }
    struct stat st;
    uint64_t size = fstat(fileno(file), &st) == 0 && S_ISREG(st.st_mode)
                        ? static_cast<uint64_t>(st.st_size)
                        : 0;
    return InputFile(file, true, size);
  }
  InputFile(InputFile&& other) noexcept
      : file_(std::exchange(other.file_, nullptr)),
        owned_(other.owned_),
        size_(other.size_) {}
  ~InputFile() {
    if (owned_ && file_ != nullptr) fclose(file_);
  }
  FILE* get() const { return file_; }
  uint64_t size() const { return size_; }

 private:
  InputFile(FILE* file, bool owned, uint64_t size)
      : file_(file), owned_(owned), size_(size) {}
  FILE* file_;
  bool owned_;
  uint64_t size_;
};

// "line 7: " + what protobuf's JSON parser said (it names the field).
absl::Status BadLine(uint64_t line, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", why));
}

class NdjsonSource : public RecordSource {
 public:
  NdjsonSource(InputFile file, const RecordCodec& codec)
      : file_(std::move(file)), codec_(codec) {}
  ~NdjsonSource() override { free(line_buffer_); }

  absl::StatusOr<bool> Next(std::string* record, uint64_t* line) override {
    while (true) {
      ssize_t n = getline(&line_buffer_, &capacity_, file_.get());
      if (n < 0) {
        if (ferror(file_.get())) {
          return absl::DataLossError(
              absl::StrCat("reading line ", line_ + 1, ": ", strerror(errno)));
        }
        return false;
      }
      ++line_;
      read_ += n;
      absl::string_view text(line_buffer_, n);
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.remove_suffix(1);
      }
      if (text.find_first_not_of(" \t") == absl::string_view::npos) continue;
      *line = line_;
      absl::Status parsed = codec_.ParseJson(text, record);
      if (!parsed.ok()) return BadLine(line_, parsed.message());
      return true;
    }
  }
  uint64_t bytes_read() const override { return read_; }
  uint64_t bytes_total() const override { return file_.size(); }

 private:
  InputFile file_;
  const RecordCodec& codec_;
  char* line_buffer_ = nullptr;
  size_t capacity_ = 0;
  uint64_t line_ = 0;
  uint64_t read_ = 0;
};

class BinarySource : public RecordSource {
 public:
  BinarySource(InputFile file, const RecordCodec& codec)
      : file_(std::move(file)), codec_(codec), scratch_(codec.New()) {}

  absl::StatusOr<bool> Next(std::string* record, uint64_t* line) override {
    uint64_t at = read_;
    absl::StatusOr<uint32_t> size = ReadVarint();
    if (!size.ok()) return size.status();
    if (*size == kEnd) return false;
    *line = ++count_;
    if (*size > kMaxRecordBytes) {
      return BadLine(count_,
                     absl::StrCat("record of ", *size, " bytes at offset ", at,
                                  ": larger than 64 MiB"));
    }
    record->resize(*size);
    if (fread(record->data(), 1, *size, file_.get()) != *size) {
      return BadLine(count_, "the file ends inside the record");
    }
    read_ += *size;
    if (!codec_.Parses(*record, scratch_.get())) {
      return BadLine(count_,
                     absl::StrCat("not a serialized ", codec_.type_name(),
                                  " (offset ", at, ")"));
    }
    return true;
  }
  uint64_t bytes_read() const override { return read_; }
  uint64_t bytes_total() const override { return file_.size(); }

 private:
  static constexpr uint32_t kEnd = ~0u;
  // The next record's length; kEnd at the end of the file.
  absl::StatusOr<uint32_t> ReadVarint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      int c = fgetc(file_.get());
      if (c == EOF) {
        if (shift == 0) return kEnd;
        return BadLine(count_ + 1, "the file ends inside a record's length");
      }
      ++read_;
      value |= static_cast<uint64_t>(c & 0x7f) << shift;
      if ((c & 0x80) == 0) {
        if (value >= kEnd) break;
        return static_cast<uint32_t>(value);
      }
    }
    return BadLine(count_ + 1, "a record's length is not a 32-bit varint");
  }

  InputFile file_;
  const RecordCodec& codec_;
  std::unique_ptr<google::protobuf::Message> scratch_;
  uint64_t count_ = 0;
  uint64_t read_ = 0;
};

}  // namespace

absl::StatusOr<Format> ParseFormat(const std::string& text) {
  if (text == "ndjson" || text == "json") return Format::kNdjson;
  if (text == "binary") return Format::kBinary;
  return absl::InvalidArgumentError(absl::StrCat(
      "--format: '", text, "' is not a format; use ndjson or binary"));
}

absl::StatusOr<std::string> RecordJson(const Message& record) {
  std::string json;
  absl::Status printed = RecordCodec::For(record.GetDescriptor())
                             .PrintJson(record.SerializeAsString(),
                                        /*without_server_fields=*/false, &json);
  if (!printed.ok()) return printed;
  return json;
}

absl::StatusOr<std::string> ResultJson(const Message& result) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  auto printed =
      google::protobuf::util::MessageToJsonString(result, &json, options);
  if (!printed.ok()) return absl::InternalError(printed.ToString());
  return json;
}

absl::Status ParseJson(absl::string_view json, Message* record) {
  std::string wire;
  absl::Status parsed =
      RecordCodec::For(record->GetDescriptor()).ParseJson(json, &wire);
  if (!parsed.ok()) return parsed;
  record->Clear();
  if (!record->ParseFromString(wire)) {
    return absl::InvalidArgumentError("the JSON does not make a record");
  }
  return absl::OkStatus();
}

absl::Status RecordWriter::Write(const TableInfo& table,
                                 absl::string_view record) {
  if (table.record != type_) {  // For() locks: once per table, not per record
    type_ = table.record;
    codec_ = &RecordCodec::For(type_);
  }
  const RecordCodec& codec = *codec_;
  if (format_ == Format::kBinary) {
    scratch_.clear();
    absl::Status copied =
        AppendWithout(record, codec.server_fields(), &scratch_);
    if (!copied.ok()) return copied;
    storage::PutVarint64(scratch_.size(), &buffer_);
    buffer_.append(scratch_);
  } else {
    if (tagged_)
      absl::StrAppend(&buffer_, "{\"table\":\"", table.name, "\",\"record\":");
    absl::Status printed =
        codec.PrintJson(record, /*without_server_fields=*/true, &buffer_);
    if (!printed.ok()) return printed;
    buffer_.append(tagged_ ? "}\n" : "\n");
  }
  if (buffer_.size() < kFlushBytes) return absl::OkStatus();
  bool written =
      fwrite(buffer_.data(), 1, buffer_.size(), out_) == buffer_.size();
  buffer_.clear();
  if (!written) {
    return absl::UnavailableError(
        absl::StrCat("writing the output: ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status RecordWriter::Close() {
  bool written =
      fwrite(buffer_.data(), 1, buffer_.size(), out_) == buffer_.size() &&
      fflush(out_) == 0;
  buffer_.clear();
  if (!written) {
    return absl::UnavailableError(
        absl::StrCat("writing the output: ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RecordSource>> OpenRecordSource(
    const std::string& path, Format format,
    const google::protobuf::Descriptor* type) {
  const RecordCodec& codec = RecordCodec::For(type);
  absl::StatusOr<InputFile> file = InputFile::Open(path);
  if (!file.ok()) return file.status();
  if (format == Format::kBinary) {
    return std::unique_ptr<RecordSource>(
        std::make_unique<BinarySource>(*std::move(file), codec));
  }
  return std::unique_ptr<RecordSource>(
      std::make_unique<NdjsonSource>(*std::move(file), codec));
}

}  // namespace lmdbapi::cli
