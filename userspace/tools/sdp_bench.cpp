// SPDX-License-Identifier: MIT
// sdp-bench: unloaded ping-pong latency of SDP (plaintext and AES-GCM)
// against TCP, kTLS (TCP + tls.ko, same cipher) and UDP; request size =
// response size, one exchange in flight. Prints JSON.
#include <endian.h>
#include <fcntl.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "sdp_args.h"
#include "sdp_net.h"
#include "sdp_socket.h"

namespace {

using sdp::cipher_name;
using sdp::inet_socket;
using KeyRing = sdp::KeyRing;
using sdp::peer_of;
using sdp::set_tls_key;
using sdp::set_tls_ulp;
using sdp::write_all;
using sdp::writev_all;

constexpr const char* kUsage = R"(NAME
    sdp-bench - ping-pong latency: SDP, encrypted SDP, TCP, kTLS, UDP

SYNOPSIS
    sdp-bench server [--port N] [-6] [--key-file F]... [PEER OPTIONS]
    sdp-bench client --server ADDR [--port N] [--protos LIST] [--sizes LIST]
                     [--iterations N] [--warmup N] [--rounds N] [--key-file F]...
                     [PEER OPTIONS]
    sdp-bench load --server ADDR [--port N] [--protos LIST] [--sizes LIST]
                   [--inflight LIST] [--requests N] [--warmup N]
                   [--key-file F]... [PEER OPTIONS]

DESCRIPTION
    server  answers every protocol below at --port (default 6000) until
            killed: SDP on an SDP socket, UDP on a UDP socket, and TCP, kTLS
            and the key exchange of encrypted SDP on one TCP listener (the
            first byte of a connection says which).

    client  for each size in --sizes (default 64,1K,4K,16K,64K,256K,1M) and
            each protocol in --protos (default sdp,tcp,udp): one exchange
            whose echo is compared byte by byte with the request (a wrong
            echo is an error), --warmup exchanges (default 20; at most
            8 MiB of requests per protocol and size), then
            --iterations timed exchanges (default 500) in --rounds blocks
            (default 10; one untimed exchange before each block) that take
            turns between the protocols, so that load from other processes
            falls on all of them alike. The last response of every
            (protocol, size) is compared too. Prints one JSON array of
            {"proto","size","iterations","p50_us","p99_us","mean_us"}.

    load    closed-loop throughput: for each size, each protocol and each
            C in --inflight (default 1,8,64,256), C requests are kept in
            flight (a new one is sent as soon as a response arrives):
            --warmup completions (default 200) unmeasured, then --requests
            (default 2000) measured, then the rest drained. SDP uses one
            client socket with C outstanding RPCs; tcp / ktls-* use C
            connections with one request each (how Redis clients use them);
            tcp+pipe / ktls-*+pipe keep C requests pipelined on ONE
            connection. Prints one JSON array of {"proto","size","inflight",
            "requests","seconds","rpcs_per_s","p50_us","p99_us","max_us"}
            (latency = send to complete response of each measured request;
            requests of a starved connection that do not complete in the
            window are not in it: compare rpcs_per_s with C / mean latency).
            Only lengths are checked here (client checks the bytes).

PROTOCOLS
    sdp            SDP without keys.
    sdp-aes128     SDP with the AES-128-GCM / AES-256-GCM keys of a
    sdp-aes256     --key-file. The client binds an ephemeral SDP port and
                   sends its number over a TCP control connection; the
                   server opens an SDP socket for this client, installs the
                   keys for it (libsdp install_keys) and answers with that
                   socket's port. Keys never cross the network: the client
                   sends 16 random bytes per session and both ends derive
                   the session's keys from the key file's and them
                   (KeyMaterial::derive), so no transmit key is ever used
                   by two sessions.
    tcp            TCP_NODELAY; an 8-byte length, then the payload.
    ktls-aes128    tcp after setsockopt(TCP_ULP, "tls") and TLS_TX/TLS_RX
    ktls-aes256    (TLS 1.2 records, AES-GCM) with the key file's keys: the
                   client-to-server key and salt for client TX / server RX,
                   server-to-client for the other direction. The explicit
                   IVs are random per connection; records are cut as kTLS
                   cuts them (at most 16 KiB).
    ktls13-aes128  the same with TLS 1.3 records.
    ktls13-aes256
    udp            one datagram each way; sizes above 65000 are skipped.

    After the timed exchanges of an encrypted protocol the client reads
    back from the kernel (SDP_KEY_INFO, getsockopt TLS_TX) that its socket
    sent at least one message or record per exchange under the expected
    cipher, and fails otherwise.

OPTIONS
    --key-file F   client and server, repeatable: a key file in the format
                   of libsdp (sdp_socket.h KeyMaterial: cipher, epoch,
                   client-to-server and server-to-client key and salt). Each
                   file serves the protocols of its cipher. Keys are never
                   accepted on the command line. SDP sessions use keys
                   derived per session (see sdp-aes128); kTLS uses the
                   file's keys with random explicit IVs per connection.

PEER OPTIONS (TCP and kTLS; give the same to client and server)
    --tcp-quickack  setsockopt(TCP_QUICKACK, 1) after connect/accept and
                    again after every read (Linux clears it by itself), so
                    the receiver never delays an ACK.
    --sockbuf N     SO_SNDBUF and SO_RCVBUF of N bytes (K/M suffixes; the
                    kernel doubles the value and stops autotuning). Default:
                    autotuned buffers (net.ipv4.tcp_wmem/tcp_rmem).
    TCP_NODELAY is always set. The client prints the settings in effect on
    its sockets (read back with getsockopt) to stderr as one line starting
    "peer settings:".

EXIT STATUS
    0 success, 1 error (including a wrong echo, a kTLS setsockopt failure
    such as "tls.ko not loaded", or a key the server lacks), 2 usage.
)";

