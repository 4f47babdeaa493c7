// JsonParser against protobuf's JSON parser, on one input.
#include "tests/json/parser_oracle.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/field_comparator.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"

namespace lmdbapi::json::testing {

using google::protobuf::Message;

bool EqualMessages(const Message& a, const Message& b, std::string* diff) {
  google::protobuf::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);
  google::protobuf::util::MessageDifferencer differencer;
  differencer.set_field_comparator(&comparator);
  differencer.ReportDifferencesToString(diff);
  return differencer.Compare(a, b);
}

OracleResult CheckAgainstProtobuf(const JsonParser& parser,
                                  const Message& prototype,
                                  absl::string_view json) {
  OracleResult result;
  std::string wire = "prefix";  // Parse appends
  absl::Status ours = parser.Parse(json, &wire);
  if (!ours.ok()) {
    if (!absl::IsInvalidArgument(ours)) {
      result.disagreement = absl::StrCat("JsonParser: ", ours.ToString());
    }
    return result;
  }
  result.accepted = true;
  std::unique_ptr<Message> theirs(prototype.New());
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), theirs.get());
  if (!status.ok()) {
    result.disagreement = absl::StrCat("JsonParser accepts, protobuf refuses: ",
                                       status.ToString());
    return result;
  }
  std::unique_ptr<Message> mine(prototype.New());
  if (wire.compare(0, 6, "prefix") != 0 ||
      !mine->ParseFromArray(wire.data() + 6,
                            static_cast<int>(wire.size() - 6))) {
    result.disagreement = "JsonParser's bytes do not parse";
    return result;
  }
  std::string diff;
  if (!EqualMessages(*mine, *theirs, &diff)) {
    result.disagreement = absl::StrCat("messages differ: ", diff,
                                       "\nJsonParser's: ", mine->DebugString(),
                                       "\nprotobuf's: ", theirs->DebugString());
  }
  return result;
}

}  // namespace lmdbapi::json::testing
