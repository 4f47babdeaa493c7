// A schema's tables as declared, before any rule is checked: what the
// lmdbapi options of a .proto file say (model/options.h reads them), or what
// a program writes by hand (storage's tests). model::Resolve validates them.
#ifndef LMDBAPI_MODEL_DECLARATION_H_
#define LMDBAPI_MODEL_DECLARATION_H_

#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"

namespace lmdbapi::model {

struct IndexDecl {
  std::string name;  // [a-z0-9_]{1,64}, unique within the table
  // The indexed fields, in key order: record field names, or dotted paths
  // through singular message fields to a field of a nested message
  // ("address.city"; an unset message reads as its defaults). At most one
  // may be repeated (of scalars, enums or Timestamps): the record then has
  // one entry per distinct element, and none while the field is empty.
  std::vector<std::string> fields;
  // At most one record per field tuple, among the records that set at least
  // one of the fields (unset values do not clash, as NULLs in SQL). Not with
  // a repeated field.
  bool unique = false;
};

struct TableDecl {
  std::string name;  // the collection: [a-z0-9_]{1,64}, e.g. "permits"
  // The record message. Must outlive everything built from the declaration.
  const google::protobuf::Descriptor* descriptor = nullptr;
  std::string primary_key;   // a string field; generated (UUIDv7) when empty
  std::string parent_table;  // for a secondary table: the parent's name
  std::string parent_key;    // the field holding the parent's primary key
  std::vector<IndexDecl> indexes;
  // Server-maintained fields (storage/record_version.h), when the record has
  // them: an int64/uint64 revision and google.protobuf.Timestamp times.
  // Neither indexable nor filterable: stored records do not hold them.
  std::string revision;
  std::string create_time;
  std::string update_time;
};

}  // namespace lmdbapi::model

#endif  // LMDBAPI_MODEL_DECLARATION_H_
