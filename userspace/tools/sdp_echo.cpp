// SPDX-License-Identifier: MIT
// sdp-echo: request/response echo over SDP, with byte-exact checks.
// Used by the VM tests; see `sdp-echo --help`.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "json.h"
#include "options.h"
#include "pattern.h"
#include "sdp_args.h"
#include "sdp_socket.h"

namespace {

constexpr const char* kHeader = R"(NAME
    sdp-echo - SDP request/response echo server and checking client

SYNOPSIS
    sdp-echo server [--port N] [--bind ADDR] [-6] [--count N] [--threads N]
    sdp-echo client --server ADDR [--port N] [--sizes LIST] [--count N]
                    [--concurrency N] [--sockets N] [--until-error]

DESCRIPTION
    server  answers every request with its own bytes. It remembers every
            (client address, port, RPC id) it has seen and counts a request
            delivered twice as a duplicate. Stops after --count requests
            (default: never) or on SIGINT/SIGTERM, then prints one JSON line
            {"requests":..,"duplicates":..,"bytes":..}. Exit status 1 if any
            duplicate was seen.

    client  sends --count RPCs (default 100) cycling through --sizes (bytes,
            comma separated, suffixes K and M; default 1,100,1400,1500,65536,
            1048576), keeping --concurrency RPCs (default 1) in flight on each
            of --sockets sockets (default 1, one thread each). Every request
            carries a pattern derived from its cookie; the response must be
            byte-identical, arrive exactly once, and carry the request's
            cookie. Prints one JSON line with counts and exits 0 only if every
            RPC completed exactly once with the right content.

    --until-error
            client: send RPCs one at a time until one fails; succeed (exit 0)
            only if the failure is ETIMEDOUT. Prints the time from the last
            successful RPC to the failure ("ms_to_error").
)";

constexpr const char* kFooter = R"(PATTERN
    sdp-echo pattern COOKIE LEN
            print, in hex, the request bytes the client sends for COOKIE
            (used by tests that look for plaintext in captures)

EXAMPLES
    sdp-echo server --port 5000 &
    sdp-echo client --server 10.77.0.1 --sizes 1,64K --count 1000 --concurrency 50
)";

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop = true; }

[[noreturn]] void usage_error(const std::string& msg) { sdp::usage_error("sdp-echo", msg); }

uint64_t parse_number(const std::string& s, const char* what) {
  try {
    return sdp::parse_size(s, what);
  } catch (const std::invalid_argument& e) {
    usage_error(e.what());
  }
}

// The bytes of request `cookie`: distinct per cookie and per position.
void fill_pattern(std::vector<std::byte>& buf, size_t len, uint64_t cookie) {
  buf.resize(len);
  sdp::fill_pattern(buf, cookie);
}

struct Options {
  uint16_t port = 5000;
  std::string bind_addr;
  std::string server;
  bool ipv6 = false;
  uint64_t count = 0;
  bool count_set = false;
  unsigned threads = 1;
  unsigned concurrency = 1;
  unsigned sockets = 1;
  bool until_error = false;
  std::string key_file;
  std::vector<std::string> peers;
  uint16_t local_port = 0;
  std::vector<size_t> sizes{1, 100, 1400, 1500, 65536, 1048576};
};

sdp::Address parse_peer(const std::string& s) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon + 1 >= s.size())
    usage_error("bad peer '" + s + "' (ADDR:PORT)");
  uint64_t port = parse_number(s.substr(colon + 1), "port");
  if (!port || port > 65535) usage_error("bad port in '" + s + "'");
  return sdp::Address::parse(s.substr(0, colon), static_cast<uint16_t>(port));
}

int run_server(const Options& o) {
  sdp::Address local = o.bind_addr.empty() ? sdp::Address::any(o.ipv6 ? AF_INET6 : AF_INET, o.port)
                                           : sdp::Address::parse(o.bind_addr, o.port);
  sdp::Socket sock(local.family());
  // Keys before bind: no request can arrive before its key is installed.
  if (!o.key_file.empty()) {
    auto km = sdp::KeyMaterial::load(o.key_file);
    if (o.peers.empty()) usage_error("--key-file on the server needs --peer ADDR:PORT");
    for (const auto& p : o.peers) sock.install_keys(parse_peer(p), km, sdp::Role::server);
  }
  sock.bind(local);
  sock.set_receive_timeout_ms(200);

  std::mutex mu;
  std::set<std::tuple<std::string, uint64_t>> seen;
  std::atomic<uint64_t> requests{0}, duplicates{0}, bytes{0};

  auto worker = [&] {
    std::vector<std::byte> buf(SDP_MAX_MESSAGE_LEN);
    while (!g_stop && (!o.count_set || requests < o.count)) {
      auto m = sock.receive(buf);
      if (m.shut_down()) break;
      if (!m || !m->is_request) continue;  // timeout (to check g_stop) or signal
      {
        std::lock_guard lock(mu);
        if (!seen.emplace(m->peer.to_string(), m->rpc_id).second) {
          duplicates++;
          std::cerr << "sdp-echo: duplicate request " << m->rpc_id << " from "
                    << m->peer.to_string() << "\n";
        }
      }
      requests++;
      bytes += m->length;
      sock.send_response(m->peer, m->rpc_id, std::span(buf.data(), m->length));
    }
  };
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < o.threads; i++) threads.emplace_back(worker);
  worker();
  g_stop = true;
  for (auto& t : threads) t.join();
  sdp::JsonObject j;
  j.num("requests", requests.load())
      .num("duplicates", duplicates.load())
      .num("bytes", bytes.load());
  std::puts(j.str().c_str());
  return duplicates ? 1 : 0;
}

