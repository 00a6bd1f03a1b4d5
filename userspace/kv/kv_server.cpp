// SPDX-License-Identifier: MIT
#include "kv_server.h"

#include <arpa/inet.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include "commands.h"
#include "kv_session.h"

namespace kv {
namespace {

[[noreturn]] void die(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

constexpr size_t kReadChunk = 64 << 10;  // a whole kTLS record decrypts straight into it

// kDrain: after a protocol error the reply is sent, the write side shut
// down, and input discarded until the client closes (closing with unread
// input would send a RST that can destroy the error reply in flight).
enum class Kind { kResp, kTlsHello, kSdpHello, kSdpSession, kDrain };

struct Conn {
  int fd = -1;
  Kind kind = Kind::kResp;
  std::vector<char> in;
  size_t in_start = 0, in_len = 0;  // valid bytes: in[in_start, in_start + in_len)
  std::string out;
  size_t out_off = 0;
  bool closing = false;  // close once `out` is written (after a protocol error)
  bool want_out = false;  // EPOLLOUT registered
  bool reading = true;    // EPOLLIN registered
  bool queued = false;    // in the worker's list of connections to flush
  bool eof = false;       // the client closed: close once the replies are out
  ~Conn() {
    if (fd >= 0) ::close(fd);
  }
};

int listen_on(const sdp::Address& a) {
  int fd = sdp::inet_socket(a.family(), SOCK_STREAM | SOCK_NONBLOCK);
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) die("setsockopt(SO_REUSEPORT)");
  if (::bind(fd, a.sa(), a.length) < 0) die("bind TCP " + a.to_string());
  if (::listen(fd, 1024) < 0) die("listen");
  return fd;
}

class Worker {
 public:
  Worker(const ServerOptions& o, Store& store, ServerCounters& c, sdp::Socket* sdp_sock,
         std::atomic<size_t>& clients)
      : o_(o), store_(store), c_(c), sdp_(sdp_sock), clients_(clients) {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) die("epoll_create1");
    auto addr = [&](uint16_t port) { return sdp::Address::parse(o.bind, port); };
    if (o.tcp_port) tcp_l_ = add_listener(listen_on(addr(o.tcp_port)));
    if (o.tls_port) tls_l_ = add_listener(listen_on(addr(o.tls_port)));
    if (o.sdp_port) sdp_l_ = add_listener(listen_on(addr(o.sdp_port)));
    if (sdp_) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLEXCLUSIVE;
      ev.data.fd = sdp_->fd();
      if (epoll_ctl(ep_, EPOLL_CTL_ADD, sdp_->fd(), &ev) < 0) die("epoll_ctl(SDP socket)");
      sdp_buf_.resize(o.limits.max_request + 1);
    }
  }
  ~Worker() {
    conns_.clear();
    for (int fd : {tcp_l_, tls_l_, sdp_l_})
      if (fd >= 0) ::close(fd);
    ::close(ep_);
  }

  void run(const std::atomic<bool>& stop) {
    epoll_event evs[64];
    while (!stop.load(std::memory_order_relaxed)) {
      int n = epoll_wait(ep_, evs, 64, 200);
      if (n < 0) {
        if (errno == EINTR) continue;
        die("epoll_wait");
      }
      for (int i = 0; i < n; i++) {
        int fd = evs[i].data.fd;
        if (fd == tcp_l_ || fd == tls_l_ || fd == sdp_l_) {
          accept_all(fd);
        } else if (sdp_ && fd == sdp_->fd()) {
          serve_sdp();
        } else {
          auto it = conns_.find(fd);
          if (it != conns_.end()) handle(*it->second, evs[i].events);
        }
      }
      flush_queued();
    }
  }

 private:
  // Replies are written once per loop iteration, after every ready
  // connection was read (as Redis does): one write per connection and
  // wake-up, and the client gets its replies in batches.
  void queue_flush(Conn& c) {
    if (c.queued) return;
    c.queued = true;
    queued_.push_back(c.fd);
  }

  void flush_queued() {
    for (int fd : queued_) {
      auto it = conns_.find(fd);
      if (it == conns_.end()) continue;
      Conn& c = *it->second;
      c.queued = false;
      if (!flush(c)) {
        close_conn(c);
        continue;
      }
      if (c.closing && c.out_off == c.out.size()) drain(c);
      else if (c.eof && !c.closing) close_conn(c);
    }
    queued_.clear();
  }

  int add_listener(int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl(listener)");
    return fd;
  }

