// SPDX-License-Identifier: GPL-2.0 OR MIT
//
// BPF lane: runs the SDP XDP program (bpf/sdp_xdp.bpf.c) on crafted frames
// with BPF_PROG_TEST_RUN and reads its maps back.
//
// Needs root (loading XDP programs needs CAP_BPF + CAP_NET_ADMIN, CPUMAP
// entries need CAP_BPF/CAP_SYS_ADMIN): without it every test FAILS with a
// message saying so. Uses nothing newer than Linux 6.1, so the same binary
// runs on the host and inside the 6.1 VM.

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sdp_test_cpumap.skel.h"
#include "sdp_test_frames.h"
#include "sdp_wire.h"
#include "sdp_xdp.skel.h"
#include "sdp_xdp_abi.h"

namespace {

constexpr uint8_t kSdpProto = SDP_IPPROTO_DEFAULT;
constexpr uint8_t kTcpProto = 6;
constexpr uint8_t kUdpProto = 17;

// A frame to craft. Defaults: a well-formed IPv4 SDP DATA packet.
struct Spec {
  bool v6 = false;
  bool vlan = false;
  uint8_t proto = kSdpProto;
  uint8_t type = SDP_PKT_DATA;
  uint8_t flags = 0;
  uint8_t version = SDP_VERSION;
  uint8_t vflags_low = 0;
  int doff_words = -1;  // -1: header length / 4
  uint16_t sport = 40000;
  uint16_t dport = 5000;
  uint64_t rpc_id = 2;
  uint32_t seq = 0;
  size_t payload = 64;
  std::array<uint8_t, 4> saddr4{192, 0, 2, 1};  // TEST-NET-1
  std::array<uint8_t, 16> saddr6{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                 0,    0,    0,    0,    0, 0, 0, 1};  // 2001:db8::1
  int ihl = 5;                    // IPv4 header words (options zeroed)
  uint16_t frag_off = 0;          // IPv4 flags + offset, host order
  int l3_len_delta = 0;           // added to IPv4 tot_len / IPv6 payload_len
  uint8_t l4_bytes_override = 0;  // when set: L4 is this many bytes, no SDP layout
  size_t frame_cut = 0;           // when set: frame is cut to this length
  bool ipv6_hop_by_hop = false;   // put a hop-by-hop header before L4
};

// SDP header (or an opaque L4 blob) plus payload.
std::vector<uint8_t> build_l4(const Spec &s) {
  if (s.l4_bytes_override) {
    std::vector<uint8_t> l4(s.l4_bytes_override, 0);
    // Looks like a TCP SYN from port 40000 to 80: not SDP by protocol.
    if (l4.size() >= 20) {
      sdp::test::set_be16(l4, 0, s.sport);
      sdp::test::set_be16(l4, 2, 80);
      l4[12] = 5 << 4;
      l4[13] = 0x02;
    }
    return l4;
  }
  sdp::test::SdpHeader h;
  h.type = s.type;
  h.flags = s.flags;
  h.version = s.version;
  h.vflags_low = s.vflags_low;
  h.doff_words = s.doff_words;
  h.sport = s.sport;
  h.dport = s.dport;
  h.rpc_id = s.rpc_id;
  h.seq = s.seq;
  h.msg_len = h.incoming = uint32_t(s.seq + s.payload);
  return h.build(std::vector<uint8_t>(s.payload, 0xab));
}

// The frame of a spec (tests/common/sdp_test_frames.h): Ethernet, IPv4 with
// its checksum or IPv6, to 192.0.2.2 / 2001:db8::2.
std::vector<uint8_t> build(const Spec &s) {
  sdp::test::IpHeader ip;
  ip.v6 = s.v6;
  ip.proto = s.proto;
  ip.ihl = s.ihl;
  ip.frag_off = s.frag_off;
  ip.checksum = true;
  ip.len_delta = s.l3_len_delta;
  ip.src4 = s.saddr4;
  ip.dst4 = {192, 0, 2, 2};
  ip.src6 = s.saddr6;
  ip.dst6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  if (s.ipv6_hop_by_hop) ip.v6_ext = {IPPROTO_HOPOPTS};
  sdp::test::LinkHeader link{sdp::test::kEthernet, uint16_t(s.v6 ? ETH_P_IPV6 : ETH_P_IP), s.vlan ? 42 : -1};
  std::vector<uint8_t> f = link.build(ip.build(build_l4(s)));
  if (s.frame_cut && s.frame_cut < f.size()) f.resize(s.frame_cut);
  return f;
}

// The message key the program should derive from a spec.
struct sdp_msg_key key_of(const Spec &s) {
  struct sdp_msg_key k;
  memset(&k, 0, sizeof(k));
  if (s.v6) {
    memcpy(k.addr, s.saddr6.data(), 16);
  } else {
    k.addr[10] = 0xff;
    k.addr[11] = 0xff;
    memcpy(&k.addr[12], s.saddr4.data(), 4);
  }
  k.rpc_id = s.rpc_id;
  k.sport = s.sport;
  k.from_server = (s.flags & SDP_F_FROM_SERVER) ? 1 : 0;
  return k;
}

std::string slot_name(int slot) {
  static const char *const names[SDP_XDP_STAT_SLOTS] = {
      "DATA",     "GRANT", "RESEND",  "UNKNOWN",   "BUSY",     "type 0x15", "type 0x16",
      "NEED_ACK", "ACK",   "not_sdp", "malformed", "fragment", "steered",   "steer_fallback",
      "drop_finished_request", "drop_complete_message", "drop_ctrl_replay",
  };
  return slot >= 0 && slot < SDP_XDP_STAT_SLOTS ? names[slot] : "?";
}

// Online CPUs from sysfs ("0-3,6"), at most SDP_STEER_MAX_CPUS of them.
std::vector<uint32_t> online_cpus() {
  std::ifstream in("/sys/devices/system/cpu/online");
  std::string text;
  std::getline(in, text);
  std::vector<uint32_t> cpus;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, ',')) {
    if (part.empty()) continue;
    size_t dash = part.find('-');
    uint32_t lo = uint32_t(std::stoul(part.substr(0, dash)));
    uint32_t hi = dash == std::string::npos ? lo : uint32_t(std::stoul(part.substr(dash + 1)));
    for (uint32_t c = lo; c <= hi; c++)
      if (cpus.size() < SDP_STEER_MAX_CPUS && c < SDP_CPUMAP_MAX_ENTRIES) cpus.push_back(c);
  }
  return cpus;
}

