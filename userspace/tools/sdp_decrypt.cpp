// SPDX-License-Identifier: MIT
// sdp-decrypt: decrypt and verify SDP messages in a packet capture.
// See `sdp-decrypt --help`; the engine is sdp_decrypt_lib.{h,cpp}.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "sdp_args.h"
#include "sdp_decrypt_lib.h"
#include "sdp_record.h"

namespace {

constexpr const char* kUsage = R"(NAME
    sdp-decrypt - decrypt and verify the SDP messages in a packet capture

SYNOPSIS
    sdp-decrypt --key-file FILE [--key-file FILE ...] [--proto N] [--json]
                [--list-nonces] [--out-dir DIR] [--wire] [--quiet] PCAP
    sdp-decrypt seal --key-file FILE (--c2s | --s2c) --msg-id N [--rpc-id N]
                [--rec-app N] MESSAGE-FILE

DESCRIPTION
    Reads PCAP (libpcap format; Ethernet, Linux cooked v1/v2 or raw IP link
    types; IPv4 and IPv6), takes every packet of IP protocol --proto
    (default 253) as SDP, and rebuilds each message's wire stream from the
    DATA packets' offsets (seq), per (addresses, ports, RPC id, direction).
    Retransmitted and duplicated packets (the same bytes again) are counted,
    not printed twice. Encrypted streams are cut into TLS 1.2 AES-GCM
    records (docs/PROTOCOL.md, section 6); every record is opened with
    OpenSSL using the key of the packet's epoch and direction: requests
    (FROM_SERVER clear) with the key file's client-to-server key, responses
    with its server-to-client key. The record header, explicit nonce (the
    record sequence number: message ID << 16 | record index), GCM tag and
    framing header must all be right.

    Prints one line per message: direction, peers, RPC id, epoch, message
    ID, length and the plaintext in hex (or the file it was written to with
    --out-dir). Plaintext (epoch 0) messages are printed as they are.

