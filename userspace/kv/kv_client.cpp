// SPDX-License-Identifier: MIT
#include "kv_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "kv_session.h"
#include "sdp_net.h"

namespace kv {
namespace {

[[noreturn]] void die(int err, const std::string& what) { throw std::system_error(err, std::generic_category(), what); }

void set_nonblocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) die(errno, "fcntl(O_NONBLOCK)");
}

void handshake_status(uint8_t status, const char* what, uint16_t cipher) {
  if (status == ENOKEY)
    throw std::runtime_error(std::string(what) + ": the server has no key for " + sdp::cipher_name(cipher) +
                             " (start it with --key-file)");
  if (status) die(status, std::string(what) + ": the server refused the key exchange");
}

int connect_tcp(const sdp::Address& a, int timeout_s) {
  int fd = sdp::inet_socket(a.family(), SOCK_STREAM);
  if (::connect(fd, a.sa(), a.length) < 0) {
    int err = errno;
    ::close(fd);
    die(err, "connect to " + a.to_string());
  }
  sdp::set_nodelay(fd);
  sdp::set_receive_timeout(fd, timeout_s);
  return fd;
}

// TCP and kTLS: RESP pipelined on a stream.
class StreamConnection : public Connection {
 public:
  explicit StreamConnection(const ClientOptions& o) : max_reply_(o.max_reply), cipher_(o.cipher), minor_(o.tls_minor) {
    timeout_s_ = o.timeout_s;
    fd_ = connect_tcp(sdp::Address::parse(o.host, o.port), o.timeout_s);
    if (o.transport == Transport::kKtls) {
      if (!o.keys) throw std::invalid_argument("kTLS needs a key file");
      uint8_t hello[kTlsHelloLen];
      std::memcpy(hello, kTlsMagic.data(), 4);
      hello[4] = static_cast<uint8_t>(o.cipher);
      hello[5] = static_cast<uint8_t>(o.tls_minor);
      Random client = random_bytes();
      std::memcpy(hello + 6, client.data(), kRandomLen);
      sdp::write_all(fd_, hello, sizeof(hello));
      uint8_t reply[kTlsReplyLen];
      if (!sdp::read_all(fd_, reply, 1, "kTLS key exchange: no reply"))
        throw std::runtime_error("kTLS key exchange: the server closed the connection");
      handshake_status(reply[0], "kTLS key exchange", o.cipher);
      if (!sdp::read_all(fd_, reply + 1, kRandomLen, "kTLS key exchange: no reply"))
        throw std::runtime_error("kTLS key exchange: the server closed the connection");
      Random server;
      std::memcpy(server.data(), reply + 1, kRandomLen);
      auto s = derive_session(*o.keys, "ktls", client, server, 1);
      static constexpr uint8_t kIv[8] = {};
      sdp::set_tls_ulp(fd_);
      sdp::set_tls_key(fd_, TLS_TX, o.cipher, o.tls_minor, s.c2s_key, s.c2s_salt, kIv);
      sdp::set_tls_key(fd_, TLS_RX, o.cipher, o.tls_minor, s.s2c_key, s.s2c_salt, kIv);
    } else {
      cipher_ = 0;
    }
    set_nonblocking(fd_);
    in_.resize(64 << 10);
  }
  ~StreamConnection() override { ::close(fd_); }

  int fd() const override { return fd_; }
  bool want_write() const override { return out_off_ < out_.size(); }

  void send(std::string_view request, uint64_t tag) override {
    out_.append(request);
    tags_.push_back(tag);
    in_flight_++;
    flush();
  }

  void flush() override {
    while (out_off_ < out_.size()) {
      ssize_t w = ::send(fd_, out_.data() + out_off_, out_.size() - out_off_, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return;
        die(errno, "send");
      }
      out_off_ += static_cast<size_t>(w);
    }
    out_.clear();
    out_off_ = 0;
  }

