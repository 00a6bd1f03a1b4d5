// SPDX-License-Identifier: MIT
// sdp-decrypt's engine: reads captured SDP packets (pcap), reassembles each
// message's wire stream from the DATA header offsets, cuts it into TLS 1.2
// AES-GCM records (kmod/sdp_record.h), opens them with OpenSSL and checks
// every tag, record header and framing header; records every (key, nonce)
// it sees and reports repeats. Also seals messages (the same record
// construction, for comparing captured bytes with expected ones).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "sdp_socket.h"

namespace sdp::decrypt {

// One direction of a key file: client-to-server (from_server = false) or
// server-to-client.
struct DirKey {
  uint16_t cipher = 0;
  uint8_t epoch = 0;
  bool from_server = false;
  std::vector<uint8_t> key, salt;
  std::string label;  // "<key file>:c2s"
};

// Both directions of a key file.
std::vector<DirKey> dir_keys(const KeyMaterial& km, const std::string& name);

// The wire stream (records back to back) of a message under `k`, exactly as
// docs/PROTOCOL.md section 6 defines it (the framing header carries rpc_id).
std::vector<uint8_t> seal_message(const DirKey& k, uint64_t msg_id, uint64_t rpc_id,
                                  uint32_t rec_plain, std::span<const uint8_t> plain);

// Opens one record (all its wire bytes) of message msg_id: checks the
// record header, explicit nonce, tag and framing header. Returns the
// application bytes or nullopt.
std::optional<std::vector<uint8_t>> open_record(const DirKey& k, std::span<const uint8_t> rec,
                                                uint64_t msg_id, uint32_t index, uint64_t rpc_id,
                                                uint32_t msg_len, uint32_t rec_plain);

struct Message {
  std::string src, dst;  // "10.0.0.1:5000", "[fd77::1]:5000"
  bool from_server = false;
  uint64_t rpc_id = 0;
  uint8_t epoch = 0;
  uint64_t msg_id = 0;  // meaningful when epoch != 0 and first_record_seen
  uint32_t msg_len = 0;
  uint32_t rec_plain = 0;  // 0: plaintext message
  uint32_t records = 0;
  std::string key_label;       // the key that opened it
  bool complete = false;       // every byte captured and (with a key) authenticated
  uint64_t missing_bytes = 0;  // wire bytes not captured
  uint64_t packets = 0, duplicate_packets = 0;
  std::vector<uint8_t> plain;  // valid when complete
  std::vector<uint8_t> wire;   // the captured wire stream (gaps zero)
};

struct NonceUse {
  std::string key_label;
  uint8_t epoch = 0;
  uint64_t seq = 0;
  uint64_t uses = 0;  // messages (streams) that used it
};

struct Stats {
  uint64_t frames = 0, sdp_packets = 0, data_packets = 0, control_packets = 0;
  uint64_t other_packets = 0;      // not SDP (other protocols, link types)
  uint64_t truncated_packets = 0;  // cut by the capture's snaplen
  uint64_t duplicate_packets = 0;  // every byte seen before (retransmission, duplicate)
  uint64_t records = 0, verified_records = 0;
  uint64_t nonces = 0;            // distinct (key, epoch, seq)
  uint64_t nonce_repeats = 0;     // a (key, nonce) used by two messages with other content
  uint64_t replayed_records = 0;  // the same record bytes in two messages
  uint64_t messages = 0, complete_messages = 0;
  // Control packets under a key (GMAC trailer): tags verified, and the
  // same packet captured again (same ctrl_seq and tag).
  uint64_t control_verified = 0, control_duplicates = 0;
};

struct Result {
  std::vector<Message> messages;
  std::vector<NonceUse> nonces;  // sorted by key, epoch, seq
  std::vector<std::string> errors;
  Stats stats;
};

struct Options {
  int ip_proto = 253;
  // Packets cut by the snaplen are an error unless this is set (then
  // their captured record headers still count for the nonce check).
  bool allow_truncated = false;
  bool keep_wire = false;  // fill Message::wire
};

class Decoder {
 public:
  explicit Decoder(Options o) : opt_(o) {}
  void add_key(const DirKey& k) { keys_.push_back(k); }
  // One captured frame of pcap link type `linktype` (DLT_*): `data` holds
  // the first caplen bytes of a wire_len-byte frame.
  void add_frame(int linktype, const uint8_t* data, size_t caplen, size_t wire_len);
  // Every frame of a pcap file; throws std::runtime_error if it cannot be read.
  void read_pcap(const std::string& path);
  Result finish();

 private:
  struct FlowKey {
    std::array<uint8_t, 16> src{}, dst{};
    uint16_t sport = 0, dport = 0;
    uint64_t rpc_id = 0;
    bool from_server = false;
    bool v6 = false;
    auto operator<=>(const FlowKey&) const = default;
  };
  struct Stream {
    FlowKey key;
    uint8_t epoch = 0;
    uint32_t msg_len = 0, rec_plain = 0;
    uint64_t wire_len = 0;
    std::vector<uint8_t> buf;
    std::map<uint64_t, uint64_t> have;  // captured [start, end) ranges, merged
    uint64_t packets = 0, duplicate_packets = 0;
    bool broken = false;
  };
  void sdp_packet(FlowKey fk, std::span<const uint8_t> bytes, size_t len);
  void data_packet(const FlowKey& fk, const uint8_t* p, size_t avail, size_t len);
  void control_packet(const FlowKey& fk, const uint8_t* p, size_t avail, size_t len, unsigned hlen);
  // One use of a nonce: by record of message `stream`, or by a control
  // packet (stream = kControl); the tag when captured.
  static constexpr size_t kControl = SIZE_MAX;
  struct NonceSeen {
    size_t stream;
    std::optional<std::array<uint8_t, 16>> tag;
    uint64_t uses = 1;
  };
  std::map<std::tuple<std::string, uint8_t, uint64_t>, NonceSeen> nonces_;
  bool covered(const Stream& s, uint64_t a, uint64_t b) const;
  // finish(), by concern.
  Message describe(const Stream& s) const;
  static std::string message_name(const Message& m);
  std::optional<std::vector<uint8_t>> open_with(const Stream& s, std::span<const uint8_t> rec,
                                                uint64_t msg_id, uint32_t i,
                                                const std::vector<const DirKey*>& cands,
                                                const DirKey*& key) const;
  void note_record_nonce(const std::string& name, const std::string& label, uint8_t epoch,
                         uint64_t seq, size_t si, std::optional<std::array<uint8_t, 16>> tag);
  void open_records(size_t si, Message& m);
  void report_missing(const std::vector<Message>& messages);
  void error(const std::string& msg);
  std::string where() const;

  Options opt_;
  std::vector<DirKey> keys_;
  std::map<FlowKey, size_t> index_;
  std::vector<Stream> streams_;
  std::vector<std::string> errors_;
  Stats st_;
  uint64_t frame_no_ = 0;
};

// "10.0.0.1:5000" / "[fd77::1]:5000" for a 16-byte address (IPv4 in the first
// 4).
std::string peer_string(const std::array<uint8_t, 16>& a, bool v6, uint16_t port);
std::string to_hex(std::span<const uint8_t> b);

}  // namespace sdp::decrypt