constexpr const char *kNeedRoot =
    "sdp_bpf_test must run as root: it loads XDP programs (CAP_BPF, "
    "CAP_NET_ADMIN) and creates CPUMAP entries. Run it with sudo, or "
    "through `make unit-test` as root.";

class SdpXdp : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_FAIL() << kNeedRoot;
    ASSERT_NO_FATAL_FAILURE(Load(kSdpProto));
  }

  void TearDown() override {
    sdp_test_cpumap__destroy(cpumap_skel_);
    sdp_xdp__destroy(skel_);
  }

  void Load(uint8_t proto) {
    sdp_xdp__destroy(skel_);
    skel_ = sdp_xdp__open();
    ASSERT_NE(skel_, nullptr) << "sdp_xdp__open: " << strerror(errno);
    skel_->rodata->sdp_proto = proto;
    // sdp_xdp_guard calls sdp.ko's kfunc: loaded (and so verified) only
    // where the module is (the VM lanes that load it; t-xdp tests it).
    bpf_program__set_autoload(skel_->progs.sdp_xdp_guard,
                              access("/sys/kernel/btf/sdp", F_OK) == 0);
    int err = sdp_xdp__load(skel_);
    ASSERT_EQ(err, 0) << "sdp_xdp__load failed (" << strerror(-err)
                      << "); the verifier log is above";
  }

  int prog_fd() const { return bpf_program__fd(skel_->progs.sdp_xdp); }

  // One BPF_PROG_TEST_RUN; returns the XDP action.
  int Run(const std::vector<uint8_t> &frame) {
    std::vector<uint8_t> out(frame.size() + 512);
    struct bpf_test_run_opts opts;
    memset(&opts, 0, sizeof(opts));
    opts.sz = sizeof(opts);
    opts.data_in = frame.data();
    opts.data_size_in = uint32_t(frame.size());
    opts.data_out = out.data();
    opts.data_size_out = uint32_t(out.size());
    opts.repeat = 1;
    int err = bpf_prog_test_run_opts(prog_fd(), &opts);
    EXPECT_EQ(err, 0) << "bpf_prog_test_run_opts: " << strerror(errno);
    return err ? -1 : int(opts.retval);
  }

  int Run(const Spec &s) { return Run(build(s)); }

  // Per-CPU stats of one slot, summed over all possible CPUs.
  struct sdp_xdp_stat Stat(int slot) {
    int ncpu = libbpf_num_possible_cpus();
    std::vector<struct sdp_xdp_stat> v(size_t(std::max(ncpu, 1)));
    uint32_t key = uint32_t(slot);
    struct sdp_xdp_stat sum = {0, 0};
    int err = bpf_map_lookup_elem(bpf_map__fd(skel_->maps.sdp_stats), &key, v.data());
    EXPECT_EQ(err, 0) << "lookup sdp_stats[" << slot << "]";
    for (const auto &s : v) {
      sum.packets += s.packets;
      sum.bytes += s.bytes;
    }
    return sum;
  }

  struct Expect {
    int slot;
    uint64_t packets;
    uint64_t bytes;
  };

  // Every slot is zero except the listed ones, which match exactly.
  void ExpectStats(const std::vector<Expect> &want) {
    for (int slot = 0; slot < SDP_XDP_STAT_SLOTS; slot++) {
      uint64_t pk = 0, by = 0;
      for (const auto &w : want)
        if (w.slot == slot) {
          pk += w.packets;
          by += w.bytes;
        }
      struct sdp_xdp_stat got = Stat(slot);
      EXPECT_EQ(got.packets, pk) << "packets in slot " << slot_name(slot);
      EXPECT_EQ(got.bytes, by) << "bytes in slot " << slot_name(slot);
    }
  }

  // Runs one frame, expects 'action' and that it was counted in 'slot'.
  void RunAndCount(const Spec &s, int action, int slot, std::vector<Expect> &acc) {
    std::vector<uint8_t> f = build(s);
    EXPECT_EQ(Run(f), action);
    acc.push_back({slot, 1, f.size()});
  }

  // Every frame passes and counts as malformed; nothing else counts.
  void ExpectAllMalformed(const std::vector<Spec> &specs) {
    std::vector<Expect> acc;
    for (const Spec &s : specs) RunAndCount(s, XDP_PASS, SDP_XDP_STAT_MALFORMED, acc);
    ExpectStats(acc);
  }

  void SetSteer(uint32_t enabled, const std::vector<uint32_t> &cpus, uint32_t ncpus) {
    struct sdp_steer_cfg cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.enabled = enabled;
    cfg.ncpus = ncpus;
    for (size_t i = 0; i < cpus.size() && i < SDP_STEER_MAX_CPUS; i++) cfg.cpus[i] = cpus[i];
    // Keyed by the receiving device: BPF_PROG_TEST_RUN runs on lo.
    uint32_t ifindex = if_nametoindex("lo");
    ASSERT_NE(ifindex, 0u) << "if_nametoindex(lo): " << strerror(errno);
    ASSERT_EQ(bpf_map_update_elem(bpf_map__fd(skel_->maps.sdp_steer_cfg), &ifindex, &cfg, BPF_ANY), 0)
        << "update sdp_steer_cfg: " << strerror(errno);
  }

  void SetSteer(const std::vector<uint32_t> &cpus) { SetSteer(1, cpus, uint32_t(cpus.size())); }

  // A cpumap entry per CPU; prog_fd > 0 attaches a second-level program.
  void FillCpumap(const std::vector<uint32_t> &cpus, int cpumap_prog_fd) {
    for (uint32_t cpu : cpus) {
      struct bpf_cpumap_val val;
      memset(&val, 0, sizeof(val));
      val.qsize = 2048;
      val.bpf_prog.fd = cpumap_prog_fd;
      ASSERT_EQ(bpf_map_update_elem(bpf_map__fd(skel_->maps.sdp_cpumap), &cpu, &val, BPF_ANY), 0)
          << "cpumap entry for CPU " << cpu << ": " << strerror(errno);
    }
  }

  bool SteerRec(const struct sdp_msg_key &k, struct sdp_steer_rec *rec) {
    return bpf_map_lookup_elem(bpf_map__fd(skel_->maps.sdp_steer_log), &k, rec) == 0;
  }

  size_t SteerLogSize() {
    int fd = bpf_map__fd(skel_->maps.sdp_steer_log);
    struct sdp_msg_key k, next;
    size_t n = 0;
    void *prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, &next) == 0) {
      n++;
      k = next;
      prev = &k;
    }
    return n;
  }

  // The CPU sdp_xdp should pick for a message under 'cpus'.
  static uint32_t ExpectedCpu(const Spec &s, const std::vector<uint32_t> &cpus) {
    struct sdp_msg_key k = key_of(s);
    return cpus[sdp_msg_hash(&k) % cpus.size()];
  }

  struct sdp_xdp *skel_ = nullptr;
  struct sdp_test_cpumap *cpumap_skel_ = nullptr;
};

