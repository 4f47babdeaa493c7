#include "cli/record_format.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/type.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver.h"
#include "google/protobuf/util/type_resolver_util.h"

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
  explicit NdjsonSource(InputFile file) : file_(std::move(file)) {}
  ~NdjsonSource() override { free(line_buffer_); }

  absl::StatusOr<bool> Next(Message* record, uint64_t* line) override {
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
      record->Clear();
      absl::Status parsed = ParseJson(text, record);
      if (!parsed.ok()) return BadLine(line_, parsed.message());
      return true;
    }
  }
  uint64_t bytes_read() const override { return read_; }
  uint64_t bytes_total() const override { return file_.size(); }

 private:
  InputFile file_;
  char* line_buffer_ = nullptr;
  size_t capacity_ = 0;
  uint64_t line_ = 0;
  uint64_t read_ = 0;
};

class BinarySource : public RecordSource {
 public:
  explicit BinarySource(InputFile file) : file_(std::move(file)) {}

  absl::StatusOr<bool> Next(Message* record, uint64_t* line) override {
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
    buffer_.resize(*size);
    if (fread(buffer_.data(), 1, *size, file_.get()) != *size) {
      return BadLine(count_, "the file ends inside the record");
    }
    read_ += *size;
    record->Clear();
    if (!record->ParseFromString(buffer_)) {
      return BadLine(count_,
                     absl::StrCat("not a serialized ", record->GetTypeName(),
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
  std::string buffer_;
  uint64_t count_ = 0;
  uint64_t read_ = 0;
};

constexpr char kTypeUrlPrefix[] = "type.googleapis.com";

// The type information of a descriptor pool's messages as protobuf's JSON
// conversion wants it, built once per type: MessageToJsonString and
// JsonStringToMessage build it again on every call, which costs more than
// the conversion.
class CachingTypeResolver : public google::protobuf::util::TypeResolver {
 public:
  explicit CachingTypeResolver(const google::protobuf::DescriptorPool* pool)
      : inner_(google::protobuf::util::NewTypeResolverForDescriptorPool(
            kTypeUrlPrefix, pool)) {}

  google::protobuf::util::Status ResolveMessageType(
      const std::string& url, google::protobuf::Type* type) override {
    return Resolve(url, type, types_, [this](const std::string& u, auto* t) {
      return inner_->ResolveMessageType(u, t);
    });
  }
  google::protobuf::util::Status ResolveEnumType(
      const std::string& url, google::protobuf::Enum* type) override {
    return Resolve(url, type, enums_, [this](const std::string& u, auto* t) {
      return inner_->ResolveEnumType(u, t);
    });
  }

 private:
  template <typename T, typename F>
  google::protobuf::util::Status Resolve(const std::string& url, T* out,
                                         std::map<std::string, T>& cache,
                                         F resolve) {
    absl::MutexLock lock(&mu_);
    auto it = cache.find(url);
    if (it == cache.end()) {
      T resolved;
      google::protobuf::util::Status status = resolve(url, &resolved);
      if (!status.ok()) return status;
      it = cache.emplace(url, std::move(resolved)).first;
    }
    *out = it->second;
    return google::protobuf::util::Status();
  }

  std::unique_ptr<google::protobuf::util::TypeResolver> inner_;
  absl::Mutex mu_;
  std::map<std::string, google::protobuf::Type> types_;
  std::map<std::string, google::protobuf::Enum> enums_;
};

// The resolver of `pool`, made on first use and kept.
google::protobuf::util::TypeResolver* ResolverFor(
    const google::protobuf::DescriptorPool* pool) {
  static absl::Mutex mu;
  static auto* resolvers = new std::map<const google::protobuf::DescriptorPool*,
                                        std::unique_ptr<CachingTypeResolver>>;
  absl::MutexLock lock(&mu);
  std::unique_ptr<CachingTypeResolver>& resolver = (*resolvers)[pool];
  if (resolver == nullptr)
    resolver = std::make_unique<CachingTypeResolver>(pool);
  return resolver.get();
}

std::string TypeUrl(const Message& message) {
  return absl::StrCat(kTypeUrlPrefix, "/",
                      message.GetDescriptor()->full_name());
}

}  // namespace

absl::StatusOr<Format> ParseFormat(const std::string& text) {
  if (text == "ndjson" || text == "json") return Format::kNdjson;
  if (text == "binary") return Format::kBinary;
  return absl::InvalidArgumentError(absl::StrCat(
      "--format: '", text, "' is not a format; use ndjson or binary"));
}

absl::StatusOr<std::string> RecordJson(const Message& record) {
  std::string json;
  auto printed = google::protobuf::util::BinaryToJsonString(
      ResolverFor(record.GetDescriptor()->file()->pool()), TypeUrl(record),
      record.SerializeAsString(), &json,
      google::protobuf::util::JsonPrintOptions());
  if (!printed.ok()) return absl::InternalError(printed.ToString());
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
  std::string binary;
  auto parsed = google::protobuf::util::JsonToBinaryString(
      ResolverFor(record->GetDescriptor()->file()->pool()), TypeUrl(*record),
      google::protobuf::StringPiece(json.data(), json.size()), &binary,
      google::protobuf::util::JsonParseOptions());
  if (parsed.ok() && !record->ParseFromString(binary)) {
    return absl::InvalidArgumentError("the JSON does not make a record");
  }
  if (parsed.ok()) return absl::OkStatus();
  // "(fee_cents): invalid value ..." -> "field fee_cents: invalid value ...".
  absl::string_view why(parsed.message().data(), parsed.message().size());
  size_t close = why.find("): ");
  if (absl::StartsWith(why, "(") && close != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "field ", why.substr(1, close - 1), ": ", why.substr(close + 3)));
  }
  return absl::InvalidArgumentError(why);
}

absl::Status RecordWriter::Write(const TableInfo& table,
                                 const Message& record) {
  if (format_ == Format::kBinary) {
    std::string bytes = record.SerializeAsString();
    uint8_t length[5];
    uint8_t* end =
        google::protobuf::io::CodedOutputStream::WriteVarint32ToArray(
            static_cast<uint32_t>(bytes.size()), length);
    buffer_.append(reinterpret_cast<char*>(length), end - length);
    buffer_.append(bytes);
  } else {
    absl::StatusOr<std::string> json = RecordJson(record);
    if (!json.ok()) return json.status();
    if (tagged_) {
      absl::StrAppend(&buffer_, "{\"table\":\"", table.name,
                      "\",\"record\":", *json, "}\n");
    } else {
      absl::StrAppend(&buffer_, *json, "\n");
    }
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
    const std::string& path, Format format) {
  absl::StatusOr<InputFile> file = InputFile::Open(path);
  if (!file.ok()) return file.status();
  if (format == Format::kBinary) {
    return std::unique_ptr<RecordSource>(
        std::make_unique<BinarySource>(*std::move(file)));
  }
  return std::unique_ptr<RecordSource>(
      std::make_unique<NdjsonSource>(*std::move(file)));
}

}  // namespace lmdbapi::cli
