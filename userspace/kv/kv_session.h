// SPDX-License-Identifier: MIT
// Session keys of sdp-kv's key exchange (until SDP's handshake exists).
//
// A key file (libsdp KeyMaterial) is a pre-shared master secret. Every SDP
// session and every kTLS connection gets its own keys, derived with
// HKDF-SHA256 from the file's keys and salts and a random value of each
// side: so many clients share one server SDP socket (the module refuses the
// same key twice on a socket) and no (key, nonce) pair repeats across
// sessions, although message IDs and TLS record numbers restart at 0.
//
// Wire (TCP, before anything else on the connection):
//   SDP   client: "KVS1" cipher(1) sdp_port(2, BE) client_random(32)
//         server: status(1) epoch(1) sdp_port(2, BE) server_random(32)
//         then the client keeps the connection open for the session.
//   kTLS  client: "KVT1" cipher(1) tls_minor(1) client_random(32)
//         server: status(1) server_random(32)
//         then both switch the connection to kTLS (record sequence 0).
//   status: 0 or an errno (ENOKEY: no key file for the cipher).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "sdp_socket.h"

namespace kv {

constexpr size_t kRandomLen = 32;
using Random = std::array<uint8_t, kRandomLen>;

constexpr std::string_view kSdpMagic = "KVS1";
constexpr std::string_view kTlsMagic = "KVT1";
constexpr size_t kSdpHelloLen = 4 + 1 + 2 + kRandomLen;
constexpr size_t kSdpReplyLen = 1 + 1 + 2 + kRandomLen;
constexpr size_t kTlsHelloLen = 4 + 1 + 1 + kRandomLen;
constexpr size_t kTlsReplyLen = 1 + kRandomLen;

Random random_bytes();

// The session's keys: master's cipher, the given epoch, fresh c2s/s2c keys
// and salts. label: "sdp" or "ktls" (keys of one never serve the other).
sdp::KeyMaterial derive_session(const sdp::KeyMaterial& master, std::string_view label,
                                const Random& client, const Random& server, uint8_t epoch);

}  // namespace kv