Spec v6(Spec s) {
  s.v6 = true;
  return s;
}

Spec of_type(uint8_t type) {
  Spec s;
  s.type = type;
  s.payload = type == SDP_PKT_DATA ? 64 : 0;
  return s;
}

// ---------------------------------------------------------------------------
// Classification and stats

TEST_F(SdpXdp, Ipv4DataGrantAckPassAndCount) {
  std::vector<Expect> acc;
  RunAndCount(of_type(SDP_PKT_DATA), XDP_PASS, SDP_XDP_STAT_DATA, acc);
  RunAndCount(of_type(SDP_PKT_GRANT), XDP_PASS, SDP_XDP_STAT_GRANT, acc);
  RunAndCount(of_type(SDP_PKT_ACK), XDP_PASS, SDP_XDP_STAT_ACK, acc);
  ExpectStats(acc);
}

TEST_F(SdpXdp, Ipv6DataGrantAckPassAndCount) {
  std::vector<Expect> acc;
  RunAndCount(v6(of_type(SDP_PKT_DATA)), XDP_PASS, SDP_XDP_STAT_DATA, acc);
  RunAndCount(v6(of_type(SDP_PKT_GRANT)), XDP_PASS, SDP_XDP_STAT_GRANT, acc);
  RunAndCount(v6(of_type(SDP_PKT_ACK)), XDP_PASS, SDP_XDP_STAT_ACK, acc);
  ExpectStats(acc);
}

