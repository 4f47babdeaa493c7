// One Import call (a client stream of Import<Service>Request messages): the
// records are taken from each message as it arrives (no copy), prepared on
// the gRPC thread and committed in batches of kLimits.records (or of the
// records of kLimits.bytes of messages) through storage::Importer
// (storage/importer.h), with up to kLimits.in_flight batches committing
// while the next is read. A batch is one transaction: the larger, the fewer
// times a page of an index is written (docs/CLI.md, "How an import is
// written"), at the cost of the writes of other clients waiting while it
// applies (~0.3 s for 65,536 permits). When nothing is committing, the records
// of a message are committed without waiting for a full batch (a slow
// client's records do not wait for the next ones). The answer is sent once
// every batch is durable: how many records were stored, the revision of the
// last, and the records left out (skip_bad); or the error of the first bad
// record, as "record <position>: field '<name>': ...", with the records before
// it stored and none after.
//
// A client that cancels (or a deadline that passes) keeps the batches that
// committed before. An error is answered as soon as the batches before it
// are done, even while the client is still sending.
#ifndef LMDBAPI_SERVER_TABLE_IMPORT_STREAM_H_
#define LMDBAPI_SERVER_TABLE_IMPORT_STREAM_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/message.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "server/table/answer_queue.h"
#include "server/table/byte_buffer_view.h"
#include "server/table/canonical_import.h"
#include "storage/importer.h"
#include "storage/table.h"

namespace lmdbapi::server {

// What a stream needs from its table service.
struct ImportSetup {
  storage::Table* table = nullptr;
  AnswerQueue* answers = nullptr;
  // Checks the call (access: write on the table); a refusal finishes it.
  std::function<absl::Status()> admit;
  // Checks each record before it is prepared (the x-shard-key); a refusal
  // makes it a bad record.
  std::function<absl::Status(const google::protobuf::Message&)> check;
  // Called once as the call finishes (metrics, log).
  std::function<void(const absl::Status&, uint64_t imported)> finished;
};

// The work of an import, without the generated request type.
class ImportStream {
 public:
  // How records are gathered into batches.
  struct Limits {
    size_t records;  // a batch's records
    size_t bytes;    // the messages a batch's records come from
    int in_flight;   // batches committing while the next is read
    // Whether the records of a message are committed at once when nothing
    // commits (a slow client's records do not wait for the next ones).
    bool submit_when_idle;
  };
  static constexpr Limits kLimits = {65536, size_t{32} << 20, 2, true};
  // On a replicated shard a batch is one entry of the log, sent to every
  // follower, and committed one at a time (storage/importer.h).
  static constexpr Limits kReplicatedLimits = {32768, size_t{16} << 20, 1,
                                               false};

  ImportStream(ImportSetup setup, grpc::CallbackServerContext* context,
               const google::protobuf::Message& prototype,
               google::protobuf::Message* response);
  virtual ~ImportStream();

 protected:
  // Checks the call and starts reading.
  void Begin();
  // The reactor's OnReadDone: `unparsed` is ParseIncoming's error for a
  // message read that did not parse, which ends the import at it.
  void Received(bool ok, absl::Status unparsed = absl::OkStatus());
  // Parses the message read into the request Read was given: INVALID_ARGUMENT
  // naming the field that is not UTF-8 (or saying it is no message).
  absl::Status ParseIncoming(const grpc::ByteBuffer& bytes);
  // StartRead of the next message, to be parsed into `request` (a new
  // message of the request type).
  virtual void Read(google::protobuf::Message* request) = 0;
  virtual void Reply(const grpc::Status& status) = 0;
  // The reactor's OnDone: gRPC is done with the stream, which is deleted
  // once no batch is committing either.
  void Release();

