// SPDX-License-Identifier: MIT
// sdp-decrypt's engine (see sdp_decrypt_lib.h).
#include "sdp_decrypt_lib.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "sdp_record.h"
#include "sdp_wire.h"

namespace sdp::decrypt {

namespace {

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

// The framing header at the start of record plaintexts (docs/PROTOCOL.md 6);
// responses are the server-to-client direction.
std::array<uint8_t, SDP_FRAME_LEN> frame_bytes(uint64_t rpc_id, uint32_t off, uint32_t msg_len,
                                               bool response) {
  std::array<uint8_t, SDP_FRAME_LEN> f{};
  sdp_record_frame(f.data(), rpc_id, off, msg_len, response);
  return f;
}

const EVP_CIPHER* evp_cipher(const DirKey& k) {
  if (k.cipher == SDP_CIPHER_AES_GCM_128 && k.key.size() == 16) return EVP_aes_128_gcm();
  if (k.cipher == SDP_CIPHER_AES_GCM_256 && k.key.size() == 32) return EVP_aes_256_gcm();
  throw std::runtime_error(k.label + ": unsupported cipher or key length");
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherCtx new_ctx() {
  CipherCtx c(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!c) throw std::runtime_error("EVP_CIPHER_CTX_new failed");
  return c;
}

// Bytes between the IP header and the end of the IP payload.
struct L4 {
  const uint8_t* p = nullptr;
  size_t avail = 0;  // captured
  size_t len = 0;    // on the wire
};

}  // namespace

std::string to_hex(std::span<const uint8_t> b) {
  static const char* d = "0123456789abcdef";
  std::string s(b.size() * 2, '0');
  for (size_t i = 0; i < b.size(); i++) {
    s[2 * i] = d[b[i] >> 4];
    s[2 * i + 1] = d[b[i] & 15];
  }
  return s;
}

std::string peer_string(const std::array<uint8_t, 16>& a, bool v6, uint16_t port) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, a.data(), buf, sizeof(buf));
  return v6 ? "[" + std::string(buf) + "]:" + std::to_string(port)
            : std::string(buf) + ":" + std::to_string(port);
}

std::vector<DirKey> dir_keys(const KeyMaterial& km, const std::string& name) {
  DirKey c2s{km.cipher, km.epoch, false, km.c2s_key, km.c2s_salt, name + ":c2s"};
  DirKey s2c{km.cipher, km.epoch, true, km.s2c_key, km.s2c_salt, name + ":s2c"};
  return {c2s, s2c};
}

std::vector<uint8_t> seal_message(const DirKey& k, uint64_t msg_id, uint64_t rpc_id,
                                  uint32_t rec_plain, std::span<const uint8_t> plain) {
  if (plain.size() > SDP_MAX_MESSAGE_LEN) throw std::runtime_error("message longer than 16 MiB");
  uint32_t msg_len = static_cast<uint32_t>(plain.size());
  if (!sdp_record_fits(msg_len, rec_plain))
    throw std::runtime_error("record size " + std::to_string(rec_plain) + " cannot frame " +
                             std::to_string(msg_len) + " bytes");
  if (msg_id >= SDP_MSG_ID_LIMIT) throw std::runtime_error("message id too large");
  if (k.salt.size() != SDP_SALT_LEN) throw std::runtime_error(k.label + ": salt must be 4 bytes");
  const EVP_CIPHER* cipher = evp_cipher(k);
  std::vector<uint8_t> out;
  struct sdp_record_geom g;
  for (uint32_t i = 0; sdp_record_locate(msg_len, rec_plain, i, &g); i++) {
    uint64_t seq = sdp_record_seq(msg_id, i);
    uint8_t prefix[SDP_RECORD_PREFIX], iv[SDP_GCM_IV_LEN], aad[13];
    sdp_record_prefix(prefix, seq, g.app_len);
    sdp_record_iv(iv, k.salt.data(), seq);
    sdp_record_aad(aad, seq, SDP_FRAME_LEN + g.app_len);
    auto f = frame_bytes(rpc_id, g.app_off, msg_len, k.from_server);
    std::vector<uint8_t> pt(f.begin(), f.end());
    pt.insert(pt.end(), plain.begin() + g.app_off, plain.begin() + g.app_off + g.app_len);
    size_t base = out.size();
    out.insert(out.end(), prefix, prefix + sizeof(prefix));
    out.resize(base + g.wire_len);
    uint8_t* ct = out.data() + base + SDP_RECORD_PREFIX;
    auto ctx = new_ctx();
    int len = 0;
    if (EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, k.key.data(), iv) != 1 ||
        EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad, sizeof(aad)) != 1 ||
        EVP_EncryptUpdate(ctx.get(), ct, &len, pt.data(), static_cast<int>(pt.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), ct + len, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, SDP_TLS_TAG_LEN, ct + pt.size()) != 1)
      throw std::runtime_error("OpenSSL AES-GCM encryption failed");
  }
  return out;
}

