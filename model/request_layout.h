// The layout of the messages protoc-gen-lmdbapi generates for each table:
// their field names and numbers, stated once. codegen/proto_emitter.cc writes
// them; the server reads and writes them through model/request_access.h.
// Changing a number breaks every client built from an older service file.
// (The schema-level Transactions service: model/commit_layout.h.)
#ifndef LMDBAPI_MODEL_REQUEST_LAYOUT_H_
#define LMDBAPI_MODEL_REQUEST_LAYOUT_H_

namespace lmdbapi::model {

struct FieldSlot {
  const char* name;
  int number;
};

namespace layout {

// The methods of a table's service that take and answer bytes
// (grpc::ByteBuffer): the table service parses their requests itself and
// reads or writes their answers from the stored bytes. The unary reads and
// writes count themselves against --max_in_flight; the streams after them.
// Paginate only in a main table's service.
inline constexpr const char* kRawReads[] = {"Get", "Filter", "Paginate",
                                            "Count"};
inline constexpr const char* kRawWrites[] = {"Insert", "Update"};
inline constexpr const char* kRawStreams[] = {"Import", "Export"};

// Insert<Record>Request, Update<Record>Request, Patch<Record>Request: the
// record (named after its message, e.g. `permit`).
inline constexpr int kRecord = 1;
// Get<Record>Request, Delete<Record>Request: the primary key (named as the
// record's primary key field).
inline constexpr int kKey = 1;
// Get<Record>Request: the record fields to return (AIP-157; empty = all).
inline constexpr FieldSlot kGetReadMask{"read_mask", 2};
// Update and Delete requests; Patch's is kPatchExpectedRevision.
inline constexpr FieldSlot kExpectedRevision{"expected_revision", 2};
inline constexpr FieldSlot kUpdateMask{"update_mask", 2};  // Patch
inline constexpr FieldSlot kPatchExpectedRevision{"expected_revision", 3};
// BatchInsert<Service>Request and its response: the records (named as the
// collection).
inline constexpr int kRecords = 1;

// Filter<Service>Request and Paginate<Service>Request (Count<Service>Request
// has kFilter and the typed per-field constraints only).
inline constexpr FieldSlot kPageSize{"page_size", 1};
inline constexpr FieldSlot kPageToken{"page_token", 2};
// An AIP-160 filter expression, ANDed with the typed constraints.
inline constexpr FieldSlot kFilter{"filter", 3};
// AIP-132: "issued desc, client".
inline constexpr FieldSlot kOrderBy{"order_by", 4};
// The record fields to return (AIP-157; empty = all).
inline constexpr FieldSlot kReadMask{"read_mask", 5};
// The request's own fields: a typed constraint never takes one of these
// names (model/filter_fields.h).
inline constexpr FieldSlot kListFields[] = {kPageSize, kPageToken, kFilter,
                                            kOrderBy, kReadMask};
// A page size of 0 means kDefaultPageSize; larger than kMaxPageSize is cut
// to it. The server's --max_page_size changes the maximum, which bounds the
// default too.
inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;

// <Record>Page.
inline constexpr int kPageRecords = 1;  // named as the collection
inline constexpr FieldSlot kNextPageToken{"next_page_token", 2};
inline constexpr FieldSlot kPlan{"plan", 3};

// Count<Service>Response.
inline constexpr FieldSlot kCount{"count", 1};
inline constexpr FieldSlot kCountPlan{"plan", 2};

// Import<Service>Request (a client stream of them): the records, and the
// options, read from the first message of the stream.
inline constexpr FieldSlot kImportRecords{"records", 1};
inline constexpr FieldSlot kSkipBad{"skip_bad", 2};
inline constexpr FieldSlot kReplaceExisting{"replace_existing", 3};
// Import<Service>Response and its Skipped entries.
inline constexpr FieldSlot kImported{"imported", 1};
inline constexpr FieldSlot kImportRevision{"revision", 2};
inline constexpr FieldSlot kSkipped{"skipped", 3};
inline constexpr FieldSlot kSkippedPosition{"position", 1};
inline constexpr FieldSlot kSkippedError{"error", 2};
inline constexpr FieldSlot kSkippedCount{"skipped_count", 4};
// The skipped records an Import response lists at most (by position); its
// skipped_count counts them all, so that the answer stays small.
inline constexpr size_t kMaxSkippedListed = 1000;
// Export<Service>Request: kFilter's text at kExportFilter, and for a child
// table the parent's key (named as the record's parent key field).
inline constexpr FieldSlot kExportFilter{"filter", 1};
inline constexpr int kExportParent = 2;
// Export<Service>Response (a server stream of them).
inline constexpr FieldSlot kExportRecords{"records", 1};
inline constexpr FieldSlot kExportRevision{"revision", 2};

// Watch<Service>Request.
inline constexpr FieldSlot kStartRevision{"start_revision", 1};
inline constexpr FieldSlot kWatchFilter{"filter", 2};  // a Filter request

// <Record>Change.
inline constexpr FieldSlot kChangeType{"type", 1};
inline constexpr FieldSlot kChangeRevision{"revision", 2};
inline constexpr int kChangeRecord = 3;  // named after the record's message
inline constexpr FieldSlot kCommitEnd{"commit_end", 4};
// <Record>Change.Type: the values storage::ChangeType uses
// (server/table/change_feed.cc checks that they agree).
inline constexpr int kChangeInserted = 1;
inline constexpr int kChangeUpdated = 2;
inline constexpr int kChangeDeleted = 3;

// A Filter request's per-field constraints take numbers from the record
// field's: 16 + 3n (equals), 17 + 3n (min), 18 + 3n (max), so adding record
// fields never renumbers. Record fields above kMaxFilterableNumber cannot be
// mapped (the result would reach protobuf's reserved 19000-19999).
inline constexpr int kFirstFilterField = 16;
inline constexpr int kMaxFilterableNumber = 6000;

}  // namespace layout

enum class FilterRole { kEquals = 0, kMin = 1, kMax = 2 };

inline constexpr int FilterFieldNumber(int record_field_number,
                                       FilterRole role) {
  return layout::kFirstFilterField + 3 * record_field_number +
         static_cast<int>(role);
}

// The record field number and role of a Filter request field; false for
// the request's own fields (kListFields).
inline constexpr bool DecodeFilterField(int number, int* record_field_number,
                                        FilterRole* role) {
  if (number < layout::kFirstFilterField) return false;
  *record_field_number = (number - layout::kFirstFilterField) / 3;
  *role = static_cast<FilterRole>((number - layout::kFirstFilterField) % 3);
  return true;
}

}  // namespace lmdbapi::model

#endif  // LMDBAPI_MODEL_REQUEST_LAYOUT_H_
