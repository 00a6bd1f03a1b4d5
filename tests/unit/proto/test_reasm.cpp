// SPDX-License-Identifier: GPL-2.0 OR MIT
// Receive range tracker (kmod/sdp_reasm.h), checked against a bitmap model.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

extern "C" {
#include "sdp_reasm.h"
}

namespace {

// The obvious implementation: one bool per byte.
struct Model {
  std::vector<bool> got;

  explicit Model(u32 len) : got(len, false) {}
  u32 len() const { return static_cast<u32>(got.size()); }
  u32 received() const {
    return static_cast<u32>(std::count(got.begin(), got.end(), true));
  }
  u32 missing_in(u32 s, u32 e) const {
    u32 n = 0;
    for (u32 i = s; i < e; i++)
      n += !got[i];
    return n;
  }
  // Maximal runs of missing bytes = the gaps the tracker must hold.
  u32 runs() const {
    u32 n = 0;
    for (u32 i = 0; i < len(); i++)
      n += !got[i] && (i == 0 || got[i - 1]);
    return n;
  }
  u32 runs_if_added(u32 s, u32 e) const {
    Model m = *this;
    m.mark(s, e);
    return m.runs();
  }
  void mark(u32 s, u32 e) {
    for (u32 i = s; i < e; i++)
      got[i] = true;
  }
  void unmark(u32 s, u32 e) {
    for (u32 i = s; i < e; i++)
      got[i] = false;
  }
  u32 runs_if_unmarked(u32 s, u32 e) const {
    Model m = *this;
    m.unmark(s, e);
    return m.runs();
  }
  // The first missing run intersecting [from, end), clipped.
  bool next_missing(u32 from, u32 end, u32 *s, u32 *e) const {
    u32 i = from;
    while (i < end && i < len() && got[i])
      i++;
    if (i >= end || i >= len())
      return false;
    *s = i;
    while (i < end && i < len() && !got[i])
      i++;
    *e = i;
    return true;
  }
  bool first_gap(u32 limit, u32 *s, u32 *e) const {
    u32 i = 0;
    while (i < len() && got[i])
      i++;
    if (i >= len() || i >= limit)
      return false;
    *s = i;
    while (i < len() && i < limit && !got[i])
      i++;
    *e = i;
    return true;
  }
};

// Structural invariants, and agreement with the model.
void expect_matches(const sdp_reasm &r, const Model &m) {
  ASSERT_EQ(r.len, m.len());
  ASSERT_LE(r.ngaps, static_cast<u32>(SDP_REASM_MAX_GAPS));
  u32 missing = 0;
  for (u32 i = 0; i < r.ngaps; i++) {
    ASSERT_LT(r.gaps[i].start, r.gaps[i].end) << "gap " << i;
    ASSERT_LE(r.gaps[i].end, r.len) << "gap " << i;
    if (i) {
      ASSERT_LT(r.gaps[i - 1].end, r.gaps[i].start) << "gap " << i;
    }
    for (u32 b = r.gaps[i].start; b < r.gaps[i].end; b++)
      ASSERT_FALSE(m.got[b]) << "byte " << b;
    missing += r.gaps[i].end - r.gaps[i].start;
  }
  ASSERT_EQ(r.received, r.len - missing);
  ASSERT_EQ(r.received, m.received());
  ASSERT_EQ(r.ngaps, m.runs());
  ASSERT_EQ(sdp_reasm_complete(&r), m.received() == m.len());
}

enum sdp_reasm_result add(sdp_reasm *r, u32 s, u32 e, u32 *nb = nullptr) {
  u32 dummy;
  return sdp_reasm_add(r, s, e, nb ? nb : &dummy);
}

TEST(Reasm, InitAndComplete) {
  sdp_reasm r;
  sdp_reasm_init(&r, 100);
  EXPECT_EQ(r.ngaps, 1u);
  EXPECT_EQ(r.gaps[0].start, 0u);
  EXPECT_EQ(r.gaps[0].end, 100u);
  EXPECT_EQ(r.received, 0u);
  EXPECT_FALSE(sdp_reasm_complete(&r));
  u32 nb = 7;
  EXPECT_EQ(add(&r, 0, 100, &nb), SDP_REASM_NEW);
  EXPECT_EQ(nb, 100u);
  EXPECT_TRUE(sdp_reasm_complete(&r));
  EXPECT_EQ(add(&r, 0, 100, &nb), SDP_REASM_DUP);
  EXPECT_EQ(nb, 0u);
}

TEST(Reasm, InOrder) {
  const u32 len = 10000, mss = 1448;
  sdp_reasm r;
  sdp_reasm_init(&r, len);
  Model m(len);
  for (u32 off = 0; off < len; off += mss) {
    u32 end = std::min(len, off + mss), nb;
    EXPECT_FALSE(sdp_reasm_complete(&r));
    ASSERT_EQ(add(&r, off, end, &nb), SDP_REASM_NEW);
    EXPECT_EQ(nb, end - off);
    m.mark(off, end);
    EXPECT_LE(r.ngaps, 1u) << "in-order arrival keeps one gap";
    expect_matches(r, m);
  }
  EXPECT_TRUE(sdp_reasm_complete(&r));
}

TEST(Reasm, Reverse) {
  const u32 len = 100 * 64, seg = 64;
  sdp_reasm r;
  sdp_reasm_init(&r, len);
  Model m(len);
  for (u32 off = len; off > 0; off -= seg) {
    u32 nb;
    ASSERT_EQ(add(&r, off - seg, off, &nb), SDP_REASM_NEW);
    EXPECT_EQ(nb, seg);
    m.mark(off - seg, off);
    EXPECT_EQ(r.ngaps, off - seg ? 1u : 0u);
    expect_matches(r, m);
  }
  EXPECT_TRUE(sdp_reasm_complete(&r));
}

TEST(Reasm, PartialOverlaps) {
  sdp_reasm r;
  sdp_reasm_init(&r, 100);
  u32 nb;
  EXPECT_EQ(add(&r, 10, 20, &nb), SDP_REASM_NEW);
  EXPECT_EQ(nb, 10u);
  EXPECT_EQ(add(&r, 30, 40, &nb), SDP_REASM_NEW);
  EXPECT_EQ(r.ngaps, 3u);
  // Covers the tail of one gap, a received run, the head of the next.
  EXPECT_EQ(add(&r, 5, 35, &nb), SDP_REASM_NEW);
  EXPECT_EQ(nb, 5u + 10u);
  EXPECT_EQ(r.ngaps, 2u);
  EXPECT_EQ(r.gaps[0].start, 0u);
  EXPECT_EQ(r.gaps[0].end, 5u);
  EXPECT_EQ(r.gaps[1].start, 40u);
  // Swallows several gaps at once.
  EXPECT_EQ(add(&r, 50, 52, &nb), SDP_REASM_NEW);
  EXPECT_EQ(add(&r, 60, 62, &nb), SDP_REASM_NEW);
  EXPECT_EQ(r.ngaps, 4u);
  // Here so far: [5, 40), [50, 52), [60, 62).
  EXPECT_EQ(add(&r, 0, 100, &nb), SDP_REASM_NEW);
  EXPECT_EQ(nb, 100u - 35u - 2u - 2u);
  EXPECT_TRUE(sdp_reasm_complete(&r));
}

TEST(Reasm, OutOfRange) {
  sdp_reasm r;
  sdp_reasm_init(&r, 100);
  sdp_reasm before = r;
  u32 nb = 99;
  EXPECT_EQ(add(&r, 0, 101, &nb), SDP_REASM_OUT_OF_RANGE);
  EXPECT_EQ(nb, 0u);
  EXPECT_EQ(add(&r, 100, 101), SDP_REASM_OUT_OF_RANGE);
  EXPECT_EQ(add(&r, 50, 50), SDP_REASM_OUT_OF_RANGE);
  EXPECT_EQ(add(&r, 0, 0), SDP_REASM_OUT_OF_RANGE);
  EXPECT_EQ(add(&r, 100, 100), SDP_REASM_OUT_OF_RANGE);
  EXPECT_EQ(add(&r, 60, 50), SDP_REASM_OUT_OF_RANGE);
  EXPECT_EQ(add(&r, 0xffffff00u, 0xffffffffu), SDP_REASM_OUT_OF_RANGE);
  EXPECT_EQ(std::memcmp(&before, &r, sizeof(r)), 0);
  // new_bytes may be NULL.
  EXPECT_EQ(sdp_reasm_add(&r, 0, 1, nullptr), SDP_REASM_NEW);
  EXPECT_EQ(sdp_reasm_add(&r, 0, 1, nullptr), SDP_REASM_DUP);
}

TEST(Reasm, ZeroLengthMessage) {
  sdp_reasm r;
  sdp_reasm_init(&r, 0);
  EXPECT_EQ(r.ngaps, 0u);
  EXPECT_EQ(r.received, 0u);
  EXPECT_TRUE(sdp_reasm_complete(&r));
  u32 nb = 5;
  // [0, 0) is what the DATA packet of an empty message carries: a duplicate.
  EXPECT_EQ(add(&r, 0, 0, &nb), SDP_REASM_DUP);
  EXPECT_EQ(nb, 0u);
  EXPECT_EQ(add(&r, 0, 1), SDP_REASM_OUT_OF_RANGE);
  EXPECT_EQ(add(&r, 1, 1), SDP_REASM_OUT_OF_RANGE);
  EXPECT_TRUE(sdp_reasm_range_complete(&r, 0, 0));
  EXPECT_FALSE(sdp_reasm_range_complete(&r, 0, 1));
  u32 s, e;
  EXPECT_FALSE(sdp_reasm_first_gap(&r, 0, &s, &e));
  EXPECT_FALSE(sdp_reasm_first_gap(&r, 1000, &s, &e));
  EXPECT_TRUE(sdp_reasm_complete(&r));
}

TEST(Reasm, RangeComplete) {
  sdp_reasm r;
  sdp_reasm_init(&r, 100);
  EXPECT_EQ(add(&r, 10, 20), SDP_REASM_NEW);
  EXPECT_EQ(add(&r, 40, 60), SDP_REASM_NEW);
  EXPECT_TRUE(sdp_reasm_range_complete(&r, 10, 20));
  EXPECT_TRUE(sdp_reasm_range_complete(&r, 12, 13));
  EXPECT_TRUE(sdp_reasm_range_complete(&r, 40, 60));
  EXPECT_FALSE(sdp_reasm_range_complete(&r, 9, 20));
  EXPECT_FALSE(sdp_reasm_range_complete(&r, 10, 21));
  EXPECT_FALSE(sdp_reasm_range_complete(&r, 10, 60));
  EXPECT_FALSE(sdp_reasm_range_complete(&r, 0, 100));
  EXPECT_TRUE(sdp_reasm_range_complete(&r, 30, 30)) << "empty range";
  EXPECT_FALSE(sdp_reasm_range_complete(&r, 30, 29));
  EXPECT_FALSE(sdp_reasm_range_complete(&r, 50, 101)) << "beyond len";
  EXPECT_FALSE(sdp_reasm_range_complete(&r, 101, 101));
  EXPECT_EQ(add(&r, 0, 100), SDP_REASM_NEW);
  EXPECT_TRUE(sdp_reasm_range_complete(&r, 0, 100));
}

TEST(Reasm, FirstGapWithLimit) {
  sdp_reasm r;
  sdp_reasm_init(&r, 1000);
  u32 s = 0, e = 0;
  ASSERT_TRUE(sdp_reasm_first_gap(&r, 1000, &s, &e));
  EXPECT_EQ(s, 0u);
  EXPECT_EQ(e, 1000u);
  ASSERT_TRUE(sdp_reasm_first_gap(&r, 300, &s, &e));
  EXPECT_EQ(e, 300u);
  ASSERT_TRUE(sdp_reasm_first_gap(&r, 0xffffffffu, &s, &e));
  EXPECT_EQ(e, 1000u);
  EXPECT_FALSE(sdp_reasm_first_gap(&r, 0, &s, &e));

  EXPECT_EQ(add(&r, 0, 200), SDP_REASM_NEW);
  EXPECT_EQ(add(&r, 250, 400), SDP_REASM_NEW);
  ASSERT_TRUE(sdp_reasm_first_gap(&r, 1000, &s, &e));
  EXPECT_EQ(s, 200u);
  EXPECT_EQ(e, 250u);
  ASSERT_TRUE(sdp_reasm_first_gap(&r, 220, &s, &e));
  EXPECT_EQ(s, 200u);
  EXPECT_EQ(e, 220u);
  EXPECT_FALSE(sdp_reasm_first_gap(&r, 200, &s, &e)) << "gap starts at limit";
  EXPECT_FALSE(sdp_reasm_first_gap(&r, 100, &s, &e));
  EXPECT_EQ(add(&r, 200, 250), SDP_REASM_NEW);
  ASSERT_TRUE(sdp_reasm_first_gap(&r, 1000, &s, &e));
  EXPECT_EQ(s, 400u);
  EXPECT_EQ(e, 1000u);
  EXPECT_FALSE(sdp_reasm_first_gap(&r, 400, &s, &e));
}

// Receive every other byte: each lands in the middle of a gap and splits
// it, until the 64th gap; the next split is refused without any change,
// while adds that do not split stay possible.
TEST(Reasm, GapCapacityOverflowLeavesStateUnchanged) {
  const u32 len = 1000;
  sdp_reasm r;
  sdp_reasm_init(&r, len);
  Model m(len);
  u32 b = 1;
  for (; r.ngaps < SDP_REASM_MAX_GAPS; b += 2) {
    ASSERT_EQ(add(&r, b, b + 1), SDP_REASM_NEW);
    m.mark(b, b + 1);
  }
  expect_matches(r, m);
  ASSERT_EQ(r.ngaps, static_cast<u32>(SDP_REASM_MAX_GAPS));
  sdp_reasm before = r;
  u32 nb = 1234;
  EXPECT_EQ(add(&r, b, b + 1, &nb), SDP_REASM_TOO_MANY_GAPS);
  EXPECT_EQ(nb, 0u);
  EXPECT_EQ(add(&r, 900, 901), SDP_REASM_TOO_MANY_GAPS);
  EXPECT_EQ(std::memcmp(&before, &r, sizeof(r)), 0);
  // Trimming a gap's end or filling one whole is fine when full.
  EXPECT_EQ(add(&r, 990, 1000, &nb), SDP_REASM_NEW);
  EXPECT_EQ(nb, 10u);
  m.mark(990, 1000);
  EXPECT_EQ(add(&r, 0, 1), SDP_REASM_NEW);
  m.mark(0, 1);
  EXPECT_EQ(r.ngaps, static_cast<u32>(SDP_REASM_MAX_GAPS - 1));
  expect_matches(r, m);
  // Now one split fits again, and only one.
  EXPECT_EQ(add(&r, 900, 901), SDP_REASM_NEW);
  m.mark(900, 901);
  EXPECT_EQ(add(&r, 800, 801), SDP_REASM_TOO_MANY_GAPS);
  // Duplicates are reported as such even when full.
  EXPECT_EQ(add(&r, 1, 2), SDP_REASM_DUP);
  expect_matches(r, m);
  // A range covering everything completes the message at once.
  EXPECT_EQ(add(&r, 0, len, &nb), SDP_REASM_NEW);
  EXPECT_EQ(nb, len - m.received());
  EXPECT_TRUE(sdp_reasm_complete(&r));
}

// Segments of a message in random order, with duplicates and segments that
// straddle others; each step is compared with the model.
TEST(Reasm, RandomPermutationsWithDuplicates) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 100; round++) {
    const u32 len = 1 + rng() % 4000;
    const u32 seg = 1 + len / 100 + rng() % 1000;
    std::vector<std::pair<u32, u32>> segs;
    for (u32 off = 0; off < len; off += seg)
      segs.push_back({off, std::min(len, off + seg)});
    // Duplicates, and ranges that overlap segment boundaries.
    size_t extra = segs.size() / 2 + 1;
    for (size_t i = 0; i < extra; i++) {
      segs.push_back(segs[rng() % segs.size()]);
      u32 s = rng() % len;
      segs.push_back(
          {s, std::min(len, s + 1 + static_cast<u32>(rng() % (2 * seg)))});
    }
    std::shuffle(segs.begin(), segs.end(), rng);
    sdp_reasm r;
    sdp_reasm_init(&r, len);
    Model m(len);
    for (auto [s, e] : segs) {
      u32 want_new = m.missing_in(s, e), nb;
      bool fits = m.runs_if_added(s, e) <= SDP_REASM_MAX_GAPS;
      sdp_reasm before = r;
      enum sdp_reasm_result res = add(&r, s, e, &nb);
      if (!want_new) {
        ASSERT_EQ(res, SDP_REASM_DUP);
      } else if (!fits) {
        ASSERT_EQ(res, SDP_REASM_TOO_MANY_GAPS);
        ASSERT_EQ(std::memcmp(&before, &r, sizeof(r)), 0);
        continue;
      } else {
        ASSERT_EQ(res, SDP_REASM_NEW);
        ASSERT_EQ(nb, want_new);
        m.mark(s, e);
      }
      expect_matches(r, m);
    }
    // Whatever was refused for capacity arrives again (a resend) in order.
    u32 s, e;
    while (sdp_reasm_first_gap(&r, len, &s, &e)) {
      ASSERT_EQ(add(&r, s, e), SDP_REASM_NEW);
      m.mark(s, e);
    }
    expect_matches(r, m);
    ASSERT_TRUE(sdp_reasm_complete(&r));
  }
}