TEST_F(SdpXdp, EveryTypeCountsInItsSlotOnBothFamilies) {
  const uint8_t types[] = {SDP_PKT_DATA, SDP_PKT_GRANT,    SDP_PKT_RESEND, SDP_PKT_UNKNOWN,
                           SDP_PKT_BUSY, SDP_PKT_NEED_ACK, SDP_PKT_ACK};
  std::vector<Expect> acc;
  for (uint8_t t : types) {
    RunAndCount(of_type(t), XDP_PASS, t - SDP_PKT_TYPE_MIN, acc);
    RunAndCount(v6(of_type(t)), XDP_PASS, t - SDP_PKT_TYPE_MIN, acc);
  }
  ExpectStats(acc);
  EXPECT_EQ(Stat(SDP_XDP_STAT_TYPE_15).packets, 0u);
  EXPECT_EQ(Stat(SDP_XDP_STAT_TYPE_16).packets, 0u);
}

TEST_F(SdpXdp, BytesAreWholeFrames) {
  Spec big = of_type(SDP_PKT_DATA);
  big.payload = 1400;
  std::vector<uint8_t> f1 = build(big), f2 = build(v6(big));
  for (int i = 0; i < 3; i++) {
    EXPECT_EQ(Run(f1), XDP_PASS);
    EXPECT_EQ(Run(f2), XDP_PASS);
  }
  ExpectStats({{SDP_XDP_STAT_DATA, 6, 3 * (f1.size() + f2.size())}});
}

TEST_F(SdpXdp, Ipv4OptionsAreSkippedByIhl) {
  std::vector<Expect> acc;
  for (int ihl : {6, 10, 15}) {
    Spec s = of_type(SDP_PKT_DATA);
    s.ihl = ihl;
    RunAndCount(s, XDP_PASS, SDP_XDP_STAT_DATA, acc);
    s = of_type(SDP_PKT_GRANT);
    s.ihl = ihl;
    RunAndCount(s, XDP_PASS, SDP_XDP_STAT_GRANT, acc);
  }
  ExpectStats(acc);
}

TEST_F(SdpXdp, VlanTaggedFramesAreParsed) {
  std::vector<Expect> acc;
  Spec s = of_type(SDP_PKT_DATA);
  s.vlan = true;
  RunAndCount(s, XDP_PASS, SDP_XDP_STAT_DATA, acc);
  RunAndCount(v6(s), XDP_PASS, SDP_XDP_STAT_DATA, acc);
  ExpectStats(acc);
}

TEST_F(SdpXdp, NonSdpPassesAsNotSdp) {
  std::vector<Expect> acc;
  Spec tcp;
  tcp.proto = kTcpProto;
  tcp.l4_bytes_override = 20;
  RunAndCount(tcp, XDP_PASS, SDP_XDP_STAT_NOT_SDP, acc);
  RunAndCount(v6(tcp), XDP_PASS, SDP_XDP_STAT_NOT_SDP, acc);
  Spec udp;
  udp.proto = kUdpProto;
  udp.l4_bytes_override = 8;
  RunAndCount(udp, XDP_PASS, SDP_XDP_STAT_NOT_SDP, acc);

  // A TCP packet whose bytes happen to be a valid SDP header.
  Spec lookalike = of_type(SDP_PKT_DATA);
  lookalike.proto = kTcpProto;
  RunAndCount(lookalike, XDP_PASS, SDP_XDP_STAT_NOT_SDP, acc);

  // IPv6 extension headers are not walked.
  Spec hbh = v6(of_type(SDP_PKT_DATA));
  hbh.ipv6_hop_by_hop = true;
  RunAndCount(hbh, XDP_PASS, SDP_XDP_STAT_NOT_SDP, acc);

  // ARP, and an IPv4 EtherType with no room for an IP header.
  std::vector<uint8_t> arp = build(Spec{});
  arp.resize(42);
  sdp::test::set_be16(arp, 12, ETH_P_ARP);
  EXPECT_EQ(Run(arp), XDP_PASS);
  acc.push_back({SDP_XDP_STAT_NOT_SDP, 1, arp.size()});
  std::vector<uint8_t> bare = build(Spec{});
  bare.resize(ETH_HLEN + 10);
  EXPECT_EQ(Run(bare), XDP_PASS);
  acc.push_back({SDP_XDP_STAT_NOT_SDP, 1, bare.size()});

  ExpectStats(acc);
}

