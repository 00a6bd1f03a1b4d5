// SPDX-License-Identifier: MIT
// sdp-ycsb: YCSB load phase and workloads A and C against sdp-kv (SDP, TCP,
// kTLS) or Redis (TCP), with every read checked against the writes.
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "kv_client.h"
#include "sdp_args.h"
#include "sdp_net.h"
#include "ycsb.h"

namespace {

constexpr const char* kUsage = R"(NAME
    sdp-ycsb - YCSB load, workload A and C against sdp-kv or Redis, reads verified

SYNOPSIS
    sdp-ycsb --transport T --server ADDR [--port N] [--key-file F]...
             [--records N] [--operations N] [--value-size SIZE]
             [--workloads LIST] [--connections N] [--depth N] [--seed N]
             [--key-prefix P] [--label NAME]

DESCRIPTION
    Runs the phases of --workloads (default load,a,c) in order, one after
    the other, from one thread that keeps --connections x --depth requests
    outstanding (closed loop: a reply is followed at once by the next
    request on its connection):

    load  SET of every record 0..N-1 (YCSB's insert), keys "user" + 16 hex
          digits of the hashed index, values of --value-size bytes.
    a     --operations requests, 50% GET / 50% SET (update) of one record.
    c     --operations requests, 100% GET.

    Records are chosen zipfian (constant 0.99, YCSB's scrambled zipfian)
    over --records. Every value names its record and a version and is
    otherwise pseudo-random; every GET is checked: it must return a value of
    that record whose version is at least the last acknowledged write when
    the GET was sent and at most the newest write sent (at most one write
    per record is in flight). A missing, wrong or stale value, an error
    reply or a lost connection ends the run with exit status 1: a wrong
    value is an error, not a statistic.

    Prints one JSON object: the settings and, per phase and operation
    (insert, read, update, and all), ops, seconds, throughput_ops,
    p50/p99/p999/mean latency in microseconds (request sent to reply
    parsed); reads_verified counts the checked reads.

OPTIONS
    --transport T     tcp (sdp-kv or Redis), ktls-aes128, ktls-aes256,
                      ktls13-aes128, ktls13-aes256, sdp, sdp-aes128,
                      sdp-aes256 (see sdp-kv --help)
    --port N          default 6379 tcp, 6380 ktls*, 6381 sdp*
    --key-file F      key file of the cipher (keyed SDP, kTLS)
    --records N       default 100000
    --operations N    per workload, default 100000
    --value-size SIZE 16 bytes .. 1M, default 1K
    --connections N   default 64; SDP: one socket (and key session) each
    --depth N         requests in flight per connection, default 1 (TCP:
                      pipelined)
    --key-prefix P    keys are P + 16 hex digits (default "user"); clients
                      that run at once against one server need their own
                      prefixes (each checks reads against its own writes)
    --label NAME      server name for the JSON (default sdp-kv)

EXIT STATUS
    0 success, 1 error (including a failed read check), 2 usage.
)";

using Clock = std::chrono::steady_clock;

struct Options {
  kv::ClientOptions client;
  std::string transport, label = "sdp-kv", prefix = "user";
  uint64_t records = 100000, operations = 100000, seed = 1;
  size_t value_size = 1024, connections = 64, depth = 1;
  std::vector<std::string> workloads{"load", "a", "c"};
};

enum Op : uint8_t { kInsert, kRead, kUpdate, kOps };
const char* const kOpNames[kOps] = {"insert", "read", "update"};

struct Slot {
  size_t conn = 0;
  Op op = kRead;
  uint64_t key = 0;
  uint32_t version = 0;  // write: the version sent; read: the acknowledged version when sent
  Clock::time_point t0;
};

struct PhaseResult {
  std::string workload;
  std::vector<uint32_t> ns[kOps];
  double seconds = 0;
};

class Runner {
 public:
  explicit Runner(const Options& o)
      : o_(o), values_(o.value_size), state_(o.records), zipf_(o.records), rng_(o.seed) {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    for (size_t i = 0; i < o.connections; i++) {
      conns_.push_back(kv::Connection::open(o.client));
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = i;
      if (epoll_ctl(ep_, EPOLL_CTL_ADD, conns_.back()->fd(), &ev) < 0)
        throw std::system_error(errno, std::generic_category(), "epoll_ctl");
      writing_.push_back(false);
    }
    slots_.resize(o.connections * o.depth);
    for (size_t s = 0; s < slots_.size(); s++) slots_[s].conn = s / o.depth;
  }
  ~Runner() { ::close(ep_); }

  PhaseResult run(const std::string& workload) {
    PhaseResult r;
    r.workload = workload;
    workload_ = workload;
    total_ = workload == "load" ? o_.records : o_.operations;
    issued_ = done_ = 0;
    next_insert_ = 0;
    for (auto& v : r.ns) v.reserve(workload == "a" ? total_ / 2 + 1024 : workload == "c" || workload == "load" ? total_ : 0);
    result_ = &r;
    auto t0 = Clock::now();
    for (size_t s = 0; s < slots_.size() && issued_ < total_; s++) issue(s);
    epoll_event evs[64];
    while (done_ < total_) {
      int n = epoll_wait(ep_, evs, 64, o_.client.timeout_s * 1000);
      if (n == 0)
        throw std::runtime_error("no reply within " + std::to_string(o_.client.timeout_s) + " s (" +
                                 std::to_string(total_ - done_) + " requests outstanding)");
      if (n < 0) {
        if (errno == EINTR) continue;
        throw std::system_error(errno, std::generic_category(), "epoll_wait");
      }
      for (int i = 0; i < n; i++) {
        size_t c = evs[i].data.u64;
        kv::Connection& conn = *conns_[c];
        if (evs[i].events & EPOLLOUT) conn.flush();
        conn.poll_replies([&](uint64_t tag, const kv::resp::Reply& rep) { complete(tag, rep); });
        update_events(c);
      }
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    result_ = nullptr;
    return r;
  }

  void check_kernel() {
    for (auto& c : conns_) c->check_after_run(1);
  }
  uint64_t reads_verified() const { return reads_verified_; }

 private:
  void update_events(size_t c) {
    bool w = conns_[c]->want_write();
    if (w == writing_[c]) return;
    epoll_event ev{};
    ev.events = uint32_t{EPOLLIN} | (w ? uint32_t{EPOLLOUT} : 0U);
    ev.data.u64 = c;
    epoll_ctl(ep_, EPOLL_CTL_MOD, conns_[c]->fd(), &ev);
    writing_[c] = w;
  }

  void issue(size_t s) {
    Slot& sl = slots_[s];
    req_.clear();
    if (workload_ == "load") {
      sl.op = kInsert;
      sl.key = next_insert_++;
      sl.version = state_.begin_write(sl.key);
      append_set(sl.key, sl.version);
    } else {
      bool read = workload_ == "c" || std::bernoulli_distribution(0.5)(rng_);
      uint64_t key = zipf_.next(rng_);
      // At most one write per record in flight (the check needs the order).
      for (int tries = 0; !read && state_.writing(key) && tries < 64; tries++) key = zipf_.next(rng_);
      if (!read && state_.writing(key)) read = true;
      sl.key = key;
      if (read) {
        sl.op = kRead;
        sl.version = state_.committed(key);
        req_.append("*2\r\n$3\r\nGET\r\n$");
        req_.append(key_len_);
        req_.append("\r\n");
        kv::ycsb::append_key(req_, key, o_.prefix);
        req_.append("\r\n");
      } else {
        sl.op = kUpdate;
        sl.version = state_.begin_write(key);
        append_set(key, sl.version);
      }
    }
    issued_++;
    sl.t0 = Clock::now();
    conns_[sl.conn]->send(req_, s);
  }

  void append_set(uint64_t key, uint32_t version) {
    req_.append("*3\r\n$3\r\nSET\r\n$");
    req_.append(key_len_);
    req_.append("\r\n");
    kv::ycsb::append_key(req_, key, o_.prefix);
    req_.append("\r\n$");
    req_.append(std::to_string(o_.value_size));
    req_.append("\r\n");
    values_.append(req_, key, version);
    req_.append("\r\n");
  }

  [[noreturn]] void check_failed(const Slot& sl, const std::string& what) {
    std::string key;
    kv::ycsb::append_key(key, sl.key, o_.prefix);
    throw std::runtime_error("check failed: " + workload_ + " " + kOpNames[sl.op] + " of " + key + " (record " +
                             std::to_string(sl.key) + "): " + what);
  }

  void complete(uint64_t tag, const kv::resp::Reply& rep) {
    if (tag >= slots_.size()) throw std::runtime_error("reply with an unknown tag");
    Slot& sl = slots_[tag];
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - sl.t0).count();
    if (rep.type == kv::resp::ReplyType::kError) check_failed(sl, "error reply '" + std::string(rep.str) + "'");
    if (sl.op == kRead) {
      if (rep.type == kv::resp::ReplyType::kNil) check_failed(sl, "missing (nil)");
      if (rep.type != kv::resp::ReplyType::kBulk) check_failed(sl, "not a bulk string");
      int64_t got = values_.version_of(rep.str, sl.key);
      if (got < 0) check_failed(sl, "a value that is not this record's (" + std::to_string(rep.str.size()) + " bytes)");
      if (!state_.read_ok(sl.key, sl.version, got))
        check_failed(sl, "version " + std::to_string(got) + ", but version " + std::to_string(sl.version) +
                             " was acknowledged before the read");
      reads_verified_++;
    } else {
      if (rep.type != kv::resp::ReplyType::kSimple || rep.str != "OK") check_failed(sl, "reply is not +OK");
      state_.end_write(sl.key, sl.version);
    }
    result_->ns[sl.op].push_back(static_cast<uint32_t>(std::min<int64_t>(ns, UINT32_MAX)));
    done_++;
    if (issued_ < total_) issue(tag);
  }

  const Options& o_;
  kv::ycsb::Values values_;
  kv::ycsb::KeyState state_;
  kv::ycsb::ScrambledZipfian zipf_;
  std::mt19937_64 rng_;
  int ep_ = -1;
  std::vector<std::unique_ptr<kv::Connection>> conns_;
  std::vector<bool> writing_;
  std::vector<Slot> slots_;
  std::string workload_, req_, key_len_ = std::to_string(o_.prefix.size() + 16);
  uint64_t total_ = 0, issued_ = 0, done_ = 0, next_insert_ = 0, reads_verified_ = 0;
  PhaseResult* result_ = nullptr;
};

double pct(const std::vector<uint32_t>& v, double p) {
  return v.empty() ? 0 : v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))] / 1000.0;
}

