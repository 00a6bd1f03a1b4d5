// SPDX-License-Identifier: MIT
#include "sdp_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace sdp {
namespace {

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

Address Address::parse(std::string_view host, uint16_t port) {
  Address a;
  std::string h(host);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  auto* sin = reinterpret_cast<sockaddr_in*>(&a.storage);
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (inet_pton(AF_INET, h.c_str(), &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    a.length = sizeof(*sin);
  } else if (inet_pton(AF_INET6, h.c_str(), &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    a.length = sizeof(*sin6);
  } else {
    throw std::invalid_argument("not an IPv4 or IPv6 address: '" + h + "'");
  }
  return a;
}

Address Address::any(int family, uint16_t port) {
  if (family != AF_INET && family != AF_INET6)
    throw std::invalid_argument("Address::any: family must be AF_INET or AF_INET6");
  return parse(family == AF_INET6 ? "::" : "0.0.0.0", port);
}

uint16_t Address::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
}

std::string Address::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, buf, sizeof(buf));
    return std::string(buf) + ":" + std::to_string(port());
  }
  inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, buf,
            sizeof(buf));
  return "[" + std::string(buf) + "]:" + std::to_string(port());
}

bool Address::operator==(const Address& other) const {
  if (family() != other.family() || port() != other.port()) return false;
  if (family() == AF_INET)
    return reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in*>(&other.storage)->sin_addr.s_addr;
  return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr,
                     &reinterpret_cast<const sockaddr_in6*>(&other.storage)->sin6_addr,
                     sizeof(in6_addr)) == 0;
}

namespace {

std::vector<uint8_t> parse_hex(const std::string& h, const std::string& what) {
  if (h.size() % 2) throw std::runtime_error(what + ": odd number of hex digits");
  std::vector<uint8_t> out;
  out.reserve(h.size() / 2);  // no reallocation leaves key bytes behind
  for (size_t i = 0; i < h.size(); i += 2) {
    auto nib = [&](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      throw std::runtime_error(what + ": not a hex digit '" + std::string(1, c) + "'");
    };
    out.push_back(static_cast<uint8_t>(nib(h[i]) << 4 | nib(h[i + 1])));
  }
  return out;
}

}  // namespace

KeyMaterial::KeyMaterial(KeyMaterial&& o) noexcept
    : cipher(o.cipher),
      epoch(o.epoch),
      c2s_key(std::move(o.c2s_key)),
      c2s_salt(std::move(o.c2s_salt)),
      s2c_key(std::move(o.s2c_key)),
      s2c_salt(std::move(o.s2c_salt)) {
  o.wipe();
}

KeyMaterial& KeyMaterial::operator=(KeyMaterial&& o) noexcept {
  if (this != &o) {
    wipe();
    cipher = o.cipher;
    epoch = o.epoch;
    c2s_key = std::move(o.c2s_key);
    c2s_salt = std::move(o.c2s_salt);
    s2c_key = std::move(o.s2c_key);
    s2c_salt = std::move(o.s2c_salt);
    o.wipe();
  }
  return *this;
}

KeyMaterial::~KeyMaterial() { wipe(); }

void KeyMaterial::wipe() noexcept {
  for (auto* v : {&c2s_key, &c2s_salt, &s2c_key, &s2c_salt}) {
    if (!v->empty()) OPENSSL_cleanse(v->data(), v->size());
    v->clear();
  }
}

