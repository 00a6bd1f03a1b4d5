// SPDX-License-Identifier: MIT
// sdp-kv: a key-value server speaking a subset of RESP over SDP, TCP and
// kTLS, and a one-command client (like redis-cli).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "kv_client.h"
#include "kv_server.h"
#include "sdp_args.h"

namespace {

constexpr const char* kUsage = R"(NAME
    sdp-kv - key-value server (a subset of Redis's RESP) over SDP, TCP and kTLS

SYNOPSIS
    sdp-kv server [--bind ADDR] [--tcp-port N] [--tls-port N] [--sdp-port N]
                  [--key-file F]... [--allow-plaintext] [--threads N]
                  [--max-memory SIZE] [--max-value SIZE] [--max-key SIZE]
                  [--max-request SIZE] [--max-clients N] [--max-output SIZE]
    sdp-kv cli --transport T --server ADDR [--port N] [--key-file F]...
                  [--raw FILE] [COMMAND ARG...]

DESCRIPTION
    server  serves one in-memory hash table until SIGINT or SIGTERM, then
            prints a JSON line of counters on stdout. Commands: PING [msg],
            GET key, SET key value, DEL key..., EXISTS key... (Redis's
            replies; anything else is "-ERR unknown command"). Bad input
            gets a RESP error: over TCP and kTLS a protocol error (not RESP,
            a length over a limit) is answered and then the connection
            closes, as Redis does; over SDP every request message is one
            command and the socket goes on serving. A client that vanishes
            mid-request loses only its own partial command.

            TCP    --tcp-port (default 6379): plain RESP, TCP_NODELAY; Redis
                   clients work unchanged.
            kTLS   --tls-port (default 6380): a key exchange (kv_session.h),
                   then RESP over TCP with tls.ko (TLS 1.2 or 1.3 records,
                   AES-GCM of the key file's cipher).
            SDP    --sdp-port (default 6381): one SDP socket for all clients,
                   one command per request message. With --key-file, a TCP
                   listener at the same port number runs the key exchange of
                   each client session and installs that session's keys for
                   the client on the one socket; peers without keys are
                   refused unless --allow-plaintext. Port 0 turns a
                   transport off.

            Keys: every session derives its own keys (HKDF-SHA256) from the
            key file and a random value of each side, so sessions never
            share a key or repeat a nonce. Key files: libsdp's format
            (cipher, epoch, client-to-server and server-to-client key and
            salt), one per cipher; never keys on the command line.

    cli     sends one command (or with --raw the bytes of FILE as one
            request) and prints the reply as redis-cli does: OK, "value",
            (integer) N, (nil), (error) ERR ....

OPTIONS
    --threads N        epoll loops (default 1), each with its own TCP
                       listeners (SO_REUSEPORT) and a share of the SDP socket
    --max-memory SIZE  bound on keys + values + 96 B per entry (default 1G);
                       a SET beyond it is answered "-OOM ..."
    --max-value SIZE   longest value (default 1M); --max-key (default 64K)
    --max-request SIZE longest command with framing (default max-value + 4K)
    --max-clients N    TCP/kTLS connections and SDP key sessions (default 10000)
    --max-output SIZE  unsent replies per connection before the server stops
                       reading from it (default 64M)
    --transport T      cli: tcp, ktls-aes128, ktls-aes256, ktls13-aes128,
                       ktls13-aes256, sdp, sdp-aes128, sdp-aes256
    --port N           cli: the server's port for that transport (default
                       6379 tcp, 6380 ktls*, 6381 sdp*)

EXIT STATUS
    0 success (the cli also when the reply is an error reply), 1 error,
    2 usage.
)";

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

int run_cli(const kv::ClientOptions& o, const std::string& raw_file, const std::vector<std::string>& words) {
  auto c = kv::Connection::open(o);
  kv::OwnedReply r;
  if (!raw_file.empty()) {
    std::ifstream f(raw_file, std::ios::binary);
    if (!f) throw std::runtime_error("cannot read " + raw_file);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    r = c->call_raw(bytes);
  } else {
    std::string req;
    std::vector<std::string_view> argv(words.begin(), words.end());
    kv::resp::append_command(req, argv);
    r = c->call_raw(req);
  }
  std::cout << r.to_string() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string mode = args[0];
  kv::ServerOptions so;
  kv::ClientOptions co;
  std::string transport, raw_file;
  bool port_given = false, max_request_given = false;
  std::vector<std::string> words;
  try {
    sdp::ArgCursor args_cursor(args, 1);
    while (args_cursor.next()) {
      const std::string& a = args_cursor.opt();
      auto value = [&]() -> const std::string& { return args_cursor.value(); };
      auto number = [&](uint64_t lo, uint64_t hi) { return args_cursor.number(lo, hi); };
      if (!words.empty()) {
        words.push_back(a);
      } else if (a == "--help" || a == "-h") {
        std::cout << kUsage;
        return 0;
      } else if (mode == "server" && a == "--bind") {
        so.bind = value();
      } else if (mode == "server" && a == "--tcp-port") {
        so.tcp_port = static_cast<uint16_t>(number(0, 65535));
      } else if (mode == "server" && a == "--tls-port") {
        so.tls_port = static_cast<uint16_t>(number(0, 65535));
      } else if (mode == "server" && a == "--sdp-port") {
        so.sdp_port = static_cast<uint16_t>(number(0, 65535));
      } else if (mode == "server" && a == "--threads") {
        so.threads = static_cast<int>(number(1, 256));
      } else if (mode == "server" && a == "--max-memory") {
        so.store.max_memory = number(1, UINT64_MAX);
      } else if (mode == "server" && a == "--max-value") {
        so.store.max_value = number(1, SDP_MAX_MESSAGE_LEN - 4096);
      } else if (mode == "server" && a == "--max-key") {
        so.store.max_key = number(1, 1 << 20);
      } else if (mode == "server" && a == "--max-request") {
        so.limits.max_request = number(16, SDP_MAX_MESSAGE_LEN);
        max_request_given = true;
      } else if (mode == "server" && a == "--max-clients") {
        so.max_clients = number(1, 1000000);
      } else if (mode == "server" && a == "--max-output") {
        so.max_output = number(4096, UINT64_MAX);
      } else if (mode == "server" && a == "--allow-plaintext") {
        so.allow_plaintext = true;
      } else if (a == "--key-file") {
        so.keys.add(value());
      } else if (mode == "cli" && a == "--transport") {
        transport = value();
      } else if (mode == "cli" && a == "--server") {
        co.host = value();
      } else if (mode == "cli" && a == "--port") {
        co.port = static_cast<uint16_t>(number(1, 65535));
        port_given = true;
      } else if (mode == "cli" && a == "--raw") {
        raw_file = value();
      } else if (mode == "cli" && !a.starts_with("--")) {
        words.push_back(a);
      } else {
        throw std::invalid_argument("unknown option '" + a + "' for " + mode);
      }
    }
    signal(SIGPIPE, SIG_IGN);
    if (mode == "server") {
      if (!so.tcp_port && !so.tls_port && !so.sdp_port) throw std::invalid_argument("every transport is off");
      if (so.keys.empty() && so.tls_port) so.tls_port = 0;  // kTLS needs keys: off without them
      if (!max_request_given) so.limits.max_request = so.store.max_value + so.store.max_key + 4096;
      so.limits.max_bulk = std::max(so.store.max_value, so.store.max_key);
      if (so.limits.max_bulk > so.limits.max_request) so.limits.max_bulk = so.limits.max_request;
      struct sigaction sa {};
      sa.sa_handler = on_signal;
      sigaction(SIGINT, &sa, nullptr);
      sigaction(SIGTERM, &sa, nullptr);
      kv::Store store(so.store);
      kv::ServerCounters c;
      std::cerr << "sdp-kv: serving on " << so.bind << ": tcp " << so.tcp_port << ", ktls " << so.tls_port
                << ", sdp " << so.sdp_port << (so.keys.empty() ? " (no keys)" : " (keyed)") << "\n";
      kv::run_server(so, store, c, g_stop);
      std::printf(
          "{\"commands\":%lu,\"error_replies\":%lu,\"protocol_errors\":%lu,\"connections\":%lu,\"rejected\":%lu,"
          "\"sdp_requests\":%lu,\"sdp_send_failures\":%lu,\"sdp_sessions\":%lu,\"tls_sessions\":%lu,"
          "\"handshake_failures\":%lu,\"keys\":%zu,\"memory_used\":%zu}\n",
          c.commands.load(), c.error_replies.load(), c.protocol_errors.load(), c.connections.load(),
          c.rejected.load(), c.sdp_requests.load(), c.sdp_send_failures.load(), c.sdp_sessions.load(),
          c.tls_sessions.load(), c.handshake_failures.load(), store.keys(), store.memory_used());
      return 0;
    }
    if (mode == "cli") {
      if (transport.empty()) throw std::invalid_argument("cli needs --transport");
      if (co.host.empty()) throw std::invalid_argument("cli needs --server ADDR");
      kv::parse_transport(transport, co);
      if (!port_given) co.port = co.transport == kv::Transport::kTcp ? 6379 : co.transport == kv::Transport::kKtls ? 6380 : 6381;
      if (co.cipher) {
        co.keys = so.keys.find(co.cipher);
        if (!co.keys) throw std::invalid_argument(transport + " needs a --key-file with cipher " + sdp::cipher_name(co.cipher));
      }
      if (words.empty() && raw_file.empty()) throw std::invalid_argument("cli needs a command or --raw FILE");
      return run_cli(co, raw_file, words);
    }
    throw std::invalid_argument("unknown mode '" + mode + "' (server, cli)");
  } catch (const std::invalid_argument& e) {
    std::cerr << "sdp-kv: " << e.what() << "\nTry 'sdp-kv --help'.\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "sdp-kv: " << e.what() << "\n";
    return 1;
  }
}
