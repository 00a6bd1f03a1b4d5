// SPDX-License-Identifier: MIT
// The one builder of test frames and captures: SDP headers, IPv4/IPv6
// packets (options, extension headers, fragments, lengths off or 0), link
// layers (Ethernet with VLAN tags and padding, Linux cooked, raw IP);
// sdp_test_pcap.h writes them to pcap files. Used by
// tests/unit/test_decrypt.cpp, test_replay.cpp, test_pcap_frame.cpp and
// tests/bpf/sdp_bpf_test.cpp. Header-only, and free of pcap.h (whose
// struct bpf_insn clashes with linux/bpf.h in the BPF tests).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "sdp_wire.h"

namespace sdp::test {

using Bytes = std::vector<uint8_t>;

// Link types: pcap's DLT_* numbers on Linux (sdp_test_pcap.h checks them).
enum LinkType : int { kEthernet = 1, kRawIp = 12, kCooked = 113, kCooked2 = 276 };

// Appends v as n big-endian bytes.
inline void put_be(Bytes& b, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; i--) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
// Overwrites 2 bytes at off.
inline void set_be16(Bytes& b, size_t off, uint16_t v) {
  b.at(off) = static_cast<uint8_t>(v >> 8);
  b.at(off + 1) = static_cast<uint8_t>(v);
}

// An SDP header: the common header and, for DATA, the DATA fields. Every
// field is settable, malformed values included.
struct SdpHeader {
  uint8_t type = SDP_PKT_DATA;
  uint16_t sport = 40000, dport = 5000;
  uint32_t seq = 0;
  uint8_t version = SDP_VERSION, vflags_low = 0;
  uint8_t flags = 0, epoch = 0;
  int doff_words = -1;  // -1: header length / 4
  uint16_t check = 0;   // whatever the device wrote; never authenticated
  uint64_t rpc_id = 1;
  // DATA
  uint32_t msg_len = 0, incoming = 65536;
  uint16_t rec_plain = 0;
  // GRANT: offset; RESEND: offset, length; ACK: more = offset << 32 | length.
  uint32_t offset = 0, length = 0;

