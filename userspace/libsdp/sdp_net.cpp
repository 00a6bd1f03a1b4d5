// SPDX-License-Identifier: MIT
#include "sdp_net.h"

#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace sdp {
namespace {

[[noreturn]] void die(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}

struct TlsInfo {
  union {
    tls12_crypto_info_aes_gcm_128 g128;
    tls12_crypto_info_aes_gcm_256 g256;
  } u{};
  socklen_t len = 0;
  ~TlsInfo() { explicit_bzero(&u, sizeof(u)); }
};

template <typename T>
void fill_tls(T& g, uint16_t version, uint16_t type, std::span<const uint8_t> key,
              std::span<const uint8_t> salt, const uint8_t* iv) {
  if (key.size() != sizeof(g.key) || salt.size() != sizeof(g.salt))
    throw std::invalid_argument("kTLS: key or salt of the wrong length for the cipher");
  g.info.version = version;
  g.info.cipher_type = type;
  std::memcpy(g.key, key.data(), sizeof(g.key));
  std::memcpy(g.salt, salt.data(), sizeof(g.salt));
  std::memcpy(g.iv, iv, sizeof(g.iv));
}

}  // namespace

bool read_all(int fd, void* p, size_t n, const char* timeout_what) {
  auto* c = static_cast<char*>(p);
  while (n) {
    ssize_t r = ::read(fd, c, n);
    if (r == 0) return false;
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) throw std::runtime_error(timeout_what);
      die(errno, "read");
    }
    c += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

void writev_all(int fd, iovec* iov, int n) {
  while (n) {
    ssize_t w = ::writev(fd, iov, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      die(errno, "write");
    }
    auto left = static_cast<size_t>(w);
    while (n && left >= iov->iov_len) {
      left -= iov->iov_len;
      iov++;
      n--;
    }
    if (n) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
}

void write_all(int fd, const void* p, size_t n) {
  iovec iov{const_cast<void*>(p), n};
  writev_all(fd, &iov, 1);
}

int inet_socket(int family, int type) {
  int fd = ::socket(family, type | SOCK_CLOEXEC, 0);
  if (fd < 0) die(errno, "socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  return fd;
}

void set_nodelay(int fd) {
  int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
    die(errno, "setsockopt(TCP_NODELAY)");
}

void set_receive_timeout(int fd, int seconds) {
  timeval tv{seconds, 0};
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
    die(errno, "setsockopt(SO_RCVTIMEO)");
}

Address peer_of(int fd) {
  Address a;
  socklen_t len = sizeof(a.storage);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&a.storage), &len) < 0)
    die(errno, "getpeername");
  a.length = len;
  auto* s6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (a.family() == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
    sockaddr_in s4{};
    s4.sin_family = AF_INET;
    s4.sin_port = s6->sin6_port;
    std::memcpy(&s4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
    a.storage = {};
    std::memcpy(&a.storage, &s4, sizeof(s4));
    a.length = sizeof(s4);
  }
  return a;
}

const char* cipher_name(uint16_t c) {
  return c == SDP_CIPHER_AES_GCM_256 ? "aes-gcm-256" : "aes-gcm-128";
}

void set_tls_ulp(int fd) {
  if (setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")) == 0) return;
  int err = errno;
  if (err == ENOENT)
    die(err,
        "setsockopt(TCP_ULP, \"tls\"): tls.ko not loaded and not loadable "
        "(modprobe tls)");
  die(err, "setsockopt(TCP_ULP, \"tls\")");
}

void set_tls_key(int fd, int dir, uint16_t cipher, int minor, std::span<const uint8_t> key,
                 std::span<const uint8_t> salt, const uint8_t* iv) {
  TlsInfo t;
  uint16_t version = minor == 3 ? TLS_1_3_VERSION : TLS_1_2_VERSION;
  if (cipher == SDP_CIPHER_AES_GCM_256) {
    fill_tls(t.u.g256, version, TLS_CIPHER_AES_GCM_256, key, salt, iv);
    t.len = sizeof(t.u.g256);
  } else {
    fill_tls(t.u.g128, version, TLS_CIPHER_AES_GCM_128, key, salt, iv);
    t.len = sizeof(t.u.g128);
  }
  std::string what = std::string("setsockopt(SOL_TLS, ") + (dir == TLS_TX ? "TLS_TX" : "TLS_RX") +
                     ", " + cipher_name(cipher) + ", TLS 1." + std::to_string(minor) + ")";
  if (setsockopt(fd, SOL_TLS, dir, &t.u, t.len) < 0) die(errno, what);
  if (dir == TLS_RX && minor == 3) {
    // TLS 1.3: let the kernel decrypt straight into the user buffer (6.0+).
    int one = 1;
    setsockopt(fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &one, sizeof(one));
  }
}

uint64_t tls_record_count(int fd, int dir, uint16_t cipher, int minor) {
  TlsInfo t;
  // The kernel wants exactly the cipher's struct size.
  socklen_t len = cipher == SDP_CIPHER_AES_GCM_256 ? sizeof(t.u.g256) : sizeof(t.u.g128);
  if (getsockopt(fd, SOL_TLS, dir, &t.u, &len) < 0)
    die(errno, dir == TLS_TX ? "getsockopt(SOL_TLS, TLS_TX)" : "getsockopt(SOL_TLS, TLS_RX)");
  uint16_t want_type =
      cipher == SDP_CIPHER_AES_GCM_256 ? TLS_CIPHER_AES_GCM_256 : TLS_CIPHER_AES_GCM_128;
  uint16_t want_version = minor == 3 ? TLS_1_3_VERSION : TLS_1_2_VERSION;
  if (t.u.g128.info.cipher_type != want_type || t.u.g128.info.version != want_version)
    throw std::runtime_error("kTLS: the socket reports cipher " +
                             std::to_string(t.u.g128.info.cipher_type) + ", version " +
                             std::to_string(t.u.g128.info.version) + ", not " +
                             cipher_name(cipher) + " TLS 1." + std::to_string(minor));
  const uint8_t* seq = cipher == SDP_CIPHER_AES_GCM_256 ? t.u.g256.rec_seq : t.u.g128.rec_seq;
  uint64_t records = 0;
  for (int i = 0; i < 8; i++) records = records << 8 | seq[i];
  return records;
}

void KeyRing::add(const std::string& path) {
  auto km = KeyMaterial::load(path);
  uint16_t cipher = km.cipher;
  if (!by_cipher_.emplace(cipher, std::move(km)).second)
    throw std::invalid_argument("two --key-file with cipher " + std::string(cipher_name(cipher)));
}

const KeyMaterial* KeyRing::find(uint16_t cipher) const {
  auto it = by_cipher_.find(cipher);
  return it == by_cipher_.end() ? nullptr : &it->second;
}

}  // namespace sdp
