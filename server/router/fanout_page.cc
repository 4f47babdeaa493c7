#include "server/router/fanout_page.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "server/schema.h"
#include "server/table/filter_request.h"
#include "storage/coding.h"
#include "storage/index_key.h"
#include "storage/page_token.h"

namespace lmdbapi::server {
namespace {

using google::protobuf::Message;

// Token layout (then base64url): 'F', version 1, the query fingerprint (8
// bytes), the shard count, per shard a flags byte and its strings, and a
// checksum of all that. The shards' own tokens inside are sealed by the
// shards; the checksum only catches truncation and garbage early.
constexpr char kMagic = 'F';
constexpr char kVersion = 1;
constexpr uint8_t kDone = 1, kHasLast = 2;
constexpr storage::TokenSecret kChecksumKey = {};

absl::Status BadToken(absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("page_token: ", why,
                   " (pass the next_page_token of the previous page of the "
                   "same request, through the same router)"));
}

// Appends to `out` every field of the serialized message `bytes` whose
// number is in `numbers`, as it is there (tag and value, in order): what
// parses into the same values of those fields and nothing else. False when
// the bytes are not well-formed.
bool KeepFields(absl::string_view bytes, const std::vector<int>& numbers,
                std::string* out) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const uint8_t*>(bytes.data()),
      static_cast<int>(bytes.size()));
  for (int start = 0; uint32_t tag = in.ReadTag();
       start = in.CurrentPosition()) {
    if (!WireFormatLite::SkipField(&in, tag)) return false;
    const int number = WireFormatLite::GetTagFieldNumber(tag);
    if (std::find(numbers.begin(), numbers.end(), number) != numbers.end()) {
      out->append(bytes.data() + start, in.CurrentPosition() - start);
    }
  }
  return in.ConsumedEntireMessage();
}

}  // namespace

absl::StatusOr<RecordOrder> RecordOrder::For(const storage::TableSchema& table,
                                             const storage::WireRecord* records,
                                             storage::PlanCache* plans,
                                             const Message* request,
                                             absl::string_view wire) {
  storage::Query query;
  if (request != nullptr) {
    LMDBAPI_ASSIGN_OR_RETURN(
        query, QueryFromRequest(*request, wire, table.descriptor));
  }
  return For(table, records, plans, query);
}

absl::StatusOr<RecordOrder> RecordOrder::For(const storage::TableSchema& table,
                                             const storage::WireRecord* records,
                                             storage::PlanCache* plans,
                                             const storage::Query& query) {
  RecordOrder order;
  order.table_ = &table;
  order.records_ = records;
  if (plans != nullptr) {
    LMDBAPI_ASSIGN_OR_RETURN(order.prepared_, plans->Prepare(table, query));
  } else {
    storage::Plan plan;
    LMDBAPI_RETURN_IF_ERROR(storage::PlanQuery(table, query, nullptr, &plan));
    order.prepared_ = storage::PreparedPlan::Of(std::move(plan));
  }
  order.key_fields_.push_back(table.primary_key.field->number());
  for (const storage::FieldRef& f : order.plan().order) {
    order.key_fields_.push_back(f.path.empty() ? f.field->number()
                                               : f.path.front()->number());
  }
  return order;
}

absl::StatusOr<OrderKey> RecordOrder::Of(const Message& record) const {
  OrderKey order;
  order.pk =
      record.GetReflection()->GetString(record, table_->primary_key.field);
  LMDBAPI_ASSIGN_OR_RETURN(order.key, plan().SortKeyOf(record, order.pk));
  return order;
}

absl::StatusOr<OrderKey> RecordOrder::Of(absl::string_view bytes,
                                         Message* scratch) const {
  if (records_ != nullptr) {
    OrderKey order;
    std::optional<absl::Status> read =
        records_->SortKey(bytes, plan().order, &order.key, &order.pk);
    if (read.has_value()) {
      if (!read->ok()) return *read;
      return order;
    }
  }
  scratch->Clear();
  std::string fields;
  if (!KeepFields(bytes, key_fields_, &fields) ||
      !scratch->ParseFromString(fields)) {
    return absl::InternalError(
        absl::StrCat("a shard's ", table_->name, " record did not parse"));
  }
  return Of(*scratch);
}

std::unique_ptr<Message> RecordOrder::NewRecord() const {
  return NewCompiledMessage(table_->descriptor);
}