using Clock = std::chrono::steady_clock;
constexpr int kIoTimeoutSec = 30;
constexpr uint64_t kMaxStreamMessage = 64ULL << 20;

// First byte of a connection to the server's TCP listener.
constexpr uint8_t kModeTcp = 'T';
constexpr uint8_t kModeKtls = 'K';      // + cipher, TLS minor version, pad, iv c2s[8], iv s2c[8]
constexpr uint8_t kModeSdpKeys = 'S';   // + cipher, client SDP port (big endian), session context
constexpr size_t kSessionContext = 16;  // random bytes per SDP session (key derivation)

[[noreturn]] void die(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

[[noreturn]] void die_errno(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}

bool read_all(int fd, void* p, size_t n) {
  static const std::string timeout = "no response within " + std::to_string(kIoTimeoutSec) + " s";
  return sdp::read_all(fd, p, n, timeout.c_str());
}

void set_io_timeout(int fd) {
  sdp::set_receive_timeout(fd, kIoTimeoutSec);
}

// How TCP and kTLS sockets are tuned (PEER OPTIONS); the same on both ends.
struct PeerTuning {
  bool quickack = false;
  int sockbuf = 0;  // 0: autotuned

  void apply(int fd) const {
    sdp::set_nodelay(fd);
    if (sockbuf) {
      for (int opt : {SO_SNDBUF, SO_RCVBUF})
        if (setsockopt(fd, SOL_SOCKET, opt, &sockbuf, sizeof(sockbuf)) < 0) die("setsockopt(SO_SNDBUF/SO_RCVBUF)");
    }
    rearm(fd);
  }
  // TCP_QUICKACK is not sticky: the kernel leaves quick-ACK mode again, so
  // applications that want it set it after every read.
  void rearm(int fd) const {
    int one = 1;
    if (quickack && setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one)) < 0) die("setsockopt(TCP_QUICKACK)");
  }
  // What a socket really has, read back from the kernel.
  static std::string describe(int fd) {
    int nodelay = 0, snd = 0, rcv = 0;
    socklen_t l = sizeof(int);
    getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &l);
    l = sizeof(int);
    getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, &l);
    l = sizeof(int);
    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, &l);
    return std::string("TCP_NODELAY=") + std::to_string(nodelay) + " SO_SNDBUF=" + std::to_string(snd) +
           " SO_RCVBUF=" + std::to_string(rcv);
  }
  std::string summary() const {
    return std::string("TCP and kTLS, both ends: TCP_NODELAY; ") +
           (quickack ? "TCP_QUICKACK re-armed after every read; " : "no TCP_QUICKACK (delayed ACKs allowed); ") +
           (sockbuf ? "SO_SNDBUF=SO_RCVBUF=" + std::to_string(sockbuf) + " (fixed)" : "autotuned socket buffers");
  }
};
PeerTuning g_tuning;  // set once from the command line, before any socket

