// The descriptors and reflections of a schema's Transactions messages
// (their shape: model/commit_layout.h), looked up once. The server's
// CommitService reads every commit request through them instead of finding
// each field by number and asking each message for its reflection on every
// read (a commit of a permit and 10 lines did some 160 such lookups).
#ifndef LMDBAPI_MODEL_COMMIT_FIELDS_H_
#define LMDBAPI_MODEL_COMMIT_FIELDS_H_

#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "model/commit_layout.h"

namespace lmdbapi::model {

// A message type's reflection and fields.
struct CommitFields {
  using Field = const google::protobuf::FieldDescriptor*;
  using Reflection = const google::protobuf::Reflection*;

  // One of CommitWrite's `write` oneof: a table's Insert, Update, Patch or
  // Delete request.
  struct Op {
    int table = 0;
    commit_layout::Op op = commit_layout::kInsert;
    Reflection reflection = nullptr;
    Field record = nullptr;    // Insert, Update, Patch
    Field expected = nullptr;  // Update, Patch, Delete: expected_revision
    Field key = nullptr;       // Delete
  };

  // Those of `request_type` (a CommitRequest) and the messages it holds.
  static CommitFields Of(const google::protobuf::Message& request_type);

  // The write op of `field`, a member of CommitWrite's oneof.
  const Op& OpOf(Field field) const {
    return ops[field->number() - commit_layout::kFirstWrite];
  }

  Reflection request = nullptr;  // CommitRequest
  Field preconditions = nullptr;
  Field writes = nullptr;
  Reflection condition = nullptr;  // CommitPrecondition
  Field collection = nullptr;
  Field condition_key = nullptr;
  const google::protobuf::OneofDescriptor* check = nullptr;
  Reflection write = nullptr;  // CommitWrite
  const google::protobuf::OneofDescriptor* op = nullptr;
  Field key_refs = nullptr;
  Reflection ref = nullptr;  // CommitKeyRef
  Field ref_field = nullptr;
  Field ref_write = nullptr;
  std::vector<Op> ops;  // by field number - kFirstWrite
};

}  // namespace lmdbapi::model

#endif  // LMDBAPI_MODEL_COMMIT_FIELDS_H_
