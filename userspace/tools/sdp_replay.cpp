// SPDX-License-Identifier: MIT
// sdp-replay: re-inject captured SDP packets, as captured or with one bit
// flipped, for the tamper and replay lanes of the VM tests
// (tests/vm/t-tamper.sh, tests/vm/t-replay.sh). See `sdp-replay --help`.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "json.h"
#include "options.h"
#include "sdp_args.h"
#include "sdp_replay_lib.h"
#include "sdp_socket.h"
#include "unique_fd.h"

namespace {

using namespace sdp::replay;

constexpr const char* kHeader = R"(NAME
    sdp-replay - re-inject captured SDP packets, as captured or tampered

SYNOPSIS
    sdp-replay list PCAP [--proto N]
    sdp-replay send PCAP [SELECTION] [MUTATION] [ORDER] [--dport N]
                         [--proto N] [--dry-run]

DESCRIPTION
    list    prints one JSON line per SDP packet of the capture PCAP (a
            libpcap file, e.g. from tcpdump -s 0): its index (from 0, in
            capture order, counting SDP packets only), addresses, type,
            ports, flags, epoch, rpc id, seq, msg_len, rec_plain, whether
            its payload is whole TLS records (authenticated on arrival) and
            its length.

    send    sends the selected packets again through a raw IP socket of
            the packet's family (IPv4 or IPv6): the SDP bytes exactly as
            captured (or mutated), from the captured source address to the
            captured destination address. The raw socket is bound to the
            source address, so run sdp-replay in the network namespace that
            owns it (the receiver looks keys up by source address and
            port; the source port is inside the SDP header). A packet
            larger than the path MTU (a GSO segment captured on veth) is
            sent as one IP datagram that the kernel fragments and the
            receiver reassembles, so the receiver sees the same SDP bytes
            as one packet, as veth delivers them. Prints one JSON line:
            {"selected":P,"sent":N,"bytes":B,"by_type":{"DATA":..,...}}
            (by_type counts sent packets by the captured type).

    SELECTION options (all given must match): --src, --dst, --type,
    --index, --epoch. MUTATION (default: none, packets go out as
    captured): --flip, --flip-all, --flip-sample (one of them), --dport,
    --rpc-id. ORDER AND TIMING: --reverse or --shuffle, --repeat,
    --delay-ms, --gap-us.
)";

constexpr const char* kFooter = R"(EXIT STATUS
    Exit status: 0 when everything selected was sent, 1 on a send or
    capture error, 2 on bad usage. Needs CAP_NET_RAW.

EXAMPLES
    ip netns exec sdpb sdp-replay list cap.pcap
    ip netns exec sdpb sdp-replay send cap.pcap --src 10.77.0.2 --type GRANT --flip-all
    ip netns exec sdpb sdp-replay send cap.pcap --src 10.77.0.2 --shuffle --dport 5001
)";

[[noreturn]] void usage_error(const std::string& msg) { sdp::usage_error("sdp-replay", msg); }

uint64_t number(const std::string& s, const std::string& what, uint64_t max) {
  if (s.empty() || s.size() > 19 || !std::all_of(s.begin(), s.end(), ::isdigit))
    usage_error("bad " + what + " '" + s + "'");
  uint64_t v = std::stoull(s);
  if (v > max) usage_error(what + " must be at most " + std::to_string(max));
  return v;
}

std::set<size_t> parse_indices(const std::string& list) {
  std::set<size_t> s;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    std::string item =
        list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    size_t dash = item.find('-');
    uint64_t a = number(item.substr(0, dash), "index", 1u << 30);
    uint64_t b = dash == std::string::npos ? a : number(item.substr(dash + 1), "index", 1u << 30);
    if (b < a) usage_error("bad index range '" + item + "'");
    for (uint64_t i = a; i <= b; i++) s.insert(i);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return s;
}

struct AddrFilter {
  int family = 0;
  in6_addr addr{};
  bool matches(const Captured& c, const in6_addr& a) const {
    return c.family == family && !std::memcmp(&a, &addr, family == AF_INET ? 4 : 16);
  }
};

AddrFilter parse_addr(const std::string& s) {
  AddrFilter f;
  if (inet_pton(AF_INET, s.c_str(), &f.addr) == 1)
    f.family = AF_INET;
  else if (inet_pton(AF_INET6, s.c_str(), &f.addr) == 1)
    f.family = AF_INET6;
  else
    usage_error("bad address '" + s + "'");
  return f;
}

struct Options {
  std::string pcap;
  int proto = 0;
  std::optional<AddrFilter> src, dst;
  std::set<int> types;
  std::optional<std::set<size_t>> indices;
  std::optional<uint8_t> epoch;
  std::optional<Flip> flip;
  bool flip_all = false;
  std::optional<size_t> flip_sample;
  uint64_t seed = 1;
  std::optional<uint16_t> dport;
  std::optional<uint64_t> rpc_id;
  bool reverse = false, shuffle = false, dry_run = false;
  uint64_t repeat = 1, delay_ms = 0, gap_us = 0;
};

