// The library schema's server, built by lmdbapi_schema() from a user's
// .proto, serves its tables.
#include "gtest/gtest.h"
#include "tests/e2e/server_process.h"
#include "tests/schemas/library_service.grpc.pb.h"
#include "tests/storage/test_tables.h"

namespace acme::library {
namespace {

TEST(LibraryServerTest, UserSchemaServesCrudFilterAndChildren) {
  lmdbapi::testing::TempDir dir;
  lmdbapi::testing::ServerProcess server(
      lmdbapi::testing::BinaryPath("LMDBAPI_LIBRARY_SERVER",
                                   "build/tests/schemas/library-server"),
      dir.path() + "/data");
  ASSERT_TRUE(server.Start()) << server.error();
  {
    auto books = Books::NewStub(server.Channel());
    auto loans = Loans::NewStub(server.Channel());
    std::vector<Book> stored;
    for (int year : {1990, 2001, 2010, 2020}) {
      InsertBookRequest req;
      req.mutable_book()->set_author("Le Guin");
      req.mutable_book()->set_year(year);
      req.mutable_book()->set_isbn("isbn-" + std::to_string(year));
      Book out;
      grpc::ClientContext c;
      ASSERT_TRUE(books->Insert(&c, req, &out).ok());
      stored.push_back(out);
    }
    FilterBooksRequest filter;
    filter.mutable_author()->set_value("Le Guin");
    filter.mutable_year_min()->set_value(2000);
    filter.mutable_year_max()->set_value(2015);
    BookPage page;
    grpc::ClientContext c1;
    ASSERT_TRUE(books->Filter(&c1, filter, &page).ok());
    ASSERT_EQ(page.books_size(), 2);
    EXPECT_EQ(page.books(0).year(), 2001);
    EXPECT_EQ(
        page.plan(),
        "index by_author (author = \"Le Guin\", year >= 2000, year <= 2015)");

    InsertLoanRequest loan;
    loan.mutable_loan()->set_book_id(stored[0].id());
    loan.mutable_loan()->set_member("ann");
    Loan loan_out;
    grpc::ClientContext c2;
    ASSERT_TRUE(loans->Insert(&c2, loan, &loan_out).ok());
    DeleteBookRequest del;
    del.set_id(stored[0].id());
    DeleteBookResponse deleted;
    grpc::ClientContext c3;
    ASSERT_TRUE(books->Delete(&c3, del, &deleted).ok());
    GetLoanRequest get;
    get.set_id(loan_out.id());
    grpc::ClientContext c4;
    EXPECT_EQ(loans->Get(&c4, get, &loan_out).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  EXPECT_EQ(server.Stop(), 0) << server.error();
}

}  // namespace
}  // namespace acme::library
