// SPDX-License-Identifier: MIT
#include "sdp_replay_lib.h"

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>

#include "sdp_record.h"
#include "sdp_wire.h"

namespace sdp::replay {

namespace {

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) { return static_cast<uint32_t>(be16(p)) << 16 | be16(p + 2); }

constexpr uint16_t kEthIPv4 = 0x0800, kEthIPv6 = 0x86dd;

// The network-layer bytes of a frame and their ethertype; false if none.
bool network_layer(int dlt, std::span<const uint8_t> f, uint16_t& ethertype,
                   std::span<const uint8_t>& net) {
  size_t off = 0;
  switch (dlt) {
    case DLT_EN10MB:
      if (f.size() < 14) return false;
      ethertype = be16(&f[12]);
      off = 14;
      while ((ethertype == 0x8100 || ethertype == 0x88a8) && f.size() >= off + 4) {
        ethertype = be16(&f[off + 2]);
        off += 4;
      }
      break;
    case DLT_LINUX_SLL:
      if (f.size() < 16) return false;
      ethertype = be16(&f[14]);
      off = 16;
      break;
    case DLT_LINUX_SLL2:
      if (f.size() < 20) return false;
      ethertype = be16(&f[0]);
      off = 20;
      break;
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
      if (f.empty()) return false;
      ethertype = (f[0] >> 4) == 6 ? kEthIPv6 : kEthIPv4;
      break;
    default:
      throw std::runtime_error("unsupported link type " + std::to_string(dlt) +
                               " (capture on an Ethernet or 'any' device)");
  }
  net = f.subspan(off);
  return true;
}

void truncated(size_t have, size_t want) {
  throw std::runtime_error("an SDP packet was captured with " + std::to_string(have) + " of its " +
                           std::to_string(want) +
                           " bytes: capture with the full snap length (tcpdump -s 0)");
}

}  // namespace

bool parse_frame(int dlt, std::span<const uint8_t> frame, int proto, Captured& out) {
  uint16_t ethertype = 0;
  std::span<const uint8_t> ip;
  if (!network_layer(dlt, frame, ethertype, ip)) return false;
  size_t hlen, total;
  if (ethertype == kEthIPv4) {
    if (ip.size() < 20 || (ip[0] >> 4) != 4) return false;
    hlen = (ip[0] & 15u) * 4;
    if (hlen < 20 || ip.size() < hlen || ip[9] != proto) return false;
    uint16_t frag = be16(&ip[6]);
    if (frag & 0x3fff) return false;  // a fragment: not a whole SDP packet
    total = be16(&ip[2]);
    if (total == 0) total = ip.size();  // GSO packet longer than 64 KiB
    if (total < hlen) return false;
    out.family = AF_INET;
    out.src = out.dst = in6_addr{};
    std::memcpy(&out.src, &ip[12], 4);
    std::memcpy(&out.dst, &ip[16], 4);
  } else if (ethertype == kEthIPv6) {
    if (ip.size() < 40 || (ip[0] >> 4) != 6 || ip[6] != proto) return false;
    hlen = 40;
    total = 40 + static_cast<size_t>(be16(&ip[4]));
    out.family = AF_INET6;
    std::memcpy(&out.src, &ip[8], 16);
    std::memcpy(&out.dst, &ip[24], 16);
  } else {
    return false;
  }
  if (ip.size() < total) truncated(ip.size() - hlen, total - hlen);
  out.sdp.assign(ip.begin() + static_cast<ptrdiff_t>(hlen), ip.begin() + static_cast<ptrdiff_t>(total));
  return true;
}

std::vector<Captured> read_pcap(const std::string& path, int proto) {
  char err[PCAP_ERRBUF_SIZE] = "";
  std::unique_ptr<pcap_t, decltype(&pcap_close)> p(pcap_open_offline(path.c_str(), err), &pcap_close);
  if (!p) throw std::runtime_error("cannot read capture " + path + ": " + err);
  int dlt = pcap_datalink(p.get());
  std::vector<Captured> v;
  pcap_pkthdr* h;
  const u_char* data;
  int rc;
  while ((rc = pcap_next_ex(p.get(), &h, &data)) == 1) {
    Captured c;
    if (!parse_frame(dlt, std::span<const uint8_t>(data, h->caplen), proto, c)) continue;
    c.index = v.size();
    v.push_back(std::move(c));
  }
  if (rc == PCAP_ERROR) throw std::runtime_error(path + ": " + pcap_geterr(p.get()));
  return v;
}

