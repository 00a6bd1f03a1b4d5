// SPDX-License-Identifier: MIT
#include "resp.h"

#include <charconv>
#include <cstring>

namespace kv::resp {
namespace {

// Longest decimal length or count we read: 19 digits fit int64.
constexpr size_t kMaxDigits = 19;

struct Cursor {
  std::string_view in;
  size_t pos = 0;
};

enum class Num { kOk, kIncomplete, kError };

// Reads "<digits>\r\n" (optionally "-1\r\n" if allow_minus_one) at c.pos.
Num read_number(Cursor& c, int64_t& value, bool allow_negative) {
  size_t start = c.pos;
  size_t end = start;
  bool neg = false;
  if (end < c.in.size() && c.in[end] == '-') {
    if (!allow_negative) return Num::kError;
    neg = true;
    end++;
  }
  size_t digits_start = end;
  while (end < c.in.size() && c.in[end] >= '0' && c.in[end] <= '9') {
    end++;
    if (end - digits_start > kMaxDigits) return Num::kError;
  }
  if (end == c.in.size()) return Num::kIncomplete;
  if (end == digits_start) return Num::kError;
  if (c.in[end] != '\r') return Num::kError;
  if (end + 1 == c.in.size()) return Num::kIncomplete;
  if (c.in[end + 1] != '\n') return Num::kError;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(c.in.data() + digits_start, c.in.data() + end, v);
  if (ec != std::errc() || p != c.in.data() + end || v > static_cast<uint64_t>(INT64_MAX)) return Num::kError;
  value = neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  c.pos = end + 2;
  return Num::kOk;
}

ParseResult error(const char* why) { return {Status::kError, 0, why}; }
ParseResult incomplete() { return {Status::kIncomplete, 0, nullptr}; }

ParseResult parse_inline(std::string_view in, const Limits& limits, Command& cmd) {
  size_t nl = in.find('\n');
  if (nl == std::string_view::npos) {
    if (in.size() > limits.max_inline) return error("Protocol error: too big inline request");
    return incomplete();
  }
  if (nl + 1 > limits.max_inline) return error("Protocol error: too big inline request");
  std::string_view line = in.substr(0, nl);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  cmd.argc = 0;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) i++;
    if (i == line.size()) break;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') {
      // Quoting and control bytes are not part of this subset.
      unsigned char ch = static_cast<unsigned char>(line[i]);
      if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\'') return error("Protocol error: unsupported byte in inline request");
      i++;
    }
    if (cmd.argc == kMaxArgs) return error("Protocol error: too many arguments");
    cmd.argv[cmd.argc++] = line.substr(start, i - start);
  }
  return {Status::kOk, nl + 1, nullptr};
}

}  // namespace

ParseResult parse_command(std::string_view in, const Limits& limits, Command& cmd) {
  cmd.argc = 0;
  if (in.empty()) return incomplete();
  if (in[0] != '*') {
    // Inline commands start with a letter; anything else in RESP position is garbage.
    unsigned char ch = static_cast<unsigned char>(in[0]);
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '\r' || ch == '\n' || ch == ' '))
      return error("Protocol error: expected '*', got something else");
    return parse_inline(in, limits, cmd);
  }
  Cursor c{in, 1};
  int64_t n = 0;
  switch (read_number(c, n, false)) {
    case Num::kIncomplete:
      return c.in.size() > limits.max_request ? error("Protocol error: request too large") : incomplete();
    case Num::kError: return error("Protocol error: invalid multibulk length");
    case Num::kOk: break;
  }
  if (n <= 0) return error("Protocol error: invalid multibulk length");
  if (static_cast<uint64_t>(n) > kMaxArgs) return error("Protocol error: too many arguments");
  for (int64_t a = 0; a < n; a++) {
    if (c.pos >= in.size()) return incomplete();
    if (in[c.pos] != '$') return error("Protocol error: expected '$'");
    c.pos++;
    int64_t len = 0;
    switch (read_number(c, len, false)) {
      case Num::kIncomplete: return incomplete();
      case Num::kError: return error("Protocol error: invalid bulk length");
      case Num::kOk: break;
    }
    if (static_cast<uint64_t>(len) > limits.max_bulk) return error("Protocol error: invalid bulk length");
    size_t ulen = static_cast<size_t>(len);
    if (c.pos + ulen + 2 > limits.max_request) return error("Protocol error: request too large");
    if (in.size() - c.pos < ulen + 2) return incomplete();
    if (in[c.pos + ulen] != '\r' || in[c.pos + ulen + 1] != '\n') return error("Protocol error: bad bulk string terminator");
    cmd.argv[cmd.argc++] = in.substr(c.pos, ulen);
    c.pos += ulen + 2;
  }
  return {Status::kOk, c.pos, nullptr};
}

