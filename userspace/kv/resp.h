// SPDX-License-Identifier: MIT
// RESP (the Redis serialization protocol, version 2): a strict, bounded,
// allocation-free parser of requests and replies, and the writers for both.
// Pure functions on byte spans: no I/O, no kernel, fuzzed by tests/fuzz.
//
// Requests: a RESP array of bulk strings ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
// or an inline command ("PING\r\n", words separated by spaces). Replies:
// simple string (+), error (-), integer (:), bulk string ($, $-1 = nil).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace kv::resp {

// Most arguments one command may have (DEL/EXISTS with many keys).
constexpr size_t kMaxArgs = 64;

struct Limits {
  size_t max_bulk = 1 << 20;         // longest argument (a value)
  size_t max_request = (1 << 20) + 4096;  // longest whole command, framing included
  size_t max_inline = 64 << 10;      // longest inline command line
};

enum class Status {
  kOk,          // one command parsed; `consumed` bytes belong to it
  kIncomplete,  // a prefix of a valid command: read more (never when the input exceeds the limits)
  kError,       // not RESP, or over a limit: `error` says why; the stream cannot be resynchronised
};

struct Command {
  std::array<std::string_view, kMaxArgs> argv{};  // views into the input
  size_t argc = 0;
};

struct ParseResult {
  Status status = Status::kIncomplete;
  size_t consumed = 0;
  const char* error = nullptr;  // static text, kError only
};

// Parses the first command of `in`. Views in `cmd` point into `in`.
ParseResult parse_command(std::string_view in, const Limits& limits, Command& cmd);

enum class ReplyType { kSimple, kError, kInteger, kBulk, kNil };

struct Reply {
  ReplyType type = ReplyType::kNil;
  std::string_view str;  // simple, error (without the '-'), bulk: a view into the input
  int64_t integer = 0;
};

// Parses the first reply of `in` (arrays are not part of the subset: error).
ParseResult parse_reply(std::string_view in, size_t max_bulk, Reply& reply);

// Writers: append to `out`.
void append_simple(std::string& out, std::string_view s);  // "+OK\r\n"
void append_error(std::string& out, std::string_view s);   // "-ERR ...\r\n" (s has the prefix)
void append_integer(std::string& out, int64_t v);
void append_bulk(std::string& out, std::string_view s);
void append_nil(std::string& out);  // "$-1\r\n"
// The header of a bulk string of n bytes ("$n\r\n"): the caller appends the
// bytes and "\r\n".
void append_bulk_header(std::string& out, size_t n);
// A request: "*argc\r\n" + bulk strings.
void append_command(std::string& out, std::span<const std::string_view> argv);

}  // namespace kv::resp
