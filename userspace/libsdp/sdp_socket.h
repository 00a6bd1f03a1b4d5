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
};

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