TEST_F(SdpXdp, TruncatedSdpHeadersAreMalformed) {
  // IP says the L4 part is 20 bytes: less than the 28-byte common header.
  Spec ack20 = of_type(SDP_PKT_ACK);
  ack20.l3_len_delta = -8;
  // DATA with only the common header (28 of 40 bytes).
  Spec data28 = of_type(SDP_PKT_DATA);
  data28.payload = 0;
  data28.l3_len_delta = -12;
  // GRANT cut after 30 of its 36 bytes, IP length consistent.
  Spec grant30 = of_type(SDP_PKT_GRANT);
  grant30.l3_len_delta = -6;
  // The frame ends inside the common header; IP claims more.
  Spec cut4 = of_type(SDP_PKT_DATA);
  cut4.frame_cut = ETH_HLEN + 20 + 10;
  Spec cut6 = v6(of_type(SDP_PKT_DATA));
  cut6.frame_cut = ETH_HLEN + 40 + 10;
  // IP says 10 bytes of SDP; the frame goes on with what would be the
  // rest of a valid header (as Ethernet padding could): the bytes past
  // the IP length must not count.
  Spec ack10 = of_type(SDP_PKT_ACK);
  ack10.l3_len_delta = -18;
  // IPv4 total length smaller than its own header.
  Spec tiny = of_type(SDP_PKT_DATA);
  tiny.l3_len_delta = -int(40 + 64 + 4);

  ExpectAllMalformed(
      {ack20, v6(ack20), data28, v6(data28), grant30, cut4, cut6, ack10, v6(ack10), tiny});
}

TEST_F(SdpXdp, BadDoffIsMalformed) {
  std::vector<Spec> bad;
  for (int doff : {0, 5, 7, 9, 11, 15}) {
    Spec s = of_type(SDP_PKT_DATA);
    s.doff_words = doff;
    bad.push_back(s);
    bad.push_back(v6(s));
  }
  bad.push_back(of_type(SDP_PKT_GRANT));
  bad.back().doff_words = 10;
  bad.push_back(of_type(SDP_PKT_ACK));
  bad.back().doff_words = 7;
  bad.push_back(of_type(SDP_PKT_NEED_ACK));
  bad.back().doff_words = 9;
  ExpectAllMalformed(bad);
}

TEST_F(SdpXdp, BadTypeOrVersionIsMalformed) {
  std::vector<Spec> bad;
  for (uint8_t t : {0x00, 0x02, 0x0f, 0x15, 0x16, 0x19, 0xff}) {
    bad.push_back(of_type(t));
    bad.back().payload = 8;
  }
  for (uint8_t ver : {0, 2, 15}) {
    bad.push_back(of_type(SDP_PKT_DATA));
    bad.back().version = ver;
  }
  bad.push_back(of_type(SDP_PKT_GRANT));
  bad.back().vflags_low = 1;
  ExpectAllMalformed(bad);
}

TEST_F(SdpXdp, Ipv4FragmentsPassUncounted) {
  std::vector<Expect> acc;
  Spec s = of_type(SDP_PKT_DATA);
  s.frag_off = 0x2000;  // MF, first fragment
  RunAndCount(s, XDP_PASS, SDP_XDP_STAT_FRAGMENT, acc);
  s.frag_off = 0x0010;  // later fragment
  RunAndCount(s, XDP_PASS, SDP_XDP_STAT_FRAGMENT, acc);
  s.frag_off = 0x4000;  // DF only: not a fragment
  RunAndCount(s, XDP_PASS, SDP_XDP_STAT_DATA, acc);
  ExpectStats(acc);
}

TEST_F(SdpXdp, ProtocolNumberIsARodataKnob) {
  Spec p253 = of_type(SDP_PKT_DATA);
  Spec p254 = p253;
  p254.proto = 254;

  std::vector<Expect> acc;
  RunAndCount(p254, XDP_PASS, SDP_XDP_STAT_NOT_SDP, acc);
  ExpectStats(acc);

  ASSERT_NO_FATAL_FAILURE(Load(254));
  acc.clear();
  RunAndCount(p253, XDP_PASS, SDP_XDP_STAT_NOT_SDP, acc);
  RunAndCount(v6(p253), XDP_PASS, SDP_XDP_STAT_NOT_SDP, acc);
  RunAndCount(p254, XDP_PASS, SDP_XDP_STAT_DATA, acc);
  RunAndCount(v6(p254), XDP_PASS, SDP_XDP_STAT_DATA, acc);
  Spec g = of_type(SDP_PKT_GRANT);
  g.proto = 254;
  RunAndCount(g, XDP_PASS, SDP_XDP_STAT_GRANT, acc);
  ExpectStats(acc);
}

// ---------------------------------------------------------------------------
// Steering (BPF_PROG_TEST_RUN without live frames: the action and maps)

