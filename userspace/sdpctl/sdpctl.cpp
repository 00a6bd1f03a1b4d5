// SPDX-License-Identifier: MIT
// sdpctl: load, unload and inspect the SDP kernel module. `sdpctl --help`.
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "options.h"
#include "sdp_socket.h"
#include "sdpctl_lib.h"
#include "unique_fd.h"

namespace {

constexpr const char* kVersion = "sdpctl 0.1.0";

std::string release() {
  utsname u{};
  uname(&u);
  return u.release;
}

std::string self_exe() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

// Kernel log lines about sdp written since kmsg was opened at its end.
std::vector<std::string> new_kernel_messages(int kmsg) {
  std::vector<std::string> out;
  if (kmsg < 0) return out;
  char buf[8192];
  for (;;) {
    ssize_t n = read(kmsg, buf, sizeof(buf) - 1);
    if (n < 0) {
      if (errno == EPIPE) continue;  // overwritten records: keep reading
      break;                         // EAGAIN: nothing more
    }
    std::string msg = sdpctl::kmsg_message(std::string_view(buf, static_cast<size_t>(n)));
    if (msg.find("sdp") != std::string::npos) out.push_back(msg);
  }
  return out;
}

int cmd_load(const sdpctl::Args& a) {
  auto candidates =
      sdpctl::module_candidates(a.module_path, getenv("SDP_MODULE"), self_exe(), release());
  std::string path;
  for (auto& c : candidates)
    if (access(c.c_str(), R_OK) == 0) {
      path = c;
      break;
    }
  if (path.empty()) {
    std::cerr << "sdpctl: module file not found; tried:\n";
    for (auto& c : candidates) std::cerr << "  " << c << "\n";
    std::cerr << "build it with `make` or name it with --module PATH\n";
    return 1;
  }
  std::string params;
  for (auto& [k, v] : a.params) params += (params.empty() ? "" : " ") + k + "=" + v;
  if (a.dry_run) {
    std::cout << "would load " << path << (params.empty() ? "" : " with " + params) << "\n";
    return 0;
  }
  if (std::filesystem::exists("/sys/module/sdp")) {
    std::cerr << "sdpctl: sdp is already loaded; use `sdpctl unload` first\n";
    return 1;
  }
  if (geteuid() != 0) {
    std::cerr << "sdpctl: loading a module needs root (CAP_SYS_MODULE)\n";
    return 1;
  }
  sdp::UniqueFd file(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) {
    std::cerr << "sdpctl: cannot open " << path << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  sdp::UniqueFd kmsg(open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (kmsg.get() >= 0) lseek(kmsg.get(), 0, SEEK_END);
  if (syscall(SYS_finit_module, file.get(), params.c_str(), 0) != 0) {
    int err = errno;
    if (err == EEXIST) {
      std::cerr << "sdpctl: sdp is already loaded; use `sdpctl unload` first\n";
      return 1;
    }
    if (err == EPERM) {
      std::cerr << "sdpctl: the kernel refused: not permitted (root with CAP_SYS_MODULE needed; "
                   "module signing or lockdown may also forbid it)\n";
      return 1;
    }
    std::cerr << "sdpctl: the kernel refused to load " << path << ": " << std::strerror(err)
              << "\n";
    for (auto& m : new_kernel_messages(kmsg.get())) std::cerr << "  kernel: " << m << "\n";
    if (err == ENOEXEC)
      std::cerr << "  (built for another kernel? this one is " << release() << ")\n";
    return 1;
  }
  if (!std::filesystem::exists("/sys/kernel/btf/sdp"))
    std::cerr << "sdpctl: warning: sdp has no module BTF (/sys/kernel/btf/sdp); its BPF kfuncs "
                 "will not work. Rebuild with `make` after `make deps`.\n";
  std::cout << "sdp loaded from " << path << (params.empty() ? "" : " (" + params + ")") << "\n";
  return 0;
}

int cmd_unload() {
  if (!std::filesystem::exists("/sys/module/sdp")) {
    std::cerr << "sdpctl: sdp is not loaded\n";
    return 1;
  }
  if (syscall(SYS_delete_module, "sdp", O_NONBLOCK) != 0) {
    int err = errno;
    if (err == EWOULDBLOCK || err == EBUSY) {
      auto st = sdpctl::read_status();
      std::cerr << "sdpctl: sdp is in use (" << st.refcnt
                << " users): close SDP sockets and detach SDP XDP programs first\n";
    } else if (err == EPERM) {
      std::cerr << "sdpctl: unloading a module needs root (CAP_SYS_MODULE)\n";
    } else if (err == ENOENT) {
      std::cerr << "sdpctl: sdp is not loaded\n";
    } else {
      std::cerr << "sdpctl: delete_module(sdp): " << std::strerror(err) << "\n";
    }
    return 1;
  }
  std::cout << "sdp unloaded\n";
  return 0;
}

int cmd_genkey(const sdpctl::Args& a) {
  std::string text, err;
  try {
    text = sdpctl::new_key_file_text(a.cipher, a.epoch);
    err = sdpctl::write_key_file(a.key_file, text);
  } catch (const std::exception& e) {
    err = e.what();
  }
  explicit_bzero(text.data(), text.size());
  if (!err.empty()) {
    std::cerr << "sdpctl: " << err << "\n";
    return 1;
  }
  std::cout << "sdpctl: wrote " << a.key_file << " ("
            << (a.cipher == SDP_CIPHER_AES_GCM_256 ? "aes-gcm-256" : "aes-gcm-128") << ", epoch "
            << unsigned(a.epoch) << ", mode 0600)\n";
  return 0;
}

int cmd_status(const sdpctl::Args& a) {
  auto st = sdpctl::read_status();
  std::cout << (a.json ? sdpctl::render_json(st) : sdpctl::render_pretty(st));
  return st.loaded ? 0 : 3;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = sdpctl::parse_args(args);
  if (auto* err = std::get_if<std::string>(&parsed)) {
    sdp::usage_error("sdpctl", *err);
    return 2;
  }
  const auto& a = std::get<sdpctl::Args>(parsed);
  switch (a.command) {
    case sdpctl::Command::kHelp:
      std::cout << *sdpctl::help_text(a.help_topic);
      return args.empty() ? 2 : 0;
    case sdpctl::Command::kVersion:
      std::cout << kVersion << "\n";
      return 0;
    case sdpctl::Command::kLoad:
      return cmd_load(a);
    case sdpctl::Command::kUnload:
      return cmd_unload();
    case sdpctl::Command::kStatus:
      return cmd_status(a);
    case sdpctl::Command::kGenkey:
      return cmd_genkey(a);
  }
  return 1;
}
