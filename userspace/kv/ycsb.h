// SPDX-License-Identifier: MIT
// YCSB's pieces for sdp-ycsb: the zipfian generator (Gray et al., "Quickly
// generating billion-record synthetic databases", as YCSB's
// ZipfianGenerator), its scrambled form (ranks hashed over the keys, as
// YCSB's ScrambledZipfianGenerator), record keys, verifiable values, and the
// per-key state that checks every read against the writes.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace kv::ycsb {

class Zipfian {
 public:
  // Ranks 0..n-1, P(rank i) ~ 1 / (i+1)^theta.
  Zipfian(uint64_t n, double theta = 0.99);
  template <typename Rng>
  uint64_t next(Rng& rng) {
    return from_uniform(std::uniform_real_distribution<double>(0.0, 1.0)(rng));
  }
  uint64_t from_uniform(double u) const;  // u in [0, 1)
  uint64_t items() const { return n_; }
  double zeta_n() const { return zetan_; }
  static double zeta(uint64_t n, double theta);

 private:
  uint64_t n_;
  double theta_, zetan_, alpha_, eta_, half_pow_theta_;
};

uint64_t fnv1a64(uint64_t v);

// Scrambled zipfian over record indexes 0..n-1: popular ranks spread over the key space.
class ScrambledZipfian {
 public:
  explicit ScrambledZipfian(uint64_t n, double theta = 0.99) : z_(n, theta) {}
  template <typename Rng>
  uint64_t next(Rng& rng) {
    return fnv1a64(z_.next(rng)) % z_.items();
  }

 private:
  Zipfian z_;
};

// prefix ("user" in YCSB) + 16 hex digits of the hashed index, as YCSB's
// hashed insert order.
void append_key(std::string& out, uint64_t index, std::string_view prefix = "user");

// Values: a 16-byte header (record index, version, both little endian),
// then bytes of a fixed pseudo-random pool at an offset of (index, version).
class Values {
 public:
  explicit Values(size_t size);
  size_t size() const { return size_; }
  void append(std::string& out, uint64_t index, uint32_t version) const;
  // The version the value encodes, if it is exactly a value of `index`; -1 otherwise.
  int64_t version_of(std::string_view v, uint64_t index) const;

 private:
  size_t offset(uint64_t index, uint32_t version) const;
  size_t size_;
  std::string pool_;
};

// What the client knows of each record: the last acknowledged version and
// whether a write is in flight (at most one per key). A read that started
// when version `lo` was acknowledged must return a version in
// [lo, newest issued]: anything else is a lost, stale or invented value.
class KeyState {
 public:
  explicit KeyState(uint64_t records) : committed_(records, 0), issued_(records, 0), writing_(records, 0) {}
  bool writing(uint64_t k) const { return writing_[k]; }
  uint32_t committed(uint64_t k) const { return committed_[k]; }
  uint32_t begin_write(uint64_t k) {
    writing_[k] = 1;
    return ++issued_[k];
  }
  void end_write(uint64_t k, uint32_t v) {
    writing_[k] = 0;
    committed_[k] = v;
  }
  bool read_ok(uint64_t k, uint32_t lo, int64_t got) const {
    return got >= static_cast<int64_t>(lo) && got <= static_cast<int64_t>(issued_[k]) && got > 0;
  }

 private:
  std::vector<uint32_t> committed_, issued_;
  std::vector<uint8_t> writing_;
};

}  // namespace kv::ycsb