Summary summarize(std::span<const uint8_t> sdp) {
  Summary s;
  if (sdp.size() < sizeof(sdp_common_hdr)) return s;
  const uint8_t* p = sdp.data();
  s.sport = be16(p);
  s.dport = be16(p + 2);
  s.seq = be32(p + 4);
  s.flags = p[9];
  s.epoch = p[10];
  s.type = p[13];
  s.rpc_id = sdp_get_be64(p + 20);
  s.hdr_len = sdp_hdr_len(s.type);
  if (s.hdr_len > sdp.size()) s.hdr_len = 0;
  if (s.type == SDP_PKT_DATA && s.hdr_len) {
    s.msg_len = be32(p + 28);
    s.rec_plain = be16(p + 36);
  }
  return s;
}

namespace {
constexpr std::pair<uint8_t, const char*> kTypes[] = {
    {SDP_PKT_DATA, "DATA"},       {SDP_PKT_GRANT, "GRANT"}, {SDP_PKT_RESEND, "RESEND"},
    {SDP_PKT_UNKNOWN, "UNKNOWN"}, {SDP_PKT_BUSY, "BUSY"},   {SDP_PKT_NEED_ACK, "NEED_ACK"},
    {SDP_PKT_ACK, "ACK"},
};
}  // namespace

std::string type_name(uint8_t type) {
  for (auto& [t, n] : kTypes)
    if (t == type) return n;
  char b[8];
  std::snprintf(b, sizeof(b), "0x%02x", type);
  return b;
}

int type_from_name(const std::string& name) {
  std::string u = name;
  for (auto& ch : u) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  for (auto& [t, n] : kTypes)
    if (u == n) return t;
  return -1;
}

std::vector<Flip> all_flips(size_t len) {
  std::vector<Flip> v;
  v.reserve(len * 8);
  for (size_t b = 0; b < len; b++)
    for (unsigned i = 0; i < 8; i++) v.push_back({b, i});
  return v;
}

std::vector<Flip> sample_flips(std::span<const uint8_t> sdp, size_t extra, uint64_t seed) {
  Summary s = summarize(sdp);
  if (s.type != SDP_PKT_DATA || !s.hdr_len) return all_flips(sdp.size());
  std::set<Flip> set;
  auto add_bytes = [&](size_t from, size_t to) {  // packet offsets [from, to)
    to = std::min(to, sdp.size());
    for (size_t b = from; b < to; b++)
      for (unsigned i = 0; i < 8; i++) set.insert({b, i});
  };
  add_bytes(0, s.hdr_len);
  size_t payload = sdp.size() - s.hdr_len;
  if (s.epoch && s.rec_plain && payload && sdp_record_fits(s.msg_len, s.rec_plain)) {
    uint32_t first = sdp_record_index_at(s.seq, s.rec_plain);
    uint32_t last = sdp_record_index_at(s.seq + static_cast<uint32_t>(payload) - 1, s.rec_plain);
    sdp_record_geom g;
    for (uint32_t k = first; k <= last && sdp_record_locate(s.msg_len, s.rec_plain, k, &g); k++) {
      // Wire offsets of the record's structure, mapped into this packet.
      auto map = [&](uint64_t w) -> int64_t {
        return static_cast<int64_t>(w) - s.seq + static_cast<int64_t>(s.hdr_len);
      };
      auto add_wire = [&](uint64_t from, uint64_t to) {
        int64_t a = std::max<int64_t>(map(from), static_cast<int64_t>(s.hdr_len));
        int64_t b = map(to);
        if (b > a) add_bytes(static_cast<size_t>(a), static_cast<size_t>(b));
      };
      add_wire(g.wire_off, g.wire_off + SDP_RECORD_PREFIX + SDP_FRAME_LEN);
      add_wire(g.wire_off + g.wire_len - SDP_TLS_TAG_LEN, g.wire_off + g.wire_len);
    }
  }
  std::mt19937_64 rng(seed);
  size_t payload_bits = payload * 8, room = 0;
  for (size_t b = s.hdr_len * 8; b < sdp.size() * 8; b++) room += !set.count({b / 8, unsigned(b % 8)});
  extra = std::min(extra, room);
  for (size_t added = 0; added < extra;) {
    size_t b = s.hdr_len * 8 + rng() % payload_bits;
    if (set.insert({b / 8, static_cast<unsigned>(b % 8)}).second) added++;
  }
  return {set.begin(), set.end()};
}