std::optional<std::vector<uint8_t>> open_record(const DirKey& k, std::span<const uint8_t> rec,
                                                uint64_t msg_id, uint32_t index, uint64_t rpc_id,
                                                uint32_t msg_len, uint32_t rec_plain) {
  struct sdp_record_geom g;
  if (!sdp_record_locate(msg_len, rec_plain, index, &g) || rec.size() != g.wire_len) return {};
  if (!sdp_record_prefix_ok(rec.data(), &g, msg_id)) return {};
  uint64_t seq = sdp_record_seq(msg_id, index);
  uint8_t iv[SDP_GCM_IV_LEN], aad[13];
  sdp_record_iv(iv, k.salt.data(), seq);
  sdp_record_aad(aad, seq, SDP_FRAME_LEN + g.app_len);
  size_t plen = SDP_FRAME_LEN + g.app_len;
  const uint8_t* ct = rec.data() + SDP_RECORD_PREFIX;
  std::vector<uint8_t> pt(plen);
  uint8_t tag[SDP_TLS_TAG_LEN];
  std::memcpy(tag, ct + plen, sizeof(tag));
  auto ctx = new_ctx();
  int len = 0;
  if (EVP_DecryptInit_ex(ctx.get(), evp_cipher(k), nullptr, k.key.data(), iv) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad, sizeof(aad)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), pt.data(), &len, ct, static_cast<int>(plen)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, SDP_TLS_TAG_LEN, tag) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), pt.data() + len, &len) != 1)
    return {};
  auto f = frame_bytes(rpc_id, g.app_off, msg_len, k.from_server);
  if (!std::equal(f.begin(), f.end(), pt.begin())) return {};
  pt.erase(pt.begin(), pt.begin() + SDP_FRAME_LEN);
  return pt;
}

std::string Decoder::where() const { return "frame " + std::to_string(frame_no_) + ": "; }

void Decoder::error(const std::string& msg) { errors_.push_back(msg); }