    Control packets (GRANT, RESEND, UNKNOWN, BUSY, NEED_ACK, ACK) sent under
    a key end in a GMAC trailer {ctrl_seq, tag} (docs/PROTOCOL.md, "Control
    packet authentication"); each tag is verified with the sender's key of
    the packet's epoch, and each ctrl_seq counts as a nonce of that key like
    the record sequence numbers (control_verified, control_duplicates).

    Every (key, epoch, record sequence number) seen is remembered: a nonce
    that protects two messages with different content is a nonce repeat.
    The same record bytes in two messages (a replay) are counted as
    replayed_records. A summary line goes to standard error.

    seal    prints, in hex, the wire stream (records) of MESSAGE-FILE's bytes
            sent as message --msg-id in the given direction under the key
            file's key, built with OpenSSL from docs/PROTOCOL.md: what a
            correct sender puts on the wire. --rpc-id: the RPC id the
            framing header carries (default 0). --rec-app: application bytes
            per record (default and maximum 16368; the sender's choice is
            the "rec_plain" of sdp-decrypt --json).

OPTIONS
    --key-file FILE  keys of one peer (format: libsdp sdp_socket.h
                     KeyMaterial: cipher, epoch, client-to-server and
                     server-to-client key and salt); repeat for more peers or
                     epochs. Keys are never given on the command line.
    --proto N        SDP's IP protocol number (module parameter ip_proto)
    --json           one JSON object per line: {"type":"message",...}, with
                     --list-nonces {"type":"nonce",...}, then
                     {"type":"summary",...}
    --list-nonces    print every (key, epoch, record sequence number) once, in
                     order, and accept packets cut by the capture's snaplen:
                     their record headers still count, their messages are
                     reported incomplete instead of failing
    --out-dir DIR    write each complete message's plaintext to
                     DIR/NNNNNN-request-RPCID.bin (or -response-) instead of
                     printing it
    --wire           also print each message's wire stream (records) in hex
    --quiet          no per-message lines (summary and errors only)

EXIT STATUS
    0  every message complete and authenticated, no nonce repeat
    1  any authentication failure, inconsistent framing or header, conflicting
       retransmission, nonce repeat, or message not fully captured (each
       error is printed to standard error)
    2  usage error, unreadable key file or capture

EXAMPLES
    tcpdump -i veth0 -s 0 -w cap.pcap ip proto 253 or ip6 proto 253
    sdp-decrypt --key-file peer.key cap.pcap
    sdp-decrypt --key-file peer.key --list-nonces --quiet cap.pcap | wc -l
)";

[[noreturn]] void usage_error(const std::string& msg) {
  std::cerr << "sdp-decrypt: " << msg << "\nTry 'sdp-decrypt --help'.\n";
  std::exit(2);
}

uint64_t number(const std::string& s, const char* what) {
  try {
    return sdp::parse_size(s, what);
  } catch (const std::invalid_argument& e) {
    usage_error(e.what());
  }
}

sdp::KeyMaterial load_keys(const std::string& path) {
  try {
    return sdp::KeyMaterial::load(path);
  } catch (const std::exception& e) {
    std::cerr << "sdp-decrypt: " << e.what() << "\n";
    std::exit(2);
  }
}

int run_seal(const std::vector<std::string>& args) {
  std::string key_file, file;
  int dir = -1;
  uint64_t msg_id = 0, rpc_id = 0, rec_plain = SDP_RECORD_PLAIN_MAX;
  bool have_id = false;
  for (size_t i = 1; i < args.size(); i++) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) usage_error(a + " needs a value");
      return args[++i];
    };
    if (a == "--key-file") key_file = value();
    else if (a == "--c2s") dir = 0;
    else if (a == "--s2c") dir = 1;
    else if (a == "--msg-id") msg_id = number(value(), "message id"), have_id = true;
    else if (a == "--rpc-id") rpc_id = number(value(), "rpc id");
    else if (a == "--rec-app") rec_plain = number(value(), "record size");
    else if (a.starts_with("-")) usage_error("unknown option '" + a + "'");
    else if (file.empty()) file = a;
    else usage_error("more than one message file");
  }
  if (key_file.empty() || dir < 0 || !have_id || file.empty())
    usage_error("seal needs --key-file, --c2s or --s2c, --msg-id and a message file");
  if (rec_plain == 0 || rec_plain > SDP_RECORD_PLAIN_MAX)
    usage_error("--rec-app must be 1.." + std::to_string(SDP_RECORD_PLAIN_MAX));
  std::ifstream in(file, std::ios::binary);
  if (!in) usage_error("cannot read " + file);
  std::vector<uint8_t> msg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto keys = sdp::decrypt::dir_keys(load_keys(key_file), key_file);
  try {
    auto wire = sdp::decrypt::seal_message(keys[dir], msg_id, rpc_id,
                                           static_cast<uint32_t>(rec_plain), msg);
    std::cout << sdp::decrypt::to_hex(wire) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "sdp-decrypt: seal: " << e.what() << "\n";
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  for (const auto& a : args)
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
  if (args[0] == "seal") return run_seal(args);

  sdp::decrypt::Options opt;
  std::vector<std::string> key_files;
  std::string pcap, out_dir;
  bool json = false, list_nonces = false, quiet = false;
  for (size_t i = 0; i < args.size(); i++) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) usage_error(a + " needs a value");
      return args[++i];
    };
    if (a == "--key-file") {
      key_files.push_back(value());
    } else if (a == "--proto") {
      uint64_t p = number(value(), "protocol");
      if (p == 0 || p > 255) usage_error("--proto must be 1..255");
      opt.ip_proto = static_cast<int>(p);
    } else if (a == "--json") {
      json = true;
    } else if (a == "--list-nonces") {
      list_nonces = true;
    } else if (a == "--out-dir") {
      out_dir = value();
    } else if (a == "--wire") {
      opt.keep_wire = true;
    } else if (a == "--quiet") {
      quiet = true;
    } else if (a.starts_with("-")) {
      usage_error("unknown option '" + a + "'");
    } else if (pcap.empty()) {
      pcap = a;
    } else {
      usage_error("more than one capture file");
    }
  }
  if (pcap.empty()) usage_error("no capture file given");
  if (key_files.empty()) usage_error("no --key-file given");
  if (!out_dir.empty()) {
    struct stat sb {};
    if (stat(out_dir.c_str(), &sb) || !S_ISDIR(sb.st_mode))
      usage_error("--out-dir " + out_dir + " is not a directory");
  }
  opt.allow_truncated = list_nonces;

  sdp::decrypt::Decoder dec(opt);
  for (const auto& f : key_files)
    for (const auto& k : sdp::decrypt::dir_keys(load_keys(f), f)) dec.add_key(k);
  try {
    dec.read_pcap(pcap);
  } catch (const std::exception& e) {
    std::cerr << "sdp-decrypt: " << e.what() << "\n";
    return 2;
  }
  sdp::decrypt::Result r = dec.finish();

  size_t n = 0;
  for (auto& m : r.messages) {
    n++;
    std::string file;
    if (m.complete && !out_dir.empty()) {
      char name[64];
      std::snprintf(name, sizeof(name), "/%06zu-%s-%llu.bin", n,
                    m.from_server ? "response" : "request",
                    static_cast<unsigned long long>(m.rpc_id));
      file = out_dir + name;
      std::ofstream o(file, std::ios::binary);
      o.write(reinterpret_cast<const char*>(m.plain.data()),
              static_cast<std::streamsize>(m.plain.size()));
      if (!o) {
        std::cerr << "sdp-decrypt: cannot write " << file << "\n";
        return 2;
      }
    }
    if (quiet) continue;
    std::string data = !m.complete ? "" : file.empty() ? sdp::decrypt::to_hex(m.plain) : file;
    const char* dir = m.from_server ? "response" : "request";
    if (json) {
      std::printf(
          "{\"type\":\"message\",\"dir\":\"%s\",\"src\":\"%s\",\"dst\":\"%s\",\"rpc_id\":%llu,"
          "\"epoch\":%u,\"msg_id\":%llu,\"length\":%u,\"rec_plain\":%u,\"records\":%u,\"packets\":%llu,"
          "\"duplicate_packets\":%llu,\"complete\":%s,\"key\":\"%s\",\"%s\":\"%s\"",
          dir, m.src.c_str(), m.dst.c_str(), static_cast<unsigned long long>(m.rpc_id), m.epoch,
          static_cast<unsigned long long>(m.msg_id), m.msg_len, m.rec_plain, m.records,
          static_cast<unsigned long long>(m.packets),
          static_cast<unsigned long long>(m.duplicate_packets), m.complete ? "true" : "false",
          m.key_label.c_str(), file.empty() ? "plaintext_hex" : "file", data.c_str());
      if (opt.keep_wire) std::printf(",\"wire_hex\":\"%s\"", sdp::decrypt::to_hex(m.wire).c_str());
      std::printf("}\n");
    } else {
      std::printf("%s %s -> %s rpc %llu epoch %u msg %llu len %u %s%s%s\n", dir, m.src.c_str(),
                  m.dst.c_str(), static_cast<unsigned long long>(m.rpc_id), m.epoch,
                  static_cast<unsigned long long>(m.msg_id), m.msg_len,
                  m.complete ? (file.empty() ? "data " : "file ") : "INCOMPLETE", data.c_str(),
                  opt.keep_wire ? (" wire " + sdp::decrypt::to_hex(m.wire)).c_str() : "");
    }
  }
  if (list_nonces)
    for (auto& u : r.nonces) {
      // Record sequence numbers: message ID << 16 | index; control
      // sequence numbers (top bit set): a counter.
      bool ctrl = u.seq >> 63;
      char what[80];
      if (json)
        std::snprintf(what, sizeof(what), ctrl ? "\"ctrl\":%llu" : "\"msg_id\":%llu,\"record\":%llu",
                      static_cast<unsigned long long>(ctrl ? u.seq & ~(1ULL << 63) : u.seq >> 16),
                      static_cast<unsigned long long>(u.seq & 0xffff));
      else
        std::snprintf(what, sizeof(what), ctrl ? "ctrl %llu" : "msg %llu record %llu",
                      static_cast<unsigned long long>(ctrl ? u.seq & ~(1ULL << 63) : u.seq >> 16),
                      static_cast<unsigned long long>(u.seq & 0xffff));
      std::printf(json ? "{\"type\":\"nonce\",\"key\":\"%s\",\"epoch\":%u,\"seq\":\"%016llx\",%s,"
                         "\"uses\":%llu}\n"
                       : "nonce %s epoch %u seq %016llx %s uses %llu\n",
                  u.key_label.c_str(), u.epoch, static_cast<unsigned long long>(u.seq), what,
                  static_cast<unsigned long long>(u.uses));
    }
  const auto& s = r.stats;
  const std::pair<const char*, uint64_t> fields[] = {
      {"frames", s.frames},
      {"sdp_packets", s.sdp_packets},
      {"data_packets", s.data_packets},
      {"control_packets", s.control_packets},
      {"other_packets", s.other_packets},
      {"truncated_packets", s.truncated_packets},
      {"duplicate_packets", s.duplicate_packets},
      {"messages", s.messages},
      {"complete_messages", s.complete_messages},
      {"records", s.records},
      {"verified_records", s.verified_records},
      {"nonces", s.nonces},
      {"nonce_repeats", s.nonce_repeats},
      {"replayed_records", s.replayed_records},
      {"control_verified", s.control_verified},
      {"control_duplicates", s.control_duplicates},
      {"errors", r.errors.size()},
  };
  std::string sum;
  for (const auto& [name, value] : fields)
    sum += (sum.empty() ? "\"" : ",\"") + std::string(name) + "\":" + std::to_string(value);
  if (json) std::printf("{\"type\":\"summary\",%s}\n", sum.c_str());
  std::fflush(stdout);
  size_t shown = 0;
  for (const auto& e : r.errors)
    if (shown++ < 200) std::cerr << "sdp-decrypt: error: " << e << "\n";
  if (shown > 200) std::cerr << "sdp-decrypt: ... and " << shown - 200 << " more errors\n";
  std::cerr << "sdp-decrypt: summary {" << sum << "}\n";
  return r.errors.empty() ? 0 : 1;
}
