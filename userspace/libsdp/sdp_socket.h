// SPDX-License-Identifier: MIT
// libsdp: a thin C++20 RAII layer over the SDP socket API
// (kmod/uapi/linux/sdp.h, docs/API.md). Errors are std::system_error with
// the errno and a message naming the call that failed.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "linux/sdp.h"

namespace sdp {

// An IPv4 or IPv6 address and port.
struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;

  // "10.0.0.1", "fd77::1"; throws std::invalid_argument if neither.
  static Address parse(std::string_view host, uint16_t port);
  int family() const { return storage.ss_family; }
  uint16_t port() const;
  std::string to_string() const;  // "10.0.0.1:5000", "[fd77::1]:5000"
  bool operator==(const Address& other) const;
  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// The IP protocol number the loaded module uses (module parameter
// ip_proto), IPPROTO_SDP if it cannot be read.
int ip_protocol();

// Keys for one peer, read from a key file (never from the command line):
//   cipher aes-gcm-128 | aes-gcm-256
//   epoch N                                   (1..255)
//   client-to-server <hex key> <hex salt>     (salt: 4 bytes)
//   server-to-client <hex key> <hex salt>
// '#' starts a comment. Throws std::runtime_error naming the bad line.
struct KeyMaterial {
  uint16_t cipher = 0;
  uint8_t epoch = 0;
  std::vector<uint8_t> c2s_key, c2s_salt, s2c_key, s2c_salt;
  static KeyMaterial load(const std::string& path);
  // Fresh keys for one session, derived from these with HMAC-SHA256 and a
  // context both ends know (e.g. random bytes exchanged per session), so
  // one key file can serve many sockets without repeating a transmit key.
  KeyMaterial derive(std::span<const uint8_t> context) const;
};

// Transmit-key registry. The kernel refuses a key twice on one socket but
// cannot see other sockets, and message ids restart at 0 on every socket: a
// transmit key installed on two sockets (or again after a restart) repeats
// every nonce. install_keys() therefore claims each transmit key (key and
// salt, whatever the epoch or peer) before installing it, and refuses one
// already claimed: within this process (std::runtime_error: "use one key
// file per socket") and across processes and runs, by creating
// DIR/<SHA-256 fingerprint> with O_EXCL (std::runtime_error: "make a fresh
// key file"). DIR is $SDP_USED_TX_KEYS_DIR, else /var/lib/sdp/used-tx-keys
// (persistent, so a reboot does not forget). A claim whose kernel install
// failed is released. The file holds only the fingerprint (its name) and
// the claiming pid, never the key.
std::string used_tx_keys_dir();

// A received message (request or response) or a failed RPC.
struct Message {
  uint64_t rpc_id = 0;
  uint64_t cookie = 0;
  bool is_request = false;
  int error = 0;          // positive errno if the RPC failed
  size_t length = 0;      // bytes copied into the buffer
  size_t msg_length = 0;  // full message length
  bool truncated = false;
  Address peer;
};

class Socket {
 public:
  // socket(family, SOCK_DGRAM, ip_protocol()).
  explicit Socket(int family);
  Socket(Socket&& other) noexcept;
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket();

  int fd() const { return fd_; }
  int family() const { return family_; }
  void bind(const Address& local);
  uint16_t local_port() const;

  // Starts a request RPC; returns its RPC id.
  uint64_t send_request(const Address& server, std::span<const std::byte> data,
                        uint64_t cookie);
  // Sends the response to request rpc_id received from client.
  void send_response(const Address& client, uint64_t rpc_id,
                     std::span<const std::byte> data);
  // Receives one message into buf. flags: MSG_DONTWAIT. Returns nullopt if
  // nothing is ready (EAGAIN: non-blocking or SO_RCVTIMEO expired) or a
  // signal interrupted the wait (EINTR).
  std::optional<Message> receive(std::span<std::byte> buf, int flags = 0);
  void set_receive_timeout_ms(int ms);
  sdp_sock_stats stats() const;
  // Install the keys for one peer: as the client (tx = client-to-server)
  // or as the server (tx = server-to-client).
  void install_keys(const Address& peer, const KeyMaterial& km, bool as_client);
  void set_allow_plaintext(bool allow);

 private:
  int fd_ = -1;
  int family_ = 0;
};

}  // namespace sdp
