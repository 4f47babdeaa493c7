#include "model/commit_fields.h"

namespace lmdbapi::model {
namespace {

namespace L = ::lmdbapi::commit_layout;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// The reflection of `type`, from the factory that made `any`'s.
const google::protobuf::Reflection* ReflectionOf(const Message& any,
                                                 const Descriptor* type) {
  return any.GetReflection()
      ->GetMessageFactory()
      ->GetPrototype(type)
      ->GetReflection();
}

}  // namespace

CommitFields CommitFields::Of(const Message& request_type) {
  CommitFields f;
  const Descriptor* request = request_type.GetDescriptor();
  f.request = request_type.GetReflection();
  f.preconditions = request->FindFieldByNumber(L::kPreconditions);
  f.writes = request->FindFieldByNumber(L::kWrites);

  const Descriptor* condition = f.preconditions->message_type();
  f.condition = ReflectionOf(request_type, condition);
  f.collection = condition->FindFieldByNumber(L::kConditionCollection);
  f.condition_key = condition->FindFieldByNumber(L::kConditionKey);
  f.check = condition->oneof_decl(0);

  const Descriptor* write = f.writes->message_type();
  f.write = ReflectionOf(request_type, write);
  f.op = write->oneof_decl(0);
  f.key_refs = write->FindFieldByNumber(L::kKeyRefs);
  const Descriptor* ref = f.key_refs->message_type();
  f.ref = ReflectionOf(request_type, ref);
  f.ref_field = ref->FindFieldByNumber(L::kRefField);
  f.ref_write = ref->FindFieldByNumber(L::kRefWrite);

  for (int i = 0; i < f.op->field_count(); ++i) {
    const FieldDescriptor* member = f.op->field(i);
    const int slot = member->number() - L::kFirstWrite;
    if (static_cast<size_t>(slot) >= f.ops.size()) f.ops.resize(slot + 1);
    Op& op = f.ops[slot];
    op.table = slot / L::kOps;
    op.op = static_cast<L::Op>(slot % L::kOps);
    const Descriptor* type = member->message_type();
    op.reflection = ReflectionOf(request_type, type);
    switch (op.op) {
      case L::kInsert:
        op.record = type->FindFieldByNumber(L::kRequestRecord);
        break;
      case L::kUpdate:
        op.record = type->FindFieldByNumber(L::kRequestRecord);
        op.expected = type->FindFieldByNumber(L::kUpdateExpectedRevision);
        break;
      case L::kPatch:
        op.record = type->FindFieldByNumber(L::kRequestRecord);
        op.expected = type->FindFieldByNumber(L::kPatchExpectedRevision);
        break;
      default:
        op.key = type->FindFieldByNumber(L::kDeleteKey);
        op.expected = type->FindFieldByNumber(L::kDeleteExpectedRevision);
    }
  }
  return f;
}

}  // namespace lmdbapi::model
