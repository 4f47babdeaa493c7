// Table writes on a replicated shard: each one a command of one or more
// CommitWrites on this table (storage/database_command.cc).
#include <memory>
#include <utility>

#include "storage/database.h"
#include "storage/table.h"

namespace lmdbapi::storage {

CommitWrite Table::CommandWrite(CommitWrite::Kind kind,
                                const google::protobuf::Message* record) {
  CommitWrite write;
  write.kind = kind;
  write.table = this;
  if (record != nullptr) {
    write.record.reset(record->New());
    write.record->CopyFrom(*record);
  }
  return write;
}

void Table::SubmitCommand(std::vector<CommitWrite> writes,
                          WriteDeadline deadline,
                          std::function<void(std::vector<CommitWrite>&)> finish,
                          Done done) {
  auto commit = std::make_shared<Commit>();
  commit->writes = std::move(writes);
  commit->deadline = deadline;
  database_->SubmitCommand(commit, /*one_revision=*/false,
                           [commit, finish = std::move(finish),
                            done = std::move(done)](absl::Status status) {
                             if (status.ok()) finish(commit->writes);
                             done(std::move(status));
                           });
}

}  // namespace lmdbapi::storage