// read_all that re-arms TCP_QUICKACK after every read (when asked to).
bool read_stream(int fd, void* p, size_t n) {
  if (!g_tuning.quickack) return read_all(fd, p, n);
  auto* b = static_cast<std::byte*>(p);
  while (n) {
    ssize_t r = ::read(fd, b, n);
    if (r == 0) return false;
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        throw std::runtime_error("no response within " + std::to_string(kIoTimeoutSec) + " s");
      die("read");
    }
    g_tuning.rearm(fd);
    b += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// ---------------------------------------------------------------- server --

// Echo length-prefixed messages until EOF. Reads as much as the buffer
// holds (with kTLS that lets the kernel decrypt into it directly).
void echo_stream(int fd) {
  std::vector<char> buf((2U << 20) + 8);
  size_t have = 0;
  for (;;) {
    uint64_t len = 0;
    size_t need = 8;
    for (;;) {
      if (have >= 8) {
        std::memcpy(&len, buf.data(), 8);
        len = le64toh(len);
        if (len > kMaxStreamMessage) throw std::runtime_error("message length too large");
        need = 8 + len;
        if (buf.size() < need) buf.resize(need);
        if (have >= need) break;
      }
      ssize_t r = ::read(fd, buf.data() + have, buf.size() - have);
      if (r == 0) return;
      if (r < 0) {
        if (errno == EINTR) continue;
        die("read");
      }
      g_tuning.rearm(fd);
      have += static_cast<size_t>(r);
    }
    write_all(fd, buf.data(), need);
    std::memmove(buf.data(), buf.data() + need, have - need);
    have -= need;
  }
}

// Answers SDP requests on s until it is shut down.
void serve_sdp_socket(sdp::Socket& s) {
  std::vector<std::byte> buf(SDP_MAX_MESSAGE_LEN);
  for (;;) {
    std::optional<sdp::Message> m;
    try {
      m = s.receive(buf);
    } catch (const std::system_error& e) {
      if (e.code().value() == ESHUTDOWN) return;
      throw;
    }
    if (m && m->is_request) s.send_response(m->peer, m->rpc_id, std::span(buf.data(), m->length));
  }
}

void handle_ktls(int fd, const KeyRing& keys) {
  uint8_t h[19];
  if (!read_all(fd, h, sizeof(h))) return;
  uint16_t cipher = h[0];
  int minor = h[1];
  const uint8_t* iv_c2s = h + 3;
  const uint8_t* iv_s2c = h + 11;
  const sdp::KeyMaterial* km = keys.find(cipher);
  uint8_t status = 0;
  if ((cipher != SDP_CIPHER_AES_GCM_128 && cipher != SDP_CIPHER_AES_GCM_256) || (minor != 2 && minor != 3))
    status = EINVAL;
  else if (!km)
    status = ENOKEY;
  if (status) {
    write_all(fd, &status, 1);
    return;
  }
  // ULP and RX before the (plaintext) status byte, TX after it.
  try {
    set_tls_ulp(fd);
    set_tls_key(fd, TLS_RX, cipher, minor, km->c2s_key, km->c2s_salt, iv_c2s);
  } catch (const std::system_error& e) {
    status = static_cast<uint8_t>(e.code().value());
    write_all(fd, &status, 1);
    throw;
  }
  write_all(fd, &status, 1);
  set_tls_key(fd, TLS_TX, cipher, minor, km->s2c_key, km->s2c_salt, iv_s2c);
  echo_stream(fd);
}

// Encrypted SDP session: a fresh SDP socket keyed for the client's SDP
// address, served until the control connection closes.
void handle_sdp_keys(int fd, const KeyRing& keys) {
  // cipher, client port, then kSessionContext random bytes from the client:
  // the session's keys are derived from the key file's and them, so no
  // transmit key is used by two sessions (libsdp refuses that).
  uint8_t h[3 + kSessionContext];
  if (!read_all(fd, h, sizeof(h))) return;
  uint16_t cipher = h[0];
  uint16_t client_port = static_cast<uint16_t>(h[1] << 8 | h[2]);
  const sdp::KeyMaterial* km = keys.find(cipher);
  uint8_t reply[4] = {0, 0, 0, 0};
  if (!km || !client_port) {
    reply[0] = km ? EINVAL : ENOKEY;
    write_all(fd, reply, sizeof(reply));
    return;
  }
  sdp::Address client = peer_of(fd);
  if (client.family() == AF_INET)
    reinterpret_cast<sockaddr_in*>(&client.storage)->sin_port = htons(client_port);
  else
    reinterpret_cast<sockaddr_in6*>(&client.storage)->sin6_port = htons(client_port);
  std::unique_ptr<sdp::Socket> s;
  try {
    s = std::make_unique<sdp::Socket>(client.family());
    s->bind(sdp::Address::parse(client.family() == AF_INET6 ? "::" : "0.0.0.0", 0));
    s->install_keys(client, km->derive(std::span<const uint8_t>(h + 3, kSessionContext)), false);
  } catch (const std::system_error& e) {
    reply[0] = static_cast<uint8_t>(e.code().value());
    write_all(fd, reply, sizeof(reply));
    throw;
  }
  uint16_t port = s->local_port();
  reply[2] = static_cast<uint8_t>(port >> 8);
  reply[3] = static_cast<uint8_t>(port);
  write_all(fd, reply, sizeof(reply));
  // The watcher shuts the SDP socket down when the client closes the
  // control connection; the receive loop is the same as for plaintext SDP.
  int sfd = s->fd();
  std::thread watcher([fd, sfd] {
    char c;
    while (::read(fd, &c, 1) > 0) {
    }
    ::shutdown(sfd, SHUT_RDWR);
  });
  try {
    serve_sdp_socket(*s);
  } catch (const std::exception& e) {
    std::cerr << "sdp-bench server: SDP session for " << client.to_string() << ": " << e.what() << "\n";
  }
  ::shutdown(fd, SHUT_RDWR);
  watcher.join();
}

void handle_connection(int fd, const KeyRing& keys) {
  try {
    g_tuning.apply(fd);
    uint8_t mode = 0;
    if (read_all(fd, &mode, 1)) {
      switch (mode) {
        case kModeTcp: echo_stream(fd); break;
        case kModeKtls: handle_ktls(fd, keys); break;
        case kModeSdpKeys: handle_sdp_keys(fd, keys); break;
        default: std::cerr << "sdp-bench server: unknown connection mode " << int{mode} << "\n";
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "sdp-bench server: " << e.what() << "\n";
  }
  ::close(fd);
}

void serve_tcp(sdp::Address local, const KeyRing* keys) {
  int lfd = inet_socket(local.family(), SOCK_STREAM);
  if (::bind(lfd, local.sa(), local.length) < 0 || ::listen(lfd, 16) < 0) die("tcp bind/listen");
  for (;;) {
    int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::thread(handle_connection, fd, std::cref(*keys)).detach();
  }
}

void serve_udp(sdp::Address local) {
  int fd = inet_socket(local.family(), SOCK_DGRAM);
  if (::bind(fd, local.sa(), local.length) < 0) die("udp bind");
  std::vector<char> buf(65536);
  for (;;) {
    sockaddr_storage peer{};
    socklen_t plen = sizeof(peer);
    ssize_t n = ::recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&peer), &plen);
    if (n >= 0) ::sendto(fd, buf.data(), static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&peer), plen);
  }
}

int run_server(const sdp::Address& local, const KeyRing& keys) {
  sdp::Socket s(local.family());
  s.bind(local);
  std::thread(serve_tcp, local, &keys).detach();
  std::thread(serve_udp, local).detach();
  serve_sdp_socket(s);
  return 0;
}

// ---------------------------------------------------------------- client --