// Small random ranges over small messages reach the gap limit often; the
// queries are checked against the model too. Fixed seed: reproducible.
TEST(Reasm, UnmarkAndNextMissing) {
  sdp_reasm r;
  sdp_reasm_init(&r, 300);
  u32 s, e;
  ASSERT_EQ(add(&r, 0, 300), SDP_REASM_NEW);
  ASSERT_FALSE(sdp_reasm_next_missing(&r, 0, 300, &s, &e));
  // Record [100, 200) failed: only it is asked for again.
  ASSERT_EQ(sdp_reasm_unmark(&r, 100, 200), SDP_REASM_NEW);
  EXPECT_EQ(r.received, 200u);
  ASSERT_EQ(r.ngaps, 1u);
  EXPECT_EQ(r.gaps[0].start, 100u);
  EXPECT_EQ(r.gaps[0].end, 200u);
  ASSERT_EQ(sdp_reasm_unmark(&r, 120, 180), SDP_REASM_DUP);
  // A packet [50, 250) may only write [100, 200).
  ASSERT_TRUE(sdp_reasm_next_missing(&r, 50, 250, &s, &e));
  EXPECT_EQ(s, 100u);
  EXPECT_EQ(e, 200u);
  ASSERT_FALSE(sdp_reasm_next_missing(&r, e, 250, &s, &e));
  // Adjacent ranges merge into one gap.
  ASSERT_EQ(sdp_reasm_unmark(&r, 200, 250), SDP_REASM_NEW);
  ASSERT_EQ(sdp_reasm_unmark(&r, 50, 100), SDP_REASM_NEW);
  ASSERT_EQ(r.ngaps, 1u);
  EXPECT_EQ(r.gaps[0].start, 50u);
  EXPECT_EQ(r.gaps[0].end, 250u);
  EXPECT_EQ(sdp_reasm_unmark(&r, 10, 10), SDP_REASM_OUT_OF_RANGE);
  EXPECT_EQ(sdp_reasm_unmark(&r, 290, 301), SDP_REASM_OUT_OF_RANGE);
}

