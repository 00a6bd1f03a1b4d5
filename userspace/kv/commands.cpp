// SPDX-License-Identifier: MIT
#include "commands.h"

#include <cctype>

namespace kv {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++)
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  return true;
}

void arity_error(std::string& out, std::string_view name, CommandStats& stats) {
  std::string msg = "ERR wrong number of arguments for '";
  for (char c : name) msg += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  msg += "' command";
  resp::append_error(out, msg);
  stats.errors++;
}

}  // namespace

void execute(const resp::Command& cmd, Store& store, std::string& out, CommandStats& stats) {
  stats.commands++;
  std::string_view name = cmd.argv[0];
  const size_t argc = cmd.argc;
  if (iequals(name, "get")) {
    if (argc != 2) return arity_error(out, name, stats);
    bool found = store.get(cmd.argv[1], [&](std::string_view v) { resp::append_bulk(out, v); });
    if (!found) resp::append_nil(out);
  } else if (iequals(name, "set")) {
    if (argc < 3) return arity_error(out, name, stats);
    if (argc > 3) {
      // EX, PX, NX, XX, GET, KEEPTTL: not in the subset.
      resp::append_error(out, "ERR syntax error (sdp-kv supports SET key value only)");
      stats.errors++;
      return;
    }
    switch (store.set(cmd.argv[1], cmd.argv[2])) {
      case Store::SetResult::kOk: resp::append_simple(out, "OK"); return;
      case Store::SetResult::kOutOfMemory:
        resp::append_error(out, "OOM command not allowed when used memory > 'maxmemory'.");
        break;
      case Store::SetResult::kKeyTooLarge: resp::append_error(out, "ERR key too large"); break;
      case Store::SetResult::kValueTooLarge: resp::append_error(out, "ERR value too large"); break;
    }
    stats.errors++;
  } else if (iequals(name, "del") || iequals(name, "exists")) {
    if (argc < 2) return arity_error(out, name, stats);
    bool del = iequals(name, "del");
    int64_t n = 0;
    for (size_t i = 1; i < argc; i++) n += del ? store.del(cmd.argv[i]) : store.exists(cmd.argv[i]);
    resp::append_integer(out, n);
  } else if (iequals(name, "ping")) {
    if (argc > 2) return arity_error(out, name, stats);
    if (argc == 2)
      resp::append_bulk(out, cmd.argv[1]);
    else
      resp::append_simple(out, "PONG");
  } else {
    std::string msg = "ERR unknown command '";
    for (char c : name.substr(0, 128)) msg += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
    msg += "'";
    resp::append_error(out, msg);
    stats.errors++;
  }
}

}  // namespace kv