// One protocol's connection. exchange() sends req and returns the echoed
// payload (its length checked), valid until the next call.
class Transport {
 public:
  explicit Transport(size_t max_size) : rbuf_(max_size + 16) {}
  virtual ~Transport() = default;
  std::span<const std::byte> exchange(std::span<const std::byte> req) {
    count_++;
    return do_exchange(req);
  }
  virtual bool supports(size_t) const { return true; }
  // After the run: check in the kernel that the path was what its name says.
  virtual void check_after_run() {}
  // Socket settings in effect (TCP and kTLS), empty for the others.
  virtual std::string settings() const { return {}; }
  void scrub() { std::fill(rbuf_.begin(), rbuf_.end(), std::byte{0x5a}); }

 protected:
  virtual std::span<const std::byte> do_exchange(std::span<const std::byte> req) = 0;
  std::vector<std::byte> rbuf_;
  uint64_t count_ = 0;
};

// TCP and kTLS: 8-byte little-endian length, then the payload.
class StreamTransport : public Transport {
 public:
  StreamTransport(const sdp::Address& dst, size_t max_size, uint16_t cipher, int tls_minor, const sdp::KeyMaterial* km)
      : Transport(max_size), cipher_(cipher), minor_(tls_minor) {
    fd_ = inet_socket(dst.family(), SOCK_STREAM);
    g_tuning.apply(fd_);  // buffers before connect: the window scale is chosen at SYN time
    if (::connect(fd_, dst.sa(), dst.length) < 0) die("tcp connect");
    g_tuning.rearm(fd_);
    set_io_timeout(fd_);
    if (!cipher) {
      write_all(fd_, &kModeTcp, 1);
      return;
    }
    uint8_t h[20] = {kModeKtls, static_cast<uint8_t>(cipher), static_cast<uint8_t>(tls_minor), 0};
    if (getrandom(h + 4, 16, 0) != 16) die("getrandom");
    write_all(fd_, h, sizeof(h));
    uint8_t status = 0;
    if (!read_all(fd_, &status, 1)) throw std::runtime_error("kTLS: the server closed the connection");
    if (status == ENOKEY)
      throw std::runtime_error(std::string("kTLS: the server has no key for ") + cipher_name(cipher) +
                               " (start it with --key-file)");
    if (status)
      die_errno(status,
                "kTLS: the server's setsockopt(TCP_ULP/TLS_RX) failed "
                "(is tls.ko loaded there?)");
    set_tls_ulp(fd_);
    set_tls_key(fd_, TLS_TX, cipher, tls_minor, km->c2s_key, km->c2s_salt, h + 4);
    set_tls_key(fd_, TLS_RX, cipher, tls_minor, km->s2c_key, km->s2c_salt, h + 12);
  }
  ~StreamTransport() override { ::close(fd_); }
  int fd() const { return fd_; }
  std::string settings() const override { return PeerTuning::describe(fd_); }

  void check_after_run() override {
    if (!cipher_) return;
    uint64_t records = sdp::tls_record_count(fd_, TLS_TX, cipher_, minor_);
    if (records < count_)
      throw std::runtime_error("kTLS: TLS_TX reports " + std::to_string(records) + " records for " +
                               std::to_string(count_) + " exchanges");
  }

 protected:
  std::span<const std::byte> do_exchange(std::span<const std::byte> req) override {
    uint64_t len = htole64(req.size());
    iovec iov[2] = {{&len, sizeof(len)}, {const_cast<std::byte*>(req.data()), req.size()}};
    bool ok;
    try {
      writev_all(fd_, iov, 2);
      ok = read_stream(fd_, rbuf_.data(), 8 + req.size());
    } catch (const std::system_error& e) {
      if (e.code().value() != ECONNRESET && e.code().value() != EPIPE) throw;
      ok = false;
    }
    if (!ok)
      throw std::runtime_error(cipher_ ? "kTLS: the server closed the connection "
                                         "(different keys? its stderr says why)"
                                       : "tcp: the server closed the connection");
    std::memcpy(&len, rbuf_.data(), 8);
    if (le64toh(len) != req.size()) throw std::runtime_error("response length differs from the request's");
    return std::span(rbuf_.data() + 8, req.size());
  }

 private:
  int fd_ = -1;
  uint16_t cipher_;
  int minor_;
};

