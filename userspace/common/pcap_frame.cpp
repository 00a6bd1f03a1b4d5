// SPDX-License-Identifier: MIT
#include "pcap_frame.h"

#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <pcap/pcap.h>
#include <sys/socket.h>

#include <cstring>
#include <stdexcept>

#include "byteorder.h"

namespace sdp::pcap {

namespace {

constexpr uint16_t kEthIPv4 = 0x0800, kEthIPv6 = 0x86dd, kVlan = 0x8100, kQinQ = 0x88a8;

template <typename T>
T load(const uint8_t* p) {
  T t;
  std::memcpy(&t, p, sizeof(t));
  return t;
}

// An SDP packet from `off` to `end` of the IP packet (captured: ip; end may
// lie beyond it in a cut frame).
FrameResult found(int family, const void* src, const void* dst, std::span<const uint8_t> ip,
                  size_t off, size_t end) {
  FrameResult r;
  r.kind = Frame::sdp;
  r.packet.family = family;
  size_t alen = family == AF_INET ? 4 : 16;
  std::memcpy(r.packet.src.data(), src, alen);
  std::memcpy(r.packet.dst.data(), dst, alen);
  r.packet.bytes = ip.subspan(off, std::min(ip.size(), end) - off);
  r.packet.wire_len = end - off;
  return r;
}

FrameResult malformed(std::string why) {
  FrameResult r;
  r.kind = Frame::malformed;
  r.why = std::move(why);
  return r;
}

// The offset of the network layer and its ethertype (0: from the IP
// version); false if the frame has none.
bool link_layer(int dlt, std::span<const uint8_t> f, size_t& off, uint16_t& ethertype) {
  switch (dlt) {
    case DLT_EN10MB:
      if (f.size() < 14) return false;
      ethertype = get_be16(&f[12]);
      off = 14;
      while ((ethertype == kVlan || ethertype == kQinQ) && f.size() >= off + 4) {
        ethertype = get_be16(&f[off + 2]);
        off += 4;
      }
      return true;
    case DLT_LINUX_SLL:
      if (f.size() < 16) return false;
      ethertype = get_be16(&f[14]);
      off = 16;
      return true;
    case DLT_LINUX_SLL2:
      if (f.size() < 20) return false;
      ethertype = get_be16(&f[0]);
      off = 20;
      return true;
    default:  // DLT_RAW, DLT_IPV4, DLT_IPV6 (checked by the caller)
      ethertype = 0;
      off = 0;
      return true;
  }
}

FrameResult ipv4(std::span<const uint8_t> ip, size_t ipwire, int proto) {
  if (ip.size() < sizeof(iphdr)) return {};
  auto h = load<iphdr>(ip.data());
  if (h.version != 4) return {};
  if (h.protocol != proto) return {};
  size_t ihl = h.ihl * 4u;
  if (ihl < sizeof(iphdr) || ip.size() < ihl) return malformed("IPv4 header cut or malformed");
  if (be(h.frag_off) & (IP_MF | IP_OFFMASK))
    return malformed("IPv4 fragment of an SDP packet (SDP sends with DF): not decoded");
  size_t tot = be(h.tot_len);
  if (tot == 0) tot = ipwire;  // TSO/GSO packet captured before segmentation
  if (tot < ihl || tot > ipwire)
    return malformed("IPv4 total length " + std::to_string(tot) + " does not fit the frame");
  return found(AF_INET, &h.saddr, &h.daddr, ip, ihl, tot);
}

FrameResult ipv6(std::span<const uint8_t> ip, size_t ipwire, int proto) {
  if (ip.size() < sizeof(ip6_hdr)) return {};
  auto h = load<ip6_hdr>(ip.data());
  if ((ip[0] >> 4) != 6) return {};
  uint8_t nh = h.ip6_nxt;
  size_t hl = sizeof(ip6_hdr);
  // Hop-by-hop, routing and destination options headers may precede SDP.
  while ((nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS) &&
         ip.size() >= hl + 8) {
    nh = ip[hl];
    hl += (ip[hl + 1] + 1u) * 8;
  }
  if (nh == IPPROTO_FRAGMENT) return malformed("IPv6 fragment: not decoded");
  if (nh != proto) return {};
  size_t plen = be(h.ip6_plen);
  if (plen == 0) plen = ipwire - sizeof(ip6_hdr);  // jumbogram / GSO packet
  size_t total = sizeof(ip6_hdr) + plen;
  if (total > ipwire || hl > total || hl > ip.size())
    return malformed("IPv6 payload length does not fit the frame");
  return found(AF_INET6, &h.ip6_src, &h.ip6_dst, ip, hl, total);
}

}  // namespace

FrameResult parse_frame(int dlt, std::span<const uint8_t> f, size_t wire_len, int proto) {
  switch (dlt) {
    case DLT_EN10MB:
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
      break;
    default: {
      FrameResult r;
      r.kind = Frame::bad_linktype;
      r.why = "link type " + std::to_string(dlt) +
              " is not supported (Ethernet, Linux cooked v1/v2 and raw IP are; "
              "capture on an "
              "Ethernet or 'any' device)";
      return r;
    }
  }
  if (wire_len < f.size()) f = f.first(wire_len);
  size_t off = 0;
  uint16_t ethertype = 0;
  if (!link_layer(dlt, f, off, ethertype) || f.size() <= off) return {};
  std::span<const uint8_t> ip = f.subspan(off);
  size_t ipwire = wire_len - off;
  int version = ip[0] >> 4;
  if (ethertype && ethertype != (version == 6 ? kEthIPv6 : kEthIPv4)) return {};
  if (version == 4) return ipv4(ip, ipwire, proto);
  if (version == 6) return ipv6(ip, ipwire, proto);
  return {};
}

struct File::Impl {
  std::unique_ptr<pcap_t, decltype(&pcap_close)> p{nullptr, &pcap_close};
};

File::File(const std::string& path) : impl_(std::make_unique<Impl>()) {
  char err[PCAP_ERRBUF_SIZE] = "";
  impl_->p.reset(pcap_open_offline(path.c_str(), err));
  if (!impl_->p) throw std::runtime_error("cannot read capture " + path + ": " + err);
}

File::~File() = default;

int File::linktype() const { return pcap_datalink(impl_->p.get()); }

std::string File::each(const std::function<void(std::span<const uint8_t>, size_t)>& f) {
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  int rc;
  while ((rc = pcap_next_ex(impl_->p.get(), &h, &data)) == 1)
    f(std::span<const uint8_t>(data, h->caplen), h->len);
  return rc == PCAP_ERROR ? pcap_geterr(impl_->p.get()) : "";
}

}  // namespace sdp::pcap
