// SPDX-License-Identifier: GPL-2.0 OR MIT
// Receiver grant scheduling (kmod/sdp_grant.h).

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

extern "C" {
#include "sdp_grant.h"
}

namespace {

sdp_grant_cand cand(u32 len, u32 received, u32 granted) {
  return sdp_grant_cand{len, received, granted, 0xdeadbeef};
}

sdp_grant_params params(u32 window, u32 overcommit, u32 max_incoming,
                        u32 min_step) {
  return sdp_grant_params{window, overcommit, max_incoming, min_step};
}

unsigned int compute(std::vector<sdp_grant_cand> &c, const sdp_grant_params &p) {
  return sdp_grant_compute(c.data(), static_cast<unsigned int>(c.size()), &p);
}

// The policy written out the plain way, for the differential test.
std::vector<u32> reference(const std::vector<sdp_grant_cand> &c,
                           const sdp_grant_params &p) {
  std::vector<u32> out(c.size(), 0);
  std::vector<size_t> order;
  u64 inflight = 0;
  for (size_t i = 0; i < c.size(); i++) {
    if (c[i].granted > c[i].received)
      inflight += c[i].granted - c[i].received;
    if (c[i].received < c[i].len)
      order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return c[a].len - c[a].received < c[b].len - c[b].received;
  });
  if (order.size() > p.overcommit)
    order.resize(p.overcommit);
  u64 budget = p.max_incoming > inflight ? p.max_incoming - inflight : 0;
  for (size_t i : order) {
    u64 target = std::min<u64>(c[i].len, u64{c[i].received} + p.window);
    if (target <= c[i].granted || !budget)
      continue;
    u64 base = std::max(c[i].granted, c[i].received);
    target = std::min<u64>(target, base + budget);
    if (target - c[i].granted < p.min_step && target != c[i].len)
      continue;
    out[i] = static_cast<u32>(target);
    budget -= target - base;
  }
  return out;
}

// The new grant of a lone candidate (0: none), checking the return value.
u32 grant_one(sdp_grant_cand c, const sdp_grant_params &p) {
  unsigned int raised = sdp_grant_compute(&c, 1, &p);
  EXPECT_EQ(raised, c.new_grant ? 1u : 0u);
  return c.new_grant;
}

TEST(Grant, SingleMessageWindow) {
  const sdp_grant_params p = params(50000, 8, 1u << 30, 0);
  EXPECT_EQ(grant_one(cand(1000000, 0, 10000), p), 50000u);
  // Short message: the grant goes exactly to its end.
  EXPECT_EQ(grant_one(cand(30000, 0, 10000), p), 30000u);
  // Window follows received bytes.
  EXPECT_EQ(grant_one(cand(1000000, 40000, 50000), p), 90000u);
}

TEST(Grant, SrptOrder) {
  // Remaining: 900, 100, 500, 100 (tie: index 1 before 3), 50.
  std::vector<sdp_grant_cand> c = {cand(1000, 100, 100), cand(200, 100, 100),
                                   cand(600, 100, 100), cand(300, 200, 200),
                                   cand(60, 10, 10)};
  // Overcommit 3: the three shortest by remaining: 4, 1, 3.
  EXPECT_EQ(compute(c, params(10, 3, 1u << 30, 0)), 3u);
  EXPECT_EQ(c[4].new_grant, 20u);
  EXPECT_EQ(c[1].new_grant, 110u);
  EXPECT_EQ(c[3].new_grant, 210u);
  EXPECT_EQ(c[0].new_grant, 0u);
  EXPECT_EQ(c[2].new_grant, 0u);
  // Overcommit 2 with the tie: index 1 wins over index 3.
  for (auto &x : c)
    x.new_grant = 1;
  EXPECT_EQ(compute(c, params(10, 2, 1u << 30, 0)), 2u);
  EXPECT_EQ(c[4].new_grant, 20u);
  EXPECT_EQ(c[1].new_grant, 110u);
  EXPECT_EQ(c[3].new_grant, 0u) << "new_grant is reset on every candidate";
}

TEST(Grant, BudgetServedInSrptOrder) {
  // Budget 100: the shortest takes 60, the next gets a partial 40.
  std::vector<sdp_grant_cand> c = {cand(10000, 0, 0), cand(60, 0, 0),
                                   cand(5000, 0, 0)};
  EXPECT_EQ(compute(c, params(1000, 8, 100, 0)), 2u);
  EXPECT_EQ(c[1].new_grant, 60u);
  EXPECT_EQ(c[2].new_grant, 40u);
  EXPECT_EQ(c[0].new_grant, 0u);
}

