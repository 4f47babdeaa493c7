// export and import: files of records (cli/record_format.h).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "cli/commands.h"
#include "cli/record_format.h"

namespace lmdbapi::cli {
namespace {

// Where export writes: --output (created, then closed) or stdout.
class Output {
 public:
  static absl::StatusOr<std::unique_ptr<Output>> Open(const std::string& path) {
    if (path.empty() || path == "-") {
      return std::unique_ptr<Output>(new Output(stdout, false));
    }
    FILE* file = fopen(path.c_str(), "wb");
    if (file == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--output: cannot create ", path, ": ", strerror(errno)));
    }
    return std::unique_ptr<Output>(new Output(file, true));
  }
  ~Output() {
    if (owned_) fclose(file_);
  }
  FILE* get() const { return file_; }

 private:
  Output(FILE* file, bool owned) : file_(file), owned_(owned) {}
  FILE* file_;
  bool owned_;
};

absl::StatusOr<std::vector<const TableInfo*>> ExportedTables(
    const Invocation& invocation, Format format) {
  std::vector<const TableInfo*> tables;
  if (invocation.Has("table")) {
    LMDBAPI_ASSIGN_OR_RETURN(const TableInfo* table, invocation.Table());
    tables.push_back(table);
    return tables;
  }
  if (format == Format::kBinary) {
    return UsageError("--format=binary holds one table: give --table");
  }
  for (const TableInfo& table : invocation.backend->tables()) {
    tables.push_back(&table);
  }
  return tables;
}

}  // namespace

absl::Status RunExport(const Invocation& invocation) {
  absl::StatusOr<Format> format =
      ParseFormat(invocation.Flag("format", "ndjson"));
  if (!format.ok()) return UsageError(std::string(format.status().message()));
  LMDBAPI_ASSIGN_OR_RETURN(std::vector<const TableInfo*> tables,
                           ExportedTables(invocation, *format));
  LMDBAPI_ASSIGN_OR_RETURN(std::unique_ptr<Output> output,
                           Output::Open(invocation.Flag("output")));
  RecordWriter writer(output->get(), *format, !invocation.Has("table"));
  std::unique_ptr<Progress> progress = invocation.NewProgress(
      absl::StrCat("export ", tables.size() == 1 ? tables[0]->name : "all"));
  LMDBAPI_RETURN_IF_ERROR(
      invocation.backend
          ->Export(
              tables,
              [&writer](const TableInfo& table, absl::string_view record) {
                return writer.Write(table, record);
              },
              progress.get())
          .status());
  LMDBAPI_RETURN_IF_ERROR(writer.Close());
  if (progress != nullptr) progress->Finish();
  return absl::OkStatus();
}

absl::Status RunImport(const Invocation& invocation) {
  absl::StatusOr<Format> format =
      ParseFormat(invocation.Flag("format", "ndjson"));
  if (!format.ok()) return UsageError(std::string(format.status().message()));
  ImportOptions options;
  options.skip_bad = invocation.BoolFlag("skip_bad");
  if (invocation.Has("batch")) {
    LMDBAPI_ASSIGN_OR_RETURN(options.batch, invocation.UintFlag("batch", 0));
    if (options.batch == 0) return UsageError("--batch: must be at least 1");
  }
  LMDBAPI_ASSIGN_OR_RETURN(const TableInfo* table, invocation.Table());
  LMDBAPI_ASSIGN_OR_RETURN(
      std::unique_ptr<RecordSource> source,
      OpenRecordSource(invocation.args[0], *format, table->record));
  std::unique_ptr<Progress> progress =
      invocation.NewProgress(absl::StrCat("import ", table->name));
  LMDBAPI_ASSIGN_OR_RETURN(
      ImportResult result,
      invocation.backend->Import(*table, *source, options, progress.get()));
  if (progress != nullptr) progress->Finish();
  for (const auto& [line, why] : result.skipped) {
    fprintf(stderr, "lmdbapi import: skipped %s\n", why.c_str());
  }
  const uint64_t skipped =
      std::max<uint64_t>(result.skipped_count, result.skipped.size());
  if (skipped > result.skipped.size()) {
    fprintf(stderr,
            "lmdbapi import: (the server listed the first %zu of %llu "
            "skipped records)\n",
            result.skipped.size(), static_cast<unsigned long long>(skipped));
  }
  printf("imported %llu records into %s",
         static_cast<unsigned long long>(result.imported), table->name.c_str());
  if (skipped != 0) {
    printf(", skipped %llu", static_cast<unsigned long long>(skipped));
  }
  printf("\n");
  return absl::OkStatus();
}

}  // namespace lmdbapi::cli
