// Tuple encoding: byte order equals value order, for every type, and every
// element round-trips.
#include "storage/tuple.h"

#include <cmath>
#include <limits>
#include <random>

#include "gtest/gtest.h"

namespace lmdbapi::storage {
namespace {

template <typename T, typename Append>
std::string Encode(const T& v, Append append) {
  std::string out;
  TupleWriter w(&out);
  append(w, v);
  return out;
}

int Sign(int x) { return (x > 0) - (x < 0); }

TEST(TupleTest, Int64OrderMatchesValueOrderOnRandomPairs) {
  std::mt19937_64 rng(1);
  auto enc = [](int64_t v) {
    return Encode(v, [](TupleWriter& w, int64_t x) { w.AppendInt64(x); });
  };
  std::vector<int64_t> specials = {std::numeric_limits<int64_t>::min(), -1, 0,
                                   1, std::numeric_limits<int64_t>::max()};
  for (int i = 0; i < 20000; ++i) {
    int64_t a = i < 25 ? specials[i % 5] : static_cast<int64_t>(rng());
    int64_t b =
        i < 25 ? specials[i / 5] : static_cast<int64_t>(rng() >> (rng() % 64));
    if (rng() & 1) b = -b;
    ASSERT_EQ(Sign(enc(a).compare(enc(b))), Sign((a > b) - (a < b)))
        << a << " " << b;
    std::string encoded = enc(a);
    TupleReader r(encoded);
    ASSERT_EQ(*r.ReadInt64(), a);
    ASSERT_TRUE(r.rest().empty());
  }
}

TEST(TupleTest, Uint64OrderMatchesValueOrderOnRandomPairs) {
  std::mt19937_64 rng(2);
  auto enc = [](uint64_t v) {
    return Encode(v, [](TupleWriter& w, uint64_t x) { w.AppendUint64(x); });
  };
  for (int i = 0; i < 20000; ++i) {
    uint64_t a = rng() >> (rng() % 64), b = rng() >> (rng() % 64);
    ASSERT_EQ(Sign(enc(a).compare(enc(b))), Sign((a > b) - (a < b)));
    std::string encoded = enc(a);
    TupleReader r(encoded);
    ASSERT_EQ(*r.ReadUint64(), a);
  }
}

TEST(TupleTest, DoubleOrderMatchesValueOrderIncludingInfinitiesAndZeros) {
  std::mt19937_64 rng(3);
  auto enc = [](double v) {
    return Encode(v, [](TupleWriter& w, double x) { w.AppendDouble(x); });
  };
  std::uniform_real_distribution<double> dist(-1e6, 1e6);
  std::vector<double> values = {-std::numeric_limits<double>::infinity(),
                                -1e300,
                                -1.5,
                                -std::numeric_limits<double>::denorm_min(),
                                0.0,
                                std::numeric_limits<double>::denorm_min(),
                                1.5,
                                1e300,
                                std::numeric_limits<double>::infinity()};
  for (int i = 0; i < 20000; ++i)
    values.push_back(dist(rng) * std::pow(10, rng() % 20));
  for (size_t i = 0; i + 1 < values.size(); ++i) {
    double a = values[i], b = values[(i * 7919) % values.size()];
    ASSERT_EQ(Sign(enc(a).compare(enc(b))), Sign((a > b) - (a < b)))
        << a << " " << b;
    std::string encoded = enc(a);
    TupleReader r(encoded);
    ASSERT_EQ(*r.ReadDouble(), a);
  }
  EXPECT_EQ(enc(-0.0), enc(0.0));
  EXPECT_GT(enc(std::nan("")), enc(std::numeric_limits<double>::infinity()));
}

TEST(TupleTest, StringOrderMatchesValueOrderWithEmbeddedNuls) {
  std::mt19937_64 rng(4);
  auto random_string = [&] {
    std::string s(rng() % 6, '\0');
    // A small alphabet with 0x00, 0x01 and 0xFF makes prefixes and escapes
    // common.
    const char alphabet[] = {'\0', '\x01', 'a', 'b', '\xFF'};
    for (char& c : s) c = alphabet[rng() % 5];
    return s;
  };
  auto enc = [](const std::string& v) {
    return Encode(
        v, [](TupleWriter& w, const std::string& x) { w.AppendString(x); });
  };
  for (int i = 0; i < 50000; ++i) {
    std::string a = random_string(), b = random_string();
    ASSERT_EQ(Sign(enc(a).compare(enc(b))), Sign(a.compare(b)))
        << testing::PrintToString(a) << " vs " << testing::PrintToString(b);
    std::string encoded = enc(a);
    TupleReader r(encoded);
    ASSERT_EQ(*r.ReadString(), a);
    ASSERT_TRUE(r.rest().empty());
  }
}

TEST(TupleTest, BoolAndTimestampOrderAndRoundTrip) {
  std::string f =
      Encode(false, [](TupleWriter& w, bool x) { w.AppendBool(x); });
  std::string t = Encode(true, [](TupleWriter& w, bool x) { w.AppendBool(x); });
  EXPECT_LT(f, t);
  std::mt19937_64 rng(5);
  auto enc = [](std::pair<int64_t, int32_t> ts) {
    std::string out;
    TupleWriter(&out).AppendTimestamp(ts.first, ts.second);
    return out;
  };
  for (int i = 0; i < 20000; ++i) {
    std::pair<int64_t, int32_t> a{static_cast<int64_t>(rng() % 2000) - 1000,
                                  static_cast<int32_t>(rng() % 1000000000)};
    std::pair<int64_t, int32_t> b{static_cast<int64_t>(rng() % 2000) - 1000,
                                  static_cast<int32_t>(rng() % 1000000000)};
    ASSERT_EQ(Sign(enc(a).compare(enc(b))), Sign((a > b) - (a < b)));
    std::string encoded = enc(a);
    TupleReader r(encoded);
    ASSERT_EQ(*r.ReadTimestamp(), a);
  }
}

TEST(TupleTest, CompositeTuplesOrderLexicographicallyByElement) {
  std::mt19937_64 rng(6);
  struct Row {
    std::string s;
    int64_t i;
    bool operator<(const Row& o) const {
      return std::tie(s, i) < std::tie(o.s, o.i);
    }
  };
  auto enc = [](const Row& r) {
    std::string out;
    TupleWriter w(&out);
    w.AppendString(r.s);
    w.AppendInt64(r.i);
    return out;
  };
  for (int i = 0; i < 20000; ++i) {
    Row a{std::string(rng() % 3, 'a' + rng() % 2),
          static_cast<int64_t>(rng() % 5) - 2};
    Row b{std::string(rng() % 3, 'a' + rng() % 2),
          static_cast<int64_t>(rng() % 5) - 2};
    ASSERT_EQ(enc(a) < enc(b), a < b);
    std::string encoded = enc(a);
    TupleReader r(encoded);
    ASSERT_EQ(*r.ReadString(), a.s);
    ASSERT_EQ(*r.ReadInt64(), a.i);
  }
}

TEST(TupleTest, ReaderRejectsTruncatedAndMalformedInput) {
  EXPECT_FALSE(TupleReader("abc").ReadString().ok());  // no terminator
  EXPECT_FALSE(TupleReader(std::string("a\0\x02", 3)).ReadString().ok());
  EXPECT_FALSE(TupleReader("1234567").ReadInt64().ok());
  EXPECT_FALSE(TupleReader("\x02").ReadBool().ok());
  EXPECT_FALSE(TupleReader(std::string(10, '\0')).ReadTimestamp().ok());
}

}  // namespace
}  // namespace lmdbapi::storage
