// SPDX-License-Identifier: MIT
#include "store.h"

namespace kv {

bool Store::charge(size_t n) {
  size_t cur = used_.load(std::memory_order_relaxed);
  do {
    if (n > limits_.max_memory || cur > limits_.max_memory - n) return false;
  } while (!used_.compare_exchange_weak(cur, cur + n, std::memory_order_relaxed));
  return true;
}

Store::SetResult Store::set(std::string_view key, std::string_view value) {
  if (key.size() > limits_.max_key) return SetResult::kKeyTooLarge;
  if (value.size() > limits_.max_value) return SetResult::kValueTooLarge;
  Shard& s = shard(key);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(key);
  if (it != s.map.end()) {
    std::string& v = it->second;
    if (value.size() <= v.capacity()) {
      v.assign(value);  // no allocation: the accounted capacity stays
      return SetResult::kOk;
    }
    // A new buffer of exactly the value's size replaces the old one.
    std::string nv(value);
    size_t old_cap = v.capacity(), new_cap = nv.capacity();
    if (!charge(new_cap)) return SetResult::kOutOfMemory;
    v.swap(nv);
    release(old_cap);
    return SetResult::kOk;
  }
  std::string k(key), v(value);
  size_t cost = k.capacity() + v.capacity() + kEntryOverhead;
  if (!charge(cost)) return SetResult::kOutOfMemory;
  s.map.emplace(std::move(k), std::move(v));
  keys_.fetch_add(1, std::memory_order_relaxed);
  return SetResult::kOk;
}

bool Store::del(std::string_view key) {
  Shard& s = shard(key);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(key);
  if (it == s.map.end()) return false;
  size_t cost = it->first.capacity() + it->second.capacity() + kEntryOverhead;
  s.map.erase(it);
  release(cost);
  keys_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

bool Store::exists(std::string_view key) const {
  const Shard& s = shard(key);
  std::lock_guard lock(s.mu);
  return s.map.find(key) != s.map.end();
}

}  // namespace kv
