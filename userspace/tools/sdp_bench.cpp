// SPDX-License-Identifier: MIT
// sdp-bench: unloaded ping-pong latency of SDP against TCP and UDP, same
// request and response size, one RPC in flight. Prints JSON.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "sdp_args.h"
#include "sdp_socket.h"

namespace {

constexpr const char* kUsage = R"(NAME
    sdp-bench - SDP vs TCP vs UDP ping-pong latency

SYNOPSIS
    sdp-bench server [--port N] [-6]
    sdp-bench client --server ADDR [--port N] [--protos LIST] [--sizes LIST]
                     [--iterations N] [--warmup N]

DESCRIPTION
    server  answers on TCP, UDP and SDP at the same port number (three
            protocols, three sockets) until killed.
    client  for each protocol in --protos (default sdp,tcp,udp) and each size
            in --sizes (default 64,1K,4K,16K,64K,256K,1M) runs --warmup
            (default 20) then --iterations (default 500) sequential
            request/response exchanges with request size = response size,
            and prints one JSON array of
            {"proto","size","iterations","p50_us","p99_us","mean_us"}.
            UDP is skipped for sizes above 65000 bytes (one datagram).
            TCP uses TCP_NODELAY and an 8-byte length prefix.
)";

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

bool read_all(int fd, void* p, size_t n) {
  auto* c = static_cast<char*>(p);
  while (n) {
    ssize_t r = ::read(fd, c, n);
    if (r == 0) return false;
    if (r < 0) {
      if (errno == EINTR) continue;
      die("read");
    }
    c += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

int inet_socket(const sdp::Address& a, int type) {
  int fd = ::socket(a.family(), type | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  return fd;
}

void serve_tcp(sdp::Address local) {
  int lfd = inet_socket(local, SOCK_STREAM);
  if (::bind(lfd, local.sa(), local.length) < 0 || ::listen(lfd, 16) < 0) die("tcp bind/listen");
  for (;;) {
    int fd = ::accept(lfd, nullptr, nullptr);
    if (fd < 0) continue;
    std::thread([fd] {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      std::vector<char> buf;
      uint64_t len;
      try {
        while (read_all(fd, &len, sizeof(len))) {
          buf.resize(len);
          if (!read_all(fd, buf.data(), len)) break;
          iovec iov[2] = {{&len, sizeof(len)}, {buf.data(), len}};
          if (::writev(fd, iov, 2) < 0) break;
        }
      } catch (const std::exception&) {
      }
      ::close(fd);
    }).detach();
  }
}

void serve_udp(sdp::Address local) {
  int fd = inet_socket(local, SOCK_DGRAM);
  if (::bind(fd, local.sa(), local.length) < 0) die("udp bind");
  std::vector<char> buf(65536);
  for (;;) {
    sockaddr_storage peer{};
    socklen_t plen = sizeof(peer);
    ssize_t n = ::recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&peer), &plen);
    if (n >= 0) ::sendto(fd, buf.data(), static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&peer), plen);
  }
}

void serve_sdp(sdp::Address local) {
  sdp::Socket s(local.family());
  s.bind(local);
  std::vector<std::byte> buf(SDP_MAX_MESSAGE_LEN);
  for (;;) {
    auto m = s.receive(buf);
    if (m && m->is_request) s.send_response(m->peer, m->rpc_id, std::span(buf.data(), m->length));
  }
}

struct Result {
  std::string proto;
  size_t size;
  std::vector<double> us;
};

