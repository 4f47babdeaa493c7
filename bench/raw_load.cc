// The raw-LMDB ceiling of a bulk load (bench/bulk): reads every entry that
// an lmdbapi import left in a data directory (records, index entries,
// change log, any format-1 versions; not the meta database) and writes the
// same entries into a fresh environment, timed. A transaction per --batch
// records, each committed durably (fsync), as the import's batches are.
// Prints one JSON line: {"records":…, "entries":…, "seconds":…,
// "records_per_s":…}.
//
// --order=shuffled (the default; issue 18's baseline) writes with plain
// mdb_put, record by record, each record's entries interleaved, the records'
// keys in key order (UUIDv7 keys grow, so an import appends them too) and
// each index's entries in a shuffled order: as if the records' index keys
// were random. They are not for bench/bulk's permits, whose records come in
// an order that keeps each batch's index entries on few pages.
//
// --order=import writes the entries as an lmdbapi import does
// (storage/importer_sorted.cc): each index entry in the transaction of its
// record (an index key ends with its record's key, and records come in key
// order), each transaction database by database, each one's entries sorted by
// key and put through one cursor. It is the raw-LMDB ceiling of the import's
// own writes: no parse, no checks, no index keys to make, no sort (done
// before the clock starts), one thread. Both orders cut every database into
// batches by position, so an index entry shares its record's transaction
// only when each record has one entry in each index (no repeated field
// indexed), as bench/bulk's permits do.
//
//   raw_load --from=DATA_DIR --to=EMPTY_DIR --table=permits [--batch=1000]
//            [--order=shuffled|import]
#include <lmdb.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

ABSL_FLAG(std::string, from, "", "a data directory an import wrote");
ABSL_FLAG(std::string, to, "", "an empty directory for the raw copy");
ABSL_FLAG(std::string, table, "permits", "the table whose records count");
ABSL_FLAG(int, batch, 1000, "records per durable transaction");
ABSL_FLAG(std::string, order, "shuffled",
          "shuffled: record by record, index entries in shuffled order; "
          "import: as an lmdbapi import writes them");

namespace {

using Entry = std::pair<std::string, std::string>;

struct Database {
  std::string name;
  bool in_key_order;  // records, versions, changes: an import appends
  std::vector<Entry> entries;
};

void Check(int rc, const char* what) {
  if (rc == MDB_SUCCESS) return;
  std::fprintf(stderr, "raw_load: %s: %s\n", what, mdb_strerror(rc));
  std::exit(1);
}

MDB_env* OpenEnv(const std::string& dir, unsigned flags) {
  MDB_env* env;
  Check(mdb_env_create(&env), "mdb_env_create");
  Check(mdb_env_set_maxdbs(env, 256), "mdb_env_set_maxdbs");
  Check(mdb_env_set_mapsize(env, size_t{32} << 30), "mdb_env_set_mapsize");
  Check(mdb_env_open(env, dir.c_str(), flags | MDB_NOTLS, 0644), dir.c_str());
  return env;
}

std::vector<Entry> ReadAll(MDB_txn* txn, MDB_dbi dbi) {
  std::vector<Entry> out;
  MDB_cursor* cursor;
  Check(mdb_cursor_open(txn, dbi, &cursor), "mdb_cursor_open");
  MDB_val k, v;
  for (int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == MDB_SUCCESS;
       rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    out.emplace_back(std::string(static_cast<char*>(k.mv_data), k.mv_size),
                     std::string(static_cast<char*>(v.mv_data), v.mv_size));
  }
  mdb_cursor_close(cursor);
  return out;
}

// Every named database but the meta one, with its entries in memory.
std::vector<Database> ReadSource(const std::string& dir) {
  MDB_env* env = OpenEnv(dir, MDB_RDONLY);
  MDB_txn* txn;
  Check(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn), "mdb_txn_begin");
  MDB_dbi main_dbi;
  Check(mdb_dbi_open(txn, nullptr, 0, &main_dbi), "open main");
  std::vector<Database> out;
  for (const Entry& name : ReadAll(txn, main_dbi)) {
    if (name.first == "__lmdbapi_meta") continue;
    MDB_dbi dbi;
    Check(mdb_dbi_open(txn, name.first.c_str(), 0, &dbi), name.first.c_str());
    bool index = absl::StrContains(name.first, ".idx.");
    out.push_back({name.first, !index, ReadAll(txn, dbi)});
    if (index) {
      std::shuffle(out.back().entries.begin(), out.back().entries.end(),
                   std::mt19937_64(42));
    }
  }
  mdb_txn_abort(txn);
  mdb_env_close(env);
  return out;
}

