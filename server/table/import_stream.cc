#include "server/table/import_stream.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "model/request_access.h"
#include "server/table/grpc_status.h"
#include "server/table/parse_errors.h"
#include "storage/status.h"

namespace lmdbapi::server {

using google::protobuf::Message;

struct ImportStream::Batch {
  // The requests its records live in: parsed messages, or the bytes of
  // canonical ones.
  std::vector<std::shared_ptr<const void>> requests;
  std::vector<storage::ImportRecord> records;
  size_t bytes = 0;  // of the messages begun in this batch
  storage::ImportBatchResult result;
  uint64_t first_position = 0;
};

// A new message of `prototype`'s type on an arena of its own, which it
// keeps alive: a message of ~1000 records is allocated in a few blocks and
// freed at once, not string by string.
std::shared_ptr<Message> ImportStream::NewOnArena(const Message& prototype) {
  google::protobuf::ArenaOptions options;
  options.start_block_size = 64 << 10;
  options.max_block_size = 1 << 20;
  auto arena = std::make_shared<google::protobuf::Arena>(options);
  Message* message = prototype.New(arena.get());
  return std::shared_ptr<Message>(std::move(arena), message);
}

ImportStream::ImportStream(ImportSetup setup,
                           grpc::CallbackServerContext* context,
                           const Message& prototype, Message* response)
    : setup_(std::move(setup)),
      limits_(storage::Importer::Replicated(*setup_.table) ? kReplicatedLimits
                                                           : kLimits),
      context_(context),
      prototype_(prototype),
      response_(response),
      current_(std::make_unique<Batch>()) {}

ImportStream::~ImportStream() = default;

void ImportStream::Begin() {
  absl::Status admitted = setup_.admit ? setup_.admit() : absl::OkStatus();
  Next next = Next::kAnswer;
  {
    absl::MutexLock lock(&mu_);
    if (!admitted.ok()) NoteError(0, admitted);
    next = Decide();
  }
  Do(next);
}

ImportStream::Next ImportStream::Decide() {
  if (finished_ || receiving_) return Next::kWait;  // the reader goes on
  bool stop = ended_ || error_.has_value();
  if (stop && in_flight_ == 0) {  // a pending read ends with the call
    // What was stored is durable before the answer says so.
    if (syncing_) return Next::kWait;
    if (submitted_) {
      syncing_ = true;
      submitted_ = false;  // a batch submitted after this asks again
      return Next::kSync;
    }
    finished_ = true;
    return Next::kAnswer;
  }
  // A stop waits for the last commit; a read in progress for its message;
  // enough committing for the next commit.
  if (stop || reading_ || in_flight_ >= limits_.in_flight) return Next::kWait;
  reading_ = true;
  incoming_ = NewOnArena(prototype_);
  return Next::kRead;
}

void ImportStream::Do(Next next) {
  if (next == Next::kRead) Read(incoming_.get());
  if (next == Next::kAnswer) Answer();
  if (next == Next::kSync) {
    holders_.fetch_add(1, std::memory_order_relaxed);  // until Synced
    importer_->Sync([this](absl::Status status) {
      setup_.answers->Post([this, status] { Synced(status); });
    });
  }
}

void ImportStream::Synced(const absl::Status& status) {
  Next next;
  {
    absl::MutexLock lock(&mu_);
    syncing_ = false;
    if (!status.ok()) NoteError(0, status);
    next = Decide();
  }
  Do(next);
  Release();  // last: it may delete this
}

void ImportStream::Release() {
  if (holders_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

absl::Status ImportStream::ParseIncoming(const grpc::ByteBuffer& bytes) {
  incoming_bytes_ = bytes.Length();
  // A record the shard key checks is parsed for the check.
  if (!setup_.check) {
    auto canonical = std::make_shared<CanonicalImport>();
    if (canonical->Read(bytes, *setup_.table)) {
      incoming_canonical_ = std::move(canonical);
      return absl::OkStatus();
    }
  }
  return ParseRequest(bytes, {"", "Import"}, incoming_.get());
}

void ImportStream::Received(bool ok, absl::Status unparsed) {
  std::shared_ptr<Message> request = std::move(incoming_);
  std::shared_ptr<CanonicalImport> canonical = std::move(incoming_canonical_);
  bool stopped;
  {
    absl::MutexLock lock(&mu_);
    reading_ = false;
    if (finished_) return;  // answered already (an error): nothing to do
    receiving_ = true;
    stopped = ended_ || error_.has_value();
  }
  bool cancelled = !ok && context_->IsCancelled();
  // A message that does not parse ends the import at it: the records of the
  // messages before it are stored.
  bool bad = ok && !unparsed.ok();
  if (bad && !stopped) SubmitBatch();
  if (ok && !bad && !stopped) {
    if (canonical != nullptr) {
      TakeCanonical(std::move(canonical));
    } else {
      Take(std::move(request));
    }
    bool idle;
    {
      absl::MutexLock lock(&mu_);
      idle = in_flight_ == 0;
    }
    // Nothing commits: no reason to wait for more. A replicated shard reads
    // nothing while its one batch commits, so it waits for a full batch.
    if (idle && limits_.submit_when_idle) SubmitBatch();
  }
  if (!ok && !stopped && !cancelled) SubmitBatch();  // the end of the stream
  Next next;
  {
    absl::MutexLock lock(&mu_);
    receiving_ = false;
    if (!ok || bad) ended_ = true;
    if (bad && !stopped) {
      NoteError(position_ + 1,
                storage::At(absl::StrCat("record ", position_ + 1), unparsed));
    }
    if (cancelled) {
      NoteError(0, absl::CancelledError(
                       "the import was cancelled (by the client or its "
                       "deadline): the batches committed before it stay"));
    }
    next = Decide();
  }
  Do(next);
}

void ImportStream::StartImporter(bool skip_bad, bool replace_existing) {
  if (importer_.has_value()) return;  // the first message's options
  storage::ImportOptions options;
  options.skip_bad = skip_bad;
  options.replace_existing = replace_existing;
  options.deadline = context_->deadline();
  skip_bad_ = options.skip_bad;
  importer_.emplace(setup_.table, options);
}

void ImportStream::Take(std::shared_ptr<Message> request) {
  StartImporter(model::ImportSkipBad(*request),
                model::ImportReplaceExisting(*request));
  auto* records = model::ImportRecords(request.get());
  if (!records->empty()) current_->requests.push_back(request);
  current_->bytes += incoming_bytes_;
  for (Message& record : *records) {
    if (!TakeRecord({&record, 0}, request)) return;
  }
  if (current_->bytes >= limits_.bytes) SubmitBatch();
}

void ImportStream::TakeCanonical(std::shared_ptr<CanonicalImport> request) {
  StartImporter(request->skip_bad, request->replace_existing);
  if (!request->records.empty()) current_->requests.push_back(request);
  current_->bytes += incoming_bytes_;
  for (absl::string_view record : request->records) {
    if (!TakeRecord({nullptr, 0, record}, request)) return;
  }
  if (current_->bytes >= limits_.bytes) SubmitBatch();
}

bool ImportStream::TakeRecord(storage::ImportRecord record,
                              const std::shared_ptr<const void>& request) {
  record.position = ++position_;
  absl::Status checked = setup_.check && record.record != nullptr
                             ? setup_.check(*record.record)
                             : absl::OkStatus();
  if (!checked.ok()) {
    checked = storage::At(absl::StrCat("record ", record.position), checked);
    if (!skip_bad_ && !SubmitBatch()) return false;
    absl::MutexLock lock(&mu_);
    if (skip_bad_) {
      skipped_.emplace_back(record.position, checked);
      return true;
    }
    NoteError(record.position, checked);
    ended_ = true;
    return false;
  }
  current_->records.push_back(record);
  if (current_->records.size() < limits_.records) return true;
  if (!SubmitBatch()) return false;
  current_->requests.push_back(request);
  return true;
}

bool ImportStream::SubmitBatch() {
  if (current_->records.empty() || !importer_.has_value()) return true;
  Batch* batch = current_.release();
  current_ = std::make_unique<Batch>();
  batch->first_position = batch->records.front().position;
  {
    absl::MutexLock lock(&mu_);
    ++in_flight_;
    submitted_ = true;
  }
  holders_.fetch_add(1, std::memory_order_relaxed);  // until Committed
  bool more = importer_->Submit(std::move(batch->records), &batch->result,
                                [this, batch](absl::Status status) {
                                  setup_.answers->Post([this, batch, status] {
                                    Committed(batch, status);
                                  });
                                });
  if (!more) {
    absl::MutexLock lock(&mu_);
    ended_ = true;
  }
  return more;
}

void ImportStream::Committed(Batch* batch, const absl::Status& status) {
  std::unique_ptr<Batch> owned(batch);
  Next next;
  {
    absl::MutexLock lock(&mu_);
    --in_flight_;
    imported_ += batch->result.stored;
    if (batch->result.revision != 0) revision_ = batch->result.revision;
    for (auto& [position, refusal] : batch->result.rejected) {
      if (skip_bad_) {
        skipped_.emplace_back(position, refusal);
      } else {
        NoteError(position, refusal);
      }
    }
    if (!status.ok()) NoteError(batch->first_position, status);
    next = Decide();
  }
  owned.reset();
  Do(next);
  Release();  // last: it may delete this
}

void ImportStream::NoteError(uint64_t position, absl::Status status) {
  if (!error_.has_value() || position < error_->first) {
    error_.emplace(position, std::move(status));
  }
}

void ImportStream::Answer() {
  absl::Status status;
  uint64_t imported;
  {
    absl::MutexLock lock(&mu_);
    imported = imported_;
    if (error_.has_value()) status = error_->second;
    std::sort(skipped_.begin(), skipped_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::pair<uint64_t, std::string>> skipped;
    skipped.reserve(skipped_.size());
    for (const auto& [position, refusal] : skipped_) {
      skipped.emplace_back(position, std::string(refusal.message()));
    }
    model::SetImportResult(response_, imported_, revision_, skipped);
  }
  if (setup_.finished) setup_.finished(status, imported);
  Reply(ToGrpcStatus(status));
}

}  // namespace lmdbapi::server
