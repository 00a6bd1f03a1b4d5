// SPDX-License-Identifier: MIT
// sdp-kv's client library: a connection to sdp-kv (or Redis, over TCP)
// with many requests in flight. TCP and kTLS pipeline RESP commands on one
// stream (replies in order); SDP sends each command as one request message
// on its own socket (replies in any order, matched by the RPC cookie).
//
//   auto c = kv::Connection::open({.transport = kv::Transport::kTcp, .host = "10.0.0.1", .port = 6379});
//   auto r = c->call({"SET", "k", "v"});   // blocking, one at a time
//   c->send(request_bytes, tag);           // pipelined: then poll_replies()
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "resp.h"
#include "sdp_socket.h"

namespace kv {

enum class Transport { kTcp, kKtls, kSdp };

struct ClientOptions {
  Transport transport = Transport::kTcp;
  std::string host;
  uint16_t port = 6379;  // TCP port; kTLS: the server's --tls-port; SDP: its --sdp-port
  uint16_t cipher = 0;   // SDP_CIPHER_*; 0: plaintext SDP (kTLS needs one)
  int tls_minor = 2;     // kTLS record version: TLS 1.2 or 1.3
  const sdp::KeyMaterial* keys = nullptr;  // the key file (cipher != 0)
  size_t max_reply = (1 << 20) + 64;
  int timeout_s = 30;
};

// A reply that owns its bytes (call()).
struct OwnedReply {
  resp::ReplyType type = resp::ReplyType::kNil;
  std::string str;
  int64_t integer = 0;
  std::string to_string() const;  // redis-cli style: "OK", "(integer) 1", "(nil)", "(error) ERR ..."
};

class Connection {
 public:
  using ReplyFn = std::function<void(uint64_t tag, const resp::Reply&)>;

  // Connects (and for kTLS / keyed SDP runs the key exchange; blocking).
  static std::unique_ptr<Connection> open(const ClientOptions& o);
  virtual ~Connection() = default;

  // The fd to wait on for replies (EPOLLIN) and, if want_write(), EPOLLOUT.
  virtual int fd() const = 0;
  // Sends one complete request (RESP bytes); its reply comes with `tag`.
  virtual void send(std::string_view request, uint64_t tag) = 0;
  virtual bool want_write() const { return false; }
  virtual void flush() {}
  // Non-blocking: hands every complete reply to f; returns how many. Throws
  // on a closed connection, a failed RPC or an unparseable reply.
  virtual size_t poll_replies(const ReplyFn& f) = 0;
  // After a run: checks in the kernel that the traffic used the expected
  // cipher and key (SDP_KEY_INFO, getsockopt TLS_TX); no-op in plaintext.
  virtual void check_after_run(uint64_t requests) { (void)requests; }
  // Blocking: one command, its reply.
  OwnedReply call(std::initializer_list<std::string_view> argv);
  OwnedReply call_raw(std::string_view request);
  size_t in_flight() const { return in_flight_; }

 protected:
  size_t in_flight_ = 0;
  int timeout_s_ = 30;
};

// "sdp", "sdp-aes128", "sdp-aes256", "tcp", "ktls-aes128", "ktls-aes256",
// "ktls13-aes128", "ktls13-aes256" -> transport and cipher. Throws
// std::invalid_argument for anything else.
void parse_transport(const std::string& name, ClientOptions& o);

}  // namespace kv