// Client socket, bound to --local-port (+ index) and keyed if asked.
sdp::Socket client_sock(const Options& o, const sdp::Address& server, unsigned index) {
  sdp::Socket sock(server.family());
  if (o.local_port)
    sock.bind(sdp::Address::any(server.family(), static_cast<uint16_t>(o.local_port + index)));
  if (!o.key_file.empty())
    sock.install_keys(server, sdp::KeyMaterial::load(o.key_file), sdp::Role::client);
  return sock;
}

struct ClientResult {
  uint64_t ok = 0, failed = 0, mismatched = 0, duplicates = 0, timeouts = 0;
};

// One socket: `count` RPCs with cookies base..base+count-1.
ClientResult client_socket(const Options& o, const sdp::Address& server, uint64_t base,
                           uint64_t count, unsigned index) {
  ClientResult r;
  sdp::Socket sock = client_sock(o, server, index);
  sock.set_receive_timeout_ms(30000);
  size_t max_size = *std::max_element(o.sizes.begin(), o.sizes.end());
  std::vector<std::byte> req, expect, buf(max_size + 1);
  std::vector<uint8_t> state(count, 0);  // 0 unsent, 1 in flight, 2 done
  uint64_t sent = 0, done = 0, inflight = 0;

  while (done < count) {
    while (inflight < o.concurrency && sent < count) {
      uint64_t cookie = base + sent;
      fill_pattern(req, o.sizes[cookie % o.sizes.size()], cookie);
      sock.send_request(server, req, cookie);
      state[sent++] = 1;
      inflight++;
    }
    auto m = sock.receive(buf);
    if (m.interrupted()) continue;
    if (!m) {
      std::cerr << "sdp-echo: "
                << (m.would_block() ? "no response within 30 s" : m.error().message()) << " ("
                << inflight << " in flight)\n";
      r.failed += inflight;
      break;
    }
    if (m->is_request || m->cookie < base || m->cookie >= base + count ||
        state[m->cookie - base] != 1) {
      r.duplicates++;
      std::cerr << "sdp-echo: unexpected response, cookie " << m->cookie << "\n";
      continue;
    }
    state[m->cookie - base] = 2;
    inflight--;
    done++;
    if (m->error) {
      r.failed++;
      if (m->error == ETIMEDOUT) r.timeouts++;
      std::cerr << "sdp-echo: RPC " << m->rpc_id << " failed: " << std::strerror(m->error) << "\n";
      continue;
    }
    fill_pattern(expect, o.sizes[m->cookie % o.sizes.size()], m->cookie);
    if (m->truncated || m->length != expect.size() ||
        !std::equal(expect.begin(), expect.end(), buf.begin())) {
      r.mismatched++;
      std::cerr << "sdp-echo: RPC " << m->rpc_id << " response differs (got " << m->length
                << " bytes, expected " << expect.size() << ")\n";
      continue;
    }
    r.ok++;
  }
  return r;
}

int run_until_error(const Options& o, const sdp::Address& server) {
  sdp::Socket sock = client_sock(o, server, 0);
  std::vector<std::byte> req, buf(o.sizes.front() + 1);
  auto last_ok = std::chrono::steady_clock::now();
  uint64_t completed = 0;
  for (uint64_t cookie = 1;; cookie++) {
    fill_pattern(req, o.sizes.front(), cookie);
    sock.send_request(server, req, cookie);
    auto m = sock.receive(buf);
    auto now = std::chrono::steady_clock::now();
    if (m.shut_down()) m.value();  // throws
    if (!m) continue;
    if (m->error) {
      double ms = std::chrono::duration<double, std::milli>(now - last_ok).count();
      sdp::JsonObject j;
      j.num("completed", completed)
          .str("error", std::strerror(m->error))
          .fixed("ms_to_error", ms, 1);
      std::puts(j.str().c_str());
      return m->error == ETIMEDOUT ? 0 : 1;
    }
    completed++;
    last_ok = now;
  }
}