// A raw socket per (family, source address), bound to that address.
class Senders {
 public:
  explicit Senders(int proto) : proto_(proto) {}
  Senders(const Senders&) = delete;
  Senders& operator=(const Senders&) = delete;

  // Sends one datagram; false (errno set) on failure.
  bool send(const Captured& c, const std::vector<uint8_t>& bytes) {
    int fd = socket_for(c);
    sockaddr_storage to{};
    socklen_t len;
    fill(c.family, c.dst, to, len);
    for (;;) {
      if (sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&to), len) >= 0)
        return true;
      if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) return false;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }

 private:
  static void fill(int family, const in6_addr& a, sockaddr_storage& ss, socklen_t& len) {
    if (family == AF_INET) {
      auto* s = reinterpret_cast<sockaddr_in*>(&ss);
      s->sin_family = AF_INET;
      std::memcpy(&s->sin_addr, &a, 4);
      len = sizeof(*s);
    } else {
      auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
      s->sin6_family = AF_INET6;
      s->sin6_addr = a;
      len = sizeof(*s);
    }
  }

  int socket_for(const Captured& c) {
    std::string key = std::to_string(c.family) + "/" + address_string(c.family, c.src);
    if (auto it = fds_.find(key); it != fds_.end()) return it->second.get();
    sdp::UniqueFd owned(socket(c.family, SOCK_RAW, proto_));
    if (!owned)
      throw std::system_error(errno, std::generic_category(),
                              "socket(SOCK_RAW) (needs CAP_NET_RAW)");
    int fd = owned.get();
    fds_[key] = std::move(owned);
    // Let the kernel fragment datagrams larger than the MTU (GSO segments).
    int dont = c.family == AF_INET ? IP_PMTUDISC_DONT : IPV6_PMTUDISC_DONT;
    if (c.family == AF_INET ? setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &dont, sizeof(dont))
                            : setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &dont, sizeof(dont)))
      throw std::system_error(errno, std::generic_category(), "setsockopt(MTU_DISCOVER)");
    sockaddr_storage ss{};
    socklen_t len;
    fill(c.family, c.src, ss, len);
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0)
      throw std::system_error(errno, std::generic_category(),
                              "bind to the captured source address " +
                                  address_string(c.family, c.src) +
                                  " (run sdp-replay in the network namespace that owns it)");
    return fd;
  }

  int proto_;
  std::map<std::string, sdp::UniqueFd> fds_;
};

std::vector<Captured> select(std::vector<Captured> all, const Options& o) {
  std::vector<Captured> v;
  for (auto& c : all) {
    Summary s = summarize(c.sdp);
    if (o.src && !o.src->matches(c, c.src)) continue;
    if (o.dst && !o.dst->matches(c, c.dst)) continue;
    if (!o.types.empty() && !o.types.count(s.type)) continue;
    if (o.indices && !o.indices->count(c.index)) continue;
    if (o.epoch && s.epoch != *o.epoch) continue;
    v.push_back(std::move(c));
  }
  return v;
}