void Decoder::read_pcap(const std::string& path) {
  char err[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, decltype(&pcap_close)> pc(pcap_open_offline(path.c_str(), err),
                                                    &pcap_close);
  if (!pc) throw std::runtime_error("cannot read " + path + ": " + err);
  int dlt = pcap_datalink(pc.get());
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  int rc;
  while ((rc = pcap_next_ex(pc.get(), &h, &data)) == 1) add_frame(dlt, data, h->caplen, h->len);
  if (rc == PCAP_ERROR)
    error(path + ": pcap read error after frame " + std::to_string(frame_no_) + ": " +
          pcap_geterr(pc.get()) + " (file cut short?)");
}

void Decoder::add_frame(int linktype, const uint8_t* d, size_t caplen, size_t wire_len) {
  frame_no_++;
  st_.frames++;
  if (caplen > wire_len) caplen = wire_len;
  // Link layer: where the IP header starts.
  size_t off = 0;
  int ethertype = -1;  // -1: take the IP version from the header
  switch (linktype) {
    case DLT_EN10MB:
      if (caplen < 14) return (void)st_.other_packets++;
      ethertype = be16(d + 12);
      off = 14;
      while ((ethertype == 0x8100 || ethertype == 0x88a8) && caplen >= off + 4) {
        ethertype = be16(d + off + 2);
        off += 4;
      }
      break;
    case DLT_LINUX_SLL:
      if (caplen < 16) return (void)st_.other_packets++;
      ethertype = be16(d + 14);
      off = 16;
      break;
#ifdef DLT_LINUX_SLL2
    case DLT_LINUX_SLL2:
      if (caplen < 20) return (void)st_.other_packets++;
      ethertype = be16(d);
      off = 20;
      break;
#endif
    case DLT_RAW:
#ifdef DLT_IPV4
    case DLT_IPV4:
    case DLT_IPV6:
#endif
      break;
    default:
      if (frame_no_ == 1)
        error("link type " + std::to_string(linktype) +
              " is not supported (Ethernet, Linux cooked v1/v2 and raw IP are)");
      st_.other_packets++;
      return;
  }
  if (caplen <= off) return (void)st_.other_packets++;
  const uint8_t* ip = d + off;
  size_t ipcap = caplen - off, ipwire = wire_len - off;
  int version = ip[0] >> 4;
  if ((ethertype == 0x0800 && version != 4) || (ethertype == 0x86dd && version != 6) ||
      (ethertype != -1 && ethertype != 0x0800 && ethertype != 0x86dd))
    return (void)st_.other_packets++;

  FlowKey fk;
  L4 l4;
  if (version == 4) {
    if (ipcap < 20) return (void)st_.other_packets++;
    size_t ihl = (ip[0] & 15) * 4u;
    if (ip[9] != opt_.ip_proto) return (void)st_.other_packets++;
    if (ihl < 20 || ipcap < ihl) {
      error(where() + "IPv4 header cut or malformed");
      return;
    }
    if (be16(ip + 6) & 0x3fff) {
      error(where() + "IPv4 fragment of an SDP packet (SDP sends with DF): not decoded");
      return;
    }
    size_t tot = be16(ip + 2);
    if (tot == 0) tot = ipwire;  // TSO super-packet captured before segmentation
    if (tot < ihl || tot > ipwire) {
      error(where() + "IPv4 total length " + std::to_string(tot) + " does not fit the frame");
      return;
    }
    std::memcpy(fk.src.data(), ip + 12, 4);
    std::memcpy(fk.dst.data(), ip + 16, 4);
    l4 = {ip + ihl, std::min(ipcap, tot) - ihl, tot - ihl};
  } else if (version == 6) {
    if (ipcap < 40) return (void)st_.other_packets++;
    uint8_t nh = ip[6];
    size_t hl = 40;
    // Hop-by-hop, routing and destination options headers may precede SDP.
    while ((nh == 0 || nh == 43 || nh == 60) && ipcap >= hl + 8) {
      nh = ip[hl];
      hl += (ip[hl + 1] + 1u) * 8;
    }
    if (nh == 44) {
      error(where() + "IPv6 fragment: not decoded");
      return;
    }
    if (nh != opt_.ip_proto) return (void)st_.other_packets++;
    size_t plen = be16(ip + 4);
    if (plen == 0) plen = ipwire - 40;
    if (40 + plen > ipwire || hl > 40 + plen || hl > ipcap) {
      error(where() + "IPv6 payload length does not fit the frame");
      return;
    }
    fk.v6 = true;
    std::memcpy(fk.src.data(), ip + 8, 16);
    std::memcpy(fk.dst.data(), ip + 24, 16);
    l4 = {ip + hl, std::min(ipcap, 40 + plen) - hl, 40 + plen - hl};
  } else {
    return (void)st_.other_packets++;
  }

  st_.sdp_packets++;
  bool truncated = l4.avail < l4.len;
  if (truncated) st_.truncated_packets++;
  if (l4.avail < sizeof(sdp_common_hdr)) {
    if (!truncated) error(where() + "SDP packet shorter than the common header");
    return;
  }
  const uint8_t* p = l4.p;
  uint8_t type = p[13];
  unsigned hlen = sdp_hdr_len(type);
  if (!hlen) {
    error(where() + "unknown SDP packet type 0x" + to_hex(std::span(p + 13, 1)));
    return;
  }
  if ((p[8] >> 4) != SDP_VERSION || (p[9] & ~SDP_F_FLAGS_KNOWN) || (p[12] >> 4) * 4u != hlen) {
    error(where() + "malformed SDP common header (version, flags or doff)");
    return;
  }
  fk.sport = be16(p);
  fk.dport = be16(p + 2);
  fk.rpc_id = sdp_get_be64(p + 20);
  fk.from_server = p[9] & SDP_F_FROM_SERVER;
  if (type != SDP_PKT_DATA) {
    st_.control_packets++;
    control_packet(fk, p, l4.avail, l4.len, hlen);
    return;
  }
  st_.data_packets++;
  if (l4.len < hlen) {
    error(where() + "DATA packet shorter than its header");
    return;
  }
  if (l4.avail < hlen) return;  // header cut by the snaplen: nothing to place
  data_packet(fk, p, l4.avail, l4.len);
}

// GMAC of a control packet: AES-GCM over an empty plaintext, nonce salt ||
// ctrl_seq, AAD = the SDP bytes before the tag with 'check' read as zero.
static bool gmac_ok(const DirKey& k, uint64_t ctrl_seq, const std::vector<uint8_t>& aad,
                    const uint8_t* tag) {
  uint8_t iv[SDP_GCM_IV_LEN], t[SDP_TLS_TAG_LEN], out[16];
  sdp_record_iv(iv, k.salt.data(), ctrl_seq);
  std::memcpy(t, tag, sizeof(t));
  auto ctx = new_ctx();
  int len = 0;
  return EVP_DecryptInit_ex(ctx.get(), evp_cipher(k), nullptr, k.key.data(), iv) == 1 &&
         EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, SDP_TLS_TAG_LEN, t) == 1 &&
         EVP_DecryptFinal_ex(ctx.get(), out, &len) == 1;
}