class UdpTransport : public Transport {
 public:
  UdpTransport(const sdp::Address& dst, size_t max_size) : Transport(max_size) {
    fd_ = inet_socket(dst.family(), SOCK_DGRAM);
    if (::connect(fd_, dst.sa(), dst.length) < 0) die("udp connect");
    timeval tv{2, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~UdpTransport() override { ::close(fd_); }
  bool supports(size_t size) const override { return size <= 65000; }

 protected:
  std::span<const std::byte> do_exchange(std::span<const std::byte> req) override {
    if (::send(fd_, req.data(), req.size(), 0) < 0) die("udp send");
    ssize_t n = ::recv(fd_, rbuf_.data(), rbuf_.size(), 0);
    if (n < 0) die("udp recv (lost datagram?)");
    if (static_cast<size_t>(n) != req.size()) throw std::runtime_error("udp: response length differs");
    return std::span(rbuf_.data(), req.size());
  }

 private:
  int fd_ = -1;
};

class SdpTransport : public Transport {
 public:
  sdp::Socket& socket() { return sock_; }
  const sdp::Address& server() const { return dst_; }
  // cipher 0: plaintext to dst. Otherwise a key exchange with the server's
  // TCP listener at dst picks the keyed server socket.
  SdpTransport(const sdp::Address& dst, size_t max_size, uint16_t cipher, const sdp::KeyMaterial* km)
      : Transport(max_size), sock_(dst.family()), dst_(dst), cipher_(cipher) {
    sock_.set_receive_timeout_ms(kIoTimeoutSec * 1000);
    if (!cipher) return;
    sock_.bind(sdp::Address::parse(dst.family() == AF_INET6 ? "::" : "0.0.0.0", 0));
    uint16_t port = sock_.local_port();
    ctl_ = inet_socket(dst.family(), SOCK_STREAM);
    if (::connect(ctl_, dst.sa(), dst.length) < 0) die("tcp connect (SDP key exchange)");
    set_io_timeout(ctl_);
    uint8_t h[4 + kSessionContext] = {kModeSdpKeys, static_cast<uint8_t>(cipher), static_cast<uint8_t>(port >> 8),
                                      static_cast<uint8_t>(port)};
    if (getrandom(h + 4, kSessionContext, 0) != static_cast<ssize_t>(kSessionContext)) die("getrandom");
    std::vector<uint8_t> context(h + 4, h + sizeof(h));
    write_all(ctl_, h, sizeof(h));
    uint8_t reply[4];
    if (!read_all(ctl_, reply, sizeof(reply)))
      throw std::runtime_error("SDP key exchange: the server closed the connection");
    if (reply[0] == ENOKEY)
      throw std::runtime_error(std::string("SDP key exchange: the server has no key for ") + cipher_name(cipher) +
                               " (start it with --key-file)");
    if (reply[0]) die_errno(reply[0], "SDP key exchange: the server failed");
    uint16_t server_port = static_cast<uint16_t>(reply[2] << 8 | reply[3]);
    if (dst_.family() == AF_INET)
      reinterpret_cast<sockaddr_in*>(&dst_.storage)->sin_port = htons(server_port);
    else
      reinterpret_cast<sockaddr_in6*>(&dst_.storage)->sin6_port = htons(server_port);
    sock_.install_keys(dst_, km->derive(context), true);
  }
  ~SdpTransport() override {
    if (ctl_ >= 0) ::close(ctl_);
  }

  void check_after_run() override {
    if (!cipher_) return;
    sdp_key_info ki{};
    std::memcpy(&ki.peer, &dst_.storage, std::min(sizeof(ki.peer), sizeof(dst_.storage)));
    socklen_t len = sizeof(ki);
    if (getsockopt(sock_.fd(), SOL_SDP, SDP_KEY_INFO, &ki, &len) < 0) die("getsockopt(SDP_KEY_INFO)");
    if (ki.tx_cipher != cipher_ || ki.rx_cipher != cipher_ || ki.tx_next_msg_id < count_)
      throw std::runtime_error("SDP: SDP_KEY_INFO reports tx cipher " + std::to_string(ki.tx_cipher) + ", rx cipher " +
                               std::to_string(ki.rx_cipher) + ", " + std::to_string(ki.tx_next_msg_id) +
                               " messages for " + std::to_string(count_) + " exchanges");
  }

 protected:
  std::span<const std::byte> do_exchange(std::span<const std::byte> req) override {
    sock_.send_request(dst_, req, 1);
    auto m = sock_.receive(rbuf_);
    if (!m) throw std::runtime_error("sdp: no response within " + std::to_string(kIoTimeoutSec) + " s");
    if (m->error) die_errno(m->error, "sdp: RPC failed");
    if (m->is_request || m->truncated || m->length != req.size())
      throw std::runtime_error("sdp: response length differs from the request's");
    return std::span(rbuf_.data(), m->length);
  }

 private:
  sdp::Socket sock_;
  sdp::Address dst_;
  uint16_t cipher_;
  int ctl_ = -1;
};

struct Proto {
  std::string name;
  std::unique_ptr<Transport> t;
};

std::unique_ptr<Transport> open_transport(const std::string& name, const sdp::Address& dst, size_t max_size,
                                          const KeyRing& keys) {
  uint16_t cipher = 0;
  std::string base = name;
  for (auto [suffix, c] : {std::pair{"-aes128", SDP_CIPHER_AES_GCM_128}, {"-aes256", SDP_CIPHER_AES_GCM_256}}) {
    std::string s(suffix);
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      cipher = static_cast<uint16_t>(c);
      base = name.substr(0, name.size() - s.size());
    }
  }
  const sdp::KeyMaterial* km = nullptr;
  if (cipher) {
    km = keys.find(cipher);
    if (!km) throw std::invalid_argument(name + " needs a --key-file with 'cipher " + cipher_name(cipher) + "'");
  }
  if (base == "sdp") return std::make_unique<SdpTransport>(dst, max_size, cipher, km);
  if (base == "tcp" && !cipher) return std::make_unique<StreamTransport>(dst, max_size, 0, 0, nullptr);
  if (base == "ktls" && cipher) return std::make_unique<StreamTransport>(dst, max_size, cipher, 2, km);
  if (base == "ktls13" && cipher) return std::make_unique<StreamTransport>(dst, max_size, cipher, 3, km);
  if (base == "udp" && !cipher) return std::make_unique<UdpTransport>(dst, max_size);
  throw std::invalid_argument("unknown protocol '" + name +
                              "' (sdp, sdp-aes128, sdp-aes256, tcp, ktls-aes128, ktls-aes256, "
                              "ktls13-aes128, ktls13-aes256, udp)");
}

// Bytes distinct per seed and position.
void fill_pattern(std::vector<std::byte>& buf, uint64_t seed) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (size_t i = 0; i < buf.size(); i++) {
    if ((i & 7) == 0) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    buf[i] = static_cast<std::byte>(x >> (8 * (i & 7)));
  }
}

