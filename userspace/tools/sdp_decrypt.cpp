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

#include "json.h"
#include "options.h"
#include "sdp_args.h"
#include "sdp_decrypt_lib.h"
#include "sdp_record.h"

namespace {

constexpr const char* kHeader = R"(NAME
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

    seal's options: --key-file, --c2s or --s2c, --msg-id, --rpc-id,
    --rec-app.
)";

constexpr const char* kFooter = R"(EXIT STATUS
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

[[noreturn]] void usage_error(const std::string& msg) { sdp::usage_error("sdp-decrypt", msg); }

struct Args {
  sdp::decrypt::Options opt;
  std::vector<std::string> key_files;
  std::string out_dir;
  bool json = false, list_nonces = false, quiet = false;
  // seal
  bool c2s = false, s2c = false, have_id = false;
  uint64_t msg_id = 0, rpc_id = 0, rec_plain = SDP_RECORD_PLAIN_MAX;
};

// The options of both modes (seal takes --key-file, --c2s/--s2c, --msg-id,
// --rpc-id and --rec-app; decoding the others).
sdp::OptionParser parser(Args& a) {
  sdp::OptionParser p("sdp-decrypt", kHeader, kFooter);
  p.strings(
       "--key-file", "FILE",
       "keys of one peer (format: libsdp sdp_socket.h\nKeyMaterial: cipher, epoch, "
       "client-to-server and\nserver-to-client key and salt; sdpctl genkey writes one);\nrepeat "
       "for more peers or epochs. Keys are never given\non the command line.",
       a.key_files)
      .number("--proto", "N", "SDP's IP protocol number (module parameter ip_proto)",
              a.opt.ip_proto, 1, 255)
      .flag("--json",
            "one JSON object per line: {\"type\":\"message\",...}, with\n--list-nonces "
            "{\"type\":\"nonce\",...}, then\n{\"type\":\"summary\",...}",
            a.json)
      .flag("--list-nonces",
            "print every (key, epoch, record sequence number) once, in\norder, and accept packets "
            "cut by the capture's snaplen:\ntheir record headers still count, their messages "
            "are\nreported incomplete instead of failing",
            a.list_nonces)
      .string("--out-dir", "DIR",
              "write each complete message's plaintext to\nDIR/NNNNNN-request-RPCID.bin (or "
              "-response-) instead of\nprinting it",
              a.out_dir)
      .flag("--wire", "also print each message's wire stream (records) in hex", a.opt.keep_wire)
      .flag("--quiet", "no per-message lines (summary and errors only)", a.quiet)
      .flag("--c2s", "seal: the client-to-server direction (a request)", a.c2s)
      .flag("--s2c", "seal: the server-to-client direction (a response)", a.s2c)
      .value("--msg-id", "N", "seal: the message id",
             [&a](const std::string& v) {
               a.msg_id = sdp::OptionParser::number_in("--msg-id", v, 0, UINT64_MAX);
               a.have_id = true;
             })
      .number("--rpc-id", "N", "seal: the RPC id the framing header carries (default 0)", a.rpc_id,
              0, UINT64_MAX)
      .number("--rec-app", "N", "seal: application bytes per record (default and maximum\n16368)",
              a.rec_plain, 1, SDP_RECORD_PLAIN_MAX);
  return p;
}

sdp::KeyMaterial load_keys(const std::string& path) {
  try {
    return sdp::KeyMaterial::load(path);
  } catch (const std::exception& e) {
    std::cerr << "sdp-decrypt: " << e.what() << "\n";
    std::exit(2);
  }
}

int run_seal(const Args& a, const std::vector<std::string>& files) {
  if (files.size() > 1) usage_error("more than one message file");
  if (a.key_files.size() != 1 || a.c2s == a.s2c || !a.have_id || files.empty())
    usage_error("seal needs one --key-file, --c2s or --s2c, --msg-id and a message file");
  const std::string& key_file = a.key_files[0];
  const std::string& file = files[0];
  int dir = a.s2c ? 1 : 0;
  uint64_t msg_id = a.msg_id, rpc_id = a.rpc_id, rec_plain = a.rec_plain;
  std::ifstream in(file, std::ios::binary);
  if (!in) usage_error("cannot read " + file);
  std::vector<uint8_t> msg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto keys = sdp::decrypt::dir_keys(load_keys(key_file), key_file);
  try {
    auto wire =
        sdp::decrypt::seal_message(keys[dir], msg_id, rpc_id, static_cast<uint32_t>(rec_plain), msg);
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
  Args a;
  sdp::OptionParser p = parser(a);
  std::vector<std::string> rest = p.parse_modes_or_exit(args);
  if (!rest.empty() && rest[0] == "seal") return run_seal(a, {rest.begin() + 1, rest.end()});
  if (a.c2s || a.s2c || a.have_id) usage_error("--c2s, --s2c and --msg-id go with seal");
  auto& opt = a.opt;
  const auto& key_files = a.key_files;
  const std::string& out_dir = a.out_dir;
  bool json = a.json, list_nonces = a.list_nonces, quiet = a.quiet;
  if (rest.size() > 1) usage_error("more than one capture file");
  if (rest.empty()) usage_error("no capture file given");
  const std::string& pcap = rest[0];
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
      sdp::JsonObject j;
      j.str("type", "message").str("dir", dir).str("src", m.src).str("dst", m.dst);
      j.num("rpc_id", m.rpc_id).num("epoch", m.epoch).num("msg_id", m.msg_id);
      j.num("length", m.msg_len).num("rec_plain", m.rec_plain).num("records", m.records);
      j.num("packets", m.packets).num("duplicate_packets", m.duplicate_packets);
      j.boolean("complete", m.complete).str("key", m.key_label);
      j.str(file.empty() ? "plaintext_hex" : "file", data);
      if (opt.keep_wire) j.str("wire_hex", sdp::decrypt::to_hex(m.wire));
      std::puts(j.str().c_str());
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
      uint64_t counter = u.seq & ~(1ULL << 63), msg = u.seq >> 16, rec = u.seq & 0xffff;
      char seq[17];
      std::snprintf(seq, sizeof(seq), "%016llx", static_cast<unsigned long long>(u.seq));
      if (json) {
        sdp::JsonObject j;
        j.str("type", "nonce").str("key", u.key_label).num("epoch", u.epoch).str("seq", seq);
        if (ctrl)
          j.num("ctrl", counter);
        else
          j.num("msg_id", msg).num("record", rec);
        j.num("uses", u.uses);
        std::puts(j.str().c_str());
      } else {
        std::string what = ctrl ? "ctrl " + std::to_string(counter)
                                : "msg " + std::to_string(msg) + " record " + std::to_string(rec);
        std::printf("nonce %s epoch %u seq %s %s uses %llu\n", u.key_label.c_str(), u.epoch, seq,
                    what.c_str(), static_cast<unsigned long long>(u.uses));
      }
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
  sdp::JsonObject sum, line;
  line.str("type", "summary");
  for (const auto& [name, value] : fields) {
    sum.num(name, value);
    line.num(name, value);
  }
  if (json) std::puts(line.str().c_str());
  std::fflush(stdout);
  size_t shown = 0;
  for (const auto& e : r.errors)
    if (shown++ < 200) std::cerr << "sdp-decrypt: error: " << e << "\n";
  if (shown > 200) std::cerr << "sdp-decrypt: ... and " << shown - 200 << " more errors\n";
  std::cerr << "sdp-decrypt: summary " << sum.str() << "\n";
  return r.errors.empty() ? 0 : 1;
}
