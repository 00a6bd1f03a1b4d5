// SPDX-License-Identifier: MIT
// sdp-replay's logic, kept apart from its raw sockets so the host unit tests
// (tests/unit/test_replay.cpp) can check it: pulling SDP packets out of
// captured link-layer frames, describing them, and the single-bit mutations
// the tamper lane injects.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace sdp::replay {

// One SDP packet of a capture: the IP addresses and the SDP bytes (common
// header onwards) exactly as captured.
struct Captured {
  size_t index = 0;       // among the SDP packets of the capture, from 0
  int family = 0;         // AF_INET or AF_INET6
  in6_addr src{}, dst{};  // IPv4 as the first 4 bytes
  std::vector<uint8_t> sdp;
};

// What a packet's header says (no validation beyond the length).
struct Summary {
  uint8_t type = 0;
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0;
  uint8_t flags = 0, epoch = 0;
  uint64_t rpc_id = 0;
  uint32_t msg_len = 0;    // DATA only
  uint16_t rec_plain = 0;  // DATA only
  size_t hdr_len = 0;      // of its type, 0 if unknown or truncated
};

// One flipped bit: byte offset from the start of the SDP header, bit 0 = 0x01.
struct Flip {
  size_t byte = 0;
  unsigned bit = 0;
  bool operator==(const Flip&) const = default;
  auto operator<=>(const Flip&) const = default;
};

// The SDP packet inside one captured frame (the first caplen bytes of a
// frame of wire_len bytes) of link type `dlt` whose IP protocol is `proto`
// (userspace/common/pcap_frame.h: link types, IPv6 extension headers,
// length 0). Returns false for anything else (other protocols, fragments,
// malformed IP). Throws std::runtime_error if the frame is an SDP packet
// cut short by the capture's snap length or of an unsupported link type.
bool parse_frame(int dlt, std::span<const uint8_t> frame, size_t wire_len, int proto,
                 Captured& out);

// Every SDP packet of a pcap file (libpcap pcap_open_offline). Throws
// std::runtime_error with libpcap's message on a bad file.
std::vector<Captured> read_pcap(const std::string& path, int proto);

Summary summarize(std::span<const uint8_t> sdp);

// "DATA", "GRANT", ... or "0xNN"; and back (case-insensitive; -1 if unknown).
std::string type_name(uint8_t type);
int type_from_name(const std::string& name);

// Every single-bit flip of a packet of `len` bytes, in order.
std::vector<Flip> all_flips(size_t len);

// A deterministic sample of flips for a large packet: every bit of its
// header (the type's header length; the whole packet for control packets),
// every bit of the TLS record prefix (header and explicit nonce), of the
// first framing bytes and of the tag of every record that starts or ends in
// the payload, and `extra` more payload bits drawn with `seed`. Sorted,
// without repeats. For a packet without records (plaintext) the payload
// part is only the `extra` random bits.
std::vector<Flip> sample_flips(std::span<const uint8_t> sdp, size_t extra, uint64_t seed);

// A copy of `sdp` with one bit flipped. Throws std::out_of_range if the
// flip is beyond the packet.
std::vector<uint8_t> flipped(std::span<const uint8_t> sdp, Flip f);

// Parse "BYTE:BIT" (BIT 0..7). Throws std::invalid_argument.
Flip parse_flip(const std::string& s);

// Rewrite the destination port (bytes 2..3 of the common header) / the
// RPC id (bytes 20..27).
void set_dport(std::vector<uint8_t>& sdp, uint16_t port);
void set_rpc_id(std::vector<uint8_t>& sdp, uint64_t id);

// Does this DATA packet's payload consist of whole TLS records (it starts
// at a record's first byte and ends at a record's last)? Such a packet is
// authenticated (or not) on arrival; a packet with part of a record waits
// in the receiver's reassembly until the rest arrives.
bool whole_records(std::span<const uint8_t> sdp);

std::string address_string(int family, const in6_addr& a);

// One JSON object describing a captured packet (sdp-replay list).
std::string describe_json(const Captured& c);

}  // namespace sdp::replay