int run_client(const Options& o) {
  if (o.server.empty()) usage_error("client needs --server ADDR");
  sdp::Address server = sdp::Address::parse(o.server, o.port);
  if (o.until_error) return run_until_error(o, server);
  if (!o.key_file.empty() && o.sockets > 1)
    usage_error("--key-file with --sockets " + std::to_string(o.sockets) +
                " would install one transmit key on several sockets, whose "
                "message ids all start "
                "at 0: every nonce would repeat. Use one key file per socket "
                "(one client per file).");
  uint64_t count = o.count_set ? o.count : 100;
  uint64_t per_socket = count / o.sockets, extra = count % o.sockets;
  std::vector<ClientResult> results(o.sockets);
  std::vector<std::thread> threads;
  auto start = std::chrono::steady_clock::now();
  uint64_t base = 1;
  for (unsigned i = 0; i < o.sockets; i++) {
    uint64_t n = per_socket + (i < extra ? 1 : 0);
    threads.emplace_back([&, i, base, n] {
      try {
        results[i] = client_socket(o, server, base, n, i);
      } catch (const std::exception& e) {
        std::cerr << "sdp-echo: " << e.what() << "\n";
        results[i].failed = n;
      }
    });
    base += n;
  }
  for (auto& t : threads) t.join();
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  ClientResult total;
  for (auto& r : results) {
    total.ok += r.ok;
    total.failed += r.failed;
    total.mismatched += r.mismatched;
    total.duplicates += r.duplicates;
    total.timeouts += r.timeouts;
  }
  sdp::JsonObject j;
  j.num("rpcs", count)
      .num("ok", total.ok)
      .num("failed", total.failed)
      .num("timeouts", total.timeouts);
  j.num("mismatched", total.mismatched)
      .num("duplicates", total.duplicates)
      .fixed("elapsed_ms", ms, 1);
  std::puts(j.str().c_str());
  return total.ok == count && !total.duplicates ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  Options o;
  std::string sizes;
  sdp::OptionParser p("sdp-echo", kHeader, kFooter);
  p.number("--port", "N", "server port (default 5000)", o.port, 1, 65535)
      .string("--bind", "ADDR", "server address to bind (default any; -6 for IPv6 any)",
              o.bind_addr)
      .flag("-6", "server: use an IPv6 socket", o.ipv6)
      .number("--threads", "N", "server threads sharing the socket (default 1)", o.threads, 1, 1024)
      .string("--server", "ADDR", "client: the server's address", o.server)
      .value("--count", "N", "server: stop after N requests; client: RPCs to send (default 100)",
             [&](const std::string& v) {
               o.count = sdp::OptionParser::number_in("--count", v, 0, UINT64_MAX);
               o.count_set = true;
             })
      .number("--concurrency", "N", "client: RPCs in flight per socket (default 1)", o.concurrency,
              1, 1u << 20)
      .number("--sockets", "N", "client: sockets, one thread each (default 1)", o.sockets, 1, 1024)
      .string("--sizes", "LIST", "client: message sizes, comma separated, suffixes K and M", sizes)
      .string("--key-file", "F",
              "encrypt: keys from file F (sdpctl genkey writes one;\nformat: "
              "libsdp sdp_socket.h "
              "KeyMaterial); never give keys on argv",
              o.key_file)
      .strings("--peer", "A:P",
               "server with --key-file: the client the keys are "
               "for\n(repeatable; IPv6 as [addr]:port)",
               o.peers)
      .number("--local-port", "N", "client: bind this port (with --sockets, N, N+1, ...)",
              o.local_port, 1, 65535)
      .flag("--until-error", "client: one RPC at a time until one fails (see above)",
            o.until_error);
  std::vector<std::string> rest = p.parse_modes_or_exit(args);
  if (rest.empty()) usage_error("no mode given (server, client or pattern)");
  std::string mode = rest[0];
  if (mode == "pattern") {
    if (rest.size() != 3) usage_error("pattern needs COOKIE LEN");
    std::vector<std::byte> pat;
    fill_pattern(pat, parse_number(rest[2], "length"), parse_number(rest[1], "cookie"));
    for (std::byte b : pat) std::printf("%02x", static_cast<unsigned>(b));
    std::printf("\n");
    return 0;
  }
  if (mode != "server" && mode != "client") usage_error("unknown mode '" + mode + "'");
  if (rest.size() > 1) usage_error("unexpected argument '" + rest[1] + "'");
  if (!sizes.empty()) {
    try {
      o.sizes = sdp::parse_size_list(sizes);
    } catch (const std::invalid_argument& e) {
      usage_error(e.what());
    }
    for (size_t s : o.sizes)
      if (s > SDP_MAX_MESSAGE_LEN) usage_error("size " + std::to_string(s) + " too large");
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  try {
    return mode == "server" ? run_server(o) : run_client(o);
  } catch (const std::exception& e) {
    std::cerr << "sdp-echo: " << e.what() << "\n";
    return 1;
  }
}
