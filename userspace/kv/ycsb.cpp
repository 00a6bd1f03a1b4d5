// SPDX-License-Identifier: MIT
#include "ycsb.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace kv::ycsb {

double Zipfian::zeta(uint64_t n, double theta) {
  double s = 0;
  for (uint64_t i = 1; i <= n; i++) s += 1.0 / std::pow(static_cast<double>(i), theta);
  return s;
}

Zipfian::Zipfian(uint64_t n, double theta) : n_(n), theta_(theta) {
  if (n < 2) throw std::invalid_argument("zipfian needs at least 2 items");
  zetan_ = zeta(n, theta);
  double zeta2 = zeta(2, theta);
  alpha_ = 1.0 / (1.0 - theta);
  eta_ = (1.0 - std::pow(2.0 / static_cast<double>(n), 1.0 - theta)) / (1.0 - zeta2 / zetan_);
  half_pow_theta_ = std::pow(0.5, theta);
}

uint64_t Zipfian::from_uniform(double u) const {
  double uz = u * zetan_;
  if (uz < 1.0) return 0;
  if (uz < 1.0 + half_pow_theta_) return 1;
  auto r = static_cast<uint64_t>(static_cast<double>(n_) * std::pow(eta_ * u - eta_ + 1.0, alpha_));
  return r >= n_ ? n_ - 1 : r;
}

uint64_t fnv1a64(uint64_t v) {
  uint64_t h = 0xCBF29CE484222325ULL;
  for (int i = 0; i < 8; i++) {
    h ^= v & 0xff;
    h *= 1099511628211ULL;
    v >>= 8;
  }
  return h;
}

void append_key(std::string& out, uint64_t index, std::string_view prefix) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t h = fnv1a64(index);
  char buf[16];
  for (int i = 0; i < 16; i++) buf[i] = kHex[(h >> (60 - 4 * i)) & 0xf];
  out.append(prefix);
  out.append(buf, sizeof(buf));
}

namespace {
constexpr size_t kHeader = 16;
constexpr size_t kPoolSlack = 4096;
}  // namespace

Values::Values(size_t size) : size_(size) {
  if (size < kHeader) throw std::invalid_argument("values must be at least 16 bytes");
  pool_.resize(size + kPoolSlack);
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  for (auto& c : pool_) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
}

size_t Values::offset(uint64_t index, uint32_t version) const {
  return fnv1a64(index * 0x100000001B3ULL + version) % kPoolSlack;
}

void Values::append(std::string& out, uint64_t index, uint32_t version) const {
  char h[kHeader];
  uint64_t v64 = version;
  std::memcpy(h, &index, 8);
  std::memcpy(h + 8, &v64, 8);
  out.append(h, kHeader);
  out.append(pool_, offset(index, version), size_ - kHeader);
}

int64_t Values::version_of(std::string_view v, uint64_t index) const {
  if (v.size() != size_) return -1;
  uint64_t idx, ver;
  std::memcpy(&idx, v.data(), 8);
  std::memcpy(&ver, v.data() + 8, 8);
  if (idx != index || ver > UINT32_MAX) return -1;
  if (std::memcmp(v.data() + kHeader, pool_.data() + offset(index, static_cast<uint32_t>(ver)), size_ - kHeader))
    return -1;
  return static_cast<int64_t>(ver);
}

}  // namespace kv::ycsb
