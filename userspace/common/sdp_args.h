// SPDX-License-Identifier: MIT
// Command-line value parsing shared by the SDP tools.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sdp {

// "64", "4K", "1M" -> bytes. Throws std::invalid_argument naming `what`.
uint64_t parse_size(const std::string& s, const char* what);
// "1,100,64K" -> sizes. Throws std::invalid_argument.
std::vector<size_t> parse_size_list(const std::string& list);
// "a,b,c" -> {"a", "b", "c"}.
std::vector<std::string> split_list(const std::string& list);

// Walks a tool's options: while (a.next()) { if (a.opt() == "--port") port =
// a.number(1, 65535); ... } Errors are std::invalid_argument naming the option.
class ArgCursor {
 public:
  // args[first] is the first option.
  ArgCursor(std::vector<std::string> args, size_t first) : args_(std::move(args)), i_(first) {}
  bool next() {
    if (started_) i_++;
    started_ = true;
    cur_ = i_;
    return i_ < args_.size();
  }
  const std::string& opt() const { return args_[cur_]; }
  // The option's value (the next word).
  const std::string& value();
  // The value as a size ("64", "4K") in lo..hi.
  uint64_t number(uint64_t lo, uint64_t hi);

 private:
  std::vector<std::string> args_;
  size_t i_, cur_ = 0;
  bool started_ = false;
};

}  // namespace sdp
