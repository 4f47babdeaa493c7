// RaftNode's membership changes (raft_node.h): libraft's raft_add,
// raft_assign, raft_remove and raft_transfer, run on the loop thread.
#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/observability/log.h"
#include "server/replication/named_addresses.h"
#include "server/replication/raft_node.h"
#include "server/replication/raft_node_impl.h"
#include "storage/status.h"

namespace lmdbapi::server {
namespace {

// A change libraft holds until it is committed or fails; `next` runs then.
struct ChangeRequest {
  struct raft_change req;
  std::function<void(int status)> next;
};

struct TransferRequest {
  struct raft_transfer req;
  std::function<void()> next;
};

absl::Status ChangeStatus(int rv, absl::string_view what) {
  if (rv == 0) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("replication: ", what, ": ", raft_strerror(rv)));
}

// Calls `start` with a ChangeRequest whose callback runs `next`; `next` gets
// the error at once when libraft refuses the change.
void Change(std::function<int(struct raft_change*, raft_change_cb)> start,
            std::function<void(int status)> next) {
  auto* request = new ChangeRequest{{}, std::move(next)};
  request->req.data = request;
  int rv = start(&request->req, [](struct raft_change* req, int status) {
    std::unique_ptr<ChangeRequest> r(static_cast<ChangeRequest*>(req->data));
    r->next(status);
  });
  if (rv != 0) {
    std::unique_ptr<ChangeRequest> r(request);
    r->next(rv);
  }
}

const char* RoleName(int role) {
  switch (role) {
    case RAFT_VOTER:
      return "voter";
    case RAFT_STANDBY:
      return "standby";
    default:
      return "spare";
  }
}

}  // namespace

void RaftNode::RunOnLoop(std::function<void(bool closing)> task) {
  {
    absl::MutexLock lock(&mu_);
    if (!closed_) {
      tasks_.push_back(std::move(task));
      uv_async_send(&impl_->wake);
      return;
    }
  }
  task(true);
}

void RaftNode::AddVoter(ReplicaAddress replica, Done done) {
  RunOnLoop([this, replica = std::move(replica),
             done = std::move(done)](bool closing) mutable {
    if (closing) return done(absl::UnavailableError("shutting down"));
    StartAdd(std::move(replica), std::move(done));
  });
}

void RaftNode::Remove(uint64_t id, Done done) {
  RunOnLoop([this, id, done = std::move(done)](bool closing) mutable {
    if (closing) return done(absl::UnavailableError("shutting down"));
    StartRemove(id, std::move(done));
  });
}

std::vector<RaftMember> RaftNode::Members() const {
  const raft_configuration& conf = impl_->raft.configuration;
  std::vector<RaftMember> members;
  for (unsigned i = 0; i < conf.n; ++i) {
    members.push_back(RaftMember{
        FromConfiguredAddress(conf.servers[i].id, conf.servers[i].address),
        RoleName(conf.servers[i].role)});
  }
  std::sort(members.begin(), members.end(),
            [](const RaftMember& a, const RaftMember& b) {
              return a.address.id < b.address.id;
            });
  return members;
}

void RaftNode::StartAdd(ReplicaAddress replica, Done done) {
  struct raft* r = &impl_->raft;
  if (raft_state(r) != RAFT_LEADER) return done(CheckLeader());
  for (const RaftMember& m : Members()) {
    if (m.address.id == replica.id) {
      return done(absl::AlreadyExistsError(
          absl::StrCat("id: replica ", replica.id, " is a member already (",
                       ConfiguredAddress(m.address), ", ", m.role, ")")));
    }
  }
  const std::string address = ConfiguredAddress(replica);
  Log(LogLevel::kInfo, "replication: adding replica %d (%s)", replica.id,
      address);
  const uint64_t id = replica.id;
  Change(
      [r, id, address](struct raft_change* req, raft_change_cb cb) {
        return raft_add(r, req, id, address.c_str(), cb);
      },
      [r, id, done = std::move(done)](int status) mutable {
        if (status != 0) return done(ChangeStatus(status, "raft_add"));
        // A voter once it has caught up with the log (libraft's promotion).
        Change(
            [r, id](struct raft_change* req, raft_change_cb cb) {
              return raft_assign(r, req, id, RAFT_VOTER, cb);
            },
            [done = std::move(done)](int status) {
              done(ChangeStatus(status, "raft_assign"));
            });
      });
}

void RaftNode::StartRemove(uint64_t id, Done done) {
  struct raft* r = &impl_->raft;
  if (raft_state(r) != RAFT_LEADER) return done(CheckLeader());
  std::vector<RaftMember> members = Members();
  if (std::none_of(members.begin(), members.end(),
                   [id](const RaftMember& m) { return m.address.id == id; })) {
    return done(absl::NotFoundError(
        absl::StrCat("id: replica ", id, " is not a member")));
  }
  if (id == options_.id) return TransferLead(std::move(done));
  Log(LogLevel::kInfo, "replication: removing replica %d", id);
  Change([r, id](struct raft_change* req,
                 raft_change_cb cb) { return raft_remove(r, req, id, cb); },
         [done = std::move(done)](int status) {
           done(ChangeStatus(status, "raft_remove"));
         });
}

// The leader asked to remove itself: another voter leads first, and the
// caller is told to ask it (NOT_LEADER naming it).
void RaftNode::TransferLead(Done done) {
  auto* request = new TransferRequest{{}, nullptr};
  request->req.data = request;
  request->next = [this, done = std::move(done)] {
    raft_id leader = 0;
    const char* address = nullptr;
    raft_leader(&impl_->raft, &leader, &address);
    if (leader == options_.id || leader == 0) {
      return done(absl::UnavailableError(
          "replication: this replica leads, and moving the lead to another "
          "voter failed; try again"));
    }
    done(storage::NotLeaderError(ClientOf(leader)));
  };
  Log(LogLevel::kInfo, "replication: moving the lead away to be removed");
  int rv = raft_transfer(&impl_->raft, &request->req, 0,
                         [](struct raft_transfer* req) {
                           std::unique_ptr<TransferRequest> r(
                               static_cast<TransferRequest*>(req->data));
                           r->next();
                         });
  if (rv != 0) {
    std::unique_ptr<TransferRequest> r(request);
    r->next();
  }
}

}  // namespace lmdbapi::server