int run_send(const Options& o) {
  std::vector<Captured> sel = select(read_pcap(o.pcap, o.proto), o);
  if (o.reverse) std::reverse(sel.begin(), sel.end());
  if (o.shuffle) std::shuffle(sel.begin(), sel.end(), std::mt19937_64(o.seed));
  if (o.delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(o.delay_ms));
  Senders senders(o.proto);
  std::map<std::string, uint64_t> by_type;
  uint64_t sent = 0, bytes = 0;
  auto emit = [&](const Captured& c, std::vector<uint8_t> b) {
    if (o.dport) set_dport(b, *o.dport);
    if (o.rpc_id) set_rpc_id(b, *o.rpc_id);
    if (!o.dry_run) {
      if (!senders.send(c, b))
        throw std::system_error(errno, std::generic_category(),
                                "sendto " + address_string(c.family, c.dst) + " (" +
                                    std::to_string(b.size()) + " bytes)");
      if (o.gap_us) std::this_thread::sleep_for(std::chrono::microseconds(o.gap_us));
    }
    by_type[type_name(summarize(c.sdp).type)]++;
    sent++;
    bytes += b.size();
  };
  for (uint64_t r = 0; r < o.repeat; r++) {
    for (const auto& c : sel) {
      if (o.flip) {
        emit(c, flipped(c.sdp, *o.flip));
      } else if (o.flip_all || o.flip_sample) {
        auto flips = o.flip_all ? all_flips(c.sdp.size())
                                : sample_flips(c.sdp, *o.flip_sample, o.seed + c.index);
        for (Flip f : flips) emit(c, flipped(c.sdp, f));
      } else {
        emit(c, c.sdp);
      }
    }
  }
  sdp::JsonObject types;
  for (auto& [k, v] : by_type) types.num(k, v);
  sdp::JsonObject j;
  j.num("selected", sel.size()).num("sent", sent).num("bytes", bytes).raw("by_type", types.str());
  std::puts(j.str().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  Options o;
  int flip_modes = 0;
  bool flip_all = false;
  auto addr = [](std::optional<AddrFilter>& out) {
    return [&out](const std::string& v) { out = parse_addr(v); };
  };
  sdp::OptionParser p("sdp-replay", kHeader, kFooter);
  p.value("--src", "ADDR", "select: captured source address", addr(o.src))
      .value("--dst", "ADDR", "select: captured destination address", addr(o.dst))
      .value("--type", "LIST",
             "select: types, comma separated: DATA,GRANT,RESEND,UNKNOWN,\nBUSY,NEED_ACK,ACK",
             [&](const std::string& list) {
               for (const auto& t : sdp::split_list(list)) {
                 int v = type_from_name(t);
                 if (v < 0) throw sdp::UsageError("unknown packet type '" + t + "'");
                 o.types.insert(v);
               }
             })
      .value("--index", "LIST", "select: indices as printed by list: 3,7,10-12",
             [&](const std::string& v) { o.indices = parse_indices(v); })
      .value("--epoch", "N", "select: common header epoch",
             [&](const std::string& v) {
               o.epoch = static_cast<uint8_t>(sdp::OptionParser::number_in("--epoch", v, 0, 255));
             })
      .value("--flip", "BYTE:BIT",
             "flip one bit: BYTE counts from the first byte of the SDP\nheader, BIT 0 is the least "
             "significant (0x01)",
             [&](const std::string& v) {
               o.flip = parse_flip(v);
               flip_modes++;
             })
      .flag(
          "--flip-all",
          "for each selected packet, send every single-bit variant\nof its SDP bytes (8 per byte) "
          "and not the packet itself",
          flip_all)
      .value(
          "--flip-sample", "N",
          "like --flip-all for control packets; for DATA packets\nevery bit of the header, of each "
          "record's TLS header,\nexplicit nonce, framing header and tag, and N more\npayload bits "
          "drawn with --seed",
          [&](const std::string& v) {
            o.flip_sample = sdp::OptionParser::number_in("--flip-sample", v, 0, 1u << 24);
            flip_modes++;
          })
      .number("--seed", "N", "seed of --flip-sample and --shuffle (default 1)", o.seed, 0,
              UINT64_MAX)
      .value("--dport", "N", "rewrite the destination port (to hit another socket)",
             [&](const std::string& v) {
               o.dport =
                   static_cast<uint16_t>(sdp::OptionParser::number_in("--dport", v, 1, 65535));
             })
      .value("--rpc-id", "N", "rewrite the RPC id (to aim at a live RPC)",
             [&](const std::string& v) {
               o.rpc_id = sdp::OptionParser::number_in("--rpc-id", v, 0, UINT64_MAX);
             })
      .flag("--reverse", "send the selected packets in reverse capture order", o.reverse)
      .flag("--shuffle", "send them in an order drawn with --seed", o.shuffle)
      .number("--repeat", "N", "send the whole selection N times (default 1)", o.repeat, 0, 1000000)
      .number("--delay-ms", "N", "wait N ms before sending", o.delay_ms, 0, 3600000)
      .number("--gap-us", "N",
              "wait N us after each packet (default 0: a full socket\nbuffer makes sdp-replay wait "
              "and retry, never drop)",
              o.gap_us, 0, 10000000)
      .number("--proto", "N",
              "IP protocol of SDP (default: the loaded module's\nip_proto, else 253)", o.proto, 1,
              255)
      .flag("--dry-run", "select and count, send nothing", o.dry_run);
  std::vector<std::string> rest = p.parse_modes_or_exit(args);
  if (rest.empty()) usage_error("no mode given (list or send)");
  std::string mode = rest[0];
  if (mode != "list" && mode != "send") usage_error("unknown mode '" + mode + "'");
  if (rest.size() < 2) usage_error(mode + " needs a capture file");
  if (rest.size() > 2) usage_error("unexpected argument '" + rest[2] + "'");
  o.pcap = rest[1];
  if (flip_all) {
    o.flip_all = true;
    flip_modes++;
  }
  if (mode == "list") {
    // list takes only --proto.
    if (flip_modes || o.src || o.dst || !o.types.empty() || o.indices || o.epoch || o.dport ||
        o.rpc_id || o.reverse || o.shuffle || o.dry_run || o.repeat != 1 || o.delay_ms ||
        o.gap_us || o.seed != 1)
      usage_error("list takes only --proto");
  }
  if (flip_modes > 1) usage_error("--flip, --flip-all and --flip-sample exclude each other");
  if (o.reverse && o.shuffle) usage_error("--reverse and --shuffle exclude each other");
  if (!o.proto) o.proto = sdp::ip_protocol();
  try {
    if (mode == "list") {
      for (const auto& c : read_pcap(o.pcap, o.proto))
        std::printf("%s\n", describe_json(c).c_str());
      return 0;
    }
    return run_send(o);
  } catch (const std::exception& e) {
    std::cerr << "sdp-replay: " << e.what() << "\n";
    return 1;
  }
}