class SdpSteer : public SdpXdp {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SdpXdp::SetUp());
    cpus_ = online_cpus();
    ASSERT_FALSE(cpus_.empty()) << "no online CPUs in /sys/devices/system/cpu/online";
  }

  std::vector<uint32_t> cpus_;
};

TEST_F(SdpSteer, DisabledOrEmptyConfigPasses) {
  ASSERT_NO_FATAL_FAILURE(FillCpumap(cpus_, 0));
  Spec s = of_type(SDP_PKT_DATA);

  EXPECT_EQ(Run(s), XDP_PASS);  // never configured
  ASSERT_NO_FATAL_FAILURE(SetSteer(0, cpus_, uint32_t(cpus_.size())));
  EXPECT_EQ(Run(s), XDP_PASS);  // enabled = 0
  ASSERT_NO_FATAL_FAILURE(SetSteer(2, cpus_, uint32_t(cpus_.size())));
  EXPECT_EQ(Run(s), XDP_PASS);  // enabled is not 1
  ASSERT_NO_FATAL_FAILURE(SetSteer(1, cpus_, 0));
  EXPECT_EQ(Run(s), XDP_PASS);  // ncpus = 0
  ASSERT_NO_FATAL_FAILURE(SetSteer(1, cpus_, SDP_STEER_MAX_CPUS + 1));
  EXPECT_EQ(Run(s), XDP_PASS);  // ncpus too large

  EXPECT_EQ(SteerLogSize(), 0u);
  EXPECT_EQ(Stat(SDP_XDP_STAT_DATA).packets, 5u);
  EXPECT_EQ(Stat(SDP_XDP_STAT_STEERED).packets, 0u);
  EXPECT_EQ(Stat(SDP_XDP_STAT_STEER_FALLBACK).packets, 0u);
}

TEST_F(SdpSteer, DataIsRedirectedControlPacketsPass) {
  ASSERT_NO_FATAL_FAILURE(FillCpumap(cpus_, 0));
  ASSERT_NO_FATAL_FAILURE(SetSteer(cpus_));

  std::vector<Expect> acc;
  for (bool six : {false, true}) {
    Spec d = of_type(SDP_PKT_DATA);
    d.v6 = six;
    RunAndCount(d, XDP_REDIRECT, SDP_XDP_STAT_DATA, acc);
    acc.push_back({SDP_XDP_STAT_STEERED, 1, build(d).size()});
    for (uint8_t t : {SDP_PKT_GRANT, SDP_PKT_RESEND, SDP_PKT_UNKNOWN, SDP_PKT_BUSY,
                      SDP_PKT_NEED_ACK, SDP_PKT_ACK}) {
      Spec c = of_type(t);
      c.v6 = six;
      RunAndCount(c, XDP_PASS, t - SDP_PKT_TYPE_MIN, acc);
    }
    // Malformed DATA and non-SDP traffic are never steered.
    Spec bad = d;
    bad.doff_words = 7;
    RunAndCount(bad, XDP_PASS, SDP_XDP_STAT_MALFORMED, acc);
    Spec tcp;
    tcp.v6 = six;
    tcp.proto = kTcpProto;
    tcp.l4_bytes_override = 20;
    RunAndCount(tcp, XDP_PASS, SDP_XDP_STAT_NOT_SDP, acc);
  }
  ExpectStats(acc);

  EXPECT_EQ(SteerLogSize(), 2u);
  for (bool six : {false, true}) {
    Spec d = of_type(SDP_PKT_DATA);
    d.v6 = six;
    struct sdp_steer_rec rec;
    ASSERT_TRUE(SteerRec(key_of(d), &rec)) << (six ? "IPv6" : "IPv4");
    EXPECT_EQ(rec.cpu, ExpectedCpu(d, cpus_));
    EXPECT_EQ(rec.packets, 1u);
    EXPECT_EQ(rec.bytes, build(d).size());
    EXPECT_EQ(rec.fallback, 0u);
  }
}

TEST_F(SdpSteer, AllPacketsOfAMessagePickOneCpu) {
  ASSERT_NO_FATAL_FAILURE(FillCpumap(cpus_, 0));
  ASSERT_NO_FATAL_FAILURE(SetSteer(cpus_));

  for (bool six : {false, true}) {
    Spec d = of_type(SDP_PKT_DATA);
    d.v6 = six;
    d.rpc_id = 0x123456789aULL;
    uint64_t bytes = 0;
    // Offsets, sizes, retransmit flag and destination port vary;
    // none of them is part of the message identity.
    for (uint32_t i = 0; i < 16; i++) {
      d.seq = i * 1400;
      d.payload = 100 + i * 50;
      d.flags = (i & 1) ? SDP_F_RETRANSMIT : 0;
      d.dport = uint16_t(5000 + (i % 3));
      std::vector<uint8_t> f = build(d);
      bytes += f.size();
      EXPECT_EQ(Run(f), XDP_REDIRECT);
    }
    struct sdp_steer_rec rec;
    ASSERT_TRUE(SteerRec(key_of(d), &rec));
    EXPECT_EQ(rec.packets, 16u);
    EXPECT_EQ(rec.bytes, bytes);
    EXPECT_EQ(rec.cpu, ExpectedCpu(d, cpus_));
  }
  EXPECT_EQ(SteerLogSize(), 2u);
  EXPECT_EQ(Stat(SDP_XDP_STAT_STEERED).packets, 32u);
}

