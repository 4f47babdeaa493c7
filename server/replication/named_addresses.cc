#include "server/replication/named_addresses.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <uv.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "server/replication/replica_address.h"

namespace lmdbapi::server {

// The transport's own functions, and the addresses handed to them (which
// must outlive the calls).
struct TransportWraps {
  int (*init)(raft_uv_transport*, raft_id, const char*);
  int (*connect)(raft_uv_transport*, raft_uv_connect*, raft_id, const char*,
                 raft_uv_connect_cb);
  int (*listen_for)(raft_uv_transport*, raft_uv_accept_cb);
  raft_uv_accept_cb accepted = nullptr;  // libraft's
  std::string listen;
  std::map<std::string, std::string> resolved;
};

namespace {

using Names = TransportWraps;

// Each wrapped transport's names (libraft keeps transport->data for itself).
absl::Mutex registry_mu;
std::map<const raft_uv_transport*, Names*>& Registry() {
  static auto* registry = new std::map<const raft_uv_transport*, Names*>();
  return *registry;
}

Names* NamesOf(raft_uv_transport* t) {
  absl::MutexLock lock(&registry_mu);
  return Registry().at(t);
}

// libraft's callback of each connection being made.
std::map<const raft_uv_connect*, raft_uv_connect_cb>& Connecting() {
  static auto* connecting =
      new std::map<const raft_uv_connect*, raft_uv_connect_cb>();
  return *connecting;
}

void NoDelay(uv_stream_t* stream) {
  if (stream != nullptr && stream->type == UV_TCP) {
    uv_tcp_nodelay(reinterpret_cast<uv_tcp_t*>(stream), 1);
  }
}

}  // namespace

void TransportWrapsDeleter::operator()(TransportWraps* names) const {
  absl::MutexLock lock(&registry_mu);
  for (auto it = Registry().begin(); it != Registry().end(); ++it) {
    if (it->second == names) {
      Registry().erase(it);
      break;
    }
  }
  delete names;
}

namespace {

void Connected(raft_uv_connect* req, uv_stream_t* stream, int status);
void Accepted(raft_uv_transport* t, raft_id id, const char* address,
              uv_stream_t* stream);

int Init(raft_uv_transport* t, raft_id id, const char* configured) {
  Names* names = NamesOf(t);
  const std::string address = TransportAddress(configured);
  names->listen = ListenAddress(address);
  return names->init(t, id, names->listen.c_str());
}

int Connect(raft_uv_transport* t, raft_uv_connect* req, raft_id id,
            const char* configured, raft_uv_connect_cb cb) {
  Names* names = NamesOf(t);
  const std::string address = TransportAddress(configured);
  std::string& resolved = names->resolved[address];
  std::string now = ResolveAddress(address);
  // Unresolvable: the transport fails the connection, and libraft retries.
  resolved = now.empty() ? address : now;
  {
    absl::MutexLock lock(&registry_mu);
    Connecting()[req] = cb;
  }
  int rv = names->connect(t, req, id, resolved.c_str(), Connected);
  if (rv != 0) {
    absl::MutexLock lock(&registry_mu);
    Connecting().erase(req);
  }
  return rv;
}

void Connected(raft_uv_connect* req, uv_stream_t* stream, int status) {
  raft_uv_connect_cb cb;
  {
    absl::MutexLock lock(&registry_mu);
    auto it = Connecting().find(req);
    cb = it->second;
    Connecting().erase(it);
  }
  if (status == 0) NoDelay(stream);
  cb(req, stream, status);
}

int Listen(raft_uv_transport* t, raft_uv_accept_cb cb) {
  Names* names = NamesOf(t);
  names->accepted = cb;
  return names->listen_for(t, Accepted);
}

void Accepted(raft_uv_transport* t, raft_id id, const char* address,
              uv_stream_t* stream) {
  NoDelay(stream);
  NamesOf(t)->accepted(t, id, address, stream);
}

}  // namespace

std::string ListenAddress(const std::string& address) {
  std::string resolved = ResolveAddress(address);
  const size_t colon = address.rfind(':');
  if (!resolved.empty() || colon == std::string::npos) return resolved;
  return absl::StrCat("0.0.0.0", address.substr(colon));
}

std::string ResolveAddress(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return "";
  std::string host = address.substr(0, colon);
  in_addr numeric;
  if (inet_pton(AF_INET, host.c_str(), &numeric) == 1) return address;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 ||
      found == nullptr) {
    return "";
  }
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr,
            text, sizeof text);
  freeaddrinfo(found);
  return absl::StrCat(text, address.substr(colon));
}

std::unique_ptr<TransportWraps, TransportWrapsDeleter> WrapTransport(
    raft_uv_transport* transport) {
  std::unique_ptr<TransportWraps, TransportWrapsDeleter> names(
      new TransportWraps{transport->init,
                         transport->connect,
                         transport->listen,
                         nullptr,
                         {},
                         {}});
  {
    absl::MutexLock lock(&registry_mu);
    Registry()[transport] = names.get();
  }
  transport->init = Init;
  transport->connect = Connect;
  transport->listen = Listen;
  return names;
}

}  // namespace lmdbapi::server
