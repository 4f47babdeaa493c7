#include "server/table/admin_report.h"

namespace lmdbapi::server {

admin::v1::StatResponse StatResponseOf(const storage::DatabaseStat& stat) {
  admin::v1::StatResponse out;
  for (const storage::TableStat& table : stat.tables) {
    admin::v1::TableStat* t = out.add_tables();
    t->set_table(table.name);
    t->set_records(table.records);
    t->set_pages(table.pages);
    for (const storage::IndexStat& index : table.indexes) {
      admin::v1::IndexStat* i = t->add_indexes();
      i->set_name(index.name);
      i->set_entries(index.entries);
      i->set_pages(index.pages);
      i->set_state(storage::IndexStateName(index.build.state));
      if (index.build.state == storage::IndexState::kReady) continue;
      i->set_built(index.build.built);
      i->set_total(index.build.total);
      i->set_error(index.build.error);
    }
  }
  out.set_map_bytes(stat.map.map_size_bytes);
  out.set_map_used_bytes(stat.map.used_bytes);
  out.set_max_map_bytes(stat.map.max_map_size_bytes);
  out.set_readers(stat.map.readers_in_use);
  out.set_max_readers(stat.map.max_readers);
  out.set_revision(stat.revision);
  out.set_page_bytes(static_cast<uint32_t>(stat.map.page_size_bytes));
  return out;
}

admin::v1::VerifyResponse VerifyResponseOf(
    const storage::VerifyReport& report) {
  admin::v1::VerifyResponse out;
  out.set_ok(report.ok());
  out.set_records(report.records);
  out.set_entries(report.entries);
  for (const std::string& m : report.mismatches) out.add_mismatches(m);
  for (const std::string& b : report.building) out.add_building(b);
  return out;
}

}  // namespace lmdbapi::server
