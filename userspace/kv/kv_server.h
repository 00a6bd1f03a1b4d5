// SPDX-License-Identifier: MIT
// The sdp-kv server: one Store served over TCP (plain RESP, like Redis),
// kTLS (RESP over TCP + tls.ko after the key exchange of kv_session.h) and
// SDP (one socket for every client; one command per request message, its
// reply the response). One epoll loop per thread; TCP listeners per thread
// with SO_REUSEPORT; the SDP socket is shared (EPOLLEXCLUSIVE).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "resp.h"
#include "sdp_net.h"
#include "store.h"

namespace kv {

struct ServerOptions {
  std::string bind = "0.0.0.0";
  uint16_t tcp_port = 6379;  // 0: off
  uint16_t tls_port = 6380;  // 0: off (needs a key file)
  uint16_t sdp_port = 6381;  // SDP socket and its key-exchange TCP listener; 0: off
  int threads = 1;
  size_t max_clients = 10000;       // TCP + kTLS connections and SDP key sessions
  size_t max_output = 64ULL << 20;  // per connection: stop reading while more is unsent
  bool allow_plaintext = false;     // SDP: serve peers without keys although key files are given
  resp::Limits limits;
  Store::Limits store;
  sdp::KeyRing keys;
};

struct ServerCounters {
  std::atomic<uint64_t> commands{0}, error_replies{0}, protocol_errors{0};
  std::atomic<uint64_t> connections{0}, rejected{0}, sdp_requests{0}, sdp_send_failures{0};
  std::atomic<uint64_t> sdp_sessions{0}, tls_sessions{0}, handshake_failures{0};
};

// Runs until stop becomes true (checked at least every 200 ms).
void run_server(const ServerOptions& o, Store& store, ServerCounters& counters, const std::atomic<bool>& stop);

}  // namespace kv