KeyMaterial KeyMaterial::random(uint16_t cipher, uint8_t epoch) {
  KeyMaterial km;
  km.cipher = cipher;
  km.epoch = epoch;
  size_t key_len = cipher == SDP_CIPHER_AES_GCM_256 ? 32 : 16;
  for (auto* v : {&km.c2s_key, &km.s2c_key}) v->resize(key_len);
  for (auto* v : {&km.c2s_salt, &km.s2c_salt}) v->resize(4);
  for (auto* v : {&km.c2s_key, &km.c2s_salt, &km.s2c_key, &km.s2c_salt})
    for (size_t got = 0; got < v->size();) {
      ssize_t n = getrandom(v->data() + got, v->size() - got, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::system_error(errno, std::generic_category(), "getrandom");
      got += static_cast<size_t>(n);
    }
  return km;
}

KeyMaterial KeyMaterial::clone() const {
  KeyMaterial k;
  k.cipher = cipher;
  k.epoch = epoch;
  k.c2s_key = c2s_key;
  k.c2s_salt = c2s_salt;
  k.s2c_key = s2c_key;
  k.s2c_salt = s2c_salt;
  return k;
}

namespace {

std::string hex(std::span<const uint8_t> b);

// Wipes a string that held key text.
void cleanse(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

}  // namespace

std::string KeyMaterial::format(const KeyMaterial& km) {
  const char* name = km.cipher == SDP_CIPHER_AES_GCM_256 ? "aes-gcm-256" : "aes-gcm-128";
  return std::string("cipher ") + name + "\nepoch " + std::to_string(km.epoch) +
         "\nclient-to-server " + hex(km.c2s_key) + " " + hex(km.c2s_salt) + "\nserver-to-client " +
         hex(km.s2c_key) + " " + hex(km.s2c_salt) + "\n";
}

KeyMaterial KeyMaterial::load(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot read key file " + path);
  KeyMaterial km;
  std::string line;
  struct Wipe {
    std::string& s;
    ~Wipe() { cleanse(s); }
  } wipe_line{line};
  for (int n = 1; std::getline(f, line); n++) {
    auto hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    std::istringstream in(line);
    std::string word, a, b;
    Wipe wipe_a{a}, wipe_b{b};
    if (!(in >> word)) continue;
    std::string where = path + ":" + std::to_string(n);
    if (word == "cipher" && in >> a) {
      if (a == "aes-gcm-128")
        km.cipher = SDP_CIPHER_AES_GCM_128;
      else if (a == "aes-gcm-256")
        km.cipher = SDP_CIPHER_AES_GCM_256;
      else
        throw std::runtime_error(where + ": unknown cipher '" + a + "'");
    } else if (word == "epoch" && in >> a) {
      int e = std::atoi(a.c_str());
      if (e < 1 || e > 255) throw std::runtime_error(where + ": epoch must be 1..255");
      km.epoch = static_cast<uint8_t>(e);
    } else if ((word == "client-to-server" || word == "server-to-client") && in >> a >> b) {
      auto key = parse_hex(a, where), salt = parse_hex(b, where);
      if (salt.size() != 4) throw std::runtime_error(where + ": salt must be 4 bytes");
      (word == "client-to-server" ? km.c2s_key : km.s2c_key) = std::move(key);
      (word == "client-to-server" ? km.c2s_salt : km.s2c_salt) = std::move(salt);
    } else {
      throw std::runtime_error(where + ": cannot parse '" + word + " ...'");
    }
  }
  size_t want = km.cipher == SDP_CIPHER_AES_GCM_256 ? 32 : 16;
  if (!km.cipher || !km.epoch || km.c2s_key.size() != want || km.s2c_key.size() != want)
    throw std::runtime_error(path + ": needs cipher, epoch and both keys of " +
                             std::to_string(want) + " bytes");
  return km;
}

int ip_protocol() {
  std::ifstream f("/sys/module/sdp/parameters/ip_proto");
  int proto = 0;
  if (f >> proto && proto > 0 && proto < 256) return proto;
  return IPPROTO_SDP;
}

Socket::Socket(int family)
    : fd_(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, ip_protocol())), family_(family) {
  if (!fd_) {
    if (errno == EPROTONOSUPPORT || errno == ESOCKTNOSUPPORT)
      throw std::system_error(errno, std::generic_category(),
                              "socket(IPPROTO_SDP): is the sdp module loaded? (sdpctl load)");
    throw_errno("socket(IPPROTO_SDP)");
  }
}

void Socket::bind(const Address& local) {
  if (::bind(fd_.get(), local.sa(), local.length) < 0) throw_errno("bind");
}

uint16_t Socket::local_port() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&ss), &len) < 0)
    throw_errno("getsockname");
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

namespace {

ssize_t send_with_info(int fd, const Address* dst, std::span<const std::byte> data,
                       const sdp_send_info& info) {
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(sdp_send_info))] = {};
  iovec iov{const_cast<std::byte*>(data.data()), data.size()};
  msghdr msg{};
  if (dst) {
    msg.msg_name = const_cast<sockaddr*>(dst->sa());
    msg.msg_namelen = dst->length;
  }
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SDP;
  cmsg->cmsg_type = SDP_CMSG_SEND;
  cmsg->cmsg_len = CMSG_LEN(sizeof(info));
  std::memcpy(CMSG_DATA(cmsg), &info, sizeof(info));
  return ::sendmsg(fd, &msg, 0);
}

}  // namespace

uint64_t Socket::send_request(const Address& server, std::span<const std::byte> data,
                              uint64_t cookie) {
  uint64_t id = 0;
  sdp_send_info info{};
  info.cookie = cookie;
  info.id_out = reinterpret_cast<uintptr_t>(&id);
  if (send_with_info(fd_.get(), &server, data, info) < 0) throw_errno("sendmsg(request)");
  return id;
}

