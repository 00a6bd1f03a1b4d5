// SPDX-License-Identifier: MIT
#include "sdpctl_lib.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace sdpctl {
namespace {

constexpr std::string_view kOverview = R"(NAME
    sdpctl - load, unload and inspect the SDP kernel module

SYNOPSIS
    sdpctl load [--module PATH] [--dry-run] [PARAM=VALUE ...]
    sdpctl unload
    sdpctl status [--json]
    sdpctl help [COMMAND]
    sdpctl --version

DESCRIPTION
    SDP is an encrypted, message-based datacenter RPC transport implemented
    by the kernel module sdp.ko. sdpctl loads it with parameters, unloads
    it, and shows its state and counters. Run `sdpctl help COMMAND` for the
    details of one command. Loading and unloading need root
    (CAP_SYS_MODULE).

EXIT STATUS
    0 success; 1 the operation failed; 2 bad usage; 3 (status) not loaded.
)";

constexpr std::string_view kLoadHelp = R"(NAME
    sdpctl load - load sdp.ko

SYNOPSIS
    sdpctl load [--module PATH] [--dry-run] [PARAM=VALUE ...]

DESCRIPTION
    Loads the module with finit_module(2), passing PARAM=VALUE pairs as
    module parameters (see `modinfo sdp.ko`: ip_proto, max_msg_bytes,
    unsched_bytes, grant_window, max_incoming, tick_ms, resend_ms,
    timeout_ms, sock_mem_bytes). If the kernel refuses, its own messages
    from the kernel log are shown. After loading, sdpctl checks that the
    module got BTF (/sys/kernel/btf/sdp), which its BPF kfuncs need.

OPTIONS
    --module PATH   the module file. Default: $SDP_MODULE, else
                    <sdpctl dir>/../../kmod/sdp.ko (the build tree), else
                    /lib/modules/$(uname -r)/extra/sdp.ko.
    --dry-run       print what would be loaded, load nothing.

EXIT STATUS
    0 loaded; 1 failed (not root, file not found, already loaded, refused).

EXAMPLES
    sdpctl load
    sdpctl load ip_proto=254 timeout_ms=1000
)";

constexpr std::string_view kUnloadHelp = R"(NAME
    sdpctl unload - unload sdp.ko

SYNOPSIS
    sdpctl unload

DESCRIPTION
    Removes the module with delete_module(2). It is refused while SDP
    sockets are open (each holds a reference); close them first.

EXIT STATUS
    0 unloaded; 1 failed (not root, not loaded, in use).
)";

constexpr std::string_view kStatusHelp = R"(NAME
    sdpctl status - show whether SDP is loaded, its parameters and counters

SYNOPSIS
    sdpctl status [--json]

DESCRIPTION
    Shows the module version, reference count, whether it has BTF, every
    parameter (/sys/module/sdp/parameters) and the counters of the current
    network namespace (/proc/net/sdp_stats). --json prints one JSON object
    with the same content, for scripts.

EXIT STATUS
    0 loaded; 3 not loaded; 1 error.
)";

bool valid_param_name(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string read_line(const fs::path& p) {
  std::ifstream f(p);
  std::string s;
  std::getline(f, s);
  return s;
}

}  // namespace

std::optional<std::string> help_text(std::string_view topic) {
  if (topic.empty()) return std::string(kOverview);
  if (topic == "load") return std::string(kLoadHelp);
  if (topic == "unload") return std::string(kUnloadHelp);
  if (topic == "status") return std::string(kStatusHelp);
  return std::nullopt;
}

std::variant<Args, std::string> parse_args(const std::vector<std::string>& argv) {
  Args a;
  if (argv.empty()) return a;
  const std::string& cmd = argv[0];
  if (cmd == "--help" || cmd == "-h") return a;
  if (cmd == "--version") {
    a.command = Command::kVersion;
    return a;
  }
  if (cmd == "help") {
    if (argv.size() > 2) return std::string("help takes at most one command");
    a.help_topic = argv.size() == 2 ? argv[1] : "";
    if (!help_text(a.help_topic)) return "no help for unknown command '" + a.help_topic + "'";
    return a;
  }
  if (cmd == "load")
    a.command = Command::kLoad;
  else if (cmd == "unload")
    a.command = Command::kUnload;
  else if (cmd == "status")
    a.command = Command::kStatus;
  else
    return "unknown command '" + cmd + "'";

  for (size_t i = 1; i < argv.size(); i++) {
    const std::string& s = argv[i];
    if (s == "--help" || s == "-h") {
      Args h;
      h.help_topic = cmd;
      return h;
    }
    if (a.command == Command::kLoad && s == "--module") {
      if (i + 1 >= argv.size()) return std::string("--module needs a path");
      a.module_path = argv[++i];
      if (a.module_path.empty()) return std::string("--module needs a path");
    } else if (a.command == Command::kLoad && s.rfind("--module=", 0) == 0) {
      a.module_path = s.substr(9);
      if (a.module_path.empty()) return std::string("--module needs a path");
    } else if (a.command == Command::kLoad && s == "--dry-run") {
      a.dry_run = true;
    } else if (a.command == Command::kStatus && s == "--json") {
      a.json = true;
    } else if (a.command == Command::kLoad && !s.empty() && s[0] != '-') {
      size_t eq = s.find('=');
      if (eq == std::string::npos)
        return "module parameter '" + s + "' must look like NAME=VALUE";
      std::string name = s.substr(0, eq), value = s.substr(eq + 1);
      if (!valid_param_name(name))
        return "bad module parameter name '" + name + "' (letters, digits, _)";
      if (value.empty() || value.find_first_of(" \t\n\"") != std::string::npos)
        return "bad value for module parameter '" + name + "'";
      a.params.emplace_back(name, value);
    } else {
      return "unknown option '" + s + "' for " + cmd;
    }
  }
  return a;
}

