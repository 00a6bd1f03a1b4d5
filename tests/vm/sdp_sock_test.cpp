// SPDX-License-Identifier: MIT
// sdp-sock-test: the helper of tests/vm/t-sock-*.sh.
//
//   sdp-sock-test bindloop ADDR PORT SECONDS
//       socket/bind(ADDR:PORT)/close as fast as possible for SECONDS; each
//       bound socket waits up to 1 ms for a message. Prints {"binds":N,"busy":N}.
//   sdp-sock-test flood DST PORT SECONDS
//       raw socket: plaintext one-packet requests (fresh RPC ids) to
//       DST:PORT for SECONDS. Prints {"sent":N}. Needs CAP_NET_RAW.
//   sdp-sock-test bind ADDR PORT
//       bind once; prints {"errno":N} (0: bound) and exits 0.
//   sdp-sock-test hold ADDR PORT SECONDS
//       bind and never read for SECONDS; prints the socket's
//       SDP_RPC_STATS then: {"ready_msgs":N,"server_rpcs":N}.
//   sdp-sock-test keys FAMILY
//       a socket with one transmit key; then 100 key installs that the
//       kernel must refuse (a key already installed, for other peers);
//       prints {"refused":N,"keyed_peers":N} (keyed_peers from
//       SDP_RPC_STATS: peers with keys).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "json.h"
#include "sdp_codec.h"
#include "sdp_socket.h"
#include "unique_fd.h"

namespace {

using Clock = std::chrono::steady_clock;

sdp::Address addr_of(const char* host, const char* port) {
  return sdp::Address::parse(host, static_cast<uint16_t>(std::atoi(port)));
}

Clock::time_point deadline(const char* seconds) {
  return Clock::now() + std::chrono::seconds(std::atoi(seconds));
}

int bindloop(const sdp::Address& a, const char* seconds) {
  auto end = deadline(seconds);
  unsigned long long binds = 0, busy = 0;
  while (Clock::now() < end) {
    sdp::UniqueFd fd(::socket(a.family(), SOCK_DGRAM, sdp::ip_protocol()));
    if (!fd) {
      std::perror("socket");
      return 1;
    }
    if (::bind(fd.get(), a.sa(), a.length) == 0) {
      binds++;
      pollfd p{fd.get(), POLLIN, 0};
      ::poll(&p, 1, binds % 4 ? 0 : 1);
    } else if (errno == EADDRINUSE) {
      busy++;
    } else {
      std::perror("bind");
      return 1;
    }
  }
  std::puts(sdp::JsonObject().num("binds", binds).num("busy", busy).str().c_str());
  return 0;
}

int flood(const sdp::Address& dst, const char* seconds) {
  sdp::UniqueFd raw(::socket(dst.family(), SOCK_RAW, sdp::ip_protocol()));
  int fd = raw.get();
  if (!raw) {
    std::perror("socket(SOCK_RAW)");
    return 1;
  }
  std::mt19937_64 rng(std::random_device{}());
  auto end = deadline(seconds);
  sdp::Address to = dst;
  // A raw socket takes the address without a port.
  if (to.family() == AF_INET)
    reinterpret_cast<sockaddr_in*>(&to.storage)->sin_port = 0;
  else
    reinterpret_cast<sockaddr_in6*>(&to.storage)->sin6_port = 0;
  unsigned long long sent = 0;
  std::vector<uint8_t> p(sizeof(sdp_data_hdr) + 64, 0x5a);
  while (Clock::now() < end) {
    auto* d = reinterpret_cast<sdp_data_hdr*>(p.data());
    sdp_build_common(&d->common, SDP_PKT_DATA, static_cast<uint16_t>(40000 + sent % 64), dst.port(),
                     (rng() >> 2) | 1, 0, 0, 0);
    d->msg_len = htonl(64);
    d->incoming = htonl(64);
    d->rec_plain = 0;
    d->reserved1 = d->reserved2 = 0;
    if (::sendto(fd, p.data(), p.size(), 0, to.sa(), to.length) < 0) {
      if (errno == ENOBUFS || errno == EAGAIN) {
        usleep(100);
        continue;
      }
      std::perror("sendto");
      return 1;
    }
    sent++;
  }
  std::puts(sdp::JsonObject().num("sent", sent).str().c_str());
  return 0;
}

int bind_once(const sdp::Address& a) {
  sdp::UniqueFd fd(::socket(a.family(), SOCK_DGRAM, sdp::ip_protocol()));
  if (!fd) {
    std::perror("socket");
    return 1;
  }
  int err = ::bind(fd.get(), a.sa(), a.length) ? errno : 0;
  std::puts(sdp::JsonObject().num("errno", err).str().c_str());
  return 0;
}

int hold(const sdp::Address& a, const char* seconds) {
  sdp::Socket s(a.family());
  s.bind(a);
  std::fflush(stdout);
  ::sleep(static_cast<unsigned>(std::atoi(seconds)));
  auto st = s.stats();
  std::puts(sdp::JsonObject()
                .num("ready_msgs", st.ready_msgs)
                .num("server_rpcs", st.server_rpcs)
                .str()
                .c_str());
  return 0;
}

int keys(int family) {
  sdp::Socket s(family);
  auto peer = [&](uint16_t port) {
    return sdp::Address::parse(family == AF_INET6 ? "fd77::2" : "10.77.0.2", port);
  };
  auto set = [&](int opt, const sdp::Address& p, uint8_t fill) {
    sdp_key k{};
    std::memcpy(&k.peer, &p.storage, sizeof(k.peer));
    k.cipher = SDP_CIPHER_AES_GCM_128;
    k.epoch = 1;
    std::memset(k.key, fill, 16);
    std::memset(k.salt, fill, 4);
    return ::setsockopt(s.fd(), SOL_SDP, opt, &k, sizeof(k)) ? errno : 0;
  };
  if (int e = set(SDP_TX_KEY, peer(7000), 0x11)) {
    std::fprintf(stderr, "first key install failed: %s\n", std::strerror(e));
    return 1;
  }
  unsigned refused = 0;
  for (uint16_t i = 0; i < 100; i++)
    if (set(i % 2 ? SDP_RX_KEY : SDP_TX_KEY, peer(static_cast<uint16_t>(7001 + i)), 0x11) == EINVAL) refused++;
  auto st = s.stats();
  std::puts(
      sdp::JsonObject().num("refused", refused).num("keyed_peers", st.keyed_peers).str().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  try {
    if (cmd == "bindloop" && argc == 5) return bindloop(addr_of(argv[2], argv[3]), argv[4]);
    if (cmd == "flood" && argc == 5) return flood(addr_of(argv[2], argv[3]), argv[4]);
    if (cmd == "bind" && argc == 4) return bind_once(addr_of(argv[2], argv[3]));
    if (cmd == "hold" && argc == 5) return hold(addr_of(argv[2], argv[3]), argv[4]);
    if (cmd == "keys" && argc == 3) return keys(std::string(argv[2]) == "6" ? AF_INET6 : AF_INET);
  } catch (const std::exception& e) {
    std::cerr << "sdp-sock-test: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: see tests/vm/sdp_sock_test.cpp\n";
  return 2;
}