void Decoder::control_packet(const FlowKey& fk, const uint8_t* p, size_t avail, size_t len,
                             unsigned hlen) {
  uint8_t epoch = p[10];
  std::string name = where() + (fk.from_server ? "server" : "client") + " control packet type 0x" +
                     to_hex(std::span(p + 13, 1)) + " rpc " + std::to_string(fk.rpc_id);
  if (!epoch) {
    if (len != hlen) error(name + ": bytes after the header of a control packet without key");
    return;
  }
  if (len != hlen + SDP_CTRL_TRAILER_LEN) {
    error(name + ": " + std::to_string(len) + " bytes under epoch " + std::to_string(epoch) +
          ", expected header + " + std::to_string(SDP_CTRL_TRAILER_LEN) + "-byte GMAC trailer");
    return;
  }
  if (avail < len) return;  // cut by the snaplen (counted)
  uint64_t cseq = sdp_get_be64(p + hlen), n = 0;
  if (!sdp_ctrl_seq_counter(cseq, &n)) {
    error(name + ": ctrl_seq 0x" + to_hex(std::span(p + hlen, 8)) + " without its top bit");
    return;
  }
  std::vector<uint8_t> aad(p, p + hlen + SDP_CTRL_SEQ_LEN);
  aad[16] = aad[17] = 0;  // 'check'
  const uint8_t* tag = p + hlen + SDP_CTRL_SEQ_LEN;
  const DirKey* key = nullptr;
  bool any = false;
  for (const auto& k : keys_)
    if (k.epoch == epoch && k.from_server == fk.from_server) {
      any = true;
      if (gmac_ok(k, cseq, aad, tag)) {
        key = &k;
        break;
      }
    }
  if (!key) {
    error(name + (any ? ": GMAC tag fails under every key of epoch " : ": no key for epoch ") +
          std::to_string(epoch) + (fk.from_server ? " server-to-client" : " client-to-server"));
    return;
  }
  st_.control_verified++;
  std::array<uint8_t, SDP_TLS_TAG_LEN> t;
  std::memcpy(t.data(), tag, t.size());
  auto [it, fresh] = nonces_.try_emplace({key->label, epoch, cseq}, NonceSeen{kControl, t});
  if (fresh) return;
  if (it->second.tag && *it->second.tag == t) {
    st_.control_duplicates++;
  } else {
    it->second.uses++;
    st_.nonce_repeats++;
    error(name + ": nonce repeat: key " + key->label + " ctrl_seq " + std::to_string(n) +
          " already authenticated another control packet");
  }
}

