// The ACK id set (kmod/sdp_ack.h): what a client packs into one ACK packet
// and what a server reads out of one, checked against a std::set model.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

extern "C" {
#include "sdp_ack.h"
}

namespace {

// Number of ids in the set (the module never needs to count them).
unsigned int sdp_ackset_count(const sdp_ackset* s) {
  if (!s->top) return 0;
  return 1 + static_cast<unsigned int>(__builtin_popcountll(s->more));
}

// The n-th id of the set, highest first (n < sdp_ackset_count()): what a
// server reads out of (top, more), the way sdp_rcv_ack() walks the bits.
u64 sdp_ackset_id(u64 top, u64 more, unsigned int n) {
  if (!n) return top;
  for (unsigned int i = 0; i < SDP_ACK_MORE_BITS; i++) {
    if (!(more & (1ULL << i))) continue;
    if (!--n) return top - 1 - i;
  }
  return 0;
}

std::set<u64> ids_of(const sdp_ackset& s) {
  std::set<u64> out;
  for (unsigned int n = 0; n < sdp_ackset_count(&s); n++) out.insert(sdp_ackset_id(s.top, s.more, n));
  return out;
}

TEST(AckSet, EmptyAndFirst) {
  sdp_ackset s;
  sdp_ackset_init(&s);
  EXPECT_TRUE(sdp_ackset_empty(&s));
  EXPECT_EQ(sdp_ackset_count(&s), 0u);
  EXPECT_FALSE(sdp_ackset_add(&s, 0));  // no RPC has id 0
  EXPECT_TRUE(sdp_ackset_empty(&s));
  EXPECT_TRUE(sdp_ackset_add(&s, 1000));
  EXPECT_EQ(s.top, 1000u);
  EXPECT_EQ(s.more, 0u);
  EXPECT_TRUE(sdp_ackset_add(&s, 1000));  // again: no change
  EXPECT_EQ(sdp_ackset_count(&s), 1u);
}

TEST(AckSet, BitsNameIdsBelowTop) {
  sdp_ackset s;
  sdp_ackset_init(&s);
  ASSERT_TRUE(sdp_ackset_add(&s, 1000));
  ASSERT_TRUE(sdp_ackset_add(&s, 999));   // bit 0
  ASSERT_TRUE(sdp_ackset_add(&s, 936));   // bit 63: 1000 - 1 - 63
  EXPECT_FALSE(sdp_ackset_add(&s, 935));  // 65 below: does not fit
  EXPECT_EQ(s.more, 1ULL | 1ULL << 63);
  EXPECT_EQ(ids_of(s), (std::set<u64>{936, 999, 1000}));
}

TEST(AckSet, NewTopShiftsAndNeverDropsAnId) {
  sdp_ackset s;
  sdp_ackset_init(&s);
  ASSERT_TRUE(sdp_ackset_add(&s, 100));
  ASSERT_TRUE(sdp_ackset_add(&s, 101));  // old top 100 -> bit 0
  EXPECT_EQ(s.top, 101u);
  EXPECT_EQ(s.more, 1u);
  EXPECT_FALSE(sdp_ackset_add(&s, 165));  // 100 would need bit 64
  EXPECT_EQ(s.top, 101u) << "an id that would push 100 off the bitmap is refused";
  sdp_ackset_init(&s);
  ASSERT_TRUE(sdp_ackset_add(&s, 100));
  ASSERT_TRUE(sdp_ackset_add(&s, 164));  // 100 becomes bit 63
  EXPECT_EQ(s.more, 1ULL << 63);
  EXPECT_FALSE(sdp_ackset_add(&s, 165));  // would push 100 out
  sdp_ackset_init(&s);
  ASSERT_TRUE(sdp_ackset_add(&s, 100));
  EXPECT_FALSE(sdp_ackset_add(&s, 165));  // 65 above: does not fit
  EXPECT_EQ(ids_of(s), (std::set<u64>{100}));
}

TEST(AckSet, ValidRejectsIdZeroAndBelow) {
  EXPECT_FALSE(sdp_ackset_valid(0, 0));
  EXPECT_TRUE(sdp_ackset_valid(1, 0));
  EXPECT_FALSE(sdp_ackset_valid(1, 1));       // would name id 0
  EXPECT_TRUE(sdp_ackset_valid(2, 1));        // names 1
  EXPECT_FALSE(sdp_ackset_valid(2, 2));       // names 0
  EXPECT_TRUE(sdp_ackset_valid(65, ~0ULL));   // names 1 .. 64
  EXPECT_FALSE(sdp_ackset_valid(64, ~0ULL));  // would name 0
  EXPECT_TRUE(sdp_ackset_valid(~0ULL, ~0ULL));
}

// Random adds against a model: the set holds exactly what was accepted,
// every refused id really is more than 64 away from what the set holds
// (or would push one of them out), and a received (top, more) that the
// set produced is valid and names the same ids.
TEST(AckSet, DifferentialAgainstModel) {
  std::mt19937_64 rng(4);
  for (int run = 0; run < 2000; run++) {
    sdp_ackset s;
    sdp_ackset_init(&s);
    std::set<u64> model;
    u64 base = 1 + rng() % 200;
    for (int k = 0; k < 200; k++) {
      u64 id = base + rng() % 140;
      bool ok = sdp_ackset_add(&s, id);
      std::set<u64> with(model);
      with.insert(id);
      bool fits = *with.rbegin() - *with.begin() <= 64;
      ASSERT_EQ(ok, fits) << "run " << run << " id " << id;
      if (ok) model = with;
      ASSERT_EQ(ids_of(s), model);
      ASSERT_EQ(sdp_ackset_count(&s), model.size());
      if (!model.empty()) {
        ASSERT_TRUE(sdp_ackset_valid(s.top, s.more));
      }
    }
  }
}

}  // namespace