std::vector<uint8_t> flipped(std::span<const uint8_t> sdp, Flip f) {
  if (f.byte >= sdp.size() || f.bit > 7)
    throw std::out_of_range("flip " + std::to_string(f.byte) + ":" + std::to_string(f.bit) +
                            " is beyond a packet of " + std::to_string(sdp.size()) + " bytes");
  std::vector<uint8_t> v(sdp.begin(), sdp.end());
  v[f.byte] ^= static_cast<uint8_t>(1u << f.bit);
  return v;
}

Flip parse_flip(const std::string& s) {
  size_t colon = s.find(':');
  auto digits = [](const std::string& t) {
    return !t.empty() && t.size() <= 9 &&
           std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (colon == std::string::npos || !digits(s.substr(0, colon)) || !digits(s.substr(colon + 1)))
    throw std::invalid_argument("bad flip '" + s + "' (BYTE:BIT, e.g. 41:3)");
  Flip f{std::stoul(s.substr(0, colon)), static_cast<unsigned>(std::stoul(s.substr(colon + 1)))};
  if (f.bit > 7) throw std::invalid_argument("bad flip '" + s + "': BIT is 0..7");
  return f;
}

void set_dport(std::vector<uint8_t>& sdp, uint16_t port) {
  if (sdp.size() < 4) throw std::out_of_range("packet too short for a destination port");
  sdp[2] = static_cast<uint8_t>(port >> 8);
  sdp[3] = static_cast<uint8_t>(port);
}

void set_rpc_id(std::vector<uint8_t>& sdp, uint64_t id) {
  if (sdp.size() < sizeof(sdp_common_hdr)) throw std::out_of_range("packet too short for an RPC id");
  sdp_put_be64(&sdp[20], id);
}

bool whole_records(std::span<const uint8_t> sdp) {
  Summary s = summarize(sdp);
  if (s.type != SDP_PKT_DATA || !s.hdr_len || !s.epoch || !s.rec_plain ||
      !sdp_record_fits(s.msg_len, s.rec_plain))
    return false;
  uint64_t end = uint64_t{s.seq} + (sdp.size() - s.hdr_len);
  sdp_record_geom first, last;
  uint32_t k0 = sdp_record_index_at(s.seq, s.rec_plain);
  if (end == s.seq || !sdp_record_locate(s.msg_len, s.rec_plain, k0, &first) ||
      first.wire_off != s.seq)
    return false;
  uint32_t k1 = sdp_record_index_at(static_cast<uint32_t>(end - 1), s.rec_plain);
  return sdp_record_locate(s.msg_len, s.rec_plain, k1, &last) &&
         uint64_t{last.wire_off} + last.wire_len == end;
}

std::string address_string(int family, const in6_addr& a) {
  char b[INET6_ADDRSTRLEN] = "";
  inet_ntop(family, &a, b, sizeof(b));
  return b;
}

std::string describe_json(const Captured& c) {
  Summary s = summarize(c.sdp);
  char b[512];
  std::snprintf(b, sizeof(b),
                "{\"index\":%zu,\"family\":%d,\"src\":\"%s\",\"dst\":\"%s\",\"type\":\"%s\","
                "\"sport\":%u,\"dport\":%u,\"flags\":%u,\"epoch\":%u,\"rpc_id\":%llu,\"seq\":%u,"
                "\"msg_len\":%u,\"rec_plain\":%u,\"whole_records\":%s,\"len\":%zu}",
                c.index, c.family == AF_INET ? 4 : 6, address_string(c.family, c.src).c_str(),
                address_string(c.family, c.dst).c_str(), type_name(s.type).c_str(), s.sport,
                s.dport, s.flags, s.epoch, static_cast<unsigned long long>(s.rpc_id), s.seq,
                s.msg_len, s.rec_plain, whole_records(c.sdp) ? "true" : "false", c.sdp.size());
  return b;
}

}  // namespace sdp::replay
