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

std::vector<size_t> parse_size_list(const std::string& list) {
  std::vector<size_t> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    out.push_back(parse_size(list.substr(start, comma - start), "size"));
    start = comma + 1;
  }
  return out;
}

}  // namespace sdp
