// Storage's reports as the Admin service's messages (proto/lmdbapi/
// admin.proto): what Admin.Stat and Admin.Verify answer, and what `lmdbapi
// stat|verify DATA_DIR` prints, from the same conversion.
#ifndef LMDBAPI_SERVER_TABLE_ADMIN_REPORT_H_
#define LMDBAPI_SERVER_TABLE_ADMIN_REPORT_H_

#include "proto/lmdbapi/admin.pb.h"
#include "storage/database.h"

namespace lmdbapi::server {

admin::v1::StatResponse StatResponseOf(const storage::DatabaseStat& stat);
admin::v1::VerifyResponse VerifyResponseOf(const storage::VerifyReport& report);

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_ADMIN_REPORT_H_
