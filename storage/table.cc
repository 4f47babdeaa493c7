#include "storage/table.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "storage/lmdb.h"
#include "storage/status.h"
#include "storage/uuid.h"
#include "storage/validate.h"

namespace lmdbapi::storage {
namespace {

using google::protobuf::Message;

std::string Serialize(const Message& record) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    record.SerializeWithCachedSizes(&out);
  }
  return bytes;
}

}  // namespace

std::string IndexMismatch::DebugString() const {
  const char* what = kind == Kind::kMissing    ? "missing entry"
                     : kind == Kind::kDangling ? "dangling entry"
                                               : "orphan record";
  return absl::StrCat(what, " in ", index, " for ", primary_key, " (key ",
                      entry_key, ")");
}

Table::Table(TableSchema schema, Environment* env, Writer* writer,
             MDB_dbi records, std::vector<MDB_dbi> index_dbis, MDB_dbi versions,
             MDB_dbi meta, const TokenSecret* secret, const Message* prototype,
             TableOptions options)
    : schema_(std::move(schema)),
      env_(env),
      writer_(writer),
      records_(records),
      versions_(versions),
      meta_(meta),
      secret_(secret),
      prototype_(prototype),
      options_(options) {
  for (size_t i = 0; i < schema_.indexes.size(); ++i) {
    indexes_.push_back(Index{&schema_.indexes[i], index_dbis[i]});
  }
}

absl::Status Table::CheckPrimaryKey(absl::string_view pk) const {
  const std::string& field = schema_.primary_key.field->name();
  if (pk.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("field '", field, "': the primary key is empty"));
  }
  if (pk.size() > kMaxKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("field '", field, "': the primary key is ", pk.size(),
                     " bytes; the limit is ", kMaxKeySize));
  }
  return absl::OkStatus();
}

absl::Status Table::ParseRecord(absl::string_view pk, absl::string_view bytes,
                                Message* record) const {
  if (!record->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("record '", pk, "' of ", name(),
                                            " does not parse as ",
                                            schema_.descriptor->full_name()));
  }
  return absl::OkStatus();
}

absl::StatusOr<Table::Prepared> Table::Prepare(const Message& record) const {
  if (record.GetDescriptor() != schema_.descriptor) {
    return absl::InvalidArgumentError(absl::StrCat(
        "table ", name(), " stores ", schema_.descriptor->full_name(), ", not ",
        record.GetDescriptor()->full_name()));
  }
  const auto* reflection = record.GetReflection();
  Prepared prepared;
  prepared.pk = reflection->GetString(record, schema_.primary_key.field);
  LMDBAPI_RETURN_IF_ERROR(CheckPrimaryKey(prepared.pk));
  LMDBAPI_RETURN_IF_ERROR(ValidateRecord(record));
  if (parent_ != nullptr) {
    prepared.parent_pk =
        reflection->GetString(record, schema_.parent_key.field);
    if (prepared.parent_pk.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("field '", schema_.parent_key.field->name(), "': a ",
                       name(), " record needs its parent's key"));
    }
  }
  LMDBAPI_RETURN_IF_ERROR(EntriesOf(record, prepared.pk, &prepared.entries));
  if (HasVersionFields(schema_, record)) {  // output only: never stored
    std::unique_ptr<Message> copy(record.New());
    copy->CopyFrom(record);
    ClearVersionFields(schema_, copy.get());
    copy->ByteSizeLong();
    prepared.value = Serialize(*copy);
    return prepared;
  }
  record.ByteSizeLong();  // caches sizes for SerializeWithCachedSizes
  prepared.value = Serialize(record);
  return prepared;
}

// ---- reads -----------------------------------------------------------------