std::string EncodeFanoutToken(uint64_t fingerprint,
                              const std::vector<ShardCursor>& cursors) {
  std::string raw = {kMagic, kVersion};
  storage::PutFixed64(fingerprint, &raw);
  storage::PutVarint64(cursors.size(), &raw);
  for (const ShardCursor& c : cursors) {
    raw.push_back(
        static_cast<char>((c.done ? kDone : 0) | (c.has_last ? kHasLast : 0)));
    if (c.done) continue;
    storage::PutLengthPrefixed(c.token, &raw);
    if (c.has_last) {
      storage::PutLengthPrefixed(c.last.key, &raw);
      storage::PutLengthPrefixed(c.last.pk, &raw);
    }
  }
  storage::PutFixed64(storage::SipHash24(kChecksumKey, raw), &raw);
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<std::vector<ShardCursor>> DecodeFanoutToken(
    uint64_t fingerprint, size_t shards, absl::string_view token) {
  if (token.empty()) return std::vector<ShardCursor>(shards);
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() < 2 + 8 + 1 + 8 ||
      raw[0] != kMagic || raw[1] != kVersion) {
    return BadToken("not a page token of this router");
  }
  absl::string_view body(raw.data(), raw.size() - 8);
  if (storage::DecodeFixed64(raw.data() + body.size()) !=
      storage::SipHash24(kChecksumKey, body)) {
    return BadToken("damaged (its checksum does not match)");
  }
  storage::Decoder r(body.substr(2));
  if (r.Fixed64() != fingerprint) {
    return BadToken("made for another query");
  }
  uint64_t count = r.Varint64();
  if (!r.ok() || count != shards) {
    return BadToken(
        absl::StrCat("made for ", count, " shards; this router has ", shards));
  }
  std::vector<ShardCursor> cursors(shards);
  for (ShardCursor& c : cursors) {
    uint8_t flags = r.Byte();
    c.done = flags & kDone;
    if (c.done) continue;
    c.token = r.LengthPrefixed();
    c.has_last = flags & kHasLast;
    if (c.has_last) {
      c.last.key = r.LengthPrefixed();
      c.last.pk = r.LengthPrefixed();
    }
  }
  if (!r.ok() || !r.rest().empty()) return BadToken("truncated");
  return cursors;
}

namespace {

// A record fetched from a shard and not yet returned, with where it sorts.
struct Buffered {
  OrderKey key;
  std::string record;  // serialized
};

// What one shard has given this merge.
struct Stream {
  std::deque<Buffered> records;  // fetched, not yet returned
  std::string next;              // the shard's token after that page
  bool fetched = false;          // at least one page asked for
};

// One merged page in the making: where each shard stands (its cursor) and
// what was fetched from it.
class ShardMerge {
 public:
  ShardMerge(std::vector<ShardCursor> cursors, const RecordOrder& order)
      : cursors_(std::move(cursors)),
        streams_(cursors_.size()),
        order_(order),
        scratch_(order.NewRecord()) {}

  // Moves the least buffered record of every shard to `out`; false when
  // every shard is done.
  bool TakeLeast(std::vector<std::string>& out) {
    Stream* least = nullptr;
    size_t from = 0;
    for (size_t i = 0; i < streams_.size(); ++i) {
      if (streams_[i].records.empty()) continue;
      if (least == nullptr || order_.Before(streams_[i].records.front().key,
                                            least->records.front().key)) {
        least = &streams_[i];
        from = i;
      }
    }
    if (least == nullptr) return false;
    Buffered& head = least->records.front();
    cursors_[from].last = std::move(head.key);
    cursors_[from].has_last = true;
    out.push_back(std::move(head.record));
    least->records.pop_front();
    return true;
  }

  // The token that resumes after the records taken; "" when every shard is
  // done.
  std::string NextToken(uint64_t fingerprint) {
    // A shard whose page is used up resumes from its next page.
    for (size_t i = 0; i < cursors_.size(); ++i) {
      if (cursors_[i].done || !streams_[i].fetched ||
          !streams_[i].records.empty()) {
        continue;
      }
      if (streams_[i].next.empty()) {
        cursors_[i].done = true;
      } else {
        MoveOn(i);
      }
    }
    bool complete = std::all_of(cursors_.begin(), cursors_.end(),
                                [](const ShardCursor& c) { return c.done; });
    return complete ? "" : EncodeFanoutToken(fingerprint, cursors_);
  }

  // (shard, page token) for every shard that has nothing buffered and more
  // to give; a shard whose page is used up moves on to its next page.
  std::vector<std::pair<size_t, std::string>> Requests() {
    std::vector<std::pair<size_t, std::string>> requests;
    for (size_t i = 0; i < cursors_.size(); ++i) {
      if (cursors_[i].done || !streams_[i].records.empty()) continue;
      if (streams_[i].fetched) {  // its page is used up: move on
        if (streams_[i].next.empty()) {
          cursors_[i].done = true;
          continue;
        }
        MoveOn(i);
      }
      requests.emplace_back(i, cursors_[i].token);
    }
    return requests;
  }