void check_echo(const std::string& proto, std::span<const std::byte> req, std::span<const std::byte> resp,
                const char* which) {
  if (resp.size() != req.size() || !std::equal(req.begin(), req.end(), resp.begin())) {
    size_t at = 0;
    while (at < std::min(req.size(), resp.size()) && req[at] == resp[at]) at++;
    throw std::runtime_error(proto + ": the " + which + " response of size " + std::to_string(req.size()) +
                             " differs from the request at byte " + std::to_string(at));
  }
}

struct Options {
  std::string server;
  uint16_t port = 6000;
  std::vector<std::string> protos{"sdp", "tcp", "udp"};
  std::vector<size_t> sizes;
  int warmup = 20, iterations = 500, rounds = 10;
  bool warmup_set = false;
};

int run_client(const Options& o, const KeyRing& keys) {
  sdp::Address dst = sdp::Address::parse(o.server, o.port);
  size_t max_size = *std::max_element(o.sizes.begin(), o.sizes.end());
  std::vector<Proto> protos;
  for (const auto& name : o.protos) protos.push_back({name, open_transport(name, dst, max_size, keys)});
  int rounds = std::min(o.rounds, o.iterations);

  struct Result {
    std::string proto;
    size_t size;
    std::vector<double> us;
  };
  std::vector<Result> results;
  for (size_t size : o.sizes) {
    std::vector<size_t> active;  // indexes into protos and into this size's results
    size_t first = results.size();
    std::vector<std::vector<std::byte>> req;
    for (size_t p = 0; p < protos.size(); p++) {
      if (!protos[p].t->supports(size)) continue;
      active.push_back(p);
      results.push_back({protos[p].name, size, {}});
      results.back().us.reserve(static_cast<size_t>(o.iterations));
      req.emplace_back(size);
      fill_pattern(req.back(), size * 131 + p);
    }
    for (size_t i = 0; i < active.size(); i++) {
      Transport& t = *protos[active[i]].t;
      t.scrub();
      check_echo(protos[active[i]].name, req[i], t.exchange(req[i]), "first");
      // Warm-up bounded by bytes: a few large exchanges warm up as much.
      size_t warmup =
          std::min(static_cast<size_t>(o.warmup), std::max<size_t>(1, (8U << 20) / std::max<size_t>(size, 1)));
      for (size_t w = 0; w < warmup; w++) t.exchange(req[i]);
    }
    for (int r = 0; r < rounds; r++) {
      int n = o.iterations / rounds + (r < o.iterations % rounds ? 1 : 0);
      for (size_t i = 0; i < active.size(); i++) {
        Transport& t = *protos[active[i]].t;
        auto& us = results[first + i].us;
        t.exchange(req[i]);
        std::span<const std::byte> resp;
        for (int k = 0; k < n; k++) {
          auto t0 = Clock::now();
          resp = t.exchange(req[i]);
          us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        }
        if (r == rounds - 1) check_echo(protos[active[i]].name, req[i], resp, "last");
      }
    }
  }
  std::string settings;
  for (auto& p : protos)
    if (auto s = p.t->settings(); !s.empty()) settings += (settings.empty() ? "" : "; ") + p.name + ": " + s;
  std::cerr << "peer settings: " << g_tuning.summary() << (settings.empty() ? "" : "; client sockets after the run: ")
            << settings << "\n";
  for (auto& p : protos) {
    try {
      p.t->check_after_run();
    } catch (const std::exception& e) {
      throw std::runtime_error(p.name + ": " + e.what());
    }
  }

  std::printf("[\n");
  for (size_t i = 0; i < results.size(); i++) {
    auto& r = results[i];
    std::sort(r.us.begin(), r.us.end());
    double mean = 0;
    for (double v : r.us) mean += v;
    mean /= static_cast<double>(r.us.size());
    auto pct = [&](double p) { return r.us[static_cast<size_t>(p * static_cast<double>(r.us.size() - 1))]; };
    std::printf(
        "  "
        "{\"proto\":\"%s\",\"size\":%zu,\"iterations\":%zu,\"p50_us\":%.1f,"
        "\"p99_us\":%.1f,\"mean_us\":%.1f,"
        "\"p10_us\":%.1f,\"p25_us\":%.1f,\"p75_us\":%.1f,\"p90_us\":%.1f}%s\n",
        r.proto.c_str(), r.size, r.us.size(), pct(0.5), pct(0.99), mean, pct(0.1), pct(0.25), pct(0.75), pct(0.9),
        i + 1 < results.size() ? "," : "");
  }
  std::printf("]\n");
  return 0;
}

// ------------------------------------------------------------------ load --

struct LoadOptions {
  std::vector<int> inflight{1, 8, 64, 256};
  int requests = 2000, warmup = 200;
};

// Latencies of the measured completions and the time they took.
struct LoadCell {
  std::vector<double> us;
  double seconds = 0;
};

// Counts completions: the first `warmup` unmeasured, then `requests` timed;
// done() once every issued request completed.
class LoadClock {
 public:
  LoadClock(int warmup, int requests, int inflight)
      : warmup_(warmup), requests_(requests), total_(warmup + requests + inflight) {}
  bool may_issue() const { return issued_ < total_; }
  Clock::time_point issue() {
    issued_++;
    return Clock::now();
  }
  void complete(Clock::time_point sent) {
    auto now = Clock::now();
    completed_++;
    if (completed_ == warmup_) start_ = now;
    if (completed_ > warmup_ && completed_ <= warmup_ + requests_) {
      cell_.us.push_back(std::chrono::duration<double, std::micro>(now - sent).count());
      if (completed_ == warmup_ + requests_) cell_.seconds = std::chrono::duration<double>(now - start_).count();
    }
  }
  bool done() const { return completed_ == total_; }
  LoadCell take() { return std::move(cell_); }