 private:
  struct Batch;
  // The reader's: takes the records of `request`, submitting full batches.
  void Take(std::shared_ptr<google::protobuf::Message> request);
  void TakeCanonical(std::shared_ptr<CanonicalImport> request);
  // Starts the importer with the first message's options.
  void StartImporter(bool skip_bad, bool replace_existing);
  // Takes one record of `request` (which keeps it alive) into the batch;
  // false when the import ends at it.
  bool TakeRecord(storage::ImportRecord record,
                  const std::shared_ptr<const void>& request);
  // Returns false when the import ends with this batch.
  bool SubmitBatch();
  // On the answer thread once a batch is committed (or failed).
  void Committed(Batch* batch, const absl::Status& status);
  // Once the batches are durable (storage::Importer::Sync), before the
  // answer.
  void Synced(const absl::Status& status);
  // The first bad record so far ends the import (`position` 0: no record).
  void NoteError(uint64_t position, absl::Status status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // What to do next, decided under the lock and done outside it.
  enum class Next { kWait, kRead, kSync, kAnswer };
  Next Decide() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Do(Next next);
  void Answer();
  static std::shared_ptr<google::protobuf::Message> NewOnArena(
      const google::protobuf::Message& prototype);

  ImportSetup setup_;
  const Limits limits_;
  grpc::CallbackServerContext* context_;
  const google::protobuf::Message& prototype_;
  google::protobuf::Message* response_;

  // The reader's (one OnReadDone at a time).
  std::optional<storage::Importer> importer_;
  bool skip_bad_ = false;
  uint64_t position_ = 0;  // of the last record taken
  std::unique_ptr<Batch> current_;
  std::shared_ptr<google::protobuf::Message> incoming_;
  // Instead of incoming_: the message read last, when its records were all
  // canonical (the shard key checks none).
  std::shared_ptr<CanonicalImport> incoming_canonical_;
  size_t incoming_bytes_ = 0;  // of the message read last

  // Who keeps the stream alive: gRPC until OnDone, and each batch from its
  // submission until its Committed returns. The answer may be sent, and
  // gRPC be done with the call, while a Committed still runs on the answer
  // thread (ASan saw gRPC delete the stream there, CI).
  std::atomic<int> holders_{1};

  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;    // a read is pending
  bool receiving_ ABSL_GUARDED_BY(mu_) = false;  // Received() runs
  bool ended_ ABSL_GUARDED_BY(mu_) = false;      // no more to read
  bool finished_ ABSL_GUARDED_BY(mu_) = false;   // answered
  bool submitted_ ABSL_GUARDED_BY(mu_) = false;  // a batch, since a sync
  bool syncing_ ABSL_GUARDED_BY(mu_) = false;    // a sync not answered
  uint64_t imported_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t revision_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::pair<uint64_t, absl::Status>> skipped_ ABSL_GUARDED_BY(mu_);
  std::optional<std::pair<uint64_t, absl::Status>> error_ ABSL_GUARDED_BY(mu_);
};

// The generated service's Import is a raw method (codegen/cpp_emitter.cc):
// the reactor reads each message as bytes and parses it itself, so a message
// that does not parse (a string that is not UTF-8) is told from the end of
// the stream, and the field is named.
template <typename Request, typename Response>
class ImportReactor final : public grpc::ServerReadReactor<grpc::ByteBuffer>,
                            private ImportStream {
 public:
  ImportReactor(ImportSetup setup, grpc::CallbackServerContext* context,
                grpc::ByteBuffer* response)
      : ImportStream(std::move(setup), context, Request::default_instance(),
                     &response_),
        response_bytes_(response) {
    Begin();
  }
  void OnReadDone(bool ok) override {
    Received(ok, ok ? ParseIncoming(read_) : absl::OkStatus());
  }
  void OnDone() override { Release(); }

 private:
  void Read(google::protobuf::Message*) override { StartRead(&read_); }
  void Reply(const grpc::Status& status) override {
    *response_bytes_ = ByteBufferOf(response_.SerializeAsString());
    Finish(status);
  }
  grpc::ByteBuffer read_;
  Response response_;
  grpc::ByteBuffer* response_bytes_;
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_IMPORT_STREAM_H_
