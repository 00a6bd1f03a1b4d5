// SPDX-License-Identifier: MIT
// sdp-kv's commands: PING, GET, SET, DEL, EXISTS, executed on a Store,
// their RESP replies appended to an output buffer (Redis's reply texts).
#pragma once

#include <string>

#include "resp.h"
#include "store.h"

namespace kv {

struct CommandStats {
  uint64_t commands = 0;
  uint64_t errors = 0;  // error replies (unknown command, arity, OOM, ...)
};

// Executes cmd (argc >= 1) and appends its reply to out.
void execute(const resp::Command& cmd, Store& store, std::string& out, CommandStats& stats);

}  // namespace kv
