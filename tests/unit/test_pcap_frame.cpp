// SPDX-License-Identifier: MIT
// The shared pcap -> SDP packet parser (userspace/common/pcap_frame.h), and
// that sdp-decrypt and sdp-replay both use it: the cases where their two
// former copies differed (IPv6 extension headers, IP length 0).
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "pcap_frame.h"
#include "sdp_decrypt_lib.h"
#include "sdp_replay_lib.h"
#include "sdp_test_pcap.h"

namespace {

using sdp::pcap::Frame;
using sdp::pcap::parse_frame;
using namespace sdp::test;
constexpr int kProto = 253;

Bytes grant() {
  SdpHeader h;
  h.type = SDP_PKT_GRANT;
  return h.build();
}

TEST(PcapFrame, Ipv4AndIpv6OverEveryLinkType) {
  Bytes sdp = grant();
  for (int dlt : {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW})
    for (bool v6 : {false, true}) {
      IpHeader ip;
      ip.v6 = v6;
      Bytes f = LinkHeader{dlt}.build(ip.build(sdp));
      auto r = parse_frame(dlt, f, f.size(), kProto);
      ASSERT_EQ(r.kind, Frame::sdp) << dlt << " " << v6;
      EXPECT_EQ(r.packet.family, v6 ? AF_INET6 : AF_INET);
      EXPECT_EQ(Bytes(r.packet.bytes.begin(), r.packet.bytes.end()), sdp);
      EXPECT_EQ(r.packet.wire_len, sdp.size());
      EXPECT_EQ(r.packet.src[v6 ? 15 : 3], 2);
      EXPECT_EQ(r.packet.dst[v6 ? 15 : 3], 1);
    }
}

TEST(PcapFrame, Ipv6ExtensionHeadersAreSkipped) {
  Bytes sdp = grant();
  IpHeader ip;
  ip.v6 = true;
  ip.v6_ext = {IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS};
  Bytes f = LinkHeader{}.build(ip.build(sdp));
  auto r = parse_frame(DLT_EN10MB, f, f.size(), kProto);
  ASSERT_EQ(r.kind, Frame::sdp);
  EXPECT_EQ(Bytes(r.packet.bytes.begin(), r.packet.bytes.end()), sdp);
  // A fragment header: malformed, never silently another protocol.
  ip.v6_ext = {IPPROTO_HOPOPTS, IPPROTO_FRAGMENT};
  f = LinkHeader{}.build(ip.build(sdp));
  r = parse_frame(DLT_EN10MB, f, f.size(), kProto);
  EXPECT_EQ(r.kind, Frame::malformed);
  EXPECT_NE(r.why.find("fragment"), std::string::npos);
  // An extension header before another protocol: not SDP.
  ip.v6_ext = {IPPROTO_DSTOPTS};
  ip.proto = 17;
  f = LinkHeader{}.build(ip.build(sdp));
  EXPECT_EQ(parse_frame(DLT_EN10MB, f, f.size(), kProto).kind, Frame::other);
}

TEST(PcapFrame, LengthZeroMeansToTheEndOfTheFrameAsSent) {
  Bytes sdp = SdpHeader{}.build(Bytes(70000, 0xab));  // a GSO packet over 64 KiB
  for (bool v6 : {false, true}) {
    IpHeader ip;
    ip.v6 = v6;
    ip.zero_len = true;
    Bytes f = LinkHeader{}.build(ip.build(sdp));
    auto r = parse_frame(DLT_EN10MB, f, f.size(), kProto);
    ASSERT_EQ(r.kind, Frame::sdp) << v6;
    EXPECT_EQ(r.packet.wire_len, sdp.size());
    EXPECT_FALSE(r.packet.truncated());
    // Captured with a snap length: the length as sent still counts.
    auto cut = std::span<const uint8_t>(f).first(200);
    r = parse_frame(DLT_EN10MB, cut, f.size(), kProto);
    ASSERT_EQ(r.kind, Frame::sdp);
    EXPECT_EQ(r.packet.wire_len, sdp.size());
    EXPECT_TRUE(r.packet.truncated());
  }
}

TEST(PcapFrame, PaddingFragmentsAndBadLengths) {
  Bytes sdp = grant();
  IpHeader ip;
  Bytes f = LinkHeader{DLT_EN10MB, 0, 7, true}.build(ip.build(sdp));  // VLAN, padded
  auto r = parse_frame(DLT_EN10MB, f, f.size(), kProto);
  ASSERT_EQ(r.kind, Frame::sdp);
  EXPECT_EQ(r.packet.bytes.size(), sdp.size());
  ip.frag_off = 0x2000;  // MF
  f = LinkHeader{}.build(ip.build(sdp));
  EXPECT_EQ(parse_frame(DLT_EN10MB, f, f.size(), kProto).kind, Frame::malformed);
  ip.frag_off = 0x4000;
  ip.len_delta = 8;  // longer than the frame
  f = LinkHeader{}.build(ip.build(sdp));
  EXPECT_EQ(parse_frame(DLT_EN10MB, f, f.size(), kProto).kind, Frame::malformed);
  ip.len_delta = 0;
  ip.proto = 6;
  f = LinkHeader{}.build(ip.build(sdp));
  EXPECT_EQ(parse_frame(DLT_EN10MB, f, f.size(), kProto).kind, Frame::other);
  EXPECT_EQ(parse_frame(DLT_IEEE802_11, f, f.size(), kProto).kind, Frame::bad_linktype);
  // An ethertype that contradicts the IP version.
  f = LinkHeader{DLT_EN10MB, 0x86dd}.build(IpHeader{}.build(sdp));
  EXPECT_EQ(parse_frame(DLT_EN10MB, f, f.size(), kProto).kind, Frame::other);
}

// Both tools see the packets behind IPv6 extension headers and IP length 0.
TEST(PcapFrame, DecryptAndReplayAgree) {
  Bytes payload(300, 0x5a);
  SdpHeader h;
  h.msg_len = static_cast<uint32_t>(payload.size());
  Bytes sdp = h.build(payload);
  std::vector<Bytes> frames;
  IpHeader v6;
  v6.v6 = true;
  v6.v6_ext = {IPPROTO_HOPOPTS, IPPROTO_DSTOPTS};
  frames.push_back(LinkHeader{}.build(v6.build(sdp)));
  IpHeader v4;
  v4.zero_len = true;
  frames.push_back(LinkHeader{}.build(v4.build(sdp)));
  std::string path = write_pcap(DLT_EN10MB, frames);

  auto cap = sdp::replay::read_pcap(path, kProto);
  ASSERT_EQ(cap.size(), 2u);
  for (const auto& c : cap) EXPECT_EQ(c.sdp, sdp);
  EXPECT_EQ(cap[0].family, AF_INET6);
  EXPECT_EQ(cap[1].family, AF_INET);

  sdp::decrypt::Decoder dec({});
  dec.read_pcap(path);
  unlink(path.c_str());
  auto r = dec.finish();
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_EQ(r.stats.sdp_packets, 2u);
  EXPECT_EQ(r.stats.other_packets, 0u);
  ASSERT_EQ(r.messages.size(), 2u);  // one per address family
  for (const auto& m : r.messages) {
    EXPECT_TRUE(m.complete);
    EXPECT_EQ(m.plain, payload);
  }
}

}  // namespace
