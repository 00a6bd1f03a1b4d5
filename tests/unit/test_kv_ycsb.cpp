// SPDX-License-Identifier: MIT
// sdp-ycsb's zipfian generator against the formula, its values and its
// read check.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "ycsb.h"

namespace {

TEST(Zipfian, MatchesTheFormula) {
  const uint64_t n = 1000;
  const double theta = 0.99;
  kv::ycsb::Zipfian z(n, theta);
  EXPECT_NEAR(z.zeta_n(), kv::ycsb::Zipfian::zeta(n, theta), 1e-9);
  std::mt19937_64 rng(42);
  const int samples = 2000000;
  std::vector<uint64_t> count(n);
  for (int i = 0; i < samples; i++) {
    uint64_t r = z.next(rng);
    ASSERT_LT(r, n);
    count[r]++;
  }
  // P(rank i) = (1/(i+1)^theta) / zeta(n, theta). Gray's method is exact for
  // ranks 0 and 1 and an approximation above (as in YCSB): within 25% for ranks 2..9,
  // and the mass of the top 10% within 2 points.
  auto p = [&](uint64_t i) { return 1.0 / std::pow(static_cast<double>(i + 1), theta) / z.zeta_n(); };
  for (uint64_t i : {0, 1}) EXPECT_NEAR(static_cast<double>(count[i]) / samples, p(i), 0.003) << i;
  for (uint64_t i = 2; i < 10; i++)
    EXPECT_NEAR(static_cast<double>(count[i]) / samples / p(i), 1.0, 0.25) << i;
  double top = 0, want = 0;
  for (uint64_t i = 0; i < n / 10; i++) {
    top += static_cast<double>(count[i]) / samples;
    want += p(i);
  }
  EXPECT_NEAR(top, want, 0.02);
}

TEST(Zipfian, ScrambledCoversTheKeys) {
  kv::ycsb::ScrambledZipfian z(100000);
  std::mt19937_64 rng(1);
  uint64_t max = 0;
  for (int i = 0; i < 100000; i++) max = std::max(max, z.next(rng));
  EXPECT_LT(max, 100000u);
  EXPECT_GT(max, 90000u);
}

TEST(Values, EncodeRecordAndVersion) {
  kv::ycsb::Values v(1024);
  std::string s;
  v.append(s, 77, 5);
  ASSERT_EQ(s.size(), 1024u);
  EXPECT_EQ(v.version_of(s, 77), 5);
  EXPECT_EQ(v.version_of(s, 78), -1);  // another record's value
  std::string t = s;
  t[500] ^= 1;
  EXPECT_EQ(v.version_of(t, 77), -1);  // a corrupted byte
  EXPECT_EQ(v.version_of(s.substr(0, 1000), 77), -1);
  std::string k;
  kv::ycsb::append_key(k, 77);
  EXPECT_EQ(k.size(), 20u);
  EXPECT_EQ(k.substr(0, 4), "user");
}

TEST(KeyState, ReadsMustNotBeStaleOrInvented) {
  kv::ycsb::KeyState st(4);
  uint32_t v1 = st.begin_write(0);
  st.end_write(0, v1);
  uint32_t lo = st.committed(0);  // a read starts
  uint32_t v2 = st.begin_write(0);  // a write overlaps it
  EXPECT_TRUE(st.read_ok(0, lo, v1));
  EXPECT_TRUE(st.read_ok(0, lo, v2));
  EXPECT_FALSE(st.read_ok(0, lo, v2 + 1));  // never written
  st.end_write(0, v2);
  EXPECT_FALSE(st.read_ok(0, st.committed(0), v1));  // stale after the ack
  EXPECT_FALSE(st.read_ok(1, 0, 0));  // never loaded
}

}  // namespace
