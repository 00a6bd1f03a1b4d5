// SPDX-License-Identifier: GPL-2.0 OR MIT
// Sliding id window (kmod/sdp_window.h): RPC dedup and replay protection.

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <set>

extern "C" {
#include "sdp_window.h"
}

namespace {

constexpr unsigned long long kSize = SDP_WINDOW_SIZE;

struct Window {
  sdp_window w;
  Window() { sdp_window_init(&w); }
  sdp_window_result check(u64 id) const { return sdp_window_check(&w, id); }
  sdp_window_result update(u64 id) {
    sdp_window_result before = check(id);
    sdp_window_result r = sdp_window_update(&w, id);
    EXPECT_EQ(r, before) << "update answers what check said, id " << id;
    return r;
  }
};

TEST(Window, Geometry) {
  // The ring covers the guaranteed window plus the partial block.
  EXPECT_GE(sizeof(sdp_window{}.bits) * 8, kSize + 64);
  EXPECT_LE(sizeof(sdp_window), 1100u) << "kept small: one per client port";
}

TEST(Window, FreshWindowAcceptsEverything) {
  Window w;
  for (u64 id : {0ull, 1ull, 63ull, 64ull, kSize, 1ull << 40, (1ull << 63) - 1,
                 ~0ull})
    EXPECT_EQ(w.check(id), SDP_WINDOW_NEW) << id;
}

TEST(Window, NewSeenTooOld) {
  Window w;
  EXPECT_EQ(w.update(100), SDP_WINDOW_NEW);
  EXPECT_EQ(w.update(100), SDP_WINDOW_SEEN);
  EXPECT_EQ(w.check(100), SDP_WINDOW_SEEN);
  EXPECT_EQ(w.update(99), SDP_WINDOW_NEW) << "older but inside the window";
  EXPECT_EQ(w.update(99), SDP_WINDOW_SEEN);
  EXPECT_EQ(w.update(101), SDP_WINDOW_NEW);
  EXPECT_EQ(w.update(0), SDP_WINDOW_NEW);
  EXPECT_EQ(w.update(0), SDP_WINDOW_SEEN);
  EXPECT_EQ(w.update(200000), SDP_WINDOW_NEW);
  EXPECT_EQ(w.check(101), SDP_WINDOW_TOO_OLD);
  EXPECT_EQ(w.update(101), SDP_WINDOW_TOO_OLD);
  EXPECT_EQ(w.update(200000 - 1), SDP_WINDOW_NEW);
}

TEST(Window, CheckDoesNotChangeState) {
  Window w;
  w.update(5000);
  sdp_window copy = w.w;
  for (u64 id = 0; id < 20000; id += 7)
    w.check(id);
  EXPECT_EQ(std::memcmp(&copy, &w.w, sizeof(copy)), 0);
}

TEST(Window, EdgeAtExactlySize) {
  for (u64 top : {kSize - 1, kSize, kSize + 1, kSize + 63, 3 * kSize + 17,
                  (1ull << 62) + 5, (1ull << 63) - 1}) {
    SCOPED_TRACE(top);
    Window w;
    ASSERT_EQ(w.update(top), SDP_WINDOW_NEW);
    // top - SIZE + 1 is the oldest id still tracked.
    if (top >= kSize) {
      EXPECT_EQ(w.check(top - kSize), SDP_WINDOW_TOO_OLD);
      EXPECT_EQ(w.update(top - kSize), SDP_WINDOW_TOO_OLD);
    }
    if (top >= kSize - 1) {
      EXPECT_EQ(w.check(top - kSize + 1), SDP_WINDOW_NEW);
      EXPECT_EQ(w.update(top - kSize + 1), SDP_WINDOW_NEW);
      EXPECT_EQ(w.check(top - kSize + 1), SDP_WINDOW_SEEN);
    }
    EXPECT_EQ(w.check(top), SDP_WINDOW_SEEN);
    // Moving top by one pushes the oldest tracked id out.
    ASSERT_EQ(w.update(top + 1), SDP_WINDOW_NEW);
    if (top >= kSize - 1) {
      EXPECT_EQ(w.check(top - kSize + 1), SDP_WINDOW_TOO_OLD);
    }
    EXPECT_EQ(w.check(top), SDP_WINDOW_SEEN);
  }
}

// Every id of a full window, marked in one pass, is remembered, and a
// slide by one block forgets exactly the ids that fell out.
TEST(Window, FullWindowRemembered) {
  for (u64 base : {0ull, 1ull, 63ull, 64ull, 1000003ull}) {
    SCOPED_TRACE(base);
    Window w;
    for (u64 id = base; id < base + kSize; id++)
      ASSERT_EQ(w.update(id), SDP_WINDOW_NEW);
    for (u64 id = base; id < base + kSize; id++)
      ASSERT_EQ(w.check(id), SDP_WINDOW_SEEN) << id;
    ASSERT_EQ(w.update(base + kSize + 63), SDP_WINDOW_NEW);
    for (u64 id = base; id < base + 64; id++)
      ASSERT_EQ(w.check(id), SDP_WINDOW_TOO_OLD) << id;
    for (u64 id = base + 64; id < base + kSize; id++)
      ASSERT_EQ(w.check(id), SDP_WINDOW_SEEN) << id;
    for (u64 id = base + kSize; id < base + kSize + 63; id++)
      ASSERT_EQ(w.check(id), SDP_WINDOW_NEW) << id;
  }
}

TEST(Window, BigJumpsClearTheRing) {
  Window w;
  for (u64 id = 0; id < 500; id++)
    w.update(id);
  // Jump by more than the ring: everything before the new top that is
  // still inside the window must read NEW (its bits are stale otherwise).
  for (u64 jump : {kSize + 64, kSize * 2, kSize * 64 + 1, 1ull << 40}) {
    SCOPED_TRACE(jump);
    Window v = w;
    u64 top = 499 + jump;
    ASSERT_EQ(v.update(top), SDP_WINDOW_NEW);
    for (u64 id = top - kSize + 1; id < top; id++)
      ASSERT_EQ(v.check(id), SDP_WINDOW_NEW) << id;
    ASSERT_EQ(v.check(499), SDP_WINDOW_TOO_OLD);
  }
  // Jumps just below, at and just above the ring size in blocks.
  for (u64 blocks = SDP_WINDOW_BLOCKS - 2; blocks <= SDP_WINDOW_BLOCKS + 1;
       blocks++) {
    SCOPED_TRACE(blocks);
    Window v;
    for (u64 id = 0; id < 64 * SDP_WINDOW_BLOCKS; id += 3)
      v.update(id);
    u64 top = (64 * SDP_WINDOW_BLOCKS - 1) + 64 * blocks;
    std::set<u64> marked;
    for (u64 id = 0; id < 64 * SDP_WINDOW_BLOCKS; id += 3)
      marked.insert(id);
    ASSERT_EQ(v.update(top), SDP_WINDOW_NEW);
    marked.insert(top);
    for (u64 id = top - kSize + 1; id <= top; id++)
      ASSERT_EQ(v.check(id), marked.count(id) ? SDP_WINDOW_SEEN : SDP_WINDOW_NEW)
          << id;
  }
}

TEST(Window, NoOverflowNearU64Max) {
  Window w;
  const u64 top = ~0ull - 10;
  ASSERT_EQ(w.update(top), SDP_WINDOW_NEW);
  EXPECT_EQ(w.check(~0ull), SDP_WINDOW_NEW);
  EXPECT_EQ(w.check(top), SDP_WINDOW_SEEN);
  EXPECT_EQ(w.check(0), SDP_WINDOW_TOO_OLD);
  EXPECT_EQ(w.check(top - kSize), SDP_WINDOW_TOO_OLD);
  EXPECT_EQ(w.check(top - kSize + 1), SDP_WINDOW_NEW);
  ASSERT_EQ(w.update(~0ull), SDP_WINDOW_NEW);
  EXPECT_EQ(w.check(~0ull), SDP_WINDOW_SEEN);
  EXPECT_EQ(w.check(top), SDP_WINDOW_SEEN);
  // Small ids against a tiny top are never TOO_OLD.
  Window v;
  v.update(3);
  EXPECT_EQ(v.check(0), SDP_WINDOW_NEW);
}

TEST(Window, FirstIdAnywhere) {
  for (u64 first : {0ull, 64ull, 12345ull, 1ull << 50}) {
    Window w;
    ASSERT_EQ(w.update(first), SDP_WINDOW_NEW);
    EXPECT_EQ(w.update(first), SDP_WINDOW_SEEN);
    if (first) {
      EXPECT_EQ(w.check(first - 1), SDP_WINDOW_NEW);
    }
    EXPECT_EQ(w.check(first + 1), SDP_WINDOW_NEW);
  }
}

// Random walks against the exact model: a set of every id ever marked.
// Inside the guaranteed window the answer must match exactly; behind it,
// TOO_OLD. Fixed seeds: reproducible.
TEST(Window, DifferentialAgainstSet) {
  for (unsigned seed = 1; seed <= 6; seed++) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed);
    Window w;
    std::set<u64> seen;
    u64 top = 0;
    bool any = false;
    const u64 spread = seed % 2 ? kSize + 200 : 300;  // wide or dense walks
    for (int op = 0; op < 60000; op++) {
      u64 id;
      u64 r = rng() % 100;
      if (!any)
        id = rng() % 1000;
      else if (r < 2)
        id = top + rng() % (3 * kSize);  // jumps, some beyond the ring
      else if (r < 40)
        id = top + rng() % 100;
      else
        id = top > spread ? top - rng() % spread : rng() % (top + 1);
      sdp_window_result want;
      if (!any || id > top)
        want = SDP_WINDOW_NEW;
      else if (top - id >= kSize)
        want = SDP_WINDOW_TOO_OLD;
      else
        want = seen.count(id) ? SDP_WINDOW_SEEN : SDP_WINDOW_NEW;
      ASSERT_EQ(w.check(id), want) << "op " << op << " id " << id;
      if (rng() % 4 == 0)
        continue;  // checked, not authenticated: no update
      ASSERT_EQ(w.update(id), want) << "op " << op << " id " << id;
      if (want == SDP_WINDOW_NEW) {
        seen.insert(id);
        if (!any || id > top)
          top = id;
        any = true;
      }
      ASSERT_EQ(w.w.top, top);
      // Keep the model small.
      while (!seen.empty() && *seen.begin() + 2 * kSize < top)
        seen.erase(seen.begin());
    }
  }
}

}  // namespace
