// SPDX-License-Identifier: MIT
// Command-line value parsing shared by the SDP tools.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sdp {

// "64", "4K", "1M" -> bytes. Throws std::invalid_argument naming `what`.
uint64_t parse_size(const std::string& s, const char* what);
// "1,100,64K" -> sizes. Throws std::invalid_argument.
std::vector<size_t> parse_size_list(const std::string& list);

}  // namespace sdp
