// SPDX-License-Identifier: MIT
#include "sdp_replay_lib.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>

#include "byteorder.h"
#include "json.h"
#include "pcap_frame.h"
#include "sdp_record.h"
#include "sdp_wire.h"

namespace sdp::replay {

bool parse_frame(int dlt, std::span<const uint8_t> frame, size_t wire_len, int proto,
                 Captured& out) {
  pcap::FrameResult r = pcap::parse_frame(dlt, frame, wire_len, proto);
  if (r.kind == pcap::Frame::bad_linktype) throw std::runtime_error(r.why);
  if (r.kind != pcap::Frame::sdp) return false;  // other protocols, fragments
  const pcap::SdpPacket& p = r.packet;
  if (p.truncated())
    throw std::runtime_error("an SDP packet was captured with " + std::to_string(p.bytes.size()) +
                             " of its " + std::to_string(p.wire_len) +
                             " bytes: capture with the full snap length (tcpdump -s 0)");
  out.family = p.family;
  out.src = out.dst = in6_addr{};
  std::memcpy(&out.src, p.src.data(), p.family == AF_INET ? 4 : 16);
  std::memcpy(&out.dst, p.dst.data(), p.family == AF_INET ? 4 : 16);
  out.sdp.assign(p.bytes.begin(), p.bytes.end());
  return true;
}

std::vector<Captured> read_pcap(const std::string& path, int proto) {
  pcap::File f(path);
  int dlt = f.linktype();
  std::vector<Captured> v;
  std::string err = f.each([&](std::span<const uint8_t> frame, size_t wire_len) {
    Captured c;
    if (!parse_frame(dlt, frame, wire_len, proto, c)) return;
    c.index = v.size();
    v.push_back(std::move(c));
  });
  if (!err.empty()) throw std::runtime_error(path + ": " + err);
  return v;
}

namespace {

template <typename T>
T load(std::span<const uint8_t> b) {
  T t;
  std::memcpy(&t, b.data(), sizeof(t));
  return t;
}

}  // namespace

Summary summarize(std::span<const uint8_t> sdp) {
  Summary s;
  if (sdp.size() < sizeof(sdp_common_hdr)) return s;
  auto c = load<sdp_common_hdr>(sdp);
  s.sport = be(c.sport);
  s.dport = be(c.dport);
  s.seq = be(c.seq);
  s.flags = c.flags;
  s.epoch = c.epoch;
  s.type = c.type;
  s.rpc_id = be(c.rpc_id);
  s.hdr_len = sdp_hdr_len(s.type);
  if (s.hdr_len > sdp.size()) s.hdr_len = 0;
  if (s.type == SDP_PKT_DATA && s.hdr_len) {
    auto d = load<sdp_data_hdr>(sdp);
    s.msg_len = be(d.msg_len);
    s.rec_plain = be(d.rec_plain);
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
  for (size_t b = s.hdr_len * 8; b < sdp.size() * 8; b++)
    room += !set.count({b / 8, unsigned(b % 8)});
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
  if (sdp.size() < sizeof(sdp_common_hdr))
    throw std::out_of_range("packet too short for a destination port");
  put_be16(&sdp[offsetof(sdp_common_hdr, dport)], port);
}

void set_rpc_id(std::vector<uint8_t>& sdp, uint64_t id) {
  if (sdp.size() < sizeof(sdp_common_hdr))
    throw std::out_of_range("packet too short for an RPC id");
  put_be64(&sdp[offsetof(sdp_common_hdr, rpc_id)], id);
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
  JsonObject j;
  j.num("index", c.index).num("family", c.family == AF_INET ? 4 : 6);
  j.str("src", address_string(c.family, c.src)).str("dst", address_string(c.family, c.dst));
  j.str("type", type_name(s.type))
      .num("sport", s.sport)
      .num("dport", s.dport)
      .num("flags", s.flags);
  j.num("epoch", s.epoch).num("rpc_id", s.rpc_id).num("seq", s.seq).num("msg_len", s.msg_len);
  j.num("rec_plain", s.rec_plain)
      .boolean("whole_records", whole_records(c.sdp))
      .num("len", c.sdp.size());
  return j.str();
}

}  // namespace sdp::replay
