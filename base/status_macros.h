// Early returns on a failed absl::Status or absl::StatusOr, for every library
// of lmdbapi (Debian 12's abseil ships no public status macros).
//
//   LMDBAPI_RETURN_IF_ERROR(table.Put(txn, record));
//   LMDBAPI_ASSIGN_OR_RETURN(Txn txn, env.Begin());
//   LMDBAPI_ASSIGN_OR_RETURN(auto row, Read(key), _.status() << ...)  // no
//
// The second argument of ASSIGN_OR_RETURN is a declaration or an lvalue; the
// expression is evaluated once. Both return the failed status unchanged.
#ifndef LMDBAPI_BASE_STATUS_MACROS_H_
#define LMDBAPI_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lmdbapi::base_internal {

inline const absl::Status& AsStatus(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& AsStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace lmdbapi::base_internal

#define LMDBAPI_STATUS_CONCAT_INNER_(a, b) a##b
#define LMDBAPI_STATUS_CONCAT_(a, b) LMDBAPI_STATUS_CONCAT_INNER_(a, b)

// Returns the status of `expr` (an absl::Status or absl::StatusOr) from the
// enclosing function when it is not OK.
#define LMDBAPI_RETURN_IF_ERROR(expr)                                 \
  do {                                                                \
    if (const auto& lmdbapi_status_ = (expr); !lmdbapi_status_.ok()) \
      return ::lmdbapi::base_internal::AsStatus(lmdbapi_status_);     \
  } while (0)

#define LMDBAPI_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return std::move(tmp).status();       \
  lhs = *std::move(tmp)

// Evaluates `expr` (an absl::StatusOr<T>); on error returns its status, else
// assigns (or declares and initialises) `lhs` with the value.
#define LMDBAPI_ASSIGN_OR_RETURN(lhs, expr)                             \
  LMDBAPI_ASSIGN_OR_RETURN_IMPL_(                                       \
      LMDBAPI_STATUS_CONCAT_(lmdbapi_status_or_, __LINE__), lhs, expr)

#endif  // LMDBAPI_BASE_STATUS_MACROS_H_
