// SPDX-License-Identifier: MIT
// The one pcap -> SDP packet parser of the tools (sdp-decrypt, sdp-replay):
// finds the SDP packet (IP protocol `proto`) inside a captured link-layer
// frame, and reads pcap files.
//
// Link types: Ethernet (with 802.1Q / 802.1ad tags), Linux cooked v1 and
// v2, raw IP. IPv4: options skipped; a fragment is malformed (SDP sends
// with DF); total length 0 (a TSO/GSO packet captured before segmentation,
// over 64 KiB) means "to the end of the frame as sent". IPv6: hop-by-hop,
// routing and destination options headers are skipped; a fragment header
// is malformed; payload length 0 (jumbogram / GSO) means "to the end of
// the frame as sent". Ethernet padding after the IP packet is not part of it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace sdp::pcap {

struct SdpPacket {
  int family = 0;                        // AF_INET or AF_INET6
  std::array<uint8_t, 16> src{}, dst{};  // IPv4 in the first 4 bytes
  std::span<const uint8_t> bytes;        // the captured bytes from the SDP header on
  size_t wire_len = 0;                   // the SDP packet's length as sent (>= bytes.size())
  bool truncated() const { return bytes.size() < wire_len; }
};

enum class Frame {
  sdp,           // an SDP packet: see SdpPacket
  other,         // another protocol or link-layer payload, or a frame too short for an
                 // IP header
  malformed,     // an IP packet of protocol `proto` that cannot be decoded: see
                 // `why`
  bad_linktype,  // the capture's link type is not supported
};

struct FrameResult {
  Frame kind = Frame::other;
  SdpPacket packet;  // kind == sdp
  std::string why;   // kind == malformed or bad_linktype
};

// `captured`: the first caplen bytes of a frame of wire_len bytes (pcap's
// caplen and len), link type `dlt` (DLT_*).
FrameResult parse_frame(int dlt, std::span<const uint8_t> captured, size_t wire_len, int proto);

// A pcap file opened with libpcap (pcap_open_offline); throws
// std::runtime_error naming the file when it cannot be read.
class File {
 public:
  explicit File(const std::string& path);
  ~File();
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  int linktype() const;
  // Calls f(captured bytes, wire length) for every frame. Returns "" at the
  // end of the file, libpcap's message if reading failed before it.
  std::string each(const std::function<void(std::span<const uint8_t>, size_t)>& f);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sdp::pcap