TEST_F(SdpSteer, MessageIdentityIsAddrPortRpcIdAndDirection) {
  ASSERT_NO_FATAL_FAILURE(FillCpumap(cpus_, 0));
  ASSERT_NO_FATAL_FAILURE(SetSteer(cpus_));

  Spec base = of_type(SDP_PKT_DATA);
  std::vector<Spec> msgs;
  msgs.push_back(base);
  Spec m = base;
  m.rpc_id++;
  msgs.push_back(m);
  m = base;
  m.sport++;
  msgs.push_back(m);
  m = base;
  m.saddr4[3]++;
  msgs.push_back(m);
  m = base;
  m.flags = SDP_F_FROM_SERVER;  // the response of the same RPC
  msgs.push_back(m);
  msgs.push_back(v6(base));

  for (const Spec &s : msgs)
    for (int i = 0; i < 3; i++) EXPECT_EQ(Run(s), XDP_REDIRECT);
  EXPECT_EQ(SteerLogSize(), msgs.size());
  for (const Spec &s : msgs) {
    struct sdp_steer_rec rec;
    ASSERT_TRUE(SteerRec(key_of(s), &rec));
    EXPECT_EQ(rec.packets, 3u);
    EXPECT_EQ(rec.cpu, ExpectedCpu(s, cpus_));
  }
}

TEST_F(SdpSteer, MessagesSpreadOverTheConfiguredCpus) {
  ASSERT_NO_FATAL_FAILURE(FillCpumap(cpus_, 0));
  ASSERT_NO_FATAL_FAILURE(SetSteer(cpus_));

  const int kMessages = 64;
  std::set<uint32_t> used;
  for (int i = 0; i < kMessages; i++) {
    Spec s = of_type(SDP_PKT_DATA);
    s.v6 = i & 1;
    s.rpc_id = 1000 + uint64_t(i) * 2;
    EXPECT_EQ(Run(s), XDP_REDIRECT);
    struct sdp_steer_rec rec;
    ASSERT_TRUE(SteerRec(key_of(s), &rec));
    EXPECT_EQ(rec.cpu, ExpectedCpu(s, cpus_));
    EXPECT_NE(std::find(cpus_.begin(), cpus_.end(), rec.cpu), cpus_.end());
    used.insert(rec.cpu);
  }
  size_t want = std::min<size_t>(cpus_.size(), 2);
  EXPECT_GE(used.size(), want) << kMessages << " messages used " << used.size() << " of "
                               << cpus_.size() << " CPUs";
  EXPECT_EQ(SteerLogSize(), size_t(kMessages));
}

TEST_F(SdpSteer, CpuWithoutCpumapEntryFallsBackToPass) {
  // Configured CPU id with no cpumap entry: redirect falls back to PASS.
  const uint32_t missing = SDP_CPUMAP_MAX_ENTRIES - 1;
  ASSERT_NO_FATAL_FAILURE(SetSteer({missing}));
  Spec s = of_type(SDP_PKT_DATA);
  std::vector<uint8_t> f = build(s);
  EXPECT_EQ(Run(f), XDP_PASS);
  EXPECT_EQ(Run(f), XDP_PASS);
  ExpectStats(
      {{SDP_XDP_STAT_DATA, 2, 2 * f.size()}, {SDP_XDP_STAT_STEER_FALLBACK, 2, 2 * f.size()}});
  struct sdp_steer_rec rec;
  ASSERT_TRUE(SteerRec(key_of(s), &rec));
  EXPECT_EQ(rec.cpu, missing);
  EXPECT_EQ(rec.fallback, 2u);
  EXPECT_EQ(rec.packets, 2u);
}

// ---------------------------------------------------------------------------
// Steering with real CPUMAP redirects: BPF_F_TEST_XDP_LIVE_FRAMES, and a
// second-level program in every cpumap entry that records where each frame
// ran (tests/bpf/sdp_test_cpumap.bpf.c).

