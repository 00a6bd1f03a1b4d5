// SPDX-License-Identifier: MIT
// sdpctl's logic, separated from main() so the unit tests can drive it:
// argument parsing, module file lookup, the /proc/net/sdp_stats and
// /dev/kmsg parsers, status rendering (pretty and JSON) and key files
// (genkey: the one writer of key files).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace sdpctl {

enum class Command { kHelp, kVersion, kLoad, kUnload, kStatus, kGenkey };

struct Args {
  Command command = Command::kHelp;
  std::string help_topic;   // `sdpctl help load`, `sdpctl load --help`
  std::string module_path;  // load --module
  std::vector<std::pair<std::string, std::string>> params;  // load NAME=VALUE
  bool dry_run = false;
  bool json = false;
  // genkey
  uint16_t cipher = 0;  // SDP_CIPHER_AES_GCM_128 (default) or _256
  uint8_t epoch = 1;
  std::string key_file;
};

// argv without the program name -> Args, or a one-line error message.
std::variant<Args, std::string> parse_args(const std::vector<std::string>& argv);

// Man-page text for a command ("" = overview); nullopt if no such command.
std::optional<std::string> help_text(std::string_view topic);

// Candidate module paths, in order: explicit, $SDP_MODULE, next to the
// executable (<exe dir>/../../kmod/sdp.ko), /lib/modules/<release>/extra.
std::vector<std::string> module_candidates(const std::string& explicit_path, const char* env_module,
                                           const std::string& exe_path, const std::string& release);

struct Stats {
  std::vector<std::pair<std::string, uint64_t>> counters;  // file order
  std::vector<std::string> warnings;                       // malformed lines
};
Stats parse_stats(std::string_view text);

// One /dev/kmsg record "pri,seq,ts,flags;message\n..." -> its message.
std::string kmsg_message(std::string_view record);

struct Status {
  bool loaded = false;
  std::string version, srcversion, refcnt;
  std::string kernel;  // release of the running kernel (/proc/sys/kernel/osrelease): the ABI used
  bool btf = false;
  std::map<std::string, std::string> params;
  std::optional<Stats> stats;
};

std::string render_pretty(const Status& st);
std::string render_json(const Status& st);

// Read the live status from /sys/module/sdp, /sys/kernel/btf and /proc/net.
Status read_status(const std::string& sysfs_root = "/sys",
                   const std::string& procfs_root = "/proc");

// The text of a fresh key file (libsdp KeyMaterial format) for `cipher`
// and `epoch`: random keys and salts for both directions from getrandom(2).
std::string new_key_file_text(uint16_t cipher, uint8_t epoch);

// Creates `path` with mode 0600 holding `text`; never overwrites (O_EXCL).
// "" on success, else what went wrong, for the user.
std::string write_key_file(const std::string& path, const std::string& text);

}  // namespace sdpctl