 private:
  int warmup_, requests_, total_, issued_ = 0, completed_ = 0;
  Clock::time_point start_ = Clock::now();
  LoadCell cell_;
};

LoadCell load_sdp(SdpTransport& t, std::span<const std::byte> req, int inflight, const LoadOptions& o) {
  LoadClock clock(o.warmup, o.requests, inflight);
  std::vector<Clock::time_point> sent(static_cast<size_t>(inflight));
  std::vector<std::byte> buf(req.size() + 16);
  sdp::Socket& s = t.socket();
  for (int slot = 0; slot < inflight && clock.may_issue(); slot++) {
    sent[static_cast<size_t>(slot)] = clock.issue();
    s.send_request(t.server(), req, static_cast<uint64_t>(slot));
  }
  while (!clock.done()) {
    auto m = s.receive(buf);
    if (!m) throw std::runtime_error("sdp: no response within " + std::to_string(kIoTimeoutSec) + " s");
    if (m->error) die_errno(m->error, "sdp: RPC failed");
    if (m->is_request || m->truncated || m->length != req.size() || m->cookie >= sent.size())
      throw std::runtime_error("sdp: unexpected message under load");
    clock.complete(sent[m->cookie]);
    if (clock.may_issue()) {
      sent[m->cookie] = clock.issue();
      s.send_request(t.server(), req, m->cookie);
    }
  }
  return clock.take();
}

// Stream connections, each with up to `depth` requests in flight (8-byte
// length + payload; responses have the same size), driven by poll().
LoadCell load_stream(const std::vector<int>& fds, std::span<const std::byte> req, int depth, int inflight,
                     const LoadOptions& o) {
  struct Conn {
    int fd;
    std::deque<Clock::time_point> sent;  // send times of the requests in flight, oldest first
    size_t wpos = 0;                     // bytes written of the request being written
    bool writing = false;                // a request is partly written
    size_t rpos = 0;                     // bytes of the oldest response read
  };
  std::vector<std::byte> wire(8 + req.size());
  uint64_t len = htole64(req.size());
  std::memcpy(wire.data(), &len, 8);
  std::memcpy(wire.data() + 8, req.data(), req.size());
  std::vector<std::byte> sink(256 << 10);
  LoadClock clock(o.warmup, o.requests, inflight);
  std::vector<Conn> conns;
  for (int fd : fds) {
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) die("fcntl(O_NONBLOCK)");
    conns.push_back({fd, {}, 0, false, 0});
  }
  auto want_write = [&](const Conn& c) {
    return c.writing || (static_cast<int>(c.sent.size()) < depth && clock.may_issue());
  };
  std::vector<pollfd> pfds(conns.size());
  while (!clock.done()) {
    for (size_t i = 0; i < conns.size(); i++)
      pfds[i] = {conns[i].fd, static_cast<short>(POLLIN | (want_write(conns[i]) ? POLLOUT : 0)), 0};
    if (::poll(pfds.data(), pfds.size(), kIoTimeoutSec * 1000) == 0)
      throw std::runtime_error("no response within " + std::to_string(kIoTimeoutSec) + " s");
    for (size_t i = 0; i < conns.size(); i++) {
      Conn& c = conns[i];
      if (pfds[i].revents & (POLLERR | POLLHUP)) throw std::runtime_error("a connection failed under load");
      while (pfds[i].revents & POLLOUT && want_write(c)) {
        if (!c.writing) {
          c.sent.push_back(clock.issue());
          c.writing = true;
        }
        ssize_t n = ::write(c.fd, wire.data() + c.wpos, wire.size() - c.wpos);
        if (n < 0) {
          if (errno == EAGAIN || errno == EINTR) break;
          die("write");
        }
        c.wpos += static_cast<size_t>(n);
        if (c.wpos == wire.size()) {
          c.wpos = 0;
          c.writing = false;
        }
      }
      if (!(pfds[i].revents & POLLIN)) continue;
      for (;;) {
        ssize_t n = ::read(c.fd, sink.data(), sink.size());
        if (n == 0) throw std::runtime_error("the server closed a connection under load");
        if (n < 0) {
          if (errno == EAGAIN || errno == EINTR) break;
          die("read");
        }
        g_tuning.rearm(c.fd);
        c.rpos += static_cast<size_t>(n);
        while (c.rpos >= wire.size() && !c.sent.empty()) {
          c.rpos -= wire.size();
          clock.complete(c.sent.front());
          c.sent.pop_front();
        }
      }
    }
  }
  for (int fd : fds) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return clock.take();
}

