// SPDX-License-Identifier: MIT
// sdp-replay's logic (userspace/tools/sdp_replay_lib.h): SDP packets pulled
// out of captured frames, the single-bit variants and the structured sample
// the tamper lane sends.
#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "sdp_record.h"
#include "sdp_replay_lib.h"
#include "sdp_test_pcap.h"
#include "sdp_wire.h"

namespace {

using namespace sdp::replay;
constexpr int kProto = 253;

using sdp::test::IpHeader;
using sdp::test::LinkHeader;
using sdp::test::SdpHeader;

// A DATA packet: msg_len, rec_plain, seq and payload bytes of value 0xab.
std::vector<uint8_t> data_packet(uint32_t msg_len, uint16_t rec_plain, uint32_t seq, size_t payload,
                                 uint8_t epoch) {
  SdpHeader h;  // 40000 -> 5000
  h.seq = seq;
  h.epoch = epoch;
  h.rpc_id = 7;
  h.msg_len = msg_len;
  h.incoming = 0;
  h.rec_plain = rec_plain;
  return h.build(std::vector<uint8_t>(payload, 0xab));
}

std::vector<uint8_t> ctrl_packet(uint8_t type) {
  SdpHeader h;
  h.type = type;
  h.sport = 5;
  h.dport = 6;
  h.rpc_id = 9;
  return h.build();
}

// 10.77.0.2 -> 10.77.0.1; frag: IPv4 flags and fragment offset.
std::vector<uint8_t> ipv4(const std::vector<uint8_t>& payload, uint8_t proto,
                          uint16_t frag = 0x4000) {
  IpHeader ip;
  ip.proto = proto;
  ip.frag_off = frag;
  return ip.build(payload);
}

// fd77::2 -> fd77::1.
std::vector<uint8_t> ipv6(const std::vector<uint8_t>& payload, uint8_t next) {
  IpHeader ip;
  ip.v6 = true;
  ip.proto = next;
  return ip.build(payload);
}

std::vector<uint8_t> ether(const std::vector<uint8_t>& ip, uint16_t type, bool vlan = false) {
  return LinkHeader{DLT_EN10MB, type, vlan ? 7 : -1}.build(ip);
}

// parse_frame of a frame captured whole.
bool parse_whole(int dlt, const std::vector<uint8_t>& frame, Captured& c) {
  return parse_frame(dlt, frame, frame.size(), kProto, c);
}

TEST(ReplayFrame, EthernetIPv4) {
  auto sdp = data_packet(3, 0, 0, 3, 0);
  Captured c;
  ASSERT_TRUE(parse_whole(DLT_EN10MB, ether(ipv4(sdp, kProto), 0x0800), c));
  EXPECT_EQ(c.family, AF_INET);
  EXPECT_EQ(c.sdp, sdp);
  EXPECT_EQ(address_string(c.family, c.src), "10.77.0.2");
  EXPECT_EQ(address_string(c.family, c.dst), "10.77.0.1");
  // Ethernet padding after the IP datagram is not part of the packet.
  auto padded = ether(ipv4(sdp, kProto), 0x0800);
  padded.resize(padded.size() + 9, 0);
  ASSERT_TRUE(parse_whole(DLT_EN10MB, padded, c));
  EXPECT_EQ(c.sdp, sdp);
  ASSERT_TRUE(parse_whole(DLT_EN10MB, ether(ipv4(sdp, kProto), 0x0800, true), c));
  EXPECT_EQ(c.sdp, sdp);
}

TEST(ReplayFrame, IPv6AndCookedAndRaw) {
  auto sdp = ctrl_packet(SDP_PKT_GRANT);
  Captured c;
  ASSERT_TRUE(parse_whole(DLT_EN10MB, ether(ipv6(sdp, kProto), 0x86dd), c));
  EXPECT_EQ(c.family, AF_INET6);
  EXPECT_EQ(address_string(c.family, c.src), "fd77::2");
  EXPECT_EQ(address_string(c.family, c.dst), "fd77::1");
  EXPECT_EQ(c.sdp, sdp);
  std::vector<uint8_t> sll(14, 0);
  sll.push_back(0x86), sll.push_back(0xdd);
  auto ip = ipv6(sdp, kProto);
  sll.insert(sll.end(), ip.begin(), ip.end());
  ASSERT_TRUE(parse_whole(DLT_LINUX_SLL, sll, c));
  EXPECT_EQ(c.sdp, sdp);
  ASSERT_TRUE(parse_whole(DLT_RAW, ipv4(sdp, kProto), c));
  EXPECT_EQ(c.family, AF_INET);
  EXPECT_EQ(c.sdp, sdp);
}

TEST(ReplayFrame, OthersAreSkippedAndCutPacketsRefused) {
  auto sdp = ctrl_packet(SDP_PKT_ACK);
  Captured c;
  EXPECT_FALSE(parse_whole(DLT_EN10MB, ether(ipv4(sdp, 17), 0x0800), c));
  EXPECT_FALSE(parse_whole(DLT_EN10MB, ether(ipv6(sdp, 17), 0x86dd), c));
  EXPECT_FALSE(parse_whole(DLT_EN10MB, ether(ipv4(sdp, kProto), 0x0806), c));
  // First fragment (MF) and a later fragment are not whole SDP packets.
  EXPECT_FALSE(parse_whole(DLT_EN10MB, ether(ipv4(sdp, kProto, 0x2000), 0x0800), c));
  EXPECT_FALSE(parse_whole(DLT_EN10MB, ether(ipv4(sdp, kProto, 0x0010), 0x0800), c));
  auto cut = ether(ipv4(sdp, kProto), 0x0800);
  size_t wire = cut.size();
  cut.resize(cut.size() - 1);  // captured with one byte less than sent
  EXPECT_THROW(parse_frame(DLT_EN10MB, cut, wire, kProto, c), std::runtime_error);
  EXPECT_THROW(parse_whole(DLT_IEEE802_11, cut, c), std::runtime_error);
}

TEST(ReplayFlips, AllFlipsChangeExactlyOneBitEach) {
  auto p = ctrl_packet(SDP_PKT_RESEND);
  auto flips = all_flips(p.size());
  ASSERT_EQ(flips.size(), p.size() * 8);
  std::set<std::vector<uint8_t>> variants;
  for (Flip f : flips) {
    auto v = flipped(p, f);
    ASSERT_EQ(v.size(), p.size());
    int bits = 0;
    for (size_t i = 0; i < p.size(); i++) bits += __builtin_popcount(p[i] ^ v[i]);
    EXPECT_EQ(bits, 1);
    EXPECT_EQ(v[f.byte] ^ p[f.byte], 1u << f.bit);
    variants.insert(v);
  }
  EXPECT_EQ(variants.size(), flips.size());
  EXPECT_THROW(flipped(p, {p.size(), 0}), std::out_of_range);
}

TEST(ReplayFlips, SampleCoversHeaderAndRecordStructure) {
  constexpr uint16_t rec = 100;
  constexpr uint32_t stride = rec + SDP_RECORD_OVERHEAD;
  // Records 1 and 2 of a 4-record message: seq at record 1, two records.
  auto p = data_packet(4 * rec, rec, stride, 2 * stride, 1);
  auto s = sample_flips(p, 0, 1);
  std::set<Flip> set(s.begin(), s.end());
  ASSERT_EQ(set.size(), s.size()) << "repeats";
  ASSERT_TRUE(std::is_sorted(s.begin(), s.end()));
  size_t hdr = sizeof(sdp_data_hdr);
  for (size_t b = 0; b < hdr; b++) EXPECT_TRUE(set.count({b, 3})) << "header byte " << b;
  for (uint32_t k = 0; k < 2; k++) {
    size_t start = hdr + k * stride;
    for (size_t b = 0; b < SDP_RECORD_PREFIX + SDP_FRAME_LEN; b++)
      EXPECT_TRUE(set.count({start + b, 7})) << "record " << k << " prefix byte " << b;
    for (size_t b = stride - SDP_TLS_TAG_LEN; b < stride; b++)
      EXPECT_TRUE(set.count({start + b, 0})) << "record " << k << " tag byte " << b;
    EXPECT_FALSE(set.count({start + SDP_RECORD_PREFIX + SDP_FRAME_LEN + 1, 0}))
        << "application bytes are only sampled";
  }
  size_t per_record = SDP_RECORD_PREFIX + SDP_FRAME_LEN + SDP_TLS_TAG_LEN;
  EXPECT_EQ(s.size(), 8 * (hdr + 2 * per_record));

  auto more = sample_flips(p, 50, 1);
  EXPECT_EQ(more.size(), s.size() + 50);
  EXPECT_EQ(more, sample_flips(p, 50, 1)) << "deterministic for a seed";
  EXPECT_NE(more, sample_flips(p, 50, 2));
  for (Flip f : more) EXPECT_LT(f.byte, p.size());
  // More extra bits than the payload has: every bit, once.
  EXPECT_EQ(sample_flips(p, 1u << 20, 3).size(), p.size() * 8);
}

TEST(ReplayFlips, SampleOfAPartialRecordAndOfPlaintext) {
  constexpr uint16_t rec = 100;
  constexpr uint32_t stride = rec + SDP_RECORD_OVERHEAD;
  // A packet that starts 10 bytes into record 0 and ends inside record 1:
  // record 0's tag and record 1's prefix are in it, nothing else structural.
  auto p = data_packet(2 * rec, rec, 10, stride, 1);
  auto s = sample_flips(p, 0, 1);
  size_t hdr = sizeof(sdp_data_hdr);
  EXPECT_EQ(s.size(), 8 * (hdr + SDP_TLS_TAG_LEN + SDP_RECORD_PREFIX + SDP_FRAME_LEN));
  std::set<Flip> set(s.begin(), s.end());
  EXPECT_TRUE(set.count({hdr + stride - 10 - 1, 0}));  // last tag byte of record 0
  EXPECT_TRUE(set.count({hdr + stride - 10, 0}));      // first byte of record 1
  // Plaintext: header bits plus the random ones only.
  auto plain = data_packet(1000, 0, 0, 1000, 0);
  EXPECT_EQ(sample_flips(plain, 10, 1).size(), 8 * hdr + 10);
  // Control packets: every bit.
  auto c = ctrl_packet(SDP_PKT_BUSY);
  EXPECT_EQ(sample_flips(c, 10, 1), all_flips(c.size()));
}

TEST(ReplayFlips, WholeRecords) {
  constexpr uint16_t rec = 100;
  constexpr uint32_t stride = rec + SDP_RECORD_OVERHEAD;
  EXPECT_TRUE(whole_records(data_packet(4 * rec, rec, stride, 2 * stride, 1)));
  EXPECT_TRUE(whole_records(data_packet(3 * rec + 5, rec, 3 * stride, 5 + SDP_RECORD_OVERHEAD, 1)));
  EXPECT_FALSE(whole_records(data_packet(4 * rec, rec, stride, 2 * stride - 1, 1)));
  EXPECT_FALSE(whole_records(data_packet(4 * rec, rec, stride + 1, stride, 1)));
  EXPECT_FALSE(whole_records(data_packet(4 * rec, 0, 0, 100, 0)));
  EXPECT_FALSE(whole_records(ctrl_packet(SDP_PKT_GRANT)));
}

TEST(ReplayParse, FlipTypeAndPort) {
  EXPECT_EQ(parse_flip("41:3"), (Flip{41, 3}));
  for (const char* bad : {"41", "41:8", ":1", "a:1", "1:-1", "", "1:2:3"})
    EXPECT_THROW(parse_flip(bad), std::invalid_argument) << bad;
  for (int t = SDP_PKT_TYPE_MIN; t <= SDP_PKT_TYPE_MAX; t++) {
    if (!sdp_hdr_len(static_cast<uint8_t>(t))) continue;
    EXPECT_EQ(type_from_name(type_name(static_cast<uint8_t>(t))), t);
  }
  EXPECT_EQ(type_from_name("need_ack"), SDP_PKT_NEED_ACK);
  EXPECT_EQ(type_from_name("FOO"), -1);
  EXPECT_EQ(type_name(0x42), "0x42");
  auto p = ctrl_packet(SDP_PKT_ACK);
  set_dport(p, 5001);
  EXPECT_EQ(summarize(p).dport, 5001);
  set_rpc_id(p, 0x0102030405060708ULL);
  EXPECT_EQ(summarize(p).rpc_id, 0x0102030405060708ULL);
  EXPECT_EQ(summarize(p).type, SDP_PKT_ACK);
}

TEST(ReplayPcap, ReadsOnlySdpPacketsInOrder) {
  std::vector<std::vector<uint8_t>> frames = {
      ether(ipv4(ctrl_packet(SDP_PKT_ACK), 17), 0x0800),
      ether(ipv4(data_packet(5, 0, 0, 5, 0), kProto), 0x0800),
      ether(ipv6(ctrl_packet(SDP_PKT_GRANT), kProto), 0x86dd),
  };
  std::string path = sdp::test::write_pcap(DLT_EN10MB, frames);
  auto v = read_pcap(path, kProto);
  unlink(path.c_str());
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].index, 0u);
  EXPECT_EQ(summarize(v[0].sdp).type, SDP_PKT_DATA);
  EXPECT_EQ(v[1].index, 1u);
  EXPECT_EQ(v[1].family, AF_INET6);
  EXPECT_NE(describe_json(v[1]).find("\"type\":\"GRANT\""), std::string::npos);
  EXPECT_THROW(read_pcap("/nonexistent.pcap", kProto), std::runtime_error);
}

}  // namespace
