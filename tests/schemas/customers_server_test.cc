// The customers schema's server opens a schema with indexes on a repeated
// field (by_tag) and on a nested message's field (by_city), keeps them
// through inserts, updates, patches and deletes, and --verify finds them
// consistent with the records.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/e2e/server_process.h"
#include "tests/schemas/customers_service.grpc.pb.h"
#include "tests/storage/test_tables.h"

namespace acme::customers {
namespace {

Customer MakeCustomer(const std::string& name,
                      const std::vector<std::string>& tags,
                      const std::string& city) {
  Customer c;
  c.set_name(name);
  for (const std::string& tag : tags) c.add_tags(tag);
  if (!city.empty()) c.mutable_address()->set_city(city);
  c.set_tier(GOLD);
  return c;
}

// Writes that change every kind of index entry: elements added and removed,
// a nested field changed, a record deleted.
void WriteCustomers(Customers::Stub& stub) {
  std::vector<Customer> stored;
  for (const Customer& c : {MakeCustomer("Ada", {"vip", "early"}, "Oslo"),
                            MakeCustomer("Bo", {}, ""),
                            MakeCustomer("Cy", {"vip", "vip"}, "Bergen")}) {
    InsertCustomerRequest req;
    *req.mutable_customer() = c;
    Customer out;
    grpc::ClientContext context;
    ASSERT_TRUE(stub.Insert(&context, req, &out).ok());
    stored.push_back(out);
  }
  UpdateCustomerRequest update;
  *update.mutable_customer() = stored[0];
  update.mutable_customer()->clear_tags();
  update.mutable_customer()->add_tags("late");
  Customer out;
  grpc::ClientContext c1;
  ASSERT_TRUE(stub.Update(&c1, update, &out).ok());
  PatchCustomerRequest patch;
  patch.mutable_customer()->set_uuid(stored[1].uuid());
  patch.mutable_customer()->mutable_address()->set_city("Alta");
  patch.mutable_customer()->add_tags("new");
  patch.mutable_update_mask()->add_paths("address.city");
  patch.mutable_update_mask()->add_paths("tags");
  grpc::ClientContext c2;
  ASSERT_TRUE(stub.Patch(&c2, patch, &out).ok());
  EXPECT_EQ(out.address().city(), "Alta");
  DeleteCustomerRequest del;
  del.set_uuid(stored[2].uuid());
  DeleteCustomerResponse deleted;
  grpc::ClientContext c3;
  ASSERT_TRUE(stub.Delete(&c3, del, &deleted).ok());
}

TEST(CustomersServerTest, RepeatedAndNestedIndexesStayConsistent) {
  lmdbapi::testing::TempDir dir;
  const std::string binary = lmdbapi::testing::BinaryPath(
      "LMDBAPI_CUSTOMERS_SERVER", "build/tests/schemas/customers-server");
  const std::string data = dir.path() + "/data";
  lmdbapi::testing::ServerProcess server(binary, data);
  ASSERT_TRUE(server.Start()) << server.error();
  auto stub = Customers::NewStub(server.Channel());
  WriteCustomers(*stub);
  ASSERT_EQ(server.Stop(), 0) << server.error();

  std::string verify = binary + " --verify --data_dir=" + data + " > " +
                       dir.path() + "/verify.log 2>&1";
  int status = std::system(verify.c_str());
  std::ifstream log(dir.path() + "/verify.log");
  std::stringstream text;
  text << log.rdbuf();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text.str();
}

}  // namespace
}  // namespace acme::customers
