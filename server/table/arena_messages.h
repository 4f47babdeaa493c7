// A call's request and response on one protobuf arena whose first block is
// in the object itself: the request is parsed into it and the response built
// in it, and both, with every string and sub-message, go at once with the
// object, instead of piece by piece (a Transactions commit of a permit and
// 10 lines freed some 60 allocations). CommitService keeps one per commit
// (Commit is a raw method: it parses its own request).
#ifndef LMDBAPI_SERVER_TABLE_ARENA_MESSAGES_H_
#define LMDBAPI_SERVER_TABLE_ARENA_MESSAGES_H_

#include "google/protobuf/arena.h"
#include "google/protobuf/message.h"

namespace lmdbapi::server {

class ArenaMessages {
 public:
  // Empty messages of the types of `request_type` and `response_type`.
  ArenaMessages(const google::protobuf::Message& request_type,
                const google::protobuf::Message& response_type)
      : arena_(Options(first_block_, sizeof(first_block_))),
        request_(request_type.New(&arena_)),
        response_(response_type.New(&arena_)) {}
  ArenaMessages(const ArenaMessages&) = delete;
  ArenaMessages& operator=(const ArenaMessages&) = delete;

  google::protobuf::Message* request() const { return request_; }
  google::protobuf::Message* response() const { return response_; }

 private:
  static google::protobuf::ArenaOptions Options(char* block, size_t size) {
    google::protobuf::ArenaOptions options;
    options.initial_block = block;
    options.initial_block_size = size;
    return options;
  }
  alignas(8) char first_block_[2048];
  google::protobuf::Arena arena_;
  google::protobuf::Message* request_;
  google::protobuf::Message* response_;
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_ARENA_MESSAGES_H_
