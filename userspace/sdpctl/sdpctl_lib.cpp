// SPDX-License-Identifier: MIT
#include "sdpctl_lib.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "json.h"
#include "options.h"
#include "sdp_socket.h"
#include "unique_fd.h"

namespace fs = std::filesystem;

namespace sdpctl {
namespace {

constexpr std::string_view kOverview = R"(NAME
    sdpctl - load, unload and inspect the SDP kernel module

SYNOPSIS
    sdpctl load [--module PATH] [--dry-run] [PARAM=VALUE ...]
    sdpctl unload
    sdpctl status [--json]
    sdpctl genkey [--cipher aes128|aes256] [--epoch N] FILE
    sdpctl help [COMMAND]
    sdpctl --version

DESCRIPTION
    SDP is an encrypted, message-based datacenter RPC transport implemented
    by the kernel module sdp.ko. sdpctl loads it with parameters, unloads
    it, shows its state and counters, and writes key files. Run `sdpctl help COMMAND` for the
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
)";

constexpr std::string_view kLoadFooter = R"(EXIT STATUS
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
)";

constexpr std::string_view kUnloadFooter = R"(EXIT STATUS
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
)";

constexpr std::string_view kStatusFooter = R"(EXIT STATUS
    0 loaded; 3 not loaded; 1 error.
)";

constexpr std::string_view kGenkeyHelp = R"(NAME
    sdpctl genkey - write a key file with fresh random keys

SYNOPSIS
    sdpctl genkey [--cipher aes128|aes256] [--epoch N] FILE

DESCRIPTION
    Creates FILE (mode 0600, owner only) with a client-to-server and a
    server-to-client key and salt drawn from getrandom(2), in the format
    libsdp reads (sdp_socket.h KeyMaterial; sdp-echo, sdp-send-file,
    sdp-decrypt, sdp-bench and sdp-kv take it with --key-file):

        cipher aes-gcm-128
        epoch 1
        client-to-server <32 or 64 hex digits> <8 hex digits>
        server-to-client <32 or 64 hex digits> <8 hex digits>

    FILE must not exist: a key file is never overwritten, so a key that is
    in use is never replaced under its users. Use one key file per client
    socket: message ids restart at 0 on every socket, so a transmit key on
    two sockets would repeat nonces (libsdp refuses that, see
    used-tx-keys). Keys never go on a command line.
)";

constexpr std::string_view kGenkeyFooter = R"(EXIT STATUS
    0 written; 1 not written (FILE exists, cannot be created); 2 bad usage.

EXAMPLES
    sdpctl genkey --cipher aes256 /etc/sdp/peer-a.key
)";