absl::Status Table::Get(absl::string_view pk, Message* record,
                        RecordVersion* version) const {
  LMDBAPI_RETURN_IF_ERROR(CheckPrimaryKey(pk));
  LMDBAPI_ASSIGN_OR_RETURN(Environment::ReadTxn txn, env_->BeginRead());
  absl::StatusOr<absl::string_view> bytes = GetValue(txn.get(), records_, pk);
  if (absl::IsNotFound(bytes.status())) {
    return absl::NotFoundError(absl::StrCat(name(), " '", pk, "' not found"));
  }
  LMDBAPI_RETURN_IF_ERROR(bytes);
  LMDBAPI_RETURN_IF_ERROR(ParseRecord(pk, *bytes, record));
  if (version == nullptr && !has_version_fields()) return absl::OkStatus();
  LMDBAPI_ASSIGN_OR_RETURN(RecordVersion stored,
                           ReadVersion(txn.get(), versions_, pk));
  SetVersionFields(schema_, stored, record);
  if (version != nullptr) *version = stored;
  return absl::OkStatus();
}

absl::StatusOr<std::string> Table::Explain(
    const std::vector<Predicate>& predicates) const {
  LMDBAPI_ASSIGN_OR_RETURN(Plan plan, PlanQuery(schema_, predicates));
  return plan.Describe();
}

absl::StatusOr<uint64_t> Table::Count() const {
  LMDBAPI_ASSIGN_OR_RETURN(Environment::ReadTxn txn, env_->BeginRead());
  MDB_stat stat;
  int rc = mdb_stat(txn.get(), records_, &stat);
  if (rc != 0) return LmdbStatus(rc, "stat");
  return stat.ms_entries;
}

absl::StatusOr<CountResult> Table::Count(const Query& query) const {
  // Interim: counts by filtering; replaced by the index-only count.
  Query all = query;
  all.page_size = SIZE_MAX;
  all.page_token.clear();
  std::unique_ptr<Message> sink(prototype_->New());
  CountResult result;
  LMDBAPI_ASSIGN_OR_RETURN(FilterResult filtered, Filter(all, [&]() {
                             ++result.count;
                             return sink.get();
                           }));
  result.plan = std::move(filtered.plan);
  result.scanned = filtered.scanned;
  return result;
}

// One Filter call: its plan, read snapshot and the page it fills.
class Table::FilterRun {
 public:
  FilterRun(const Table& table, Plan plan, MDB_txn* txn,
            absl::FunctionRef<Message*()> add_record)
      : table_(table),
        plan_(std::move(plan)),
        txn_(txn),
        add_record_(add_record) {}

  const Plan& plan() const { return plan_; }
  // The record under the lookup's key, if there is one.
  absl::Status Lookup();
  // Up to `page_size` records from `start` in the order of the plan's index
  // (or primary key); the next page's token when there are more.
  absl::Status Scan(absl::string_view start, size_t page_size);
  FilterResult Finish() && {
    result_.plan = std::move(plan_);
    return std::move(result_);
  }

 private:
  // Parses a record read and adds it (through add_record) when it passes
  // the residual predicates; returns whether it did.
  absl::StatusOr<bool> Emit(absl::string_view pk, absl::string_view bytes);
  // The schema's revision/time fields, set on a returned record.
  absl::Status SetVersion(absl::string_view pk, Message* record);

  const Table& table_;
  Plan plan_;
  MDB_txn* const txn_;
  const absl::FunctionRef<Message*()> add_record_;
  // Without a residual filter every record read is returned, so it is
  // parsed straight into the caller's message; otherwise into this scratch
  // message, swapped into the caller's when it matches.
  std::unique_ptr<Message> scratch_;
  FilterResult result_;
};

absl::Status Table::FilterRun::Lookup() {
  absl::StatusOr<absl::string_view> bytes =
      GetValue(txn_, table_.records_, plan_.start);
  if (absl::IsNotFound(bytes.status())) return absl::OkStatus();
  LMDBAPI_RETURN_IF_ERROR(bytes);
  return Emit(plan_.start, *bytes).status();
}