// One transaction's work in --order=shuffled: record by record, each
// record's entries interleaved.
void PutInterleaved(MDB_txn* txn, const std::vector<Database>& dbs,
                    const std::vector<MDB_dbi>& dbis, size_t from, size_t to) {
  for (size_t r = from; r < to; ++r) {
    for (size_t d = 0; d < dbs.size(); ++d) {
      if (r >= dbs[d].entries.size()) continue;
      const Entry& e = dbs[d].entries[r];
      MDB_val k{e.first.size(), const_cast<char*>(e.first.data())};
      MDB_val v{e.second.size(), const_cast<char*>(e.second.data())};
      Check(mdb_put(txn, dbis[d], &k, &v, 0), dbs[d].name.c_str());
    }
  }
}

// The record key an index entry ends with: its last `pk_size` bytes.
absl::string_view RecordKeyOf(const Entry& e, size_t pk_size) {
  absl::string_view key = e.first;
  return key.substr(key.size() - std::min(key.size(), pk_size));
}

// Puts every database's entries in the order --order=import writes them:
// index entries in their records' order (by the `pk_size` bytes they end
// with), then each batch's stretch sorted by key and copied in that order, so
// that they lie in memory as an import batch's do.
void ImportOrder(std::vector<Database>* dbs, size_t pk_size, size_t batch) {
  for (Database& db : *dbs) {
    if (!db.in_key_order) {
      std::stable_sort(db.entries.begin(), db.entries.end(),
                       [pk_size](const Entry& a, const Entry& b) {
                         return RecordKeyOf(a, pk_size) <
                                RecordKeyOf(b, pk_size);
                       });
    }
    for (size_t i = 0; i < db.entries.size(); i += batch) {
      std::sort(db.entries.begin() + i,
                db.entries.begin() + std::min(i + batch, db.entries.size()));
    }
    std::vector<Entry> in_order;
    in_order.reserve(db.entries.size());
    for (const Entry& e : db.entries) in_order.emplace_back(e.first, e.second);
    db.entries = std::move(in_order);
  }
}

// One transaction's work in --order=import: database by database, through
// one cursor each, in key order (as ImportOrder left them).
void PutInImportOrder(MDB_txn* txn, const std::vector<Database>& dbs,
                      const std::vector<MDB_dbi>& dbis, size_t from,
                      size_t to) {
  for (size_t d = 0; d < dbs.size(); ++d) {
    MDB_cursor* cursor;
    Check(mdb_cursor_open(txn, dbis[d], &cursor), "mdb_cursor_open");
    for (size_t r = from; r < std::min(to, dbs[d].entries.size()); ++r) {
      const Entry& e = dbs[d].entries[r];
      MDB_val k{e.first.size(), const_cast<char*>(e.first.data())};
      MDB_val v{e.second.size(), const_cast<char*>(e.second.data())};
      Check(mdb_cursor_put(cursor, &k, &v, 0), dbs[d].name.c_str());
    }
    mdb_cursor_close(cursor);
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::vector<Database> dbs = ReadSource(absl::GetFlag(FLAGS_from));
  size_t records = 0, entries = 0, rounds = 0, pk_size = 0;
  for (const Database& db : dbs) {
    if (db.name == absl::GetFlag(FLAGS_table)) {
      records = db.entries.size();
      if (!db.entries.empty()) pk_size = db.entries.front().first.size();
    }
    entries += db.entries.size();
    rounds = std::max(rounds, db.entries.size());
  }
  std::filesystem::create_directories(absl::GetFlag(FLAGS_to));
  MDB_env* env = OpenEnv(absl::GetFlag(FLAGS_to), 0);
  std::vector<MDB_dbi> dbis(dbs.size());
  MDB_txn* txn;
  Check(mdb_txn_begin(env, nullptr, 0, &txn), "mdb_txn_begin");
  for (size_t d = 0; d < dbs.size(); ++d) {
    Check(mdb_dbi_open(txn, dbs[d].name.c_str(), MDB_CREATE, &dbis[d]), "dbi");
  }
  Check(mdb_txn_commit(txn), "mdb_txn_commit");
  const size_t batch = std::max(1, absl::GetFlag(FLAGS_batch));
  const std::string order = absl::GetFlag(FLAGS_order);
  if (order != "shuffled" && order != "import") {
    std::fprintf(stderr, "raw_load: --order is shuffled or import, not %s\n",
                 order.c_str());
    return 2;
  }
  if (order == "import") ImportOrder(&dbs, pk_size, batch);
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < rounds; i += batch) {
    Check(mdb_txn_begin(env, nullptr, 0, &txn), "mdb_txn_begin");
    const size_t end = std::min(rounds, i + batch);
    if (order == "import") {
      PutInImportOrder(txn, dbs, dbis, i, end);
    } else {
      PutInterleaved(txn, dbs, dbis, i, end);
    }
    Check(mdb_txn_commit(txn), "mdb_txn_commit");
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  mdb_env_close(env);
  std::printf(
      "{\"records\": %zu, \"entries\": %zu, \"databases\": %zu, "
      "\"seconds\": %.3f, \"records_per_s\": %.0f}\n",
      records, entries, dbs.size(), seconds, records / seconds);
  return 0;
}
