// snake_case and CamelCase, as generated names use them.
#ifndef LMDBAPI_MODEL_CASE_H_
#define LMDBAPI_MODEL_CASE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace lmdbapi::model {

// "inspection_reports" -> "InspectionReports".
std::string CamelCase(absl::string_view snake);
// "InspectionReport" -> "inspection_report".
std::string SnakeCase(absl::string_view camel);

}  // namespace lmdbapi::model

#endif  // LMDBAPI_MODEL_CASE_H_
