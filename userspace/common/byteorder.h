// SPDX-License-Identifier: MIT
// Big-endian (network order) loads and stores on byte pointers, for the
// tools that read and build packets. The SDP wire structs (kmod/sdp_wire.h)
// hold __be fields; be() reads one of them in host order.
#pragma once

#include <cstdint>
#include <cstring>

namespace sdp {

inline uint16_t get_be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t get_be32(const uint8_t* p) {
  return static_cast<uint32_t>(get_be16(p)) << 16 | get_be16(p + 2);
}
inline uint64_t get_be64(const uint8_t* p) {
  return static_cast<uint64_t>(get_be32(p)) << 32 | get_be32(p + 4);
}
inline void put_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void put_be32(uint8_t* p, uint32_t v) {
  put_be16(p, static_cast<uint16_t>(v >> 16));
  put_be16(p + 2, static_cast<uint16_t>(v));
}
inline void put_be64(uint8_t* p, uint64_t v) {
  put_be32(p, static_cast<uint32_t>(v >> 32));
  put_be32(p + 4, static_cast<uint32_t>(v));
}

// A big-endian field of a (possibly unaligned, packed) wire struct in host
// order: be(hdr->msg_len).
template <typename T>
inline auto be(const T& field) {
  uint8_t b[sizeof(T)];
  std::memcpy(b, &field, sizeof(T));
  if constexpr (sizeof(T) == 2)
    return get_be16(b);
  else if constexpr (sizeof(T) == 4)
    return get_be32(b);
  else {
    static_assert(sizeof(T) == 8, "be(): a 16-, 32- or 64-bit field");
    return get_be64(b);
  }
}

}  // namespace sdp
