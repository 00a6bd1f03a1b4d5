// SPDX-License-Identifier: MIT
// sdp-inject: send hostile SDP packets through a raw IP socket, for the
// fuzz lane of the VM tests. Every packet it sends is built so that a
// correct receiver must drop it (checked here with the module's own header
// parser, kmod/sdp_codec.h), so the test can demand that the receiver's
// drop counters grow by exactly the number of packets sent.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "json.h"
#include "options.h"
#include "sdp_codec.h"
#include "sdp_socket.h"
#include "unique_fd.h"

namespace {

constexpr const char* kHeader = R"(NAME
    sdp-inject - send malformed and forged SDP packets (raw socket)

SYNOPSIS
    sdp-inject --dst ADDR --port N [--count N] [--seed N] [--sport N]

DESCRIPTION
    Sends --count packets (default 100000) of IP protocol ip_proto to
    ADDR, destination port N: random bytes, truncated headers, bad
    versions, bad data offsets, unknown types, reserved bits set, DATA
    whose offsets or lengths exceed the message, control packets with a
    payload, and well-formed GRANT/BUSY/UNKNOWN/ACK packets for RPCs that
    do not exist. Each packet is checked against the module's header
    parser so that every one must be dropped by the receiver. Prints one
    JSON line: {"sent":N,"classes":{...}}. Needs CAP_NET_RAW.
)";

using Packet = std::vector<uint8_t>;

struct Generator {
  std::mt19937_64 rng;
  uint16_t sport, dport;

  uint64_t r64() { return rng(); }
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(rng() % n); }

  Packet header(uint8_t type, uint8_t flags = 0) {
    Packet p(sdp_hdr_len(type) ? sdp_hdr_len(type) : sizeof(sdp_common_hdr));
    auto* c = reinterpret_cast<sdp_common_hdr*>(p.data());
    sdp_build_common(c, type, sport, dport, (r64() >> 2) | 1, flags, 0, 0);
    return p;
  }

  Packet data(uint32_t msg_len, uint32_t seq, uint32_t payload) {
    Packet p = header(SDP_PKT_DATA);
    auto* d = reinterpret_cast<sdp_data_hdr*>(p.data());
    d->common.seq = htonl(seq);
    d->msg_len = htonl(msg_len);
    d->incoming = htonl(msg_len);
    p.resize(p.size() + payload, 0xab);
    return p;
  }

  // One packet and the name of its class.
  std::pair<Packet, const char*> next() {
    switch (below(12)) {
      case 0: {
        Packet p(below(120));
        for (auto& b : p) b = static_cast<uint8_t>(r64());
        return {p, "random_bytes"};
      }
      case 1: {
        Packet p = header(SDP_PKT_GRANT);
        p.resize(below(static_cast<uint32_t>(p.size())));
        return {p, "truncated"};
      }
      case 2: {
        Packet p = header(SDP_PKT_ACK);
        p[8] = static_cast<uint8_t>((2 + below(14)) << 4);
        return {p, "bad_version"};
      }
      case 3: {
        Packet p = header(SDP_PKT_BUSY);
        p[12] = static_cast<uint8_t>(below(16) << 4);
        if (p[12] == (sizeof(sdp_ctrl_hdr) / 4) << 4) p[12] = 0xf0;
        return {p, "bad_doff"};
      }
      case 4: {
        Packet p = header(SDP_PKT_ACK);
        uint8_t t;
        do t = static_cast<uint8_t>(r64());
        while (sdp_hdr_len(t));
        p[13] = t;
        return {p, "bad_type"};
      }
      case 5: {
        Packet p = header(SDP_PKT_GRANT);
        p[11 + below(2) * 3] = static_cast<uint8_t>(1 + below(255));  // reserved0 / window
        return {p, "reserved_set"};
      }
      case 6: {
        uint32_t len = below(100000);
        return {data(len, len + below(1000), 1 + below(1400)), "data_offset_beyond"};
      }
      case 7:
        return {data(SDP_MAX_MESSAGE_LEN + 1 + below(1 << 20), 0, 100), "data_too_long"};
      case 8: {
        Packet p = header(SDP_PKT_UNKNOWN);
        p.resize(p.size() + 1 + below(64), 0);
        return {p, "ctrl_with_payload"};
      }
      case 9:
        return {header(SDP_PKT_GRANT, below(2) ? SDP_F_FROM_SERVER : 0), "grant_unknown_rpc"};
      case 10:
        return {header(below(2) ? SDP_PKT_BUSY : SDP_PKT_UNKNOWN), "busy_unknown_rpc"};
      default:
        return {header(SDP_PKT_ACK), "ack_unknown_rpc"};
    }
  }
};

// Must a correct receiver drop this packet? Checked with the module's parser.
bool must_drop(const Packet& p) {
  sdp_pkt_info pi;
  if (sdp_parse_header(p.data(), p.size(), p.size(), 0, &pi) != SDP_DROP_NONE) return true;
  if (pi.epoch) return true;
  switch (pi.type) {
    case SDP_PKT_GRANT:
    case SDP_PKT_BUSY:
    case SDP_PKT_UNKNOWN:
    case SDP_PKT_ACK:
      return true;  // random 62-bit RPC ids: no such RPC
    default:
      return false;  // DATA may start an RPC, RESEND/NEED_ACK get answers
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string dst;
  uint16_t port = 0, sport = 40000;
  uint64_t count = 100000, seed = 1;
  sdp::OptionParser p("sdp-inject", kHeader);
  p.string("--dst", "ADDR", "the receiver's address (IPv4 or IPv6)", dst)
      .number("--port", "N", "the receiver's SDP port", port, 1, 65535)
      .number("--sport", "N", "the source port in the SDP headers (default 40000)", sport, 0, 65535)
      .number("--count", "N", "packets to send (default 100000)", count, 0, UINT64_MAX)
      .number("--seed", "N", "seed of the packet generator (default 1)", seed, 0, UINT64_MAX);
  std::vector<std::string> rest = p.parse_or_exit(args);
  if (!rest.empty()) p.fail("unexpected argument '" + rest[0] + "'");
  if (dst.empty() || !port) p.fail("--dst and --port are required");
  sdp::Address to;
  try {
    to = sdp::Address::parse(dst, 0);
  } catch (const std::exception& e) {
    std::cerr << "sdp-inject: " << e.what() << "\n";
    return 2;
  }
  sdp::UniqueFd sock(socket(to.family(), SOCK_RAW, sdp::ip_protocol()));
  int fd = sock.get();
  if (!sock) {
    std::perror("sdp-inject: socket(SOCK_RAW) (needs CAP_NET_RAW)");
    return 1;
  }
  Generator gen{std::mt19937_64(seed), sport, port};
  std::map<std::string, uint64_t> classes;
  uint64_t sent = 0;
  while (sent < count) {
    auto [p, name] = gen.next();
    if (!must_drop(p)) continue;
    if (sendto(fd, p.data(), p.size(), 0, to.sa(), to.length) < 0) {
      if (errno == ENOBUFS || errno == EAGAIN) {
        usleep(100);
        continue;
      }
      std::perror("sdp-inject: sendto");
      return 1;
    }
    classes[name]++;
    sent++;
  }
  sdp::JsonObject by_class;
  for (auto& [k, v] : classes) by_class.num(k, v);
  sdp::JsonObject j;
  j.num("sent", sent).raw("classes", by_class.str());
  std::puts(j.str().c_str());
  return 0;
}