  // Buffers shard `i`'s `page`, but for the records an earlier merged page
  // returned.
  absl::Status Buffer(size_t i, ShardPage& page) {
    Stream& stream = streams_[i];
    stream.fetched = true;
    stream.next = std::move(page.next_token);
    for (std::string& record : page.records) {
      LMDBAPI_ASSIGN_OR_RETURN(OrderKey key, order_.Of(record, scratch_.get()));
      // Already returned by an earlier merged page.
      if (cursors_[i].has_last && !order_.Before(cursors_[i].last, key)) {
        continue;
      }
      stream.records.push_back({std::move(key), std::move(record)});
    }
    return absl::OkStatus();
  }

 private:
  // Shard `i` resumes from its next page, keeping the last record returned:
  // a page asked with a smaller page_size than the one that returned it
  // ends before it, and the records up to it are in the pages after.
  void MoveOn(size_t i) {
    cursors_[i].token = std::move(streams_[i].next);
    streams_[i] = Stream();
  }

  std::vector<ShardCursor> cursors_;
  std::vector<Stream> streams_;
  const RecordOrder& order_;
  // Each record is parsed into it in turn, for its order key: one message
  // whose fields keep their allocations, not a message per record.
  std::unique_ptr<Message> scratch_;
};

// One merged page in the making across fetches: takes records while every
// shard that may hold the next one has one buffered, and asks the shards
// that must refill, going on when their pages arrive.
class PendingMerge : public std::enable_shared_from_this<PendingMerge> {
 public:
  PendingMerge(std::vector<ShardCursor> cursors, const RecordOrder& order,
               uint64_t fingerprint, size_t page_size, FetchPagesAsync fetch,
               MergeDone done)
      : merge_(std::move(cursors), order),
        fingerprint_(fingerprint),
        page_size_(page_size),
        fetch_(std::move(fetch)),
        done_(std::move(done)) {}

  void Step() {
    while (merged_.records.size() < page_size_) {
      std::vector<std::pair<size_t, std::string>> requests = merge_.Requests();
      if (!requests.empty()) {
        fetch_(requests, [self = shared_from_this(), requests](
                             std::vector<absl::StatusOr<ShardPage>> pages) {
          self->Take(requests, pages);
        });
        return;
      }
      if (!merge_.TakeLeast(merged_.records)) break;  // every shard is done
    }
    merged_.next_token = merge_.NextToken(fingerprint_);
    done_(std::move(merged_));
  }

 private:
  void Take(const std::vector<std::pair<size_t, std::string>>& requests,
            std::vector<absl::StatusOr<ShardPage>>& pages) {
    for (size_t j = 0; j < requests.size(); ++j) {
      absl::Status status = pages[j].status();
      if (status.ok()) status = merge_.Buffer(requests[j].first, *pages[j]);
      if (!status.ok()) return done_(status);  // the first shard error
    }
    Step();
  }

  ShardMerge merge_;
  const uint64_t fingerprint_;
  const size_t page_size_;
  const FetchPagesAsync fetch_;
  const MergeDone done_;
  MergedPage merged_;
};

}  // namespace

void MergeShardPagesAsync(uint64_t fingerprint, size_t shards,
                          const std::vector<size_t>& only,
                          absl::string_view token, size_t page_size,
                          const RecordOrder& order, FetchPagesAsync fetch,
                          MergeDone done) {
  absl::StatusOr<std::vector<ShardCursor>> cursors =
      DecodeFanoutToken(fingerprint, shards, token);
  if (!cursors.ok()) return done(cursors.status());
  if (token.empty() && !only.empty()) {  // the first page: those shards only
    for (size_t i = 0; i < shards; ++i) {
      (*cursors)[i].done = std::count(only.begin(), only.end(), i) == 0;
    }
  }
  std::make_shared<PendingMerge>(*std::move(cursors), order, fingerprint,
                                 page_size, std::move(fetch), std::move(done))
      ->Step();
}

absl::StatusOr<MergedPage> MergeShardPages(uint64_t fingerprint, size_t shards,
                                           absl::string_view token,
                                           size_t page_size,
                                           const RecordOrder& order,
                                           const FetchPages& fetch) {
  // Every fetch answers at once, so the merge ends before this returns.
  absl::StatusOr<MergedPage> merged;
  MergeShardPagesAsync(
      fingerprint, shards, {}, token, page_size, order,
      [&fetch](const std::vector<std::pair<size_t, std::string>>& requests,
               const PagesDone& done) { done(fetch(requests)); },
      [&merged](absl::StatusOr<MergedPage> page) { merged = std::move(page); });
  return merged;
}

}  // namespace lmdbapi::server