bool Decoder::covered(const Stream& s, uint64_t a, uint64_t b) const {
  if (a >= b) return true;
  auto it = s.have.upper_bound(a);
  if (it == s.have.begin()) return false;
  --it;
  return it->first <= a && it->second >= b;
}

void Decoder::data_packet(const FlowKey& fk, const uint8_t* p, size_t avail, size_t len) {
  const auto* h = reinterpret_cast<const sdp_data_hdr*>(p);
  uint32_t seq = be32(p + 4);
  uint8_t epoch = h->common.epoch;
  uint32_t msg_len = be32(p + 28), rec_plain = be16(p + 36);
  auto [it, fresh] = index_.try_emplace(fk, streams_.size());
  if (fresh) {
    Stream s;
    s.key = fk;
    s.epoch = epoch;
    s.msg_len = msg_len;
    s.rec_plain = rec_plain;
    if (msg_len > SDP_MAX_MESSAGE_LEN) {
      error(where() + "msg_len " + std::to_string(msg_len) + " over the 16 MiB protocol limit");
      s.broken = true;
    } else if ((epoch == 0) != (rec_plain == 0)) {
      error(where() + "epoch " + std::to_string(epoch) + " with record size " +
            std::to_string(rec_plain) + " (a key needs records and records need a key)");
      s.broken = true;
    } else if (rec_plain && !sdp_record_fits(msg_len, rec_plain)) {
      error(where() + "record size " + std::to_string(rec_plain) + " cannot frame " +
            std::to_string(msg_len) + " bytes");
      s.broken = true;
    }
    if (!s.broken)
      s.wire_len = rec_plain ? msg_len + uint64_t(sdp_record_count(msg_len, rec_plain)) *
                                           SDP_RECORD_OVERHEAD
                           : msg_len;
    streams_.push_back(std::move(s));
  }
  Stream& s = streams_[it->second];
  s.packets++;
  if (s.broken) return;
  if (s.epoch != epoch || s.msg_len != msg_len || s.rec_plain != rec_plain) {
    error(where() + "DATA header differs from earlier packets of the same message (epoch, " +
          "msg_len or record size), rpc " + std::to_string(fk.rpc_id));
    return;
  }
  uint64_t n = len - sizeof(sdp_data_hdr), have = avail - sizeof(sdp_data_hdr);
  if (seq + n > s.wire_len) {
    error(where() + "DATA bytes [" + std::to_string(seq) + ", " + std::to_string(seq + n) +
          ") beyond the wire length " + std::to_string(s.wire_len) + " of rpc " +
          std::to_string(fk.rpc_id));
    return;
  }
  if (n == 0) return;
  if (s.buf.size() < s.wire_len) s.buf.resize(s.wire_len);
  const uint8_t* data = p + sizeof(sdp_data_hdr);
  uint64_t a = seq, b = seq + have;
  if (covered(s, seq, seq + n)) {
    s.duplicate_packets++;
    st_.duplicate_packets++;
  }
  // Bytes captured before must be identical.
  for (auto& [ra, rb] : s.have) {
    if (ra >= b) break;
    uint64_t x = std::max(ra, a), y = std::min(rb, b);
    if (x < y && std::memcmp(s.buf.data() + x, data + (x - a), y - x)) {
      error(where() + "bytes at wire offset " + std::to_string(x) + " of rpc " +
            std::to_string(fk.rpc_id) + " differ from the copy captured before");
      return;
    }
  }
  if (a == b) return;
  std::memcpy(s.buf.data() + a, data, b - a);
  // Merge [a, b) into the ranges.
  auto r = s.have.upper_bound(a);
  if (r != s.have.begin() && std::prev(r)->second >= a) {
    --r;
    a = r->first;
    b = std::max(b, r->second);
    r = s.have.erase(r);
  }
  while (r != s.have.end() && r->first <= b) {
    b = std::max(b, r->second);
    r = s.have.erase(r);
  }
  s.have.emplace(a, b);
}

