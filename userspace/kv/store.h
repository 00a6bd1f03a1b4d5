// SPDX-License-Identifier: MIT
// The in-memory key-value store of sdp-kv: a hash table split into shards,
// each under its own mutex, with a bound on the memory it accounts (keys,
// values and a fixed per-entry overhead). Lookups take string_views and
// allocate nothing; an update reuses the value's buffer when it fits.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kv {

class Store {
 public:
  // Bytes charged per entry on top of its key and value buffers (hash node,
  // bucket, string headers).
  static constexpr size_t kEntryOverhead = 96;

  struct Limits {
    size_t max_memory = 1ULL << 30;
    size_t max_key = 64 << 10;
    size_t max_value = 1 << 20;
  };
  enum class SetResult { kOk, kOutOfMemory, kKeyTooLarge, kValueTooLarge };

  explicit Store(const Limits& limits) : limits_(limits) {}
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  SetResult set(std::string_view key, std::string_view value);
  // Calls f(value) under the shard's lock if key exists; returns whether it did.
  template <typename F>
  bool get(std::string_view key, F&& f) const {
    const Shard& s = shard(key);
    std::lock_guard lock(s.mu);
    auto it = s.map.find(key);
    if (it == s.map.end()) return false;
    f(std::string_view(it->second));
    return true;
  }
  bool del(std::string_view key);
  bool exists(std::string_view key) const;

  size_t keys() const { return keys_.load(std::memory_order_relaxed); }
  size_t memory_used() const { return used_.load(std::memory_order_relaxed); }
  const Limits& limits() const { return limits_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Eq {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return a == b; }
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, std::string, Hash, Eq> map;
  };
  static constexpr size_t kShards = 64;

  Shard& shard(std::string_view key) { return shards_[Hash{}(key) % kShards]; }
  const Shard& shard(std::string_view key) const { return shards_[Hash{}(key) % kShards]; }
  // Reserves n bytes against the limit; false if that would exceed it.
  bool charge(size_t n);
  void release(size_t n) { used_.fetch_sub(n, std::memory_order_relaxed); }

  Limits limits_;
  std::array<Shard, kShards> shards_;
  std::atomic<size_t> used_{0};
  std::atomic<size_t> keys_{0};
};

}  // namespace kv