  size_t poll_replies(const ReplyFn& f) override {
    size_t n = 0;
    for (;;) {
      // Parse what is buffered first.
      while (len_) {
        resp::Reply r;
        auto p = resp::parse_reply(std::string_view(in_.data() + start_, len_), max_reply_, r);
        if (p.status == resp::Status::kError) throw std::runtime_error(std::string("bad reply: ") + p.error);
        if (p.status == resp::Status::kIncomplete) break;
        if (tags_.empty()) throw std::runtime_error("a reply without a request");
        uint64_t tag = tags_.front();
        tags_.pop_front();
        in_flight_--;
        f(tag, r);
        start_ += p.consumed;
        len_ -= p.consumed;
        n++;
      }
      if (!len_) start_ = 0;
      if (start_ && start_ + len_ > in_.size() / 2) {
        std::memmove(in_.data(), in_.data() + start_, len_);
        start_ = 0;
      }
      if (in_.size() - start_ - len_ < (16 << 10)) in_.resize(std::max(in_.size() * 2, start_ + len_ + (64 << 10)));
      if (in_.size() > max_reply_ + (128 << 10)) throw std::runtime_error("reply larger than the client's limit");
      ssize_t r = ::read(fd_, in_.data() + start_ + len_, in_.size() - start_ - len_);
      if (r == 0) {
        if (n) return n;  // deliver what came before the close; the next call throws
        throw std::runtime_error("the server closed the connection");
      }
      if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) return n;
        die(errno, "read");
      }
      len_ += static_cast<size_t>(r);
    }
  }

  void check_after_run(uint64_t requests) override {
    if (!cipher_) return;
    uint64_t records = sdp::tls_record_count(fd_, TLS_TX, cipher_, minor_);
    if (records < requests)
      throw std::runtime_error("kTLS: TLS_TX reports " + std::to_string(records) + " records for " +
                               std::to_string(requests) + " requests");
  }

 private:
  int fd_ = -1;
  size_t max_reply_;
  uint16_t cipher_;
  int minor_;
  std::string out_;
  size_t out_off_ = 0;
  std::vector<char> in_;
  size_t start_ = 0, len_ = 0;
  std::deque<uint64_t> tags_;
};

// SDP: one socket per connection; one request message per command.
class SdpConnection : public Connection {
 public:
  explicit SdpConnection(const ClientOptions& o)
      : sock_(sdp::Address::parse(o.host, o.port).family()),
        server_(sdp::Address::parse(o.host, o.port)),
        cipher_(o.cipher),
        buf_(o.max_reply) {
    timeout_s_ = o.timeout_s;
    sock_.bind(sdp::Address::parse(server_.family() == AF_INET6 ? "::" : "0.0.0.0", 0));
    if (o.cipher) {
      if (!o.keys) throw std::invalid_argument("keyed SDP needs a key file");
      // Key exchange over TCP at the same port number as the SDP socket.
      ctl_ = connect_tcp(server_, o.timeout_s);
      uint16_t port = sock_.local_port();
      uint8_t hello[kSdpHelloLen];
      std::memcpy(hello, kSdpMagic.data(), 4);
      hello[4] = static_cast<uint8_t>(o.cipher);
      hello[5] = static_cast<uint8_t>(port >> 8);
      hello[6] = static_cast<uint8_t>(port);
      Random client = random_bytes();
      std::memcpy(hello + 7, client.data(), kRandomLen);
      sdp::write_all(ctl_, hello, sizeof(hello));
      uint8_t reply[kSdpReplyLen];
      if (!sdp::read_all(ctl_, reply, 1, "SDP key exchange: no reply"))
        throw std::runtime_error("SDP key exchange: the server closed the connection");
      handshake_status(reply[0], "SDP key exchange", o.cipher);
      if (!sdp::read_all(ctl_, reply + 1, kSdpReplyLen - 1, "SDP key exchange: no reply"))
        throw std::runtime_error("SDP key exchange: the server closed the connection");
      Random server;
      std::memcpy(server.data(), reply + 4, kRandomLen);
      uint16_t sport = static_cast<uint16_t>(reply[2] << 8 | reply[3]);
      if (server_.family() == AF_INET)
        reinterpret_cast<sockaddr_in*>(&server_.storage)->sin_port = htons(sport);
      else
        reinterpret_cast<sockaddr_in6*>(&server_.storage)->sin6_port = htons(sport);
      auto s = derive_session(*o.keys, "sdp", client, server, reply[1]);
      sock_.install_keys(server_, s, true);
    }
  }
  ~SdpConnection() override {
    if (ctl_ >= 0) ::close(ctl_);
  }

  int fd() const override { return sock_.fd(); }

  void send(std::string_view request, uint64_t tag) override {
    sock_.send_request(server_, std::span(reinterpret_cast<const std::byte*>(request.data()), request.size()), tag);
    in_flight_++;
  }