absl::Status Table::FilterRun::Scan(absl::string_view start, size_t page_size) {
  const Index* index = nullptr;
  for (const Index& i : table_.indexes_) {
    if (i.schema == plan_.index) index = &i;
  }
  LMDBAPI_ASSIGN_OR_RETURN(
      Cursor cursor,
      Cursor::Open(txn_, index != nullptr ? index->dbi : table_.records_));
  size_t returned = 0;
  absl::string_view last_key;
  absl::StatusOr<bool> more = cursor.Seek(start);
  for (; more.ok() && *more; more = cursor.Next()) {
    absl::string_view key = cursor.key();
    if (plan_.end && key >= *plan_.end) break;
    if (returned == page_size) {
      result_.next_page_token = EncodePageToken(
          *table_.secret_, plan_.Fingerprint(table_.schema_), last_key);
      break;
    }
    absl::string_view pk = key;
    absl::string_view bytes = cursor.value();
    if (index != nullptr) {
      LMDBAPI_ASSIGN_OR_RETURN(
          pk, PrimaryKeyOfEntry(*index->schema, key, cursor.value()));
      absl::StatusOr<absl::string_view> record =
          GetValue(txn_, table_.records_, pk);
      if (!record.ok()) {
        return absl::InternalError(absl::StrCat(
            "index ", index->schema->name, " of ", table_.name(),
            " points at '", pk,
            "', which is missing; verify and rebuild the indexes"));
      }
      bytes = *record;
    }
    last_key = key;  // valid while the transaction lives
    LMDBAPI_ASSIGN_OR_RETURN(bool added, Emit(pk, bytes));
    if (added) ++returned;
  }
  return more.status();
}

absl::StatusOr<bool> Table::FilterRun::Emit(absl::string_view pk,
                                            absl::string_view bytes) {
  ++result_.scanned;
  // Interim (see PlanQuery): where's leaves are the consumed predicates,
  // the residual ones, then the filter's.
  size_t leaves = plan_.where.kind == Expr::Kind::kTrue        ? 0
                  : plan_.where.kind == Expr::Kind::kPredicate ? 1
                  : plan_.where.kind == Expr::Kind::kAnd
                      ? plan_.where.children.size()
                      : SIZE_MAX;
  if (leaves == plan_.consumed.size()) {
    Message* target = add_record_();
    LMDBAPI_RETURN_IF_ERROR(table_.ParseRecord(pk, bytes, target));
    LMDBAPI_RETURN_IF_ERROR(SetVersion(pk, target));
    return true;
  }
  if (scratch_ == nullptr) scratch_.reset(table_.prototype_->New());
  LMDBAPI_RETURN_IF_ERROR(table_.ParseRecord(pk, bytes, scratch_.get()));
  if (!plan_.where.Matches(*scratch_)) return false;
  Message* target = add_record_();
  target->GetReflection()->Swap(scratch_.get(), target);
  LMDBAPI_RETURN_IF_ERROR(SetVersion(pk, target));
  return true;
}

absl::Status Table::FilterRun::SetVersion(absl::string_view pk,
                                          Message* record) {
  if (!table_.has_version_fields()) return absl::OkStatus();
  LMDBAPI_ASSIGN_OR_RETURN(RecordVersion version,
                           ReadVersion(txn_, table_.versions_, pk));
  SetVersionFields(table_.schema_, version, record);
  return absl::OkStatus();
}

absl::StatusOr<FilterResult> Table::Filter(
    const Query& query, absl::FunctionRef<Message*()> add_record) const {
  LMDBAPI_ASSIGN_OR_RETURN(Plan plan, PlanQuery(schema_, query));
  const size_t page_size =
      query.page_size == 0 ? options_.default_page_size
                           : std::min(query.page_size, options_.max_page_size);
  std::string start = plan.start;
  if (!query.page_token.empty()) {
    LMDBAPI_ASSIGN_OR_RETURN(
        std::string last,
        DecodePageToken(*secret_, plan.Fingerprint(schema_), query.page_token));
    last.push_back('\0');  // the smallest key after the last one returned
    start = std::max(start, last);
  }
  LMDBAPI_ASSIGN_OR_RETURN(Environment::ReadTxn txn, env_->BeginRead());
  FilterRun run(*this, std::move(plan), txn.get(), add_record);
  if (run.plan().kind != Plan::Kind::kPrimaryKeyLookup) {
    LMDBAPI_RETURN_IF_ERROR(run.Scan(start, page_size));
  } else if (query.page_token.empty()) {  // a lookup has one page
    LMDBAPI_RETURN_IF_ERROR(run.Lookup());
  }
  return std::move(run).Finish();
}

}  // namespace lmdbapi::storage
