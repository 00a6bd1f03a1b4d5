// SPDX-License-Identifier: MIT
// The kernel-free protocol logic of kmod/, compiled from the same headers
// the module uses: wire layout, header codec, reassembly, id window, grants.
#include <gtest/gtest.h>

#include <cstddef>
#include <random>
#include <set>
#include <vector>

#include "sdp_codec.h"
#include "sdp_grant.h"
#include "sdp_reasm.h"
#include "sdp_window.h"

namespace {

TEST(Wire, CommonHeaderLayoutMatchesProtocolMd) {
  EXPECT_EQ(offsetof(sdp_common_hdr, sport), 0u);
  EXPECT_EQ(offsetof(sdp_common_hdr, dport), 2u);
  EXPECT_EQ(offsetof(sdp_common_hdr, seq), 4u);
  EXPECT_EQ(offsetof(sdp_common_hdr, vflags), 8u);
  EXPECT_EQ(offsetof(sdp_common_hdr, flags), 9u);
  EXPECT_EQ(offsetof(sdp_common_hdr, epoch), 10u);
  EXPECT_EQ(offsetof(sdp_common_hdr, reserved0), 11u);
  EXPECT_EQ(offsetof(sdp_common_hdr, doff), 12u);
  EXPECT_EQ(offsetof(sdp_common_hdr, type), 13u);
  EXPECT_EQ(offsetof(sdp_common_hdr, window), 14u);
  EXPECT_EQ(offsetof(sdp_common_hdr, check), 16u);
  EXPECT_EQ(offsetof(sdp_common_hdr, urgent), 18u);
  EXPECT_EQ(offsetof(sdp_common_hdr, rpc_id), 20u);
  EXPECT_EQ(sizeof(sdp_common_hdr), 28u);
  EXPECT_EQ(offsetof(sdp_data_hdr, msg_len), 28u);
  EXPECT_EQ(offsetof(sdp_data_hdr, incoming), 32u);
  EXPECT_EQ(offsetof(sdp_data_hdr, rec_plain), 36u);
  EXPECT_EQ(sizeof(sdp_data_hdr), 40u);
  EXPECT_EQ(offsetof(sdp_grant_hdr, offset), 28u);
  EXPECT_EQ(offsetof(sdp_resend_hdr, length), 32u);
}

std::vector<uint8_t> packet(uint8_t type, uint32_t payload = 0) {
  std::vector<uint8_t> p(std::max<size_t>(sizeof(sdp_common_hdr), sdp_hdr_len(type)) + payload, 0xcd);
  sdp_build_common(reinterpret_cast<sdp_common_hdr*>(p.data()), type, 40000, 5000,
                   0x0102030405060708ULL, 0, 0, 0);
  if (type == SDP_PKT_DATA) {
    auto* d = reinterpret_cast<sdp_data_hdr*>(p.data());
    d->msg_len = cpu_to_be32(payload);
    d->incoming = cpu_to_be32(payload);
    d->rec_plain = 0;
    d->reserved1 = d->reserved2 = 0;
  } else if (type == SDP_PKT_GRANT || type == SDP_PKT_RESEND) {
    std::fill(p.begin() + 28, p.begin() + 36, 0);
  }
  return p;
}

sdp_drop_reason parse(const std::vector<uint8_t>& p, sdp_pkt_info* pi) {
  return sdp_parse_header(p.data(), p.size(), p.size(), 0, pi);
}

TEST(Codec, EveryTypeRoundTrips) {
  for (uint8_t t : {SDP_PKT_DATA, SDP_PKT_GRANT, SDP_PKT_RESEND, SDP_PKT_UNKNOWN, SDP_PKT_BUSY,
                    SDP_PKT_NEED_ACK, SDP_PKT_ACK}) {
    auto p = packet(t, t == SDP_PKT_DATA ? 100 : 0);
    sdp_pkt_info pi;
    ASSERT_EQ(parse(p, &pi), SDP_DROP_NONE) << int(t);
    EXPECT_EQ(pi.type, t);
    EXPECT_EQ(pi.sport, 40000);
    EXPECT_EQ(pi.dport, 5000);
    EXPECT_EQ(pi.rpc_id, 0x0102030405060708ULL);
    EXPECT_EQ(pi.hdr_len, sdp_hdr_len(t));
    EXPECT_EQ(p[12], (sdp_hdr_len(t) / 4) << 4);
    EXPECT_EQ(p[8], SDP_VERSION << 4);
  }
}

TEST(Codec, DataFields) {
  auto p = packet(SDP_PKT_DATA, 1000);
  auto* d = reinterpret_cast<sdp_data_hdr*>(p.data());
  d->msg_len = cpu_to_be32(5000);
  d->incoming = cpu_to_be32(9999);
  d->common.seq = cpu_to_be32(4000);
  sdp_pkt_info pi;
  ASSERT_EQ(parse(p, &pi), SDP_DROP_NONE);
  EXPECT_EQ(pi.msg_len, 5000u);
  EXPECT_EQ(pi.seq, 4000u);
  EXPECT_EQ(pi.payload_len, 1000u);
  EXPECT_EQ(pi.incoming, 5000u);  // clamped to the wire length
  d->common.seq = cpu_to_be32(4001);
  EXPECT_EQ(parse(p, &pi), SDP_DROP_BAD_OFFSET);
}

TEST(Codec, EveryDropReasonOfTheParser) {
  sdp_pkt_info pi;
  auto p = packet(SDP_PKT_ACK);
  EXPECT_EQ(sdp_parse_header(p.data(), 10, 10, 0, &pi), SDP_DROP_TRUNCATED);
  auto g = packet(SDP_PKT_GRANT);
  EXPECT_EQ(sdp_parse_header(g.data(), 30, 30, 0, &pi), SDP_DROP_TRUNCATED);
  p[13] = 0x15;
  EXPECT_EQ(parse(p, &pi), SDP_DROP_BAD_TYPE);
  p = packet(SDP_PKT_ACK);
  p[8] = 0x20;
  EXPECT_EQ(parse(p, &pi), SDP_DROP_BAD_VERSION);
  p = packet(SDP_PKT_ACK);
  p[8] = 0x11;
  EXPECT_EQ(parse(p, &pi), SDP_DROP_BAD_VERSION);
  for (size_t off : {9u, 11u, 12u, 14u, 18u}) {
    p = packet(SDP_PKT_ACK);
    p[off] ^= off == 9 ? 0x80 : 0x01;
    EXPECT_EQ(parse(p, &pi), SDP_DROP_BAD_HEADER) << off;
  }
  p = packet(SDP_PKT_ACK);
  std::fill(p.begin() + 20, p.begin() + 28, 0);
  EXPECT_EQ(parse(p, &pi), SDP_DROP_BAD_HEADER);  // rpc id 0
  p = packet(SDP_PKT_ACK);
  p[7] = 1;  // seq on a control packet
  EXPECT_EQ(parse(p, &pi), SDP_DROP_BAD_HEADER);
  p = packet(SDP_PKT_BUSY, 4);
  EXPECT_EQ(parse(p, &pi), SDP_DROP_BAD_LENGTH);
  p = packet(SDP_PKT_DATA, 10);
  reinterpret_cast<sdp_data_hdr*>(p.data())->msg_len = cpu_to_be32(SDP_MAX_MESSAGE + 1);
  EXPECT_EQ(parse(p, &pi), SDP_DROP_BAD_LENGTH);
  p = packet(SDP_PKT_DATA, 10);
  reinterpret_cast<sdp_data_hdr*>(p.data())->rec_plain = cpu_to_be16(1000);  // records without key
  EXPECT_EQ(parse(p, &pi), SDP_DROP_BAD_LENGTH);
  p = packet(SDP_PKT_DATA, 10);
  p[38] = 1;
  EXPECT_EQ(parse(p, &pi), SDP_DROP_BAD_HEADER);
  p = packet(SDP_PKT_DATA, 0);
  reinterpret_cast<sdp_data_hdr*>(p.data())->msg_len = cpu_to_be32(10);
  EXPECT_EQ(parse(p, &pi), SDP_DROP_BAD_LENGTH);  // no payload for a non-empty message
}

TEST(Codec, WireLength) {
  EXPECT_EQ(sdp_wire_len(1000, 0, 37), 1000u);
  EXPECT_EQ(sdp_wire_len(0, 100, 37), 37u);
  EXPECT_EQ(sdp_wire_len(100, 100, 37), 137u);
  EXPECT_EQ(sdp_wire_len(101, 100, 37), 101u + 74u);
}

TEST(Codec, RandomBytesNeverCrashAndRespectBounds) {
  std::mt19937 rng(3);
  for (int i = 0; i < 200000; i++) {
    std::vector<uint8_t> p(rng() % 64);
    for (auto& b : p) b = static_cast<uint8_t>(rng());
    if (p.size() > 13 && rng() % 2) p[13] = 0x10 + rng() % 9;
    sdp_pkt_info pi;
    if (sdp_parse_header(p.data(), p.size(), p.size(), 0, &pi) == SDP_DROP_NONE) {
      EXPECT_LE(pi.hdr_len, p.size());
      if (pi.type == SDP_PKT_DATA) {
        EXPECT_LE(uint64_t(pi.seq) + pi.payload_len, pi.msg_len);
      }
    }
  }
}

// Reassembly against a bitmap model with random, duplicate and overlapping ranges.
TEST(Reasm, DifferentialAgainstBitmap) {
  std::mt19937 rng(1);
  for (int iter = 0; iter < 5000; iter++) {
    uint32_t len = rng() % 4000 + 1;
    sdp_reasm r;
    sdp_reasm_init(&r, len);
    std::vector<bool> m(len);
    for (int k = 0; k < 80; k++) {
      uint32_t s = rng() % len, e = std::min(len, s + 1 + static_cast<uint32_t>(rng() % 300));
      sdp_reasm before = r;
      uint32_t nb = 0;
      auto res = sdp_reasm_add(&r, s, e, &nb);
      uint32_t expect = 0;
      for (uint32_t i = s; i < e; i++) expect += !m[i];
      if (res == SDP_REASM_TOO_MANY_GAPS) {
        ASSERT_EQ(0, memcmp(&before, &r, sizeof(r)));
        continue;
      }
      for (uint32_t i = s; i < e; i++) m[i] = true;
      ASSERT_EQ(res == SDP_REASM_NEW, expect > 0);
      ASSERT_EQ(nb, expect);
      uint32_t got = 0;
      for (bool b : m) got += b;
      ASSERT_EQ(got, r.received);
      std::vector<bool> have(len, true);
      for (uint32_t i = 0; i < r.ngaps; i++) {
        ASSERT_LT(r.gaps[i].start, r.gaps[i].end);
        if (i) {
          ASSERT_LT(r.gaps[i - 1].end, r.gaps[i].start);
        }
        for (uint32_t j = r.gaps[i].start; j < r.gaps[i].end; j++) have[j] = false;
      }
      ASSERT_EQ(have, m);
      ASSERT_EQ(sdp_reasm_complete(&r), got == len);
      ASSERT_EQ(sdp_reasm_range_complete(&r, s, e), true);
    }
  }
}

TEST(Reasm, EdgesAndFirstGap) {
  sdp_reasm r;
  sdp_reasm_init(&r, 100);
  uint32_t nb, s, e;
  EXPECT_EQ(sdp_reasm_add(&r, 10, 10, &nb), SDP_REASM_OUT_OF_RANGE);
  EXPECT_EQ(sdp_reasm_add(&r, 90, 101, &nb), SDP_REASM_OUT_OF_RANGE);
  EXPECT_EQ(sdp_reasm_add(&r, 20, 30, &nb), SDP_REASM_NEW);
  EXPECT_EQ(sdp_reasm_add(&r, 20, 30, &nb), SDP_REASM_DUP);
  ASSERT_TRUE(sdp_reasm_first_gap(&r, 100, &s, &e));
  EXPECT_EQ(s, 0u);
  EXPECT_EQ(e, 20u);
  ASSERT_TRUE(sdp_reasm_first_gap(&r, 5, &s, &e));
  EXPECT_EQ(e, 5u);
  EXPECT_EQ(sdp_reasm_add(&r, 0, 20, &nb), SDP_REASM_NEW);
  ASSERT_TRUE(sdp_reasm_first_gap(&r, 100, &s, &e));
  EXPECT_EQ(s, 30u);
  EXPECT_FALSE(sdp_reasm_first_gap(&r, 30, &s, &e));
  EXPECT_FALSE(sdp_reasm_range_complete(&r, 25, 31));
  sdp_reasm_init(&r, 0);
  EXPECT_TRUE(sdp_reasm_complete(&r));
}

TEST(Reasm, GapCapacityRefusesWithoutChange) {
  sdp_reasm r;
  sdp_reasm_init(&r, 10000);
  uint32_t nb;
  for (uint32_t i = 0; i < SDP_REASM_MAX_GAPS - 1; i++)
    ASSERT_EQ(sdp_reasm_add(&r, 10 + i * 20, 15 + i * 20, &nb), SDP_REASM_NEW);
  EXPECT_EQ(r.ngaps, uint32_t{SDP_REASM_MAX_GAPS});
  sdp_reasm before = r;
  EXPECT_EQ(sdp_reasm_add(&r, 5000, 5001, &nb), SDP_REASM_TOO_MANY_GAPS);
  EXPECT_EQ(0, memcmp(&before, &r, sizeof(r)));
  EXPECT_EQ(sdp_reasm_add(&r, 0, 10, &nb), SDP_REASM_NEW);  // closing a gap is fine
}

TEST(Window, NewSeenTooOld) {
  sdp_window w;
  sdp_window_init(&w);
  EXPECT_EQ(sdp_window_check(&w, 100), SDP_WINDOW_NEW);
  EXPECT_EQ(sdp_window_update(&w, 100), SDP_WINDOW_NEW);
  EXPECT_EQ(sdp_window_update(&w, 100), SDP_WINDOW_SEEN);
  EXPECT_EQ(sdp_window_update(&w, 100 + SDP_WINDOW_SIZE), SDP_WINDOW_NEW);
  EXPECT_EQ(sdp_window_check(&w, 100), SDP_WINDOW_TOO_OLD);
  EXPECT_EQ(sdp_window_check(&w, 101), SDP_WINDOW_NEW);  // exactly SIZE-1 below the top
  EXPECT_EQ(sdp_window_update(&w, 1ULL << 62), SDP_WINDOW_NEW);  // huge jump
  EXPECT_EQ(sdp_window_check(&w, (1ULL << 62) - 1), SDP_WINDOW_NEW);
  EXPECT_EQ(sdp_window_check(&w, 100 + SDP_WINDOW_SIZE), SDP_WINDOW_TOO_OLD);
}

TEST(Window, DifferentialAgainstSet) {
  std::mt19937_64 rng(5);
  sdp_window w;
  sdp_window_init(&w);
  std::set<uint64_t> seen;
  uint64_t top = 0;
  for (int i = 0; i < 300000; i++) {
    uint64_t id = rng() % 3 == 0 ? top + rng() % 200 : (top > 9000 ? top - rng() % 9000 : rng() % 9000);
    auto c = sdp_window_check(&w, id);
    ASSERT_EQ(c, sdp_window_update(&w, id));
    if (!seen.empty() && id + SDP_WINDOW_SIZE <= top) {
      ASSERT_EQ(c, SDP_WINDOW_TOO_OLD);
      continue;
    }
    ASSERT_EQ(c == SDP_WINDOW_SEEN, seen.count(id) == 1) << i;
    seen.insert(id);
    top = std::max(top, id);
  }
}

sdp_grant_params params(uint32_t window, uint32_t over, uint32_t max_in, uint32_t step) {
  return sdp_grant_params{window, over, max_in, step};
}

TEST(Grant, ShortestRemainingFirstWithinOvercommit) {
  sdp_grant_cand c[3] = {{1000000, 0, 64000, 0}, {200000, 0, 64000, 0}, {500000, 0, 64000, 0}};
  auto p = params(100000, 2, 10000000, 1);
  EXPECT_EQ(sdp_grant_compute(c, 3, &p), 2u);
  EXPECT_EQ(c[1].new_grant, 100000u);
  EXPECT_EQ(c[2].new_grant, 100000u);
  EXPECT_EQ(c[0].new_grant, 0u);
}

TEST(Grant, BudgetMinStepCompletionAndNeverLower) {
  sdp_grant_cand c[2] = {{300000, 0, 64000, 0}, {300000, 0, 64000, 0}};
  auto p = params(100000, 8, 64000 * 2 + 50000, 10000);
  EXPECT_EQ(sdp_grant_compute(c, 2, &p), 2u);  // budget 50000: 36000 + 14000
  EXPECT_EQ(c[0].new_grant, 100000u);
  EXPECT_EQ(c[1].new_grant, 78000u);
  sdp_grant_cand c2[2] = {{300000, 0, 64000, 0}, {300000, 0, 64000, 0}};
  p = params(100000, 8, 64000 * 2 + 40000, 10000);
  EXPECT_EQ(sdp_grant_compute(c2, 2, &p), 1u);  // 4000 left is below min_step
  EXPECT_EQ(c2[1].new_grant, 0u);
  sdp_grant_cand d[1] = {{70000, 60000, 65000, 0}};
  p = params(100000, 8, 10000000, 50000);
  EXPECT_EQ(sdp_grant_compute(d, 1, &p), 1u);  // small step allowed: completes
  EXPECT_EQ(d[0].new_grant, 70000u);
  sdp_grant_cand e[1] = {{1000000, 0, 500000, 0}};
  EXPECT_EQ(sdp_grant_compute(e, 1, &p), 0u);  // target below the grant
  EXPECT_EQ(e[0].new_grant, 0u);
  sdp_grant_cand f[1] = {{1000000, 1000000, 1000000, 0}};
  EXPECT_EQ(sdp_grant_compute(f, 1, &p), 0u);  // complete
}

}  // namespace