bool valid_param_name(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// The options of command `cmd`, bound to `a`; its --help is generated from them.
sdp::OptionParser command_parser(const std::string& cmd, Args& a) {
  auto text = [](std::string_view v) { return std::string(v); };
  if (cmd == "load") {
    sdp::OptionParser p("sdpctl", text(kLoadHelp), text(kLoadFooter));
    p.value(
         "--module", "PATH",
         "the module file. Default: $SDP_MODULE, else\n<sdpctl dir>/../../kmod/sdp.ko (the build "
         "tree), else\n/lib/modules/$(uname -r)/extra/sdp.ko.",
         [&a](const std::string& v) {
           if (v.empty()) throw sdp::UsageError("--module needs a path");
           a.module_path = v;
         })
        .flag("--dry-run", "print what would be loaded, load nothing.", a.dry_run);
    return p;
  }
  if (cmd == "status") {
    sdp::OptionParser p("sdpctl", text(kStatusHelp), text(kStatusFooter));
    p.flag("--json", "one JSON object instead of the table", a.json);
    return p;
  }
  if (cmd == "genkey") {
    sdp::OptionParser p("sdpctl", text(kGenkeyHelp), text(kGenkeyFooter));
    p.value("--cipher", "aes128|aes256",
            "aes128 (AES-128-GCM, the default) or aes256\n(AES-256-GCM); aes-gcm-128 and "
            "aes-gcm-256 also work.",
            [&a](const std::string& c) {
              if (c == "aes128" || c == "aes-gcm-128")
                a.cipher = SDP_CIPHER_AES_GCM_128;
              else if (c == "aes256" || c == "aes-gcm-256")
                a.cipher = SDP_CIPHER_AES_GCM_256;
              else
                throw sdp::UsageError("unknown cipher '" + c + "' (aes128 or aes256)");
            })
        .value("--epoch", "N", "the key epoch, 1..255 (default 1).", [&a](const std::string& e) {
          unsigned v = 0;
          auto [end, ec] = std::from_chars(e.data(), e.data() + e.size(), v);
          if (ec != std::errc() || end != e.data() + e.size() || v < 1 || v > 255)
            throw sdp::UsageError("bad epoch '" + e + "' (1..255)");
          a.epoch = static_cast<uint8_t>(v);
        });
    return p;
  }
  return sdp::OptionParser("sdpctl", text(kUnloadHelp), text(kUnloadFooter));  // unload
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
  if (topic != "load" && topic != "unload" && topic != "status" && topic != "genkey")
    return std::nullopt;
  Args unused;
  return command_parser(std::string(topic), unused).help();
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
  else if (cmd == "genkey")
    a.command = Command::kGenkey;
  else
    return "unknown command '" + cmd + "'";

  bool help = false;
  sdp::OptionParser p = command_parser(cmd, a);
  p.on_help(help);
  std::vector<std::string> words;
  try {
    words = p.parse({argv.begin() + 1, argv.end()});
  } catch (const sdp::UsageError& e) {
    std::string what = e.what();
    return what.rfind("unknown option", 0) == 0 ? what + " for " + cmd : what;
  }
  if (help) {
    Args h;
    h.help_topic = cmd;
    return h;
  }
  for (const std::string& s : words) {
    if (a.command == Command::kLoad) {
      size_t eq = s.find('=');
      if (eq == std::string::npos) return "module parameter '" + s + "' must look like NAME=VALUE";
      std::string name = s.substr(0, eq), value = s.substr(eq + 1);
      if (!valid_param_name(name))
        return "bad module parameter name '" + name + "' (letters, digits, _)";
      if (value.empty() || value.find_first_of(" \t\n\"") != std::string::npos)
        return "bad value for module parameter '" + name + "'";
      a.params.emplace_back(name, value);
    } else if (a.command == Command::kGenkey) {
      if (!a.key_file.empty())
        return "genkey writes one file; got '" + a.key_file + "' and '" + s + "'";
      a.key_file = s;
    } else {
      return "unknown option '" + s + "' for " + cmd;
    }
  }
  if (a.command == Command::kGenkey) {
    if (a.key_file.empty()) return std::string("genkey needs the FILE to write");
    if (!a.cipher) a.cipher = SDP_CIPHER_AES_GCM_128;
  }
  return a;
}

std::vector<std::string> module_candidates(const std::string& explicit_path, const char* env_module,
                                           const std::string& exe_path,
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
  sdp::JsonObject o;
  o.boolean("loaded", st.loaded);
  if (st.loaded) {
    o.str("version", st.version).str("srcversion", st.srcversion).str("refcnt", st.refcnt);
    o.str("kernel", st.kernel).boolean("btf", st.btf);
    sdp::JsonObject params;
    for (auto& [k, v] : st.params) params.str(k, v);
    o.raw("parameters", params.str());
    if (st.stats) {
      sdp::JsonObject counters;
      for (auto& [k, v] : st.stats->counters) counters.num(k, v);
      o.raw("counters", counters.str());
    }
  }
  return o.str() + "\n";
}

std::string new_key_file_text(uint16_t cipher, uint8_t epoch) {
  return sdp::KeyMaterial::format(sdp::KeyMaterial::random(cipher, epoch));  // wiped after
}

std::string write_key_file(const std::string& path, const std::string& text) {
  sdp::UniqueFd fd(
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) {
    int err = errno;
    if (err == EEXIST)
      return path +
             " already exists: a key file is never overwritten (its keys may be in use); "
             "remove it first or choose another name";
    return "cannot create " + path + ": " + std::strerror(err);
  }
  // The mode is exactly 0600 whatever the umask.
  if (::fchmod(fd.get(), 0600) < 0)
    return "cannot set mode 0600 on " + path + ": " + std::strerror(errno);
  for (size_t off = 0; off < text.size();) {
    ssize_t n = ::write(fd.get(), text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string e = std::strerror(errno);
      ::unlink(path.c_str());
      return "cannot write " + path + ": " + e;
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) < 0 || ::close(fd.release()) < 0) {
    std::string e = std::strerror(errno);
    ::unlink(path.c_str());
    return "cannot write " + path + ": " + e;
  }
  return "";
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
