// The data directory is plain LMDB: lmdb-utils' mdb_stat and mdb_dump read it.
#include <cstdio>

#include "gtest/gtest.h"
#include "storage/database.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::storage {
namespace {

std::string RunCommand(const std::string& command, int* exit_code) {
  std::string out;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  *exit_code = pclose(pipe);
  return out;
}

TEST(LmdbToolsTest, DataDirectoryOpensWithMdbStatAndMdbDump) {
  lmdbapi::testing::TempDir dir;
  std::string uuid;
  {
    auto db = lmdbapi::testing::OpenPermitDb(dir.path());
    test::Permit p = lmdbapi::testing::MakePermit("Acme", "NY", test::PENDING);
    ASSERT_TRUE(db->table("permits")->Insert(&p).ok());
    uuid = p.uuid();
  }
  int rc = -1;
  std::string stat = RunCommand("mdb_stat -a " + dir.path(), &rc);
  EXPECT_EQ(rc, 0) << stat;
  for (const char* name :
       {"__lmdbapi_meta", "permits", "permits.idx.main_composite",
        "inspections.idx.by_permit_uuid"}) {
    EXPECT_NE(stat.find(std::string("Status of ") + name), std::string::npos)
        << name;
  }
  std::string dump = RunCommand("mdb_dump -p -s permits " + dir.path(), &rc);
  EXPECT_EQ(rc, 0) << dump;
  EXPECT_NE(dump.find(uuid), std::string::npos);
  EXPECT_NE(dump.find("Acme"), std::string::npos);
  std::string all = RunCommand("mdb_dump -a " + dir.path(), &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_NE(all.find("database=permits.idx.by_issued"), std::string::npos);
}

}  // namespace
}  // namespace lmdbapi::storage
