// SPDX-License-Identifier: MIT
// Stream-socket helpers shared by the SDP tools: whole reads and writes,
// TCP options, the peer of a connection, and kTLS setup (TLS 1.2/1.3
// AES-GCM records from a key and salt). Errors are std::system_error.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <map>
#include <span>
#include <string>

#include "sdp_socket.h"

namespace sdp {

// Reads exactly n bytes; false on EOF before the first byte or later.
// A receive timeout (SO_RCVTIMEO) throws std::runtime_error naming
// `timeout_what`.
bool read_all(int fd, void* p, size_t n,
              const char* timeout_what = "no data within the receive timeout");
void writev_all(int fd, iovec* iov, int n);
void write_all(int fd, const void* p, size_t n);

// socket(family, type | SOCK_CLOEXEC) with SO_REUSEADDR.
int inet_socket(int family, int type);
void set_nodelay(int fd);
void set_receive_timeout(int fd, int seconds);
// getpeername, with a v4-mapped IPv6 address turned into IPv4.
Address peer_of(int fd);

const char* cipher_name(uint16_t sdp_cipher);  // "aes-gcm-128", "aes-gcm-256"

// setsockopt(TCP_ULP, "tls"); says "tls.ko not loaded" when that is why it
// fails.
void set_tls_ulp(int fd);
// One direction of kTLS (dir TLS_TX or TLS_RX), TLS 1.`minor` (2 or 3),
// SDP_CIPHER_AES_GCM_128/256 with that direction's key and 4-byte salt;
// iv: the 8-byte initial explicit nonce / record sequence.
void set_tls_key(int fd, int dir, uint16_t cipher, int minor, std::span<const uint8_t> key,
                 std::span<const uint8_t> salt, const uint8_t* iv);
// getsockopt(SOL_TLS, dir): the records sent (TX) or received (RX) so far;
// throws if the socket is not kTLS with `cipher` and TLS 1.`minor`.
uint64_t tls_record_count(int fd, int dir, uint16_t cipher, int minor);

// Key files by cipher (a tool's repeatable --key-file).
class KeyRing {
 public:
  // Loads a key file; throws std::invalid_argument if its cipher is taken.
  void add(const std::string& path);
  const KeyMaterial* find(uint16_t cipher) const;
  bool empty() const { return by_cipher_.empty(); }

 private:
  std::map<uint16_t, KeyMaterial> by_cipher_;
};

}  // namespace sdp