Result Decoder::finish() {
  Result res;
  auto& nonces = nonces_;

  for (size_t si = 0; si < streams_.size(); si++) {
    Stream& s = streams_[si];
    Message m;
    m.src = peer_string(s.key.src, s.key.v6, s.key.sport);
    m.dst = peer_string(s.key.dst, s.key.v6, s.key.dport);
    m.from_server = s.key.from_server;
    m.rpc_id = s.key.rpc_id;
    m.epoch = s.epoch;
    m.msg_len = s.msg_len;
    m.rec_plain = s.rec_plain;
    m.packets = s.packets;
    m.duplicate_packets = s.duplicate_packets;
    std::string name = std::string(m.from_server ? "response" : "request") + " rpc " +
                       std::to_string(m.rpc_id) + " " + m.src + " -> " + m.dst;
    if (s.broken) {
      res.messages.push_back(std::move(m));
      continue;
    }
    uint64_t got = 0;
    for (auto& [a, b] : s.have) got += b - a;
    m.missing_bytes = s.wire_len - got;
    if (opt_.keep_wire) m.wire = s.buf;
    if (m.wire.size() < s.wire_len && opt_.keep_wire) m.wire.resize(s.wire_len);

    if (!s.rec_plain) {  // plaintext message
      m.complete = m.missing_bytes == 0;
      if (m.complete) m.plain.assign(s.buf.begin(), s.buf.begin() + s.wire_len);
      res.messages.push_back(std::move(m));
      continue;
    }
    std::vector<const DirKey*> cands;
    for (const auto& k : keys_)
      if (k.epoch == s.epoch && k.from_server == s.key.from_server) cands.push_back(&k);
    const DirKey* key = nullptr;
    std::string flow_label = "flow " + m.src + ">" + m.dst;
    uint32_t nrec = sdp_record_count(s.msg_len, s.rec_plain);
    m.records = nrec;
    std::optional<uint64_t> msg_id;
    bool ok = m.missing_bytes == 0;
    if (cands.empty()) {
      error(name + ": no key for epoch " + std::to_string(s.epoch) + " " +
            (m.from_server ? "server-to-client" : "client-to-server") + " (give its --key-file)");
      ok = false;
    }
    if (ok) m.plain.resize(s.msg_len);
    struct sdp_record_geom g;
    for (uint32_t i = 0; i < nrec && sdp_record_locate(s.msg_len, s.rec_plain, i, &g); i++) {
      st_.records++;
      if (!covered(s, g.wire_off, g.wire_off + SDP_RECORD_PREFIX)) {
        ok = false;
        continue;
      }
      const uint8_t* rec = s.buf.data() + g.wire_off;
      uint64_t seq = sdp_get_be64(rec + SDP_TLS_HDR_LEN);
      if ((seq & 0xffff) != i || (msg_id && seq >> SDP_REC_INDEX_BITS != *msg_id)) {
        error(name + ": record " + std::to_string(i) + " carries sequence number 0x" +
              to_hex(std::span(rec + SDP_TLS_HDR_LEN, 8)) + ", not message " +
              (msg_id ? std::to_string(*msg_id) : "?") + " record " + std::to_string(i));
        ok = false;
        continue;
      }
      msg_id = seq >> SDP_REC_INDEX_BITS;
      m.msg_id = *msg_id;
      bool whole = covered(s, g.wire_off, g.wire_off + g.wire_len);
      if (whole && !cands.empty()) {
        std::span<const uint8_t> bytes(rec, g.wire_len);
        std::optional<std::vector<uint8_t>> app;
        if (key) app = open_record(*key, bytes, *msg_id, i, s.key.rpc_id, s.msg_len, s.rec_plain);
        for (size_t c = 0; !app && !key && c < cands.size(); c++) {
          app = open_record(*cands[c], bytes, *msg_id, i, s.key.rpc_id, s.msg_len, s.rec_plain);
          if (app) key = cands[c];
        }
        if (!app) {
          error(name + ": record " + std::to_string(i) + " (message " + std::to_string(*msg_id) +
                ", epoch " + std::to_string(s.epoch) +
                ") fails authentication: wrong key, corrupted bytes, bad record header or "
                "framing header");
          ok = false;
        } else {
          st_.verified_records++;
          if (ok) std::copy(app->begin(), app->end(), m.plain.begin() + g.app_off);
        }
      } else {
        ok = false;
      }
      // Nonce bookkeeping: key of the record (the one that opened it, else
      // the only candidate, else the flow).
      const DirKey* kl = key ? key : cands.size() == 1 ? cands[0] : nullptr;
      std::string label = kl ? kl->label : flow_label;
      std::optional<std::array<uint8_t, SDP_TLS_TAG_LEN>> tag;
      if (whole) {
        tag.emplace();
        std::memcpy(tag->data(), rec + g.wire_len - SDP_TLS_TAG_LEN, SDP_TLS_TAG_LEN);
      }
      auto [nit, fresh] = nonces.try_emplace({label, s.epoch, seq}, NonceSeen{si, tag});
      if (!fresh && nit->second.stream != si) {
        nit->second.uses++;
        if (tag && nit->second.tag && *tag == *nit->second.tag) {
          st_.replayed_records++;
        } else {
          st_.nonce_repeats++;
          error(name + ": nonce repeat: key " + label + " epoch " + std::to_string(s.epoch) +
                " sequence number 0x" + to_hex(std::span(rec + SDP_TLS_HDR_LEN, 8)) +
                " already protected another message (" +
                (tag && nit->second.tag ? "different content" : "content not fully captured") +
                ")");
        }
      }
    }
    if (key) m.key_label = key->label;
    m.complete = ok && key;
    if (!m.complete) m.plain.clear();
    res.messages.push_back(std::move(m));
  }
  for (auto& [k, v] : nonces)
    res.nonces.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k), v.uses});
  st_.nonces = nonces.size();
  st_.messages = res.messages.size();
  for (auto& m : res.messages) st_.complete_messages += m.complete;
  if (st_.truncated_packets && !opt_.allow_truncated)
    error(std::to_string(st_.truncated_packets) +
          " SDP packets were cut by the capture's snaplen: capture with tcpdump -s 0 "
          "(or use --list-nonces, which copes with cut packets)");
  for (auto& m : res.messages)
    if (!m.complete && !(opt_.allow_truncated && st_.truncated_packets) && m.missing_bytes)
      error(std::string(m.from_server ? "response" : "request") + " rpc " +
            std::to_string(m.rpc_id) + " " + m.src + " -> " + m.dst + ": " +
            std::to_string(m.missing_bytes) + " of its " +
            std::to_string(m.msg_len) + "-byte message's wire bytes were not captured");
  res.errors = errors_;
  res.stats = st_;
  return res;
}

}  // namespace sdp::decrypt
