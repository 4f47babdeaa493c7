// The shape of the schema-level Transactions service that protoc-gen-lmdbapi
// emits (codegen/proto_emitter.cc) and the server reads
// (server/commit_service.cc): its names and field numbers, stated once.
//
//   service Transactions { rpc Commit(CommitRequest) returns (CommitResponse) }
//   CommitRequest   { repeated CommitPrecondition preconditions = 1;
//                     repeated CommitWrite writes = 2; }
//   CommitWrite     { repeated CommitKeyRef key_refs = 1;
//                     oneof write { <Insert|Update|Patch|Delete><Record>Request
//                                   <op>_<record> = 16 + 4 × table + op; } }
//   CommitResponse  { int64 revision = 1; repeated CommitResult results = 2; }
//   CommitResult    { string collection = 1; string key = 2;
//                     oneof record { <Record> <record> = 16 + table; } }
// `table` is the table's position in the schema file (declaration order):
// append new tables to keep the numbers of the old ones.
#ifndef LMDBAPI_MODEL_COMMIT_LAYOUT_H_
#define LMDBAPI_MODEL_COMMIT_LAYOUT_H_

namespace lmdbapi::commit_layout {

inline constexpr char kService[] = "Transactions";
inline constexpr char kRequest[] = "CommitRequest";
inline constexpr char kResponse[] = "CommitResponse";
inline constexpr char kWrite[] = "CommitWrite";
inline constexpr char kPrecondition[] = "CommitPrecondition";
inline constexpr char kKeyRef[] = "CommitKeyRef";
inline constexpr char kResult[] = "CommitResult";
// REST: a custom method on the API root, which no collection path can be.
inline constexpr char kRestPath[] = "/api:commit";

// CommitRequest
inline constexpr int kPreconditions = 1;
inline constexpr int kWrites = 2;
// CommitPrecondition: which record, and one check.
inline constexpr int kConditionCollection = 1;
inline constexpr int kConditionKey = 2;
inline constexpr int kConditionExists = 3;    // bool
inline constexpr int kConditionAbsent = 4;    // bool
inline constexpr int kConditionRevision = 5;  // int64
// CommitWrite
inline constexpr int kKeyRefs = 1;
inline constexpr int kFirstWrite = 16;
enum Op { kInsert = 0, kUpdate = 1, kPatch = 2, kDelete = 3, kOps = 4 };
inline constexpr int WriteNumber(int table, Op op) {
  return kFirstWrite + kOps * table + op;
}
// CommitKeyRef: set `field` of this write's record to the key of `write`.
inline constexpr int kRefField = 1;
inline constexpr int kRefWrite = 2;
// CommitResponse
inline constexpr int kRevision = 1;
inline constexpr int kResults = 2;
// CommitResult
inline constexpr int kResultCollection = 1;
inline constexpr int kResultKey = 2;
inline constexpr int kFirstRecord = 16;

// The per-table write requests a CommitWrite holds.
inline constexpr int kRequestRecord = 1;           // Insert, Update, Patch
inline constexpr int kUpdateExpectedRevision = 2;  // Update
inline constexpr int kPatchUpdateMask = 2;         // Patch
inline constexpr int kPatchExpectedRevision = 3;   // Patch
inline constexpr int kDeleteKey = 1;               // Delete
inline constexpr int kDeleteExpectedRevision = 2;  // Delete

}  // namespace lmdbapi::commit_layout

#endif  // LMDBAPI_MODEL_COMMIT_LAYOUT_H_
