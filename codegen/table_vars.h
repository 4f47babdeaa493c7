// The printer variables every emitter uses for one table: its generated
// names (model/names.cc) and the layout of its requests
// (model/request_layout.h), so templates never restate a name or number.
#ifndef LMDBAPI_CODEGEN_TABLE_VARS_H_
#define LMDBAPI_CODEGEN_TABLE_VARS_H_

#include "codegen/printer.h"
#include "model/model.h"

namespace lmdbapi::codegen {

Printer::Vars TableVars(const model::TableModel& t);

}  // namespace lmdbapi::codegen

#endif  // LMDBAPI_CODEGEN_TABLE_VARS_H_
