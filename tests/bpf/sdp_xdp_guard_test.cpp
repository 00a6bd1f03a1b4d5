// SPDX-License-Identifier: MIT
// The early replay drop of sdp_xdp_guard against the real module: a keyed
// client and server socket talk over lo in a fresh network namespace, then
// BPF_PROG_TEST_RUN feeds the program crafted packets naming their RPCs,
// and the kfunc bpf_sdp_xdp_early_drop answers from the sockets' state.
// Each drop reason is hit once, and each near miss (the next RPC id, a live
// RPC still receiving, another port, another epoch, a future ctrl_seq)
// passes. Needs root and sdp.ko with BTF: runs in the VM (t-xdp.sh).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "sdp_socket.h"
#include "sdp_test_frames.h"
#include "sdp_xdp.skel.h"
#include "sdp_xdp_abi.h"

namespace {

using sdp::test::Bytes;

constexpr uint16_t kServerPort = 5000;
constexpr uint8_t kEpoch = 1;

struct Variant {
  bool v6;
  uint16_t cipher;
};

std::string variant_name(const ::testing::TestParamInfo<Variant>& p) {
  return std::string(p.param.v6 ? "v6_" : "v4_") +
         (p.param.cipher == SDP_CIPHER_AES_GCM_256 ? "aes256" : "aes128");
}

std::map<std::string, uint64_t> module_stats() {
  std::map<std::string, uint64_t> m;
  std::ifstream f("/proc/net/sdp_stats");
  std::string k;
  uint64_t v;
  while (f >> k >> v) m[k] = v;
  return m;
}

bool wait_until(const std::function<bool()>& cond) {
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

class XdpGuard : public ::testing::TestWithParam<Variant> {
 protected:
  static void SetUpTestSuite() {
    // Our own namespace: lo is the device BPF_PROG_TEST_RUN runs on.
    ASSERT_EQ(unshare(CLONE_NEWNET), 0) << "unshare(CLONE_NEWNET): " << strerror(errno)
                                        << " (needs root)";
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    ifreq ifr{};
    std::strcpy(ifr.ifr_name, "lo");
    ASSERT_EQ(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
    ifr.ifr_flags |= IFF_UP;
    ASSERT_EQ(ioctl(s, SIOCSIFFLAGS, &ifr), 0) << strerror(errno);
    close(s);
    static char dir[] = "/tmp/sdp-guard-keys.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    setenv("SDP_USED_TX_KEYS_DIR", dir, 1);
  }

  void SetUp() override {
    ASSERT_EQ(access("/sys/kernel/btf/sdp", F_OK), 0)
        << "sdp.ko with module BTF must be loaded (sdpctl load)";
    const Variant& v = GetParam();
    family_ = v.v6 ? AF_INET6 : AF_INET;
    const char* lo = v.v6 ? "::1" : "127.0.0.1";
    // Each variant its own server port: the RPC ids start over per socket.
    port_ = uint16_t(kServerPort + next_port_++);
    server_addr_ = sdp::Address::parse(lo, port_);
    server_ = std::make_unique<sdp::Socket>(family_);
    client_ = std::make_unique<sdp::Socket>(family_);
    server_->bind(server_addr_);
    client_->bind(sdp::Address::parse(lo, 0));
    client_addr_ = sdp::Address::parse(lo, client_->local_port());
    auto km = sdp::KeyMaterial::random(v.cipher, kEpoch);
    server_->install_keys(client_addr_, km, sdp::Role::server);
    client_->install_keys(server_addr_, km, sdp::Role::client);
    server_->set_receive_timeout_ms(5000);
    client_->set_receive_timeout_ms(5000);

    skel_ = sdp_xdp__open();
    ASSERT_NE(skel_, nullptr);
    skel_->rodata->sdp_proto = uint8_t(sdp::ip_protocol());
    ASSERT_EQ(sdp_xdp__load(skel_), 0) << "load sdp_xdp_guard: the verifier log is above";
  }

  void TearDown() override { sdp_xdp__destroy(skel_); }

  // A packet from (src, sport) to (dst, dport) through program prog; the
  // XDP action.
  int Run(bpf_program* prog, const sdp::test::SdpHeader& h,
          const Bytes& trailer = {}) {
    sdp::test::IpHeader ip;
    ip.v6 = GetParam().v6;
    ip.proto = uint8_t(sdp::ip_protocol());
    ip.src4 = ip.dst4 = {127, 0, 0, 1};
    ip.src6 = ip.dst6 = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    Bytes frame = sdp::test::LinkHeader{}.build(ip.build(h.build(trailer)));
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
                .data_size_in = uint32_t(frame.size()), .repeat = 1);
    EXPECT_EQ(bpf_prog_test_run_opts(bpf_program__fd(prog), &opts), 0) << strerror(errno);
    return int(opts.retval);
  }

  int Guard(const sdp::test::SdpHeader& h, const Bytes& trailer = {}) {
    return Run(skel_->progs.sdp_xdp_guard, h, trailer);
  }

  uint64_t Slot(int slot) {
    int ncpu = libbpf_num_possible_cpus();
    std::vector<sdp_xdp_stat> v(static_cast<size_t>(ncpu));
    uint32_t key = uint32_t(slot);
    EXPECT_EQ(bpf_map_lookup_elem(bpf_map__fd(skel_->maps.sdp_stats), &key, v.data()), 0);
    uint64_t n = 0;
    for (auto& s : v) n += s.packets;
    return n;
  }

  // A request DATA packet from the client / a response DATA packet from the server.
  sdp::test::SdpHeader Request(uint64_t rpc_id) const {
    sdp::test::SdpHeader h;
    h.sport = client_addr_.port();
    h.dport = port_;
    h.rpc_id = rpc_id;
    h.epoch = kEpoch;
    h.msg_len = 64;
    h.rec_plain = 64;
    return h;
  }
  sdp::test::SdpHeader Response(uint64_t rpc_id) const {
    sdp::test::SdpHeader h = Request(rpc_id);
    std::swap(h.sport, h.dport);
    h.flags = SDP_F_FROM_SERVER;
    return h;
  }

  // One whole RPC; returns its id.
  uint64_t RoundTrip() {
    std::vector<std::byte> req(64, std::byte{'q'}), resp(64, std::byte{'r'}), buf(256);
    uint64_t id = client_->send_request(server_addr_, req, 7);
    auto got = server_->receive(buf);
    EXPECT_TRUE(got.has_value()) << got.error().message();
    server_->send_response(client_addr_, got->rpc_id, resp);
    auto back = client_->receive(buf);
    EXPECT_TRUE(back.has_value()) << back.error().message();
    EXPECT_EQ(back->rpc_id, id);
    return id;
  }

  static inline int next_port_ = 0;
  int family_ = 0;
  uint16_t port_ = 0;
  sdp::Address server_addr_, client_addr_;
  std::unique_ptr<sdp::Socket> server_, client_;
  sdp_xdp* skel_ = nullptr;
};

Bytes ctrl_trailer(uint64_t seq) {
  Bytes t;
  sdp::test::put_be(t, seq, 8);
  t.resize(SDP_CTRL_TRAILER_LEN, 0);  // tag: never checked before the window
  return t;
}

TEST_P(XdpGuard, FinishedRequestDropped) {
  // The counters are the namespace's: every test before this one adds up.
  uint64_t completed = module_stats()["server_rpcs_completed"];
  uint64_t id = RoundTrip();
  // The client's ACK frees the server RPC at its next tick.
  ASSERT_TRUE(wait_until([&] { return module_stats()["server_rpcs_completed"] > completed; }))
      << "the server RPC was never completed";
  uint64_t before = Slot(SDP_XDP_STAT_DROP_FINISHED_REQUEST);
  EXPECT_EQ(Guard(Request(id)), XDP_DROP);
  EXPECT_EQ(Slot(SDP_XDP_STAT_DROP_FINISHED_REQUEST), before + 1);

  // Near misses: the next id, another port, another epoch, plaintext, and
  // the program without the guard.
  EXPECT_EQ(Guard(Request(id + 1)), XDP_PASS);
  auto h = Request(id);
  h.dport = uint16_t(port_ + 100);
  EXPECT_EQ(Guard(h), XDP_PASS);
  h = Request(id);
  h.epoch = kEpoch + 1;
  EXPECT_EQ(Guard(h), XDP_PASS);
  h = Request(id);
  h.epoch = 0;
  EXPECT_EQ(Guard(h), XDP_PASS);
  h = Request(id);
  h.sport = uint16_t(h.sport + 1);  // another client port: another window
  EXPECT_EQ(Guard(h), XDP_PASS);
  EXPECT_EQ(Run(skel_->progs.sdp_xdp, Request(id)), XDP_PASS);
  EXPECT_EQ(Slot(SDP_XDP_STAT_DROP_FINISHED_REQUEST), before + 1);
}

TEST_P(XdpGuard, ControlReplayDropped) {
  uint64_t completed = module_stats()["server_rpcs_completed"];
  RoundTrip();
  // The ACK authenticated once it freed the server RPC.
  ASSERT_TRUE(wait_until([&] { return module_stats()["server_rpcs_completed"] > completed; }))
      << "the server never got the client's ACK";
  // The client's first control packet under the key had counter 0.
  sdp::test::SdpHeader h = Request(1);
  h.type = SDP_PKT_ACK;
  uint64_t before = Slot(SDP_XDP_STAT_DROP_CTRL_REPLAY);
  EXPECT_EQ(Guard(h, ctrl_trailer(SDP_CTRL_SEQ_BIT | 0)), XDP_DROP);
  h.type = SDP_PKT_GRANT;  // the window is the key's, whatever the type
  EXPECT_EQ(Guard(h, ctrl_trailer(SDP_CTRL_SEQ_BIT | 0)), XDP_DROP);
  EXPECT_EQ(Slot(SDP_XDP_STAT_DROP_CTRL_REPLAY), before + 2);

  EXPECT_EQ(Guard(h, ctrl_trailer(SDP_CTRL_SEQ_BIT | 100000)), XDP_PASS);  // future
  EXPECT_EQ(Guard(h, ctrl_trailer(0)), XDP_PASS);  // malformed: the module's drop
  auto e = h;
  e.epoch = kEpoch + 1;
  EXPECT_EQ(Guard(e, ctrl_trailer(SDP_CTRL_SEQ_BIT | 0)), XDP_PASS);
  e = h;
  e.dport = uint16_t(port_ + 100);
  EXPECT_EQ(Guard(e, ctrl_trailer(SDP_CTRL_SEQ_BIT | 0)), XDP_PASS);
  EXPECT_EQ(Guard(h, {}), XDP_PASS);  // no trailer in the frame
  EXPECT_EQ(Slot(SDP_XDP_STAT_DROP_CTRL_REPLAY), before + 2);
}

TEST_P(XdpGuard, CompleteMessageDroppedOnBothSides) {
  std::vector<std::byte> req(64, std::byte{'q'}), resp(64, std::byte{'r'}), buf(256);
  // RPC a: answered, the response complete but not read by the client.
  uint64_t a = client_->send_request(server_addr_, req, 1);
  auto got = server_->receive(buf);
  ASSERT_TRUE(got.has_value());
  server_->send_response(client_addr_, got->rpc_id, resp);
  pollfd p{client_->fd(), POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 5000), 1) << "the response never completed";
  // RPC b: the server holds the whole request, no response yet.
  uint64_t b = client_->send_request(server_addr_, req, 2);
  auto got_b = server_->receive(buf);
  ASSERT_TRUE(got_b.has_value());
  ASSERT_EQ(got_b->rpc_id, b);

  uint64_t before = Slot(SDP_XDP_STAT_DROP_COMPLETE_MESSAGE);
  EXPECT_EQ(Guard(Response(a)), XDP_DROP);  // the client has a's response
  EXPECT_EQ(Guard(Request(b)), XDP_DROP);   // the server has b's request
  EXPECT_EQ(Slot(SDP_XDP_STAT_DROP_COMPLETE_MESSAGE), before + 2);
  // b's response is still to come: a live RPC's data passes.
  EXPECT_EQ(Guard(Response(b)), XDP_PASS);
  EXPECT_EQ(Slot(SDP_XDP_STAT_DROP_COMPLETE_MESSAGE), before + 2);

  // Nothing of it disturbed the real RPCs.
  server_->send_response(client_addr_, b, resp);
  for (int i = 0; i < 2; i++) {
    auto r = client_->receive(buf);
    ASSERT_TRUE(r.has_value()) << r.error().message();
    EXPECT_TRUE(r->rpc_id == a || r->rpc_id == b);
    EXPECT_EQ(r->length, resp.size());
    EXPECT_EQ(std::memcmp(buf.data(), resp.data(), resp.size()), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, XdpGuard,
                         ::testing::Values(Variant{false, SDP_CIPHER_AES_GCM_128},
                                           Variant{true, SDP_CIPHER_AES_GCM_256}),
                         variant_name);

}  // namespace