class SdpSteerLive : public SdpSteer {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SdpSteer::SetUp());
    cpumap_skel_ = sdp_test_cpumap__open();
    ASSERT_NE(cpumap_skel_, nullptr) << strerror(errno);
    int err = sdp_test_cpumap__load(cpumap_skel_);
    ASSERT_EQ(err, 0) << "sdp_test_cpumap__load: " << strerror(-err);
    ASSERT_NO_FATAL_FAILURE(
        FillCpumap(cpus_, bpf_program__fd(cpumap_skel_->progs.sdp_test_cpumap_rx)));
    ASSERT_NO_FATAL_FAILURE(SetSteer(cpus_));
  }

  // Runs 'frame' 'count' times as live frames. The kernel reports no
  // action in this mode (retval stays 0): the maps tell what happened.
  void RunLive(const std::vector<uint8_t> &frame, uint32_t count) {
    struct bpf_test_run_opts opts;
    memset(&opts, 0, sizeof(opts));
    opts.sz = sizeof(opts);
    opts.data_in = frame.data();
    opts.data_size_in = uint32_t(frame.size());
    opts.repeat = count;
    opts.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
    int err = bpf_prog_test_run_opts(prog_fd(), &opts);
    EXPECT_EQ(err, 0) << "live test run: " << strerror(errno);
  }

  struct Arrival {
    uint64_t cpu_mask;
    uint64_t packets;
    uint64_t other_cpu;
  };

  Arrival ArrivalOf(const struct sdp_msg_key &k) {
    Arrival a = {0, 0, 0};
    bpf_map_lookup_elem(bpf_map__fd(cpumap_skel_->maps.sdp_test_arrivals), &k, &a);
    return a;
  }

  // The cpumap kthreads run asynchronously: wait until 'total' frames
  // have been recorded (or 10 s).
  uint64_t WaitArrivals(const std::vector<Spec> &msgs, uint64_t total) {
    uint64_t seen = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      seen = 0;
      for (const Spec &s : msgs) seen += ArrivalOf(key_of(s)).packets;
      if (seen >= total) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return seen;
  }
};

TEST_F(SdpSteerLive, EveryFrameOfAMessageRunsOnItsCpu) {
  static_assert(sizeof(Arrival) == 24, "matches struct sdp_test_arrival");
  const int kMessages = 32;
  const uint32_t kPackets = 8;
  std::vector<Spec> msgs;
  for (int i = 0; i < kMessages; i++) {
    Spec s = of_type(SDP_PKT_DATA);
    s.v6 = i % 2;
    s.rpc_id = 0x1000 + uint64_t(i);
    s.flags = (i % 4 >= 2) ? SDP_F_FROM_SERVER : 0;
    s.payload = 256;
    msgs.push_back(s);
    RunLive(build(s), kPackets);
  }
  uint64_t total = uint64_t(kMessages) * kPackets;
  EXPECT_EQ(WaitArrivals(msgs, total), total)
      << "frames missing after 10 s (cpumap kthreads did not run them)";

  std::set<uint32_t> used;
  for (const Spec &s : msgs) {
    struct sdp_msg_key k = key_of(s);
    uint32_t want = ExpectedCpu(s, cpus_);
    Arrival a = ArrivalOf(k);
    EXPECT_EQ(a.packets, kPackets) << "rpc " << s.rpc_id;
    EXPECT_EQ(a.other_cpu, 0u);
    ASSERT_LT(want, 64u);
    EXPECT_EQ(a.cpu_mask, 1ULL << want) << "rpc " << s.rpc_id << " ran on CPU mask 0x" << std::hex
                                        << a.cpu_mask << ", steered to CPU " << std::dec << want;
    struct sdp_steer_rec rec;
    ASSERT_TRUE(SteerRec(k, &rec));
    EXPECT_EQ(rec.cpu, want);
    EXPECT_EQ(rec.packets, kPackets);
    EXPECT_EQ(rec.fallback, 0u);
    used.insert(want);
  }
  EXPECT_GE(used.size(), std::min<size_t>(cpus_.size(), 2));
  EXPECT_EQ(Stat(SDP_XDP_STAT_STEERED).packets, total);

  uint32_t zero = 0;
  uint64_t unparsed = 0;
  bpf_map_lookup_elem(bpf_map__fd(cpumap_skel_->maps.sdp_test_unparsed), &zero, &unparsed);
  EXPECT_EQ(unparsed, 0u);
}

TEST_F(SdpSteerLive, ControlPacketsAreNotRedirected) {
  std::vector<Spec> msgs;
  for (uint8_t t : {SDP_PKT_GRANT, SDP_PKT_ACK}) {
    Spec s = of_type(t);
    // Nothing to deliver locally: frames that pass go to the
    // stack of loopback and are dropped there (foreign address).
    msgs.push_back(s);
    RunLive(build(s), 4);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (const Spec &s : msgs) EXPECT_EQ(ArrivalOf(key_of(s)).packets, 0u);
  EXPECT_EQ(SteerLogSize(), 0u);
  EXPECT_EQ(Stat(SDP_XDP_STAT_GRANT).packets, 4u);
  EXPECT_EQ(Stat(SDP_XDP_STAT_ACK).packets, 4u);
  EXPECT_EQ(Stat(SDP_XDP_STAT_STEERED).packets, 0u);
}

}  // namespace