ParseResult parse_reply(std::string_view in, size_t max_bulk, Reply& reply) {
  if (in.empty()) return incomplete();
  char t = in[0];
  if (t == '+' || t == '-') {
    size_t cr = in.find('\r', 1);
    if (cr == std::string_view::npos) return in.size() > max_bulk ? error("reply line too long") : incomplete();
    if (cr + 1 == in.size()) return incomplete();
    if (in[cr + 1] != '\n') return error("bad reply line terminator");
    if (in.find('\n', 1) < cr) return error("newline inside a reply line");
    reply.type = t == '+' ? ReplyType::kSimple : ReplyType::kError;
    reply.str = in.substr(1, cr - 1);
    return {Status::kOk, cr + 2, nullptr};
  }
  Cursor c{in, 1};
  int64_t v = 0;
  if (t == ':') {
    switch (read_number(c, v, true)) {
      case Num::kIncomplete: return incomplete();
      case Num::kError: return error("bad integer reply");
      case Num::kOk: break;
    }
    reply.type = ReplyType::kInteger;
    reply.integer = v;
    return {Status::kOk, c.pos, nullptr};
  }
  if (t == '$') {
    switch (read_number(c, v, true)) {
      case Num::kIncomplete: return incomplete();
      case Num::kError: return error("bad bulk reply length");
      case Num::kOk: break;
    }
    if (v == -1) {
      reply.type = ReplyType::kNil;
      reply.str = {};
      return {Status::kOk, c.pos, nullptr};
    }
    if (v < 0 || static_cast<uint64_t>(v) > max_bulk) return error("bad bulk reply length");
    size_t len = static_cast<size_t>(v);
    if (in.size() - c.pos < len + 2) return incomplete();
    if (in[c.pos + len] != '\r' || in[c.pos + len + 1] != '\n') return error("bad bulk reply terminator");
    reply.type = ReplyType::kBulk;
    reply.str = in.substr(c.pos, len);
    return {Status::kOk, c.pos + len + 2, nullptr};
  }
  return error("unknown reply type");
}

namespace {

void append_decimal(std::string& out, char prefix, int64_t v) {
  char buf[24];
  buf[0] = prefix;
  auto [p, ec] = std::to_chars(buf + 1, buf + sizeof(buf) - 2, v);
  (void)ec;  // 24 bytes hold any int64
  *p++ = '\r';
  *p++ = '\n';
  out.append(buf, static_cast<size_t>(p - buf));
}

}  // namespace

void append_simple(std::string& out, std::string_view s) {
  out += '+';
  out += s;
  out += "\r\n";
}

void append_error(std::string& out, std::string_view s) {
  out += '-';
  // An error line must not break the framing.
  for (char ch : s) out += (ch == '\r' || ch == '\n') ? ' ' : ch;
  out += "\r\n";
}

void append_integer(std::string& out, int64_t v) { append_decimal(out, ':', v); }

void append_bulk_header(std::string& out, size_t n) { append_decimal(out, '$', static_cast<int64_t>(n)); }

void append_bulk(std::string& out, std::string_view s) {
  append_bulk_header(out, s.size());
  out += s;
  out += "\r\n";
}

void append_nil(std::string& out) { out += "$-1\r\n"; }

void append_command(std::string& out, std::span<const std::string_view> argv) {
  append_decimal(out, '*', static_cast<int64_t>(argv.size()));
  for (auto a : argv) append_bulk(out, a);
}

}  // namespace kv::resp