TEST(Grant, BudgetCountsOutstandingOfAllCandidates) {
  // Candidate 0 is complete-ish but still has granted - received bytes in
  // flight; candidate 1 is beyond overcommit but its in-flight bytes count.
  std::vector<sdp_grant_cand> c = {cand(100, 50, 100), cand(100000, 0, 300),
                                   cand(1000, 0, 0)};
  // In flight: 50 + 300 = 350 of 400: 50 left.
  EXPECT_EQ(compute(c, params(1000, 1, 400, 0)), 0u);
  EXPECT_EQ(c[0].new_grant, 0u) << "rank 0, already granted to its end";
  EXPECT_EQ(c[2].new_grant, 0u) << "beyond overcommit (rank 2 of 1)";
  // With overcommit 3 the only one that can move is 2, by the 50 left.
  EXPECT_EQ(compute(c, params(1000, 3, 400, 0)), 1u);
  EXPECT_EQ(c[2].new_grant, 50u);
  EXPECT_EQ(c[1].new_grant, 0u);
  // Over budget already: nothing moves.
  EXPECT_EQ(compute(c, params(1000, 3, 300, 0)), 0u);
  EXPECT_EQ(compute(c, params(1000, 3, 350, 0)), 0u);
  for (auto &x : c)
    EXPECT_EQ(x.new_grant, 0u);
}

TEST(Grant, ReceivedBeyondGrantIsNotNegativeInflight) {
  // Unscheduled bytes can arrive past the recorded grant.
  std::vector<sdp_grant_cand> c = {cand(100000, 5000, 1000),
                                   cand(100000, 0, 100)};
  // In flight: 0 (not -4000) + 100; budget 50. Candidate 0 ranks first;
  // its raise costs what it allows beyond the 5000 bytes already here.
  EXPECT_EQ(compute(c, params(1000, 8, 150, 0)), 1u);
  EXPECT_EQ(c[0].new_grant, 5050u);
  EXPECT_EQ(c[1].new_grant, 0u);
  EXPECT_EQ(compute(c, params(1000, 8, 1200, 0)), 2u);
  EXPECT_EQ(c[0].new_grant, 6000u);
  EXPECT_EQ(c[1].new_grant, 200u) << "1100 - 1000 for candidate 0";
}

TEST(Grant, MinStep) {
  const sdp_grant_params p = params(10000, 8, 1u << 30, 4000);
  // Target 11000, step 1000 < 4000: not worth a packet.
  EXPECT_EQ(grant_one(cand(100000, 1000, 10000), p), 0u);
  // Target 14000, step 4000: sent.
  EXPECT_EQ(grant_one(cand(100000, 4000, 10000), p), 14000u);
  // Reaching the end of the message is always worth it.
  EXPECT_EQ(grant_one(cand(10500, 1000, 10000), p), 10500u);
  // A partial raise cut by the budget must still respect min_step...
  EXPECT_EQ(grant_one(cand(100000, 0, 0), params(10000, 8, 3999, 4000)), 0u);
  EXPECT_EQ(grant_one(cand(100000, 0, 0), params(10000, 8, 4000, 4000)), 4000u);
  // ...even when the full raise would have reached the end.
  EXPECT_EQ(grant_one(cand(5000, 0, 0), params(10000, 8, 3000, 4000)), 0u);
  EXPECT_EQ(grant_one(cand(5000, 0, 0), params(10000, 8, 5000, 4000)), 5000u);
}

TEST(Grant, NeverLowers) {
  // Granted ahead of received + window (window shrank, or the sender's
  // unscheduled bytes): no new grant.
  std::vector<sdp_grant_cand> c = {cand(100000, 0, 60000),
                                   cand(100000, 1000, 2000)};
  EXPECT_EQ(compute(c, params(10000, 8, 1u << 30, 0)), 1u);
  EXPECT_EQ(c[0].new_grant, 0u);
  EXPECT_EQ(c[1].new_grant, 11000u);
  // Granted beyond len (should not happen): still not lowered.
  EXPECT_EQ(grant_one(cand(1000, 0, 5000), params(10000, 8, 1u << 30, 0)), 0u);
}

TEST(Grant, CompletesAndSkipsComplete) {
  // Complete candidates take no overcommit slot.
  std::vector<sdp_grant_cand> c = {cand(100, 100, 100), cand(0, 0, 0),
                                   cand(500, 0, 100)};
  EXPECT_EQ(compute(c, params(1000, 1, 1u << 30, 0)), 1u);
  EXPECT_EQ(c[2].new_grant, 500u);
  EXPECT_EQ(c[0].new_grant, 0u);
  EXPECT_EQ(c[1].new_grant, 0u);
  // Iterating compute + "receive what was granted" completes every message.
  std::mt19937 rng(7);
  std::vector<sdp_grant_cand> m;
  for (int i = 0; i < 40; i++)
    m.push_back(cand(1 + rng() % 200000, 0, 0));
  const sdp_grant_params p = params(20000, 4, 60000, 5000);
  for (int round = 0; round < 10000; round++) {
    compute(m, p);
    for (auto &x : m) {
      if (x.new_grant)
        x.granted = x.new_grant;
      x.new_grant = 0;
      // The sender delivers everything granted.
      x.received = std::min(x.len, x.granted);
    }
    u64 inflight = 0;
    for (auto &x : m)
      inflight += x.granted - x.received;
    ASSERT_EQ(inflight, 0u);
    if (std::all_of(m.begin(), m.end(),
                    [](const sdp_grant_cand &x) { return x.received == x.len; }))
      break;
  }
  for (auto &x : m)
    EXPECT_EQ(x.received, x.len);
}

