// SPDX-License-Identifier: MIT
// libsdp: a thin C++20 RAII layer over the SDP socket API
// (kmod/uapi/linux/sdp.h, docs/API.md): addresses, key files, sockets.
// Errors are std::system_error with the errno and a message naming the
// call that failed; receive() returns the errors a caller expects
// (EAGAIN, EINTR, ESHUTDOWN) in its result instead.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "linux/sdp.h"
#include "unique_fd.h"

namespace sdp {

// An IPv4 or IPv6 address and port.
struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;

  // "10.0.0.1", "fd77::1"; throws std::invalid_argument if neither.
  static Address parse(std::string_view host, uint16_t port);
  // The wildcard address of family (AF_INET: 0.0.0.0, AF_INET6: ::).
  static Address any(int family, uint16_t port);
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
// `sdpctl genkey` writes such files.
//
// Move-only: keys are never copied by accident, and the destructor (and a
// move assignment, for the keys it replaces) wipes them (OPENSSL_cleanse).
struct KeyMaterial {
  uint16_t cipher = 0;
  uint8_t epoch = 0;
  std::vector<uint8_t> c2s_key, c2s_salt, s2c_key, s2c_salt;

  KeyMaterial() = default;
  KeyMaterial(KeyMaterial&& o) noexcept;
  KeyMaterial& operator=(KeyMaterial&& o) noexcept;
  KeyMaterial(const KeyMaterial&) = delete;
  KeyMaterial& operator=(const KeyMaterial&) = delete;
  ~KeyMaterial();
  // An explicit copy, where one is really wanted.
  KeyMaterial clone() const;
  // Overwrites the keys and salts with zeros and empties them.
  void wipe() noexcept;

  static KeyMaterial load(const std::string& path);
  // Fresh random keys and salts (getrandom(2)) for cipher and epoch.
  // Throws std::system_error if the kernel has no randomness to give.
  static KeyMaterial random(uint16_t cipher, uint8_t epoch);
  // The key file text of km (the format above), as load() reads it.
  static std::string format(const KeyMaterial& km);
  // Fresh keys for one session, derived from these with HMAC-SHA256 and a
  // context both ends know (e.g. random bytes exchanged per session), so
  // one key file can serve many sockets without repeating a transmit key.
  KeyMaterial derive(std::span<const uint8_t> context) const;
};

// Which end of the RPCs a socket's keys are for: the client transmits with
// the client-to-server key, the server with the server-to-client key.
enum class Role { client, server };

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

// What Socket::receive() got: a message, or why there is none: EAGAIN
// (nothing ready: MSG_DONTWAIT or SO_RCVTIMEO expired), EINTR (a signal
// interrupted the wait) or ESHUTDOWN (the socket was shut down and no
// message is left). Other errors throw std::system_error.
class Received {
 public:
  Received(Message m) : msg_(std::move(m)) {}
  Received(std::error_code e) : err_(e) {}
  explicit operator bool() const { return msg_.has_value(); }
  bool has_value() const { return msg_.has_value(); }
  Message& operator*() { return *msg_; }
  const Message& operator*() const { return *msg_; }
  Message* operator->() { return &*msg_; }
  const Message* operator->() const { return &*msg_; }
  // The message; throws std::system_error with error() if there is none.
  Message& value();
  std::error_code error() const { return err_; }
  bool would_block() const { return err_.value() == EAGAIN; }
  bool interrupted() const { return err_.value() == EINTR; }
  bool shut_down() const { return err_.value() == ESHUTDOWN; }
  // For callers still written against the earlier std::optional result
  // (tools/sdp_bench.cpp, kv/kv_server.cpp): nullopt for EAGAIN and EINTR,
  // and std::system_error for ESHUTDOWN, as before.
  operator std::optional<Message>() &&;

 private:
  std::optional<Message> msg_;
  std::error_code err_;
};

class Socket {
 public:
  // socket(family, SOCK_DGRAM, ip_protocol()).
  explicit Socket(int family);
  Socket(Socket&& other) noexcept = default;
  Socket& operator=(Socket&& other) noexcept = default;

  int fd() const { return fd_.get(); }
  int family() const { return family_; }
  void bind(const Address& local);
  uint16_t local_port() const;

  // Starts a request RPC; returns its RPC id.
  uint64_t send_request(const Address& server, std::span<const std::byte> data, uint64_t cookie);
  // Sends the response to request rpc_id received from client.
  void send_response(const Address& client, uint64_t rpc_id, std::span<const std::byte> data);
  // Receives one message into buf. flags: MSG_DONTWAIT. See Received for
  // the errors it returns rather than throws.
  Received receive(std::span<std::byte> buf, int flags = 0);
  void set_receive_timeout_ms(int ms);
  sdp_sock_stats stats() const;
  // Install the keys for one peer: as the client (tx = client-to-server)
  // or as the server (tx = server-to-client).
  void install_keys(const Address& peer, const KeyMaterial& km, Role role);
  // The same with as_client = (role == Role::client), for callers not yet
  // moved to Role (tools/sdp_bench.cpp, kv/).
  void install_keys(const Address& peer, const KeyMaterial& km, bool as_client) {
    install_keys(peer, km, as_client ? Role::client : Role::server);
  }
  void set_allow_plaintext(bool allow);

 private:
  UniqueFd fd_;
  int family_ = 0;
};

}  // namespace sdp
