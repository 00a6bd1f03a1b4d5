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

#include "sdp_replay_lib.h"
#include "sdp_socket.h"

namespace {

using namespace sdp::replay;

constexpr const char* kUsage = R"(NAME
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

SELECTION (all given must match)
    --src ADDR      captured source address
    --dst ADDR      captured destination address
    --type LIST     types, comma separated: DATA,GRANT,RESEND,UNKNOWN,BUSY,
                    NEED_ACK,ACK
    --index LIST    indices as printed by list: 3,7,10-12
    --epoch N       common header epoch

MUTATION (default: none, packets go out as captured)
    --flip BYTE:BIT flip one bit: BYTE counts from the first byte of the
                    SDP header, BIT 0 is the least significant (0x01)
    --flip-all      for each selected packet, send every single-bit variant
                    of its SDP bytes (8 per byte) and not the packet itself
    --flip-sample N like --flip-all for control packets; for DATA packets
                    every bit of the header, of each record's TLS header,
                    explicit nonce, framing header and tag, and N more
                    payload bits drawn with --seed
    --seed N        seed of --flip-sample and --shuffle (default 1)
    --dport N       rewrite the destination port (to hit another socket)
    --rpc-id N      rewrite the RPC id (to aim at a live RPC)

ORDER AND TIMING
    --reverse       send the selected packets in reverse capture order
    --shuffle       send them in an order drawn with --seed
    --repeat N      send the whole selection N times (default 1)
    --delay-ms N    wait N ms before sending
    --gap-us N      wait N us after each packet (default 0: a full socket
                    buffer makes sdp-replay wait and retry, never drop)

OTHER
    --proto N       IP protocol of SDP (default: the loaded module's
                    ip_proto, else 253)
    --dry-run       select and count, send nothing

    Exit status: 0 when everything selected was sent, 1 on a send or
    capture error, 2 on bad usage. Needs CAP_NET_RAW.

EXAMPLES
    ip netns exec sdpb sdp-replay list cap.pcap
    ip netns exec sdpb sdp-replay send cap.pcap --src 10.77.0.2 --type GRANT --flip-all
    ip netns exec sdpb sdp-replay send cap.pcap --src 10.77.0.2 --shuffle --dport 5001
)";

[[noreturn]] void usage_error(const std::string& msg) {
  std::cerr << "sdp-replay: " << msg << "\nTry 'sdp-replay --help'.\n";
  std::exit(2);
}

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
    std::string item = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
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
  if (inet_pton(AF_INET, s.c_str(), &f.addr) == 1) f.family = AF_INET;
  else if (inet_pton(AF_INET6, s.c_str(), &f.addr) == 1) f.family = AF_INET6;
  else usage_error("bad address '" + s + "'");
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
  ~Senders() {
    for (auto& [k, fd] : fds_) close(fd);
  }

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
    if (auto it = fds_.find(key); it != fds_.end()) return it->second;
    int fd = socket(c.family, SOCK_RAW, proto_);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket(SOCK_RAW) (needs CAP_NET_RAW)");
    fds_[key] = fd;
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
  std::map<std::string, int> fds_;
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
        auto flips = o.flip_all ? all_flips(c.sdp.size()) : sample_flips(c.sdp, *o.flip_sample, o.seed + c.index);
        for (Flip f : flips) emit(c, flipped(c.sdp, f));
      } else {
        emit(c, c.sdp);
      }
    }
  }
  std::printf("{\"selected\":%zu,\"sent\":%llu,\"bytes\":%llu,\"by_type\":{", sel.size(),
              static_cast<unsigned long long>(sent), static_cast<unsigned long long>(bytes));
  bool first = true;
  for (auto& [k, v] : by_type) {
    std::printf("%s\"%s\":%llu", first ? "" : ",", k.c_str(), static_cast<unsigned long long>(v));
    first = false;
  }
  std::printf("}}\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  std::string mode = args[0];
  if (mode != "list" && mode != "send") usage_error("unknown mode '" + mode + "'");
  Options o;
  int flip_modes = 0;
  for (size_t i = 1; i < args.size(); i++) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) usage_error(a + " needs a value");
      return args[++i];
    };
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (a == "--proto") {
      o.proto = static_cast<int>(number(value(), "protocol", 255));
    } else if (mode == "list" && a[0] == '-') {
      usage_error("list takes only --proto");
    } else if (a == "--src") {
      o.src = parse_addr(value());
    } else if (a == "--dst") {
      o.dst = parse_addr(value());
    } else if (a == "--type") {
      const std::string& list = value();
      size_t pos = 0;
      for (;;) {
        size_t comma = list.find(',', pos);
        std::string t = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        int v = type_from_name(t);
        if (v < 0) usage_error("unknown packet type '" + t + "'");
        o.types.insert(v);
        if (comma == std::string::npos) break;
        pos = comma + 1;
      }
    } else if (a == "--index") {
      o.indices = parse_indices(value());
    } else if (a == "--epoch") {
      o.epoch = static_cast<uint8_t>(number(value(), "epoch", 255));
    } else if (a == "--flip") {
      try {
        o.flip = parse_flip(value());
      } catch (const std::invalid_argument& e) {
        usage_error(e.what());
      }
      flip_modes++;
    } else if (a == "--flip-all") {
      o.flip_all = true;
      flip_modes++;
    } else if (a == "--flip-sample") {
      o.flip_sample = number(value(), "sample size", 1u << 24);
      flip_modes++;
    } else if (a == "--seed") {
      o.seed = number(value(), "seed", UINT64_MAX);
    } else if (a == "--dport") {
      uint64_t p = number(value(), "port", 65535);
      if (!p) usage_error("--dport must be 1..65535");
      o.dport = static_cast<uint16_t>(p);
    } else if (a == "--rpc-id") {
      o.rpc_id = number(value(), "RPC id", UINT64_MAX);
    } else if (a == "--reverse") {
      o.reverse = true;
    } else if (a == "--shuffle") {
      o.shuffle = true;
    } else if (a == "--repeat") {
      o.repeat = number(value(), "repeat count", 1000000);
    } else if (a == "--delay-ms") {
      o.delay_ms = number(value(), "delay", 3600000);
    } else if (a == "--gap-us") {
      o.gap_us = number(value(), "gap", 10000000);
    } else if (a == "--dry-run") {
      o.dry_run = true;
    } else if (a[0] == '-' || !o.pcap.empty()) {
      usage_error("unknown option '" + a + "'");
    } else {
      o.pcap = a;
    }
  }
  if (o.pcap.empty()) usage_error(mode + " needs a capture file");
  if (flip_modes > 1) usage_error("--flip, --flip-all and --flip-sample exclude each other");
  if (o.reverse && o.shuffle) usage_error("--reverse and --shuffle exclude each other");
  if (!o.proto) o.proto = sdp::ip_protocol();
  try {
    if (mode == "list") {
      for (const auto& c : read_pcap(o.pcap, o.proto)) std::printf("%s\n", describe_json(c).c_str());
      return 0;
    }
    return run_send(o);
  } catch (const std::exception& e) {
    std::cerr << "sdp-replay: " << e.what() << "\n";
    return 1;
  }
}