void Socket::send_response(const Address& client, uint64_t rpc_id,
                           std::span<const std::byte> data) {
  sdp_send_info info{};
  info.rpc_id = rpc_id;
  if (send_with_info(fd_.get(), &client, data, info) < 0) throw_errno("sendmsg(response)");
}

Message& Received::value() {
  if (!msg_) throw std::system_error(err_, "recvmsg");
  return *msg_;
}

Received::operator std::optional<Message>() && {
  if (shut_down()) throw std::system_error(err_, "recvmsg");
  return std::move(msg_);
}

Received Socket::receive(std::span<std::byte> buf, int flags) {
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(sdp_recv_info))] = {};
  Message m;
  iovec iov{buf.data(), buf.size()};
  msghdr msg{};
  msg.msg_name = &m.peer.storage;
  msg.msg_namelen = sizeof(m.peer.storage);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n = ::recvmsg(fd_.get(), &msg, flags);
  if (n < 0) {
    int err = errno == EWOULDBLOCK ? EAGAIN : errno;
    if (err == EAGAIN || err == EINTR || err == ESHUTDOWN)
      return std::error_code(err, std::generic_category());
    throw_errno("recvmsg");
  }
  m.peer.length = msg.msg_namelen;
  m.length = static_cast<size_t>(n);
  m.truncated = msg.msg_flags & MSG_TRUNC;
  bool have_info = false;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SDP && c->cmsg_type == SDP_CMSG_RECV &&
        c->cmsg_len >= CMSG_LEN(sizeof(sdp_recv_info))) {
      sdp_recv_info info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof(info));
      m.rpc_id = info.rpc_id;
      m.cookie = info.cookie;
      m.is_request = info.flags & SDP_RECV_REQUEST;
      m.error = info.error;
      m.msg_length = info.msg_len;
      have_info = true;
    }
  }
  if (!have_info)
    throw std::runtime_error("recvmsg: kernel returned no SDP_CMSG_RECV control message");
  return m;
}

void Socket::set_receive_timeout_ms(int ms) {
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  if (::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
    throw_errno("setsockopt(SO_RCVTIMEO)");
}

namespace {

std::string hex(std::span<const uint8_t> b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t x : b) {
    s += d[x >> 4];
    s += d[x & 15];
  }
  return s;
}

// SHA-256 of a domain label, the cipher, the key and the salt.
std::string tx_key_fingerprint(uint16_t cipher, const std::vector<uint8_t>& key,
                               const std::vector<uint8_t>& salt) {
  static const char label[] = "sdp transmit key v1";
  std::vector<uint8_t> m(label, label + sizeof(label));
  m.push_back(static_cast<uint8_t>(cipher >> 8));
  m.push_back(static_cast<uint8_t>(cipher));
  m.push_back(static_cast<uint8_t>(key.size()));
  m.insert(m.end(), key.begin(), key.end());
  m.insert(m.end(), salt.begin(), salt.end());
  std::array<uint8_t, 32> md{};
  unsigned int len = 0;
  bool ok = EVP_Digest(m.data(), m.size(), md.data(), &len, EVP_sha256(), nullptr) == 1;
  OPENSSL_cleanse(m.data(), m.size());
  if (!ok || len != md.size()) throw std::runtime_error("libsdp: SHA-256 failed");
  return hex(md);
}

std::mutex g_claims_mu;
std::set<std::string> g_claims;  // fingerprints claimed by this process

int mkdirs(const std::string& dir) {
  for (size_t i = 1; i <= dir.size(); i++) {
    if (i < dir.size() && dir[i] != '/') continue;
    std::string p = dir.substr(0, i);
    if (::mkdir(p.c_str(), 0700) < 0 && errno != EEXIST) return -1;
  }
  return 0;
}

// Claims the transmit key with fingerprint fp; returns the record's path.
std::string claim_tx_key(const std::string& fp, const char* dir_name) {
  std::lock_guard lock(g_claims_mu);
  if (g_claims.count(fp))
    throw std::runtime_error(std::string("libsdp: refusing to install the key file's ") + dir_name +
                             " key for transmitting a second time in this process (on another "
                             "socket or for another "
                             "peer): message ids restart at 0 under every installation, so both "
                             "would repeat the same "
                             "nonces. Use one key file per socket (and per peer).");
  std::string dir = used_tx_keys_dir();
  if (mkdirs(dir) < 0) {
    int err = errno;
    throw std::system_error(err, std::generic_category(),
                            "libsdp: cannot create the transmit-key registry " + dir +
                                " (set SDP_USED_TX_KEYS_DIR to a writable directory)");
  }
  std::string path = dir + "/" + fp;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    if (err == EEXIST)
      throw std::runtime_error(
          std::string("libsdp: the key file's ") + dir_name +
          " key was already used for transmitting (recorded in " + path +
          "): installing it again would repeat nonces. Make a fresh key file.");
    throw std::system_error(err, std::generic_category(),
                            "libsdp: cannot record the transmit key in " + path);
  }
  std::string pid = "pid " + std::to_string(::getpid()) + "\n";
  ssize_t w = ::write(fd, pid.data(), pid.size());
  ::close(fd);
  (void)w;
  g_claims.insert(fp);
  return path;
}