TEST(Reasm, UnmarkRefusedWhenGapsFull) {
  const u32 len = 4 * SDP_REASM_MAX_GAPS + 8;
  sdp_reasm r;
  sdp_reasm_init(&r, len);
  // Every other 2-byte run received: SDP_REASM_MAX_GAPS gaps.
  for (u32 i = 0; r.ngaps < SDP_REASM_MAX_GAPS; i += 4)
    ASSERT_EQ(add(&r, i + 2, i + 4), SDP_REASM_NEW);
  ASSERT_EQ(add(&r, len - 10, len), SDP_REASM_NEW);
  ASSERT_EQ(r.ngaps, static_cast<u32>(SDP_REASM_MAX_GAPS));
  sdp_reasm before = r;
  // Inside received bytes: a new gap would be needed.
  EXPECT_EQ(sdp_reasm_unmark(&r, len - 5, len - 4), SDP_REASM_TOO_MANY_GAPS);
  EXPECT_EQ(std::memcmp(&before, &r, sizeof(r)), 0);
  // Touching a gap: merges, fine.
  EXPECT_EQ(sdp_reasm_unmark(&r, 2, 3), SDP_REASM_NEW);
}

TEST(Reasm, RandomizedDifferential) {
  std::mt19937 rng(0x5d9);
  for (int round = 0; round < 150; round++) {
    const u32 len = rng() % 600;
    sdp_reasm r;
    sdp_reasm_init(&r, len);
    Model m(len);
    for (int op = 0; op < 400; op++) {
      u32 s = rng() % (len + 3);
      u32 e = s + rng() % 9;
      if (rng() % 8 == 0)
        e = rng() % (len + 3);
      u32 nb;
      sdp_reasm before = r;
      enum sdp_reasm_result res = add(&r, s, e, &nb);
      if (s == 0 && e == 0 && len == 0) {
        ASSERT_EQ(res, SDP_REASM_DUP);
      } else if (s >= e || e > len) {
        ASSERT_EQ(res, SDP_REASM_OUT_OF_RANGE);
        ASSERT_EQ(std::memcmp(&before, &r, sizeof(r)), 0);
      } else if (!m.missing_in(s, e)) {
        ASSERT_EQ(res, SDP_REASM_DUP);
        ASSERT_EQ(nb, 0u);
      } else if (m.runs_if_added(s, e) > SDP_REASM_MAX_GAPS) {
        ASSERT_EQ(res, SDP_REASM_TOO_MANY_GAPS);
        ASSERT_EQ(std::memcmp(&before, &r, sizeof(r)), 0);
      } else {
        ASSERT_EQ(res, SDP_REASM_NEW);
        ASSERT_EQ(nb, m.missing_in(s, e));
        m.mark(s, e);
      }
      expect_matches(r, m);

      u32 qs = rng() % (len + 2), qe = qs + rng() % 20;
      bool want = qe <= len && !m.missing_in(qs, qe);
      ASSERT_EQ(sdp_reasm_range_complete(&r, qs, qe), want) << qs << " " << qe;

      // A record that failed authentication is marked missing again.
      if (rng() % 6 == 0) {
        u32 us = rng() % (len + 2), ue = us + rng() % 40;
        sdp_reasm keep = r;
        enum sdp_reasm_result ur = sdp_reasm_unmark(&r, us, ue);
        if (us >= ue || ue > len) {
          ASSERT_EQ(ur, SDP_REASM_OUT_OF_RANGE);
          ASSERT_EQ(std::memcmp(&keep, &r, sizeof(r)), 0);
        } else if (m.missing_in(us, ue) == ue - us) {
          ASSERT_EQ(ur, SDP_REASM_DUP);
          ASSERT_EQ(std::memcmp(&keep, &r, sizeof(r)), 0);
        } else if (m.runs_if_unmarked(us, ue) > SDP_REASM_MAX_GAPS) {
          ASSERT_EQ(ur, SDP_REASM_TOO_MANY_GAPS);
          ASSERT_EQ(std::memcmp(&keep, &r, sizeof(r)), 0);
        } else {
          ASSERT_EQ(ur, SDP_REASM_NEW);
          m.unmark(us, ue);
        }
        expect_matches(r, m);
      }

      // What of a packet may be copied: exactly the missing runs.
      {
        u32 ps = rng() % (len + 2), pe = ps + rng() % 60, from = ps, a, b, ma,
            mb;
        while (true) {
          bool got = sdp_reasm_next_missing(&r, from, pe, &a, &b);
          ASSERT_EQ(got, m.next_missing(from, pe, &ma, &mb))
              << from << " " << pe;
          if (!got)
            break;
          ASSERT_EQ(a, ma);
          ASSERT_EQ(b, mb);
          ASSERT_LT(a, b);
          from = b;
        }
      }

      u32 limit = rng() % (len + 2), gs = 0, ge = 0, ms = 0, me = 0;
      bool g = sdp_reasm_first_gap(&r, limit, &gs, &ge);
      ASSERT_EQ(g, m.first_gap(limit, &ms, &me)) << limit;
      if (g) {
        ASSERT_EQ(gs, ms);
        ASSERT_EQ(ge, me);
      }
    }
  }
}

} // namespace