TEST(Grant, NothingToDo) {
  std::vector<sdp_grant_cand> c;
  sdp_grant_params p = params(1000, 8, 1000, 0);
  EXPECT_EQ(sdp_grant_compute(nullptr, 0, &p), 0u);
  c = {cand(100, 0, 0)};
  EXPECT_EQ(compute(c, params(1000, 0, 1000, 0)), 0u) << "overcommit 0";
  EXPECT_EQ(c[0].new_grant, 0u);
  EXPECT_EQ(compute(c, params(0, 8, 1000, 0)), 0u) << "window 0";
  EXPECT_EQ(compute(c, params(1000, 8, 0, 0)), 0u) << "no budget";
}

TEST(Grant, NoOverflowNearU32Max) {
  std::vector<sdp_grant_cand> c = {cand(0xffffffffu, 0xfffffff0u, 0xfffffff0u)};
  EXPECT_EQ(compute(c, params(0xffffffffu, 8, 0xffffffffu, 0)), 1u);
  EXPECT_EQ(c[0].new_grant, 0xffffffffu);
  // Sum of in-flight bytes beyond 32 bits.
  c.assign(4, cand(0xffffffffu, 0, 0xf0000000u));
  c.push_back(cand(100, 0, 0));
  EXPECT_EQ(compute(c, params(1000, 8, 0xffffffffu, 0)), 0u);
}

TEST(Grant, MaxCandidatesAndBeyond) {
  // 300 candidates: only the first 256 are looked at.
  std::vector<sdp_grant_cand> c;
  for (u32 i = 0; i < 300; i++)
    c.push_back(cand(1000000 - i, 0, 0));  // later ones are shorter
  EXPECT_EQ(compute(c, params(10, 1, 1u << 30, 0)), 1u);
  EXPECT_EQ(c[255].new_grant, 10u);
  for (u32 i = 256; i < 300; i++)
    EXPECT_EQ(c[i].new_grant, 0xdeadbeef) << "untouched " << i;
  // All 256 granted when overcommit allows.
  c.resize(256);
  EXPECT_EQ(compute(c, params(10, 1000, 1u << 30, 0)), 256u);
}

// Random candidate sets against the plain reference. Fixed seed.
TEST(Grant, DifferentialAgainstReference) {
  std::mt19937 rng(2024);
  for (int round = 0; round < 20000; round++) {
    size_t n = rng() % 257;
    std::vector<sdp_grant_cand> c;
    const u32 scale = rng() % 2 ? 1000 : 1000000;
    for (size_t i = 0; i < n; i++) {
      u32 len = rng() % scale;
      u32 received = len ? rng() % (len + 1) : 0;
      u32 granted = rng() % 4 ? received + rng() % (len - received + 1)
                              : rng() % (len + scale / 10 + 1);
      if (rng() % 8 == 0)  // many equal remainders: exercise the tie rule
        received = len > 10 ? len - 10 : 0;
      c.push_back(cand(len, received, granted));
    }
    sdp_grant_params p = params(rng() % scale, rng() % 20, rng() % (4 * scale),
                                rng() % 3 ? 0 : rng() % (scale / 4 + 1));
    std::vector<u32> want = reference(c, p);
    std::vector<sdp_grant_cand> before = c;
    unsigned int raised = compute(c, p);
    ASSERT_EQ(raised, static_cast<unsigned int>(std::count_if(
                          want.begin(), want.end(), [](u32 g) { return g; })));
    u64 added = 0;  // raises seen
    for (size_t i = 0; i < n; i++) {
      ASSERT_EQ(c[i].new_grant, want[i]) << "round " << round << " cand " << i;
      if (c[i].new_grant) {
        ASSERT_GT(c[i].new_grant, before[i].granted);
        ASSERT_LE(c[i].new_grant, before[i].len);
        added += c[i].new_grant - before[i].granted;
      }
    }
    // The invariant the budget exists for: once the raises are applied,
    // bytes granted but not received stay within max_incoming (unless
    // they were above it before and nothing moved).
    u64 inflight = 0;
    for (size_t i = 0; i < n; i++) {
      u32 g = c[i].new_grant ? c[i].new_grant : before[i].granted;
      inflight += g > before[i].received ? g - before[i].received : 0;
    }
    if (added) {
      ASSERT_LE(inflight, u64{p.max_incoming});
    }
  }
}

}  // namespace