  void accept_all(int lfd) {
    for (;;) {
      int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) return;  // EAGAIN, or a connection gone before accept
      if (clients_.fetch_add(1) >= o_.max_clients) {
        clients_.fetch_sub(1);
        c_.rejected++;
        if (lfd == tcp_l_) {
          static constexpr char kFull[] = "-ERR max number of clients reached\r\n";
          (void)!::write(fd, kFull, sizeof(kFull) - 1);
        }
        ::close(fd);
        continue;
      }
      c_.connections++;
      auto conn = std::make_unique<Conn>();
      conn->fd = fd;
      conn->kind = lfd == tcp_l_ ? Kind::kResp : lfd == tls_l_ ? Kind::kTlsHello : Kind::kSdpHello;
      sdp::set_nodelay(fd);
      int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));  // a vanished peer ends its connection
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.fd = fd;
      if (epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) < 0) {
        clients_.fetch_sub(1);
        continue;  // conn's destructor closes fd
      }
      conns_.emplace(fd, std::move(conn));
    }
  }

  void close_conn(Conn& c) {
    epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
    clients_.fetch_sub(1);
    conns_.erase(c.fd);  // destroys c
  }

  void drain(Conn& c) {
    ::shutdown(c.fd, SHUT_WR);
    c.kind = Kind::kDrain;
    set_events(c, true, false);
  }

  void set_events(Conn& c, bool in, bool out) {
    epoll_event ev{};
    ev.events = (in ? uint32_t{EPOLLIN} : 0U) | (out ? uint32_t{EPOLLOUT} : 0U) | uint32_t{EPOLLRDHUP};
    ev.data.fd = c.fd;
    epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
    c.want_out = out;
    c.reading = in;
  }

  // Reads what the socket has (at most `want` bytes); false: EOF or error.
  bool fill(Conn& c, size_t want) {
    if (c.in_start && c.in_start + c.in_len + want > c.in.size()) {
      std::memmove(c.in.data(), c.in.data() + c.in_start, c.in_len);
      c.in_start = 0;
    }
    if (c.in.size() < c.in_len + want) c.in.resize(c.in_len + want);
    ssize_t r = ::read(c.fd, c.in.data() + c.in_start + c.in_len, want);
    if (r > 0) {
      c.in_len += static_cast<size_t>(r);
      return true;
    }
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    return false;
  }

  void handle(Conn& c, uint32_t events) {
    if (events & EPOLLOUT) {
      if (!flush(c)) return close_conn(c);
      if (c.closing && c.out_off == c.out.size()) return drain(c);
      // Commands left in the buffer when output backpressure stopped us.
      if (c.kind == Kind::kResp && c.in_len && c.reading) return serve_resp(c);
    }
    if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) return;
    switch (c.kind) {
      case Kind::kResp: return serve_resp(c);
      case Kind::kTlsHello:
      case Kind::kSdpHello: return handshake(c);
      case Kind::kDrain: {
        char b[4096];
        ssize_t r = ::read(c.fd, b, sizeof(b));
        if (r < 0 && errno == EAGAIN) return;
        if (r > 0) return;
        return close_conn(c);
      }
      case Kind::kSdpSession: {
        // Anything but EOF on a session's control connection is a protocol violation.
        char b;
        ssize_t r = ::read(c.fd, &b, 1);
        if (r < 0 && errno == EAGAIN) return;
        return close_conn(c);
      }
    }
  }

  // Writes pending output; false if the connection failed.
  bool flush(Conn& c) {
    while (c.out_off < c.out.size()) {
      ssize_t w = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) break;
        return false;
      }
      c.out_off += static_cast<size_t>(w);
    }
    bool pending = c.out_off < c.out.size();
    if (!pending) {
      c.out.clear();  // keeps its capacity
      c.out_off = 0;
    }
    bool reading = !c.closing && c.out.size() - c.out_off <= o_.max_output;
    if (pending != c.want_out || reading != c.reading) set_events(c, reading, pending);
    return true;
  }

  void serve_resp(Conn& c) {
    if (c.closing) return;
    size_t cap = o_.limits.max_request + 64;
    size_t want = std::min(kReadChunk, cap + kReadChunk - std::min(cap, c.in_len));
    bool alive = fill(c, want);
    CommandStats st;
    while (c.in_len) {
      resp::Command cmd;
      auto r = resp::parse_command(std::string_view(c.in.data() + c.in_start, c.in_len), o_.limits, cmd);
      if (r.status == resp::Status::kIncomplete) {
        if (c.in_len > cap) r = {resp::Status::kError, 0, "Protocol error: request too large"};
        else break;
      }
      if (r.status == resp::Status::kError) {
        // Like Redis: the error, then the connection closes (the stream
        // cannot be resynchronised). Other clients are not affected.
        resp::append_error(c.out, std::string("ERR ") + r.error);
        c_.protocol_errors++;
        c.closing = true;
        c.in_len = 0;
        break;
      }
      c.in_start += r.consumed;
      c.in_len -= r.consumed;
      if (cmd.argc) execute(cmd, store_, c.out, st);
      if (c.out.size() - c.out_off > o_.max_output) break;  // backpressure: read no more for now
    }
    if (!c.in_len) c.in_start = 0;
    c_.commands += st.commands;
    c_.error_replies += st.errors;
    // EOF: a client vanishing mid-request loses only its own partial
    // command; what it sent whole is answered first.
    if (!alive) c.eof = true;
    queue_flush(c);
  }

  void handshake(Conn& c) {
    bool sdp = c.kind == Kind::kSdpHello;
    size_t need = sdp ? kSdpHelloLen : kTlsHelloLen;
    // Read exactly the hello: what follows it on a kTLS connection is records.
    if (!fill(c, need - c.in_len)) return close_conn(c);
    if (c.in_len < need) return;
    const auto* h = reinterpret_cast<const uint8_t*>(c.in.data());
    c.in_len = 0;
    std::string_view magic(c.in.data(), 4);
    uint8_t status = 0;
    uint16_t cipher = h[4];
    const sdp::KeyMaterial* km = o_.keys.find(cipher);
    if (magic != (sdp ? kSdpMagic : kTlsMagic)) status = EPROTO;
    else if (!km) status = ENOKEY;
    Random client{}, server = random_bytes();
    std::memcpy(client.data(), h + (sdp ? 7 : 6), kRandomLen);
    try {
      if (status) {
        c_.handshake_failures++;
        ::send(c.fd, &status, 1, MSG_NOSIGNAL);
        return close_conn(c);
      }
      if (sdp) return sdp_session(c, *km, h, client, server);
      int minor = h[5];
      if (minor != 2 && minor != 3) {
        status = EINVAL;
        ::send(c.fd, &status, 1, MSG_NOSIGNAL);
        c_.handshake_failures++;
        return close_conn(c);
      }
      auto s = derive_session(*km, "ktls", client, server, 1);
      static constexpr uint8_t kIv[8] = {};
      // ULP and RX before the (plaintext) reply, TX after it.
      sdp::set_tls_ulp(c.fd);
      sdp::set_tls_key(c.fd, TLS_RX, cipher, minor, s.c2s_key, s.c2s_salt, kIv);
      uint8_t reply[kTlsReplyLen] = {0};
      std::memcpy(reply + 1, server.data(), kRandomLen);
      sdp::write_all(c.fd, reply, sizeof(reply));
      sdp::set_tls_key(c.fd, TLS_TX, cipher, minor, s.s2c_key, s.s2c_salt, kIv);
      c.kind = Kind::kResp;
      c_.tls_sessions++;
    } catch (const std::exception& e) {
      std::cerr << "sdp-kv: key exchange: " << e.what() << "\n";
      c_.handshake_failures++;
      uint8_t st = EIO;
      ::send(c.fd, &st, 1, MSG_NOSIGNAL);
      close_conn(c);
    }
  }

  void sdp_session(Conn& c, const sdp::KeyMaterial& km, const uint8_t* h, const Random& client,
                   const Random& server) {
    uint8_t reply[kSdpReplyLen] = {0};
    if (!sdp_) {
      reply[0] = EPROTONOSUPPORT;
      ::send(c.fd, reply, 1, MSG_NOSIGNAL);
      return close_conn(c);
    }
    sdp::Address peer = sdp::peer_of(c.fd);
    uint16_t port = static_cast<uint16_t>(h[5] << 8 | h[6]);
    if (peer.family() == AF_INET)
      reinterpret_cast<sockaddr_in*>(&peer.storage)->sin_port = htons(port);
    else
      reinterpret_cast<sockaddr_in6*>(&peer.storage)->sin6_port = htons(port);
    // Epochs per peer only go up: a client port seen before gets the next one.
    sdp_key_info ki{};
    std::memcpy(&ki.peer, &peer.storage, std::min(sizeof(ki.peer), sizeof(peer.storage)));
    socklen_t len = sizeof(ki);
    int epoch = 1;
    {
      std::lock_guard lock(sdp_key_mu_);
      if (getsockopt(sdp_->fd(), SOL_SDP, SDP_KEY_INFO, &ki, &len) == 0)
        epoch = std::max(ki.tx_epoch, ki.rx_epoch) + 1;
      if (epoch > 255) {
        reply[0] = EKEYEXPIRED;
      } else {
        auto s = derive_session(km, "sdp", client, server, static_cast<uint8_t>(epoch));
        try {
          sdp_->install_keys(peer, s, false);
        } catch (const std::system_error& e) {
          reply[0] = static_cast<uint8_t>(e.code().value());
        }
      }
    }
    if (!port) reply[0] = EINVAL;
    if (reply[0]) {
      c_.handshake_failures++;
      ::send(c.fd, reply, 1, MSG_NOSIGNAL);
      return close_conn(c);
    }
    uint16_t sport = sdp_->local_port();
    reply[1] = static_cast<uint8_t>(epoch);
    reply[2] = static_cast<uint8_t>(sport >> 8);
    reply[3] = static_cast<uint8_t>(sport);
    std::memcpy(reply + 4, server.data(), kRandomLen);
    sdp::write_all(c.fd, reply, sizeof(reply));
    c.kind = Kind::kSdpSession;
    c_.sdp_sessions++;
  }

  void serve_sdp() {
    CommandStats st;
    uint64_t requests = 0;
    for (int i = 0; i < 64; i++) {  // then let other connections of this loop run
      std::optional<sdp::Message> m;
      try {
        m = sdp_->receive(sdp_buf_, MSG_DONTWAIT);
      } catch (const std::system_error& e) {
        std::cerr << "sdp-kv: SDP receive: " << e.what() << "\n";
        break;
      }
      if (!m) break;
      if (!m->is_request) continue;
      requests++;
      sdp_out_.clear();
      resp::Command cmd;
      if (m->truncated) {
        resp::append_error(sdp_out_, "ERR Protocol error: request too large");
        c_.protocol_errors++;
      } else {
        auto r = resp::parse_command(std::string_view(reinterpret_cast<char*>(sdp_buf_.data()), m->length),
                                     o_.limits, cmd);
        if (r.status == resp::Status::kOk && r.consumed != m->length) {
          resp::append_error(sdp_out_, "ERR Protocol error: one command per request");
          c_.protocol_errors++;
        } else if (r.status == resp::Status::kOk && cmd.argc) {
          execute(cmd, store_, sdp_out_, st);
        } else {
          // A message is whole: incomplete is malformed too. The socket keeps serving.
          resp::append_error(sdp_out_, std::string("ERR ") +
                                           (r.status == resp::Status::kError ? r.error
                                            : cmd.argc == 0 && r.status == resp::Status::kOk
                                                ? "Protocol error: empty request"
                                                : "Protocol error: incomplete request"));
          c_.protocol_errors++;
        }
      }
      try {
        sdp_->send_response(m->peer, m->rpc_id,
                            std::span(reinterpret_cast<const std::byte*>(sdp_out_.data()), sdp_out_.size()));
      } catch (const std::system_error&) {
        c_.sdp_send_failures++;  // the client is gone (or out of socket memory): others go on
      }
    }
    c_.sdp_requests += requests;
    c_.commands += st.commands;
    c_.error_replies += st.errors;
  }

  const ServerOptions& o_;
  Store& store_;
  ServerCounters& c_;
  sdp::Socket* sdp_;
  std::atomic<size_t>& clients_;
  int ep_ = -1, tcp_l_ = -1, tls_l_ = -1, sdp_l_ = -1;
  std::unordered_map<int, std::unique_ptr<Conn>> conns_;
  std::vector<int> queued_;
  std::vector<std::byte> sdp_buf_;
  std::string sdp_out_;
  static inline std::mutex sdp_key_mu_;
};

}  // namespace

void run_server(const ServerOptions& o, Store& store, ServerCounters& counters, const std::atomic<bool>& stop) {
  std::unique_ptr<sdp::Socket> sdp_sock;
  sdp::Address local = sdp::Address::parse(o.bind, o.sdp_port);
  if (o.sdp_port) {
    sdp_sock = std::make_unique<sdp::Socket>(local.family());
    sdp_sock->bind(local);
    if (o.allow_plaintext) sdp_sock->set_allow_plaintext(true);
  }
  std::atomic<size_t> clients{0};
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < o.threads; i++)
    workers.push_back(std::make_unique<Worker>(o, store, counters, sdp_sock.get(), clients));
  std::vector<std::thread> threads;
  std::exception_ptr failure;
  std::mutex fail_mu;
  for (auto& w : workers)
    threads.emplace_back([&, wp = w.get()] {
      try {
        wp->run(stop);
      } catch (...) {
        std::lock_guard lock(fail_mu);
        failure = std::current_exception();
      }
    });
  for (auto& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace kv