  size_t poll_replies(const ReplyFn& f) override {
    size_t n = 0;
    for (;;) {
      auto m = sock_.receive(buf_, MSG_DONTWAIT);
      if (!m) return n;
      if (m->is_request) continue;
      if (m->error) die(m->error, "SDP RPC failed");
      if (m->truncated) throw std::runtime_error("SDP reply larger than the client's limit");
      resp::Reply r;
      std::string_view body(reinterpret_cast<const char*>(buf_.data()), m->length);
      auto p = resp::parse_reply(body, buf_.size(), r);
      if (p.status != resp::Status::kOk || p.consumed != m->length)
        throw std::runtime_error("bad SDP reply: not exactly one RESP reply");
      in_flight_--;
      f(m->cookie, r);
      n++;
    }
  }

  void check_after_run(uint64_t requests) override {
    if (!cipher_) return;
    sdp_key_info ki{};
    std::memcpy(&ki.peer, &server_.storage, std::min(sizeof(ki.peer), sizeof(server_.storage)));
    socklen_t len = sizeof(ki);
    if (getsockopt(sock_.fd(), SOL_SDP, SDP_KEY_INFO, &ki, &len) < 0) die(errno, "getsockopt(SDP_KEY_INFO)");
    if (ki.tx_cipher != cipher_ || ki.rx_cipher != cipher_ || ki.tx_next_msg_id < requests)
      throw std::runtime_error("SDP: SDP_KEY_INFO reports tx cipher " + std::to_string(ki.tx_cipher) +
                               ", rx cipher " + std::to_string(ki.rx_cipher) + ", " +
                               std::to_string(ki.tx_next_msg_id) + " messages for " + std::to_string(requests) +
                               " requests");
  }

 private:
  sdp::Socket sock_;
  sdp::Address server_;
  uint16_t cipher_;
  int ctl_ = -1;
  std::vector<std::byte> buf_;
};

}  // namespace

std::string OwnedReply::to_string() const {
  switch (type) {
    case resp::ReplyType::kSimple: return str;
    case resp::ReplyType::kError: return "(error) " + str;
    case resp::ReplyType::kInteger: return "(integer) " + std::to_string(integer);
    case resp::ReplyType::kBulk: return "\"" + str + "\"";
    case resp::ReplyType::kNil: return "(nil)";
  }
  return "?";
}

std::unique_ptr<Connection> Connection::open(const ClientOptions& o) {
  if (o.transport == Transport::kSdp) return std::make_unique<SdpConnection>(o);
  return std::make_unique<StreamConnection>(o);
}

OwnedReply Connection::call_raw(std::string_view request) {
  OwnedReply out;
  bool got = false;
  send(request, 0);
  while (!got) {
    pollfd p{fd(), static_cast<short>(POLLIN | (want_write() ? POLLOUT : 0)), 0};
    int r = ::poll(&p, 1, timeout_s_ * 1000);
    if (r == 0) throw std::runtime_error("no reply within " + std::to_string(timeout_s_) + " s");
    if (r < 0 && errno != EINTR) die(errno, "poll");
    if (want_write()) flush();
    poll_replies([&](uint64_t, const resp::Reply& rep) {
      out.type = rep.type;
      out.str.assign(rep.str);
      out.integer = rep.integer;
      got = true;
    });
  }
  return out;
}

OwnedReply Connection::call(std::initializer_list<std::string_view> argv) {
  std::string req;
  resp::append_command(req, std::span(argv.begin(), argv.size()));
  return call_raw(req);
}

void parse_transport(const std::string& name, ClientOptions& o) {
  std::string base = name;
  o.cipher = 0;
  for (auto [suffix, c] : {std::pair{"-aes128", SDP_CIPHER_AES_GCM_128}, {"-aes256", SDP_CIPHER_AES_GCM_256}}) {
    std::string s(suffix);
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      o.cipher = static_cast<uint16_t>(c);
      base = name.substr(0, name.size() - s.size());
    }
  }
  if (base == "sdp") {
    o.transport = Transport::kSdp;
  } else if (base == "tcp" && !o.cipher) {
    o.transport = Transport::kTcp;
  } else if ((base == "ktls" || base == "ktls13") && o.cipher) {
    o.transport = Transport::kKtls;
    o.tls_minor = base == "ktls13" ? 3 : 2;
  } else {
    throw std::invalid_argument("unknown transport '" + name +
                                "' (sdp, sdp-aes128, sdp-aes256, tcp, ktls-aes128, ktls-aes256, "
                                "ktls13-aes128, ktls13-aes256)");
  }
}

}  // namespace kv
