// SPDX-License-Identifier: MIT
// libFuzzer target: sdp-kv's RESP parser (requests and replies) on arbitrary
// bytes, with small limits so that the limit paths are reached. Invariants:
// no crash or sanitizer report; a parsed command consumed at most the input,
// its arguments lie inside the input and within the limits; kIncomplete
// never for an input longer than the request limit allows; re-encoding a
// parsed command and parsing it again gives the same arguments.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "resp.h"

#define CHECK(c)        \
  do {                  \
    if (!(c)) abort();  \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  kv::resp::Limits l;
  l.max_bulk = 512;
  l.max_request = 1024;
  l.max_inline = 256;
  std::string_view rest = in;
  for (int n = 0; n < 64 && !rest.empty(); n++) {
    kv::resp::Command c;
    auto r = kv::resp::parse_command(rest, l, c);
    if (r.status == kv::resp::Status::kError) {
      CHECK(r.error != nullptr);
      break;
    }
    if (r.status == kv::resp::Status::kIncomplete) {
      CHECK(rest.size() <= l.max_request + 32);
      break;
    }
    CHECK(r.consumed > 0 && r.consumed <= rest.size());
    CHECK(c.argc <= kv::resp::kMaxArgs);
    std::string again;
    for (size_t i = 0; i < c.argc; i++) {
      CHECK(c.argv[i].data() >= rest.data() && c.argv[i].data() + c.argv[i].size() <= rest.data() + r.consumed);
      CHECK(c.argv[i].size() <= l.max_bulk || rest[0] != '*');
    }
    if (c.argc && rest[0] == '*') {
      kv::resp::append_command(again, std::span(c.argv.data(), c.argc));
      kv::resp::Command c2;
      auto r2 = kv::resp::parse_command(again, l, c2);
      CHECK(r2.status == kv::resp::Status::kOk && r2.consumed == again.size() && c2.argc == c.argc);
      for (size_t i = 0; i < c.argc; i++) CHECK(c2.argv[i] == c.argv[i]);
    }
    rest.remove_prefix(r.consumed);
  }
  kv::resp::Reply rep;
  auto r = kv::resp::parse_reply(in, 512, rep);
  if (r.status == kv::resp::Status::kOk) {
    CHECK(r.consumed <= in.size());
    if (rep.type == kv::resp::ReplyType::kBulk) CHECK(rep.str.size() <= 512);
  }
  return 0;
}
