// SPDX-License-Identifier: MIT
#include "sdp_args.h"

#include <stdexcept>

namespace sdp {

uint64_t parse_size(const std::string& s, const char* what) {
  size_t pos = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(s, &pos, 10);
  } catch (const std::exception&) {
    throw std::invalid_argument(std::string("bad ") + what + ": '" + s + "'");
  }
  std::string suffix = s.substr(pos);
  if (suffix == "K" || suffix == "k")
    v <<= 10;
  else if (suffix == "M" || suffix == "m")
    v <<= 20;
  else if (!suffix.empty())
    throw std::invalid_argument(std::string("bad ") + what + ": '" + s + "'");
  return v;
}

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    out.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

std::vector<size_t> parse_size_list(const std::string& list) {
  std::vector<size_t> out;
  for (const auto& s : split_list(list)) out.push_back(parse_size(s, "size"));
  return out;
}

const std::string& ArgCursor::value() {
  if (i_ + 1 >= args_.size()) throw std::invalid_argument(opt() + " needs a value");
  return args_[++i_];
}

uint64_t ArgCursor::number(uint64_t lo, uint64_t hi) {
  const std::string& name = opt();
  uint64_t v = parse_size(value(), name.c_str());
  if (v < lo || v > hi)
    throw std::invalid_argument(name + " must be " + std::to_string(lo) + ".." +
                                std::to_string(hi));
  return v;
}

}  // namespace sdp