std::vector<std::string> module_candidates(const std::string& explicit_path,
                                           const char* env_module, const std::string& exe_path,
                                           const std::string& release) {
  if (!explicit_path.empty()) return {explicit_path};
  std::vector<std::string> out;
  if (env_module && *env_module) out.emplace_back(env_module);
  if (!exe_path.empty())
    out.push_back((fs::path(exe_path).parent_path() / ".." / ".." / "kmod" / "sdp.ko")
                      .lexically_normal()
                      .string());
  out.push_back("/lib/modules/" + release + "/extra/sdp.ko");
  return out;
}

Stats parse_stats(std::string_view text) {
  Stats st;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    line_no++;
    if (line.empty()) continue;
    size_t sp = line.find(' ');
    std::string_view name = line.substr(0, sp);
    std::string_view value = sp == std::string_view::npos ? "" : line.substr(sp + 1);
    uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (name.empty() || value.empty() || ec != std::errc() || ptr != value.data() + value.size()) {
      st.warnings.push_back("line " + std::to_string(line_no) + ": cannot parse '" +
                            std::string(line) + "'");
      continue;
    }
    st.counters.emplace_back(std::string(name), v);
  }
  return st;
}

std::string kmsg_message(std::string_view record) {
  size_t semi = record.find(';');
  std::string_view msg = semi == std::string_view::npos ? record : record.substr(semi + 1);
  size_t nl = msg.find('\n');  // continuation lines follow the first newline
  if (nl != std::string_view::npos) msg = msg.substr(0, nl);
  return std::string(msg);
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string render_pretty(const Status& st) {
  std::ostringstream o;
  if (!st.loaded) {
    o << "sdp: not loaded (load it with: sdpctl load)\n";
    return o.str();
  }
  o << "sdp: loaded\n";
  o << "  version:    " << st.version << "\n";
  o << "  srcversion: " << st.srcversion << "\n";
  o << "  refcnt:     " << st.refcnt << "\n";
  o << "  kernel:     " << st.kernel << "\n";
  o << "  btf:        " << (st.btf ? "yes" : "NO (kfuncs will not work)") << "\n";
  o << "\nparameters:\n";
  size_t w = 0;
  for (auto& [k, v] : st.params) w = std::max(w, k.size());
  for (auto& [k, v] : st.params) o << "  " << k << std::string(w - k.size() + 2, ' ') << v << "\n";
  if (st.stats) {
    o << "\ncounters (this network namespace):\n";
    w = 0;
    for (auto& [k, v] : st.stats->counters) w = std::max(w, k.size());
    for (auto& [k, v] : st.stats->counters)
      o << "  " << k << std::string(w - k.size() + 2, ' ') << v << "\n";
    for (auto& warn : st.stats->warnings) o << "  warning: /proc/net/sdp_stats " << warn << "\n";
  }
  return o.str();
}

std::string render_json(const Status& st) {
  std::ostringstream o;
  o << "{\"loaded\":" << (st.loaded ? "true" : "false");
  if (st.loaded) {
    o << ",\"version\":\"" << json_escape(st.version) << "\",\"srcversion\":\""
      << json_escape(st.srcversion) << "\",\"refcnt\":\"" << json_escape(st.refcnt)
      << "\",\"kernel\":\"" << json_escape(st.kernel)
      << "\",\"btf\":" << (st.btf ? "true" : "false") << ",\"parameters\":{";
    bool first = true;
    for (auto& [k, v] : st.params) {
      o << (first ? "" : ",") << "\"" << json_escape(k) << "\":\"" << json_escape(v) << "\"";
      first = false;
    }
    o << "}";
    if (st.stats) {
      o << ",\"counters\":{";
      first = true;
      for (auto& [k, v] : st.stats->counters) {
        o << (first ? "" : ",") << "\"" << json_escape(k) << "\":" << v;
        first = false;
      }
      o << "}";
    }
  }
  o << "}\n";
  return o.str();
}

Status read_status(const std::string& sysfs_root, const std::string& procfs_root) {
  Status st;
  fs::path mod = fs::path(sysfs_root) / "module" / "sdp";
  std::error_code ec;
  if (!fs::exists(mod / "initstate", ec) && !fs::exists(mod / "parameters", ec)) return st;
  st.loaded = true;
  st.version = read_line(mod / "version");
  st.srcversion = read_line(mod / "srcversion");
  st.refcnt = read_line(mod / "refcnt");
  st.kernel = read_line(fs::path(procfs_root) / "sys" / "kernel" / "osrelease");
  st.btf = fs::exists(fs::path(sysfs_root) / "kernel" / "btf" / "sdp", ec);
  for (auto& e : fs::directory_iterator(mod / "parameters", ec))
    st.params[e.path().filename().string()] = read_line(e.path());
  std::ifstream f(fs::path(procfs_root) / "net" / "sdp_stats");
  if (f) {
    std::stringstream ss;
    ss << f.rdbuf();
    st.stats = parse_stats(ss.str());
  }
  return st;
}

}  // namespace sdpctl