  // The header bytes (sdp_hdr_len(type), the common header for an unknown
  // type; zero beyond the fields above) followed by payload.
  Bytes build(const Bytes& payload = {}) const {
    unsigned hlen = sdp_hdr_len(type) ? sdp_hdr_len(type) : sizeof(sdp_common_hdr);
    Bytes p;
    put_be(p, sport, 2);
    put_be(p, dport, 2);
    put_be(p, seq, 4);
    p.push_back(static_cast<uint8_t>(version << 4 | vflags_low));
    p.push_back(flags);
    p.push_back(epoch);
    p.push_back(0);
    p.push_back(static_cast<uint8_t>((doff_words >= 0 ? unsigned(doff_words) : hlen / 4) << 4));
    p.push_back(type);
    put_be(p, 0, 2);  // window
    put_be(p, check, 2);
    put_be(p, 0, 2);  // urgent
    put_be(p, rpc_id, 8);
    if (type == SDP_PKT_DATA) {
      put_be(p, msg_len, 4);
      put_be(p, incoming, 4);
      put_be(p, rec_plain, 2);
      put_be(p, 0, 2);
    } else if (hlen >= sizeof(sdp_common_hdr) + 8) {
      put_be(p, offset, 4);
      put_be(p, length, 4);
    }
    p.resize(hlen, 0);
    p.insert(p.end(), payload.begin(), payload.end());
    return p;
  }
};

inline uint16_t ip_checksum(const uint8_t* p, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += uint32_t(p[i]) << 8 | p[i + 1];
  if (len & 1) sum += uint32_t(p[len - 1]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

// An IP packet around an L4 payload.
struct IpHeader {
  bool v6 = false;
  uint8_t proto = 253;
  std::array<uint8_t, 4> src4{10, 77, 0, 2}, dst4{10, 77, 0, 1};
  std::array<uint8_t, 16> src6{0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};  // fd77::2
  std::array<uint8_t, 16> dst6{0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};  // fd77::1
  int ihl = 5;                 // IPv4 header words (options zeroed)
  uint16_t frag_off = 0x4000;  // IPv4 flags + offset, host order (DF)
  bool checksum = false;       // fill the IPv4 header checksum
  int len_delta = 0;           // added to tot_len / payload_len
  bool zero_len = false;       // tot_len / payload_len 0 (GSO, jumbogram)
  // IPv6 extension headers before L4, in order: IPPROTO_HOPOPTS,
  // IPPROTO_ROUTING, IPPROTO_DSTOPTS (8 bytes each, padding) or
  // IPPROTO_FRAGMENT.
  std::vector<uint8_t> v6_ext;

  // Addresses of the server (.1 / ::1) and the client (.2 / ::2) swapped:
  // the packet goes from the server to the client.
  IpHeader& from_server() {
    std::swap(src4, dst4);
    std::swap(src6, dst6);
    return *this;
  }

  Bytes build(const Bytes& l4) const {
    Bytes ip;
    if (!v6) {
      size_t hl = size_t(ihl) * 4;
      ip.assign(hl, 0);
      ip[0] = static_cast<uint8_t>(0x40 | ihl);
      set_be16(ip, 2, zero_len ? 0 : uint16_t(int(hl + l4.size()) + len_delta));
      set_be16(ip, 4, 0x1234);
      set_be16(ip, 6, frag_off);
      ip[8] = 64;
      ip[9] = proto;
      std::memcpy(&ip[12], src4.data(), 4);
      std::memcpy(&ip[16], dst4.data(), 4);
      if (checksum) set_be16(ip, 10, ip_checksum(ip.data(), hl));
    } else {
      Bytes ext;
      for (size_t i = 0; i < v6_ext.size(); i++) {
        uint8_t next = i + 1 < v6_ext.size() ? v6_ext[i + 1] : proto;
        ext.push_back(next);
        ext.push_back(0);  // 8 bytes
        if (v6_ext[i] == 44)
          ext.insert(ext.end(), {0, 0, 0, 0, 0, 1});  // fragment offset 0, id 1
        else
          ext.insert(ext.end(), {1, 4, 0, 0, 0, 0});  // PadN filling the rest
      }
      ip.assign(40, 0);
      ip[0] = 0x60;
      set_be16(ip, 4, zero_len ? 0 : uint16_t(int(ext.size() + l4.size()) + len_delta));
      ip[6] = v6_ext.empty() ? proto : v6_ext[0];
      ip[7] = 64;
      std::memcpy(&ip[8], src6.data(), 16);
      std::memcpy(&ip[24], dst6.data(), 16);
      ip.insert(ip.end(), ext.begin(), ext.end());
    }
    ip.insert(ip.end(), l4.begin(), l4.end());
    return ip;
  }
};

// A link-layer frame of type dlt (a LinkType: DLT_EN10MB, DLT_LINUX_SLL,
// DLT_LINUX_SLL2, DLT_RAW) around an IP packet. ethertype 0: from the IP version.
struct LinkHeader {
  int dlt = kEthernet;
  uint16_t ethertype = 0;
  int vlan = -1;     // Ethernet: an 802.1Q tag with this id
  bool pad = false;  // Ethernet: pad to the 60-byte minimum

  Bytes build(const Bytes& ip) const {
    uint16_t et = ethertype ? ethertype : (!ip.empty() && ip[0] >> 4 == 6) ? 0x86dd : 0x0800;
    Bytes f;
    switch (dlt) {
      case kEthernet:
        f = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01};
        if (vlan >= 0) {
          put_be(f, 0x8100, 2);
          put_be(f, uint16_t(vlan), 2);
        }
        put_be(f, et, 2);
        break;
      case kCooked:
        f = {0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 2, 0, 0};
        put_be(f, et, 2);
        break;
      case kCooked2:
        put_be(f, et, 2);
        f.insert(f.end(), {0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 2, 0, 0});
        break;
      case kRawIp:
        break;
      default:
        throw std::invalid_argument("LinkHeader: unsupported dlt");
    }
    f.insert(f.end(), ip.begin(), ip.end());
    if (dlt == kEthernet && pad && f.size() < 60) f.resize(60, 0);
    return f;
  }
};

}  // namespace sdp::test