int run_load(const Options& o, const LoadOptions& lo, const KeyRing& keys) {
  sdp::Address dst = sdp::Address::parse(o.server, o.port);
  size_t max_size = *std::max_element(o.sizes.begin(), o.sizes.end());
  int max_inflight = *std::max_element(lo.inflight.begin(), lo.inflight.end());
  struct Row {
    std::string proto;
    size_t size;
    int inflight;
    LoadCell cell;
  };
  std::vector<Row> rows;
  std::string settings;
  for (const auto& name : o.protos) {
    bool pipe = name.size() > 5 && name.compare(name.size() - 5, 5, "+pipe") == 0;
    std::string base = pipe ? name.substr(0, name.size() - 5) : name;
    bool is_sdp = base.rfind("sdp", 0) == 0;
    if (pipe && is_sdp) throw std::invalid_argument(name + ": +pipe is for tcp and ktls");
    if (base == "udp") throw std::invalid_argument("load: udp is not a request/response transport here");
    // SDP: one socket; streams: as many connections as the largest C needs.
    int nconn = is_sdp || pipe ? 1 : max_inflight;
    std::vector<std::unique_ptr<Transport>> ts;
    for (int i = 0; i < nconn; i++) ts.push_back(open_transport(base, dst, max_size, keys));
    for (size_t size : o.sizes) {
      std::vector<std::byte> req(size);
      fill_pattern(req, size * 131 + 7);
      for (auto& t : ts) check_echo(name, req, t->exchange(req), "first");
      for (int c : lo.inflight) {
        LoadCell cell;
        if (is_sdp) {
          cell = load_sdp(dynamic_cast<SdpTransport&>(*ts[0]), req, c, lo);
        } else {
          std::vector<int> fds;
          for (int i = 0; i < (pipe ? 1 : c); i++) fds.push_back(dynamic_cast<StreamTransport&>(*ts[i]).fd());
          cell = load_stream(fds, req, pipe ? c : 1, c, lo);
        }
        rows.push_back({name, size, c, std::move(cell)});
      }
    }
    if (!is_sdp) settings += (settings.empty() ? "" : "; ") + name + ": " + ts[0]->settings();
  }
  std::cerr << "peer settings: " << g_tuning.summary() << (settings.empty() ? "" : "; client sockets after the run: ")
            << settings << "\n";
  std::printf("[\n");
  for (size_t i = 0; i < rows.size(); i++) {
    auto& r = rows[i];
    auto& us = r.cell.us;
    std::sort(us.begin(), us.end());
    auto pct = [&](double p) { return us[static_cast<size_t>(p * static_cast<double>(us.size() - 1))]; };
    std::printf(
        "  {\"proto\":\"%s\",\"size\":%zu,\"inflight\":%d,\"requests\":%zu,\"seconds\":%.6f,\"rpcs_per_s\":%.1f,"
        "\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f}%s\n",
        r.proto.c_str(), r.size, r.inflight, us.size(), r.cell.seconds,
        r.cell.seconds > 0 ? static_cast<double>(us.size()) / r.cell.seconds : 0.0, pct(0.5), pct(0.99), us.back(),
        i + 1 < rows.size() ? "," : "");
  }
  std::printf("]\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  std::string mode = args[0];
  Options o;
  LoadOptions lo;
  bool v6 = false;
  KeyRing keys;
  try {
    o.sizes = sdp::parse_size_list("64,1K,4K,16K,64K,256K,1M");
    sdp::ArgCursor args_cursor(args, 1);
    while (args_cursor.next()) {
      const std::string& a = args_cursor.opt();
      auto value = [&]() -> const std::string& { return args_cursor.value(); };
      auto number = [&](const char*, uint64_t lo, uint64_t hi) { return args_cursor.number(lo, hi); };
      if (a == "--help" || a == "-h") {
        std::cout << kUsage;
        return 0;
      } else if (a == "--port") {
        o.port = static_cast<uint16_t>(number("--port", 1, 65535));
      } else if (a == "--server") {
        o.server = value();
      } else if (a == "--protos") {
        o.protos = sdp::split_list(value());
      } else if (a == "--sizes") {
        o.sizes = sdp::parse_size_list(value());
        for (size_t s : o.sizes)
          if (s > SDP_MAX_MESSAGE_LEN) throw std::invalid_argument("size " + std::to_string(s) + " too large");
      } else if (a == "--iterations") {
        o.iterations = static_cast<int>(number("--iterations", 1, 10000000));
      } else if (a == "--warmup") {
        o.warmup = static_cast<int>(number("--warmup", 0, 10000000));
        o.warmup_set = true;
      } else if (a == "--rounds") {
        o.rounds = static_cast<int>(number("--rounds", 1, 100000));
      } else if (a == "--key-file") {
        keys.add(value());
      } else if (a == "-6") {
        v6 = true;
      } else if (a == "--inflight") {
        lo.inflight.clear();
        for (const auto& v : sdp::split_list(value())) {
          uint64_t n = sdp::parse_size(v, "--inflight");
          if (n < 1 || n > 4096) throw std::invalid_argument("--inflight wants 1..4096");
          lo.inflight.push_back(static_cast<int>(n));
        }
      } else if (a == "--requests") {
        lo.requests = static_cast<int>(number("--requests", 1, 10000000));
      } else if (a == "--tcp-quickack") {
        g_tuning.quickack = true;
      } else if (a == "--sockbuf") {
        uint64_t n = sdp::parse_size(value(), "--sockbuf");
        if (n == 0 || n > (1U << 30)) throw std::invalid_argument("--sockbuf wants 1 byte to 1 GiB");
        g_tuning.sockbuf = static_cast<int>(n);
      } else {
        throw std::invalid_argument("unknown option '" + a + "'");
      }
    }
    signal(SIGPIPE, SIG_IGN);
    if (mode == "server") return run_server(sdp::Address::parse(v6 ? "::" : "0.0.0.0", o.port), keys);
    if (mode == "client" || mode == "load") {
      if (o.server.empty()) throw std::invalid_argument(mode + " needs --server ADDR");
      if (mode == "load") {
        lo.warmup = o.warmup_set ? o.warmup : lo.warmup;
        return run_load(o, lo, keys);
      }
      return run_client(o, keys);
    }
    throw std::invalid_argument("unknown mode '" + mode + "'");
  } catch (const std::invalid_argument& e) {
    std::cerr << "sdp-bench: " << e.what() << "\nTry 'sdp-bench --help'.\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "sdp-bench: " << e.what() << "\n";
    return 1;
  }
}