template <typename F>
Result measure(const std::string& proto, size_t size, int warmup, int iters, F&& once) {
  Result r{proto, size, {}};
  for (int i = 0; i < warmup; i++) once();
  r.us.reserve(static_cast<size_t>(iters));
  for (int i = 0; i < iters; i++) {
    auto t0 = Clock::now();
    once();
    r.us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  return r;
}

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    out.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

int run_client(const std::string& server, uint16_t port, const std::vector<std::string>& protos,
               const std::vector<size_t>& sizes, int warmup, int iters) {
  sdp::Address dst = sdp::Address::parse(server, port);
  std::vector<Result> results;
  for (const auto& proto : protos) {
    if (proto == "tcp") {
      int fd = inet_socket(dst, SOCK_STREAM);
      if (::connect(fd, dst.sa(), dst.length) < 0) die("tcp connect");
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      for (size_t size : sizes) {
        std::vector<char> buf(size, 'x');
        results.push_back(measure(proto, size, warmup, iters, [&] {
          uint64_t len = size;
          iovec iov[2] = {{&len, sizeof(len)}, {buf.data(), size}};
          if (::writev(fd, iov, 2) < 0) die("writev");
          if (!read_all(fd, &len, sizeof(len)) || !read_all(fd, buf.data(), len))
            throw std::runtime_error("tcp server closed");
        }));
      }
      ::close(fd);
    } else if (proto == "udp") {
      int fd = inet_socket(dst, SOCK_DGRAM);
      if (::connect(fd, dst.sa(), dst.length) < 0) die("udp connect");
      timeval tv{2, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      for (size_t size : sizes) {
        if (size > 65000) continue;
        std::vector<char> buf(size, 'x');
        results.push_back(measure(proto, size, warmup, iters, [&] {
          if (::send(fd, buf.data(), size, 0) < 0) die("udp send");
          if (::recv(fd, buf.data(), size, 0) < 0) die("udp recv (lost datagram?)");
        }));
      }
      ::close(fd);
    } else if (proto == "sdp") {
      sdp::Socket s(dst.family());
      for (size_t size : sizes) {
        std::vector<std::byte> buf(size + 1, std::byte{'x'});
        results.push_back(measure(proto, size, warmup, iters, [&] {
          s.send_request(dst, std::span(buf.data(), size), 1);
          auto m = s.receive(buf);
          if (!m || m->error || m->length != size) throw std::runtime_error("sdp rpc failed");
        }));
      }
    } else {
      throw std::invalid_argument("unknown protocol '" + proto + "' (sdp, tcp, udp)");
    }
  }
  std::printf("[\n");
  for (size_t i = 0; i < results.size(); i++) {
    auto& r = results[i];
    std::sort(r.us.begin(), r.us.end());
    double mean = 0;
    for (double v : r.us) mean += v;
    mean /= static_cast<double>(r.us.size());
    auto pct = [&](double p) { return r.us[static_cast<size_t>(p * static_cast<double>(r.us.size() - 1))]; };
    std::printf("  {\"proto\":\"%s\",\"size\":%zu,\"iterations\":%zu,\"p50_us\":%.1f,\"p99_us\":%.1f,\"mean_us\":%.1f}%s\n",
                r.proto.c_str(), r.size, r.us.size(), pct(0.5), pct(0.99), mean,
                i + 1 < results.size() ? "," : "");
  }
  std::printf("]\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  std::string mode = args[0], server, protos = "sdp,tcp,udp", sizes = "64,1K,4K,16K,64K,256K,1M";
  uint16_t port = 6000;
  bool v6 = false;
  int warmup = 20, iters = 500;
  try {
    for (size_t i = 1; i < args.size(); i++) {
      const std::string& a = args[i];
      auto value = [&]() -> const std::string& {
        if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
        return args[++i];
      };
      if (a == "--port") port = static_cast<uint16_t>(std::stoul(value()));
      else if (a == "--server") server = value();
      else if (a == "--protos") protos = value();
      else if (a == "--sizes") sizes = value();
      else if (a == "--iterations") iters = std::max(1, std::stoi(value()));
      else if (a == "--warmup") warmup = std::max(0, std::stoi(value()));
      else if (a == "-6") v6 = true;
      else throw std::invalid_argument("unknown option '" + a + "'");
    }
    signal(SIGPIPE, SIG_IGN);
    if (mode == "server") {
      sdp::Address local = sdp::Address::parse(v6 ? "::" : "0.0.0.0", port);
      std::thread(serve_tcp, local).detach();
      std::thread(serve_udp, local).detach();
      serve_sdp(local);
      return 0;
    }
    if (mode == "client") {
      if (server.empty()) throw std::invalid_argument("client needs --server ADDR");
      return run_client(server, port, split(protos), sdp::parse_size_list(sizes), warmup, iters);
    }
    throw std::invalid_argument("unknown mode '" + mode + "'");
  } catch (const std::invalid_argument& e) {
    std::cerr << "sdp-bench: " << e.what() << "\nTry 'sdp-bench --help'.\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "sdp-bench: " << e.what() << "\n";
    return 1;
  }
}