std::string stats_json(const std::string& workload, const char* op, std::vector<uint32_t> v, double seconds) {
  std::sort(v.begin(), v.end());
  double mean = 0;
  for (uint32_t x : v) mean += x;
  mean = v.empty() ? 0 : mean / static_cast<double>(v.size()) / 1000.0;
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "{\"workload\":\"%s\",\"op\":\"%s\",\"ops\":%zu,\"seconds\":%.4f,\"throughput_ops\":%.1f,"
                "\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"mean_us\":%.1f}",
                workload.c_str(), op, v.size(), seconds, seconds > 0 ? static_cast<double>(v.size()) / seconds : 0,
                pct(v, 0.5), pct(v, 0.99), pct(v, 0.999), mean);
  return buf;
}

int run(const Options& o) {
  Runner r(o);
  std::vector<std::string> rows;
  for (const auto& w : o.workloads) {
    PhaseResult p = r.run(w);
    std::vector<uint32_t> all;
    for (int op = 0; op < kOps; op++) {
      if (p.ns[op].empty()) continue;
      rows.push_back(stats_json(w, kOpNames[op], p.ns[op], p.seconds));
      all.insert(all.end(), p.ns[op].begin(), p.ns[op].end());
    }
    rows.push_back(stats_json(w, "all", std::move(all), p.seconds));
  }
  r.check_kernel();
  std::printf("{\"tool\":\"sdp-ycsb\",\"server\":\"%s\",\"transport\":\"%s\",\"value_size\":%zu,\"records\":%lu,"
              "\"operations\":%lu,\"connections\":%zu,\"depth\":%zu,\"zipfian_constant\":0.99,\"seed\":%lu,"
              "\"reads_verified\":%lu,\"results\":[\n",
              o.label.c_str(), o.transport.c_str(), o.value_size, o.records, o.operations, o.connections, o.depth,
              o.seed, r.reads_verified());
  for (size_t i = 0; i < rows.size(); i++) std::printf("  %s%s\n", rows[i].c_str(), i + 1 < rows.size() ? "," : "");
  std::printf("]}\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  Options o;
  sdp::KeyRing keys;
  bool port_given = false;
  try {
    sdp::ArgCursor args_cursor(args, 0);
    while (args_cursor.next()) {
      const std::string& a = args_cursor.opt();
      auto value = [&]() -> const std::string& { return args_cursor.value(); };
      auto number = [&](uint64_t lo, uint64_t hi) { return args_cursor.number(lo, hi); };
      if (a == "--help" || a == "-h") {
        std::cout << kUsage;
        return 0;
      } else if (a == "--transport") {
        o.transport = value();
      } else if (a == "--server") {
        o.client.host = value();
      } else if (a == "--port") {
        o.client.port = static_cast<uint16_t>(number(1, 65535));
        port_given = true;
      } else if (a == "--key-file") {
        keys.add(value());
      } else if (a == "--records") {
        o.records = number(2, 100000000);
      } else if (a == "--operations") {
        o.operations = number(1, 1000000000);
      } else if (a == "--value-size") {
        o.value_size = number(16, 1 << 20);
      } else if (a == "--workloads") {
        o.workloads = sdp::split_list(value());
        for (const auto& w : o.workloads)
          if (w != "load" && w != "a" && w != "c") throw std::invalid_argument("unknown workload '" + w + "' (load, a, c)");
        if (o.workloads.empty() || o.workloads[0] != "load")
          throw std::invalid_argument("--workloads must start with load (the reads are checked against it)");
      } else if (a == "--connections") {
        o.connections = number(1, 4096);
      } else if (a == "--depth") {
        o.depth = number(1, 1024);
      } else if (a == "--seed") {
        o.seed = number(0, UINT64_MAX);
      } else if (a == "--key-prefix") {
        o.prefix = value();
        if (o.prefix.size() > 1024) throw std::invalid_argument("--key-prefix: at most 1024 bytes");
      } else if (a == "--label") {
        o.label = value();
      } else {
        throw std::invalid_argument("unknown option '" + a + "'");
      }
    }
    if (o.transport.empty()) throw std::invalid_argument("needs --transport");
    if (o.client.host.empty()) throw std::invalid_argument("needs --server ADDR");
    kv::parse_transport(o.transport, o.client);
    if (!port_given)
      o.client.port = o.client.transport == kv::Transport::kTcp ? 6379 : o.client.transport == kv::Transport::kKtls ? 6380 : 6381;
    if (o.client.cipher) {
      o.client.keys = keys.find(o.client.cipher);
      if (!o.client.keys)
        throw std::invalid_argument(o.transport + " needs a --key-file with cipher " + sdp::cipher_name(o.client.cipher));
    }
    o.client.max_reply = o.value_size + 64;
    signal(SIGPIPE, SIG_IGN);
    return run(o);
  } catch (const std::invalid_argument& e) {
    std::cerr << "sdp-ycsb: " << e.what() << "\nTry 'sdp-ycsb --help'.\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "sdp-ycsb: " << e.what() << "\n";
    return 1;
  }
}
