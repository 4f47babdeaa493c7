// The replicas' TCP transport, wrapped twice.
//
// Host names in replication addresses: libraft 0.15's TCP transport takes
// numeric IPv4 addresses only (it parses them with uv_ip4_addr), while a
// replica in Kubernetes is known by a stable name
// (lmdbapi-0-1.lmdbapi-0...:7000) whose address changes when its pod moves.
// The raft configuration keeps the names; the wrappers resolve them each
// time the transport listens or connects.
//
// No Nagle: the transport leaves TCP_NODELAY unset, so a small message (an
// append's acknowledgement) sent while another is unacknowledged waited for
// the peer's delayed ACK, 40 ms on Linux. Under 64 writes in flight this
// made one batch in a hundred wait ~40 ms (p99 47 ms against p50 8 ms);
// every connection the transport makes or accepts gets TCP_NODELAY
// (docs/REPLICATION.md, "Levers measured").
#ifndef LMDBAPI_SERVER_REPLICATION_NAMED_ADDRESSES_H_
#define LMDBAPI_SERVER_REPLICATION_NAMED_ADDRESSES_H_

#include <memory>
#include <string>

extern "C" {  // libraft's headers declare no C linkage of their own
#include <raft.h>
#include <raft/uv.h>
}

namespace lmdbapi::server {

// "HOST:PORT" with HOST resolved to an IPv4 address ("" when it cannot be:
// unknown name, no IPv4 address). A numeric HOST comes back as it is.
std::string ResolveAddress(const std::string& address);

// The IPv4 "HOST:PORT" the transport listens on for its own `address`
// (ResolveAddress; "0.0.0.0:PORT", every interface, when the name does not
// resolve yet: a pod just scheduled).
std::string ListenAddress(const std::string& address);

// Makes `transport` (after raft_uv_tcp_init) resolve names: it listens on
// its own name's address (all interfaces when the name does not resolve
// yet) and connects to a peer's current address; and sets TCP_NODELAY on
// every connection. The result holds what the wrappers need: keep it until
// after raft_uv_tcp_close.
struct TransportWraps;
struct TransportWrapsDeleter {
  void operator()(TransportWraps* names) const;
};
std::unique_ptr<TransportWraps, TransportWrapsDeleter> WrapTransport(
    raft_uv_transport* transport);

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_REPLICATION_NAMED_ADDRESSES_H_
