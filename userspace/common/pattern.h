// SPDX-License-Identifier: MIT
// The test payload of the tools: bytes distinct per seed and per position
// (sdp-echo's requests, `sdp-echo pattern`, the benchmark's requests).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace sdp {

inline void fill_pattern(std::span<std::byte> buf, uint64_t seed) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (size_t i = 0; i < buf.size(); i++) {
    if ((i & 7) == 0) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    buf[i] = static_cast<std::byte>(x >> (8 * (i & 7)));
  }
}

}  // namespace sdp