void release_tx_key(const std::string& fp, const std::string& path) {
  std::lock_guard lock(g_claims_mu);
  ::unlink(path.c_str());
  g_claims.erase(fp);
}

std::vector<uint8_t> hmac_sha256(std::span<const uint8_t> key, std::span<const uint8_t> msg) {
  std::vector<uint8_t> out(32);
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), msg.data(), msg.size(),
            out.data(), &len) ||
      len != out.size())
    throw std::runtime_error("libsdp: HMAC-SHA256 failed");
  return out;
}

}  // namespace

std::string used_tx_keys_dir() {
  const char* d = std::getenv("SDP_USED_TX_KEYS_DIR");
  return d && *d ? d : "/var/lib/sdp/used-tx-keys";
}

KeyMaterial KeyMaterial::derive(std::span<const uint8_t> context) const {
  KeyMaterial out = clone();
  auto one = [&](const std::vector<uint8_t>& key, const std::vector<uint8_t>& salt,
                 const char* label, std::vector<uint8_t>& okey, std::vector<uint8_t>& osalt) {
    std::vector<uint8_t> ikm(key);
    ikm.insert(ikm.end(), salt.begin(), salt.end());
    std::vector<uint8_t> msg(label, label + std::strlen(label) + 1);
    msg.insert(msg.end(), context.begin(), context.end());
    auto k = hmac_sha256(ikm, msg);
    msg.push_back(1);
    auto s = hmac_sha256(ikm, msg);
    okey.assign(k.begin(), k.begin() + static_cast<long>(key.size()));
    osalt.assign(s.begin(), s.begin() + static_cast<long>(salt.size()));
    OPENSSL_cleanse(ikm.data(), ikm.size());
    OPENSSL_cleanse(k.data(), k.size());
  };
  one(c2s_key, c2s_salt, "sdp derive client-to-server", out.c2s_key, out.c2s_salt);
  one(s2c_key, s2c_salt, "sdp derive server-to-client", out.s2c_key, out.s2c_salt);
  return out;
}

void Socket::install_keys(const Address& peer, const KeyMaterial& km, Role role) {
  bool as_client = role == Role::client;
  std::string claim_fp, claim_path;
  for (bool tx : {true, false}) {
    bool c2s = tx == as_client;
    if (tx) {
      claim_fp = tx_key_fingerprint(km.cipher, c2s ? km.c2s_key : km.s2c_key,
                                    c2s ? km.c2s_salt : km.s2c_salt);
      claim_path = claim_tx_key(claim_fp, c2s ? "client-to-server" : "server-to-client");
    }
    sdp_key k{};
    std::memcpy(&k.peer, &peer.storage, std::min(sizeof(k.peer), sizeof(peer.storage)));
    k.cipher = km.cipher;
    k.epoch = km.epoch;
    const auto& key = c2s ? km.c2s_key : km.s2c_key;
    const auto& salt = c2s ? km.c2s_salt : km.s2c_salt;
    std::memcpy(k.key, key.data(), key.size());
    std::memcpy(k.salt, salt.data(), salt.size());
    int rc = ::setsockopt(fd_.get(), SOL_SDP, tx ? SDP_TX_KEY : SDP_RX_KEY, &k, sizeof(k));
    int err = errno;
    explicit_bzero(&k, sizeof(k));
    if (rc < 0) {
      // Never installed: the transmit key may be used elsewhere after all.
      if (tx) release_tx_key(claim_fp, claim_path);
      throw std::system_error(err, std::generic_category(),
                              tx ? "setsockopt(SDP_TX_KEY)" : "setsockopt(SDP_RX_KEY)");
    }
  }
}

void Socket::set_allow_plaintext(bool allow) {
  int v = allow;
  if (::setsockopt(fd_.get(), SOL_SDP, SDP_ALLOW_PLAINTEXT, &v, sizeof(v)) < 0)
    throw_errno("setsockopt(SDP_ALLOW_PLAINTEXT)");
}

sdp_sock_stats Socket::stats() const {
  sdp_sock_stats st{};
  socklen_t len = sizeof(st);
  if (::getsockopt(fd_.get(), SOL_SDP, SDP_RPC_STATS, &st, &len) < 0)
    throw_errno("getsockopt(SDP_RPC_STATS)");
  return st;
}

}  // namespace sdp
