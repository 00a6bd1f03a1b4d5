// SPDX-License-Identifier: MIT
// sdp-decrypt's engine (see sdp_decrypt_lib.h).
#include "sdp_decrypt_lib.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "byteorder.h"
#include "pcap_frame.h"
#include "sdp_record.h"
#include "sdp_wire.h"

namespace sdp::decrypt {

namespace {

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
  pcap::File f(path);
  int dlt = f.linktype();
  std::string err = f.each([&](std::span<const uint8_t> frame, size_t wire_len) {
    add_frame(dlt, frame.data(), frame.size(), wire_len);
  });
  if (!err.empty())
    error(path + ": pcap read error after frame " + std::to_string(frame_no_) + ": " + err +
          " (file cut short?)");
}

void Decoder::add_frame(int linktype, const uint8_t* d, size_t caplen, size_t wire_len) {
  frame_no_++;
  st_.frames++;
  if (caplen > wire_len) caplen = wire_len;
  pcap::FrameResult fr = pcap::parse_frame(linktype, std::span(d, caplen), wire_len, opt_.ip_proto);
  switch (fr.kind) {
    case pcap::Frame::sdp:
      break;
    case pcap::Frame::malformed:
      error(where() + fr.why);
      return;
    case pcap::Frame::bad_linktype:
      if (frame_no_ == 1) error(fr.why);
      [[fallthrough]];
    case pcap::Frame::other:
      st_.other_packets++;
      return;
  }
  const pcap::SdpPacket& pkt = fr.packet;
  FlowKey fk;
  fk.v6 = pkt.family == AF_INET6;
  fk.src = pkt.src;
  fk.dst = pkt.dst;
  sdp_packet(fk, pkt.bytes, pkt.wire_len);
}

namespace {

template <typename T>
T load(const uint8_t* p) {
  T t;
  std::memcpy(&t, p, sizeof(t));
  return t;
}

}  // namespace

// One SDP packet: `bytes` captured of its `len` bytes. Checks the common
// header only as far as decoding needs (version, known flags, doff): the
// rest of a control packet is covered by its GMAC tag, and a DATA header's
// lengths by the stream checks, which say what is wrong.
void Decoder::sdp_packet(FlowKey fk, std::span<const uint8_t> bytes, size_t len) {
  st_.sdp_packets++;
  bool truncated = bytes.size() < len;
  if (truncated) st_.truncated_packets++;
  if (bytes.size() < sizeof(sdp_common_hdr)) {
    if (!truncated) error(where() + "SDP packet shorter than the common header");
    return;
  }
  const uint8_t* p = bytes.data();
  auto c = load<sdp_common_hdr>(p);
  unsigned hlen = sdp_hdr_len(c.type);
  if (!hlen) {
    error(where() + "unknown SDP packet type 0x" + to_hex(std::span(&c.type, 1)));
    return;
  }
  if ((c.vflags >> 4) != SDP_VERSION || (c.flags & ~SDP_F_FLAGS_KNOWN) ||
      (c.doff >> 4) * 4u != hlen) {
    error(where() + "malformed SDP common header (version, flags or doff)");
    return;
  }
  fk.sport = be(c.sport);
  fk.dport = be(c.dport);
  fk.rpc_id = be(c.rpc_id);
  fk.from_server = c.flags & SDP_F_FROM_SERVER;
  if (c.type != SDP_PKT_DATA) {
    st_.control_packets++;
    control_packet(fk, p, bytes.size(), len, hlen);
    return;
  }
  st_.data_packets++;
  if (len < hlen) {
    error(where() + "DATA packet shorter than its header");
    return;
  }
  if (bytes.size() < hlen) return;  // header cut by the snaplen: nothing to place
  data_packet(fk, p, bytes.size(), len);
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
         EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) ==
             1 &&
         EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, SDP_TLS_TAG_LEN, t) == 1 &&
         EVP_DecryptFinal_ex(ctx.get(), out, &len) == 1;
}

void Decoder::control_packet(const FlowKey& fk, const uint8_t* p, size_t avail, size_t len,
                             unsigned hlen) {
  auto c = load<sdp_common_hdr>(p);
  uint8_t epoch = c.epoch;
  std::string name = where() + (fk.from_server ? "server" : "client") + " control packet type 0x" +
                     to_hex(std::span(&c.type, 1)) + " rpc " + std::to_string(fk.rpc_id);
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
  uint64_t cseq = be(load<sdp_ctrl_trailer>(p + hlen).ctrl_seq), n = 0;
  if (!sdp_ctrl_seq_counter(cseq, &n)) {
    error(name + ": ctrl_seq 0x" + to_hex(std::span(p + hlen, 8)) + " without its top bit");
    return;
  }
  std::vector<uint8_t> aad(p, p + hlen + SDP_CTRL_SEQ_LEN);
  std::memset(aad.data() + offsetof(sdp_common_hdr, check), 0, sizeof(sdp_common_hdr::check));
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
  auto h = load<sdp_data_hdr>(p);
  uint32_t seq = be(h.common.seq);
  uint8_t epoch = h.common.epoch;
  uint32_t msg_len = be(h.msg_len), rec_plain = be(h.rec_plain);
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
      s.wire_len =
          rec_plain ? msg_len + uint64_t(sdp_record_count(msg_len, rec_plain)) * SDP_RECORD_OVERHEAD
                  : msg_len;
    streams_.push_back(std::move(s));
  }
  Stream& s = streams_[it->second];
  s.packets++;
  if (s.broken) return;
  if (s.epoch != epoch || s.msg_len != msg_len || s.rec_plain != rec_plain) {
    error(where() +
          "DATA header differs from earlier packets of the same message "
          "(epoch, " +
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

// The message header of stream s: addresses, lengths, packet counts.
Message Decoder::describe(const Stream& s) const {
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
  if (s.broken) return m;
  uint64_t got = 0;
  for (auto& [a, b] : s.have) got += b - a;
  m.missing_bytes = s.wire_len - got;
  if (opt_.keep_wire) {
    m.wire = s.buf;
    m.wire.resize(s.wire_len);
  }
  return m;
}

std::string Decoder::message_name(const Message& m) {
  return std::string(m.from_server ? "response" : "request") + " rpc " + std::to_string(m.rpc_id) +
         " " + m.src + " -> " + m.dst;
}

// Opens record i (whole in the capture) with the stream's key, or finds the
// key among the candidates; the application bytes, or nullopt.
std::optional<std::vector<uint8_t>> Decoder::open_with(const Stream& s,
                                                       std::span<const uint8_t> rec,
                                                       uint64_t msg_id, uint32_t i,
                                                       const std::vector<const DirKey*>& cands,
                                                       const DirKey*& key) const {
  if (key) return open_record(*key, rec, msg_id, i, s.key.rpc_id, s.msg_len, s.rec_plain);
  for (const DirKey* c : cands)
    if (auto app = open_record(*c, rec, msg_id, i, s.key.rpc_id, s.msg_len, s.rec_plain)) {
      key = c;
      return app;
    }
  return std::nullopt;
}

// One use of record nonce `seq` under `label` by stream si: a repeat by
// another stream is a replayed record (same tag) or a nonce repeat.
void Decoder::note_record_nonce(const std::string& name, const std::string& label, uint8_t epoch,
                                uint64_t seq, size_t si,
                                std::optional<std::array<uint8_t, 16>> tag) {
  auto [it, fresh] = nonces_.try_emplace({label, epoch, seq}, NonceSeen{si, tag});
  if (fresh || it->second.stream == si) return;
  it->second.uses++;
  if (tag && it->second.tag && *tag == *it->second.tag) {
    st_.replayed_records++;
    return;
  }
  st_.nonce_repeats++;
  char hexseq[17];
  std::snprintf(hexseq, sizeof(hexseq), "%016llx", static_cast<unsigned long long>(seq));
  error(name + ": nonce repeat: key " + label + " epoch " + std::to_string(epoch) +
        " sequence number 0x" + hexseq + " already protected another message (" +
        (tag && it->second.tag ? "different content" : "content not fully captured") + ")");
}

// Cuts stream si into records, checks each one's sequence number, opens
// it and books its nonce; fills m (plain, msg_id, key, complete).
void Decoder::open_records(size_t si, Message& m) {
  const Stream& s = streams_[si];
  std::string name = message_name(m);
  std::vector<const DirKey*> cands;
  for (const auto& k : keys_)
    if (k.epoch == s.epoch && k.from_server == s.key.from_server) cands.push_back(&k);
  const DirKey* key = nullptr;
  m.records = sdp_record_count(s.msg_len, s.rec_plain);
  std::optional<uint64_t> msg_id;
  bool ok = m.missing_bytes == 0;
  if (cands.empty()) {
    error(name + ": no key for epoch " + std::to_string(s.epoch) + " " +
          (m.from_server ? "server-to-client" : "client-to-server") + " (give its --key-file)");
    ok = false;
  }
  if (ok) m.plain.resize(s.msg_len);
  struct sdp_record_geom g;
  for (uint32_t i = 0; i < m.records && sdp_record_locate(s.msg_len, s.rec_plain, i, &g); i++) {
    st_.records++;
    if (!covered(s, g.wire_off, g.wire_off + SDP_RECORD_PREFIX)) {
      ok = false;
      continue;
    }
    const uint8_t* rec = s.buf.data() + g.wire_off;
    uint64_t seq = get_be64(rec + SDP_TLS_HDR_LEN);
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
    std::optional<std::vector<uint8_t>> app;
    if (whole && !cands.empty()) {
      app = open_with(s, std::span(rec, g.wire_len), *msg_id, i, cands, key);
      if (!app)
        error(name + ": record " + std::to_string(i) + " (message " + std::to_string(*msg_id) +
              ", epoch " + std::to_string(s.epoch) +
              ") fails authentication: wrong key, corrupted bytes, bad record header or "
              "framing header");
    }
    if (app) {
      st_.verified_records++;
      if (ok) std::copy(app->begin(), app->end(), m.plain.begin() + g.app_off);
    } else {
      ok = false;
    }
    // The record's key: the one that opened it, else the only candidate, else the flow.
    const DirKey* kl = key ? key : cands.size() == 1 ? cands[0] : nullptr;
    std::optional<std::array<uint8_t, SDP_TLS_TAG_LEN>> tag;
    if (whole) {
      tag.emplace();
      std::memcpy(tag->data(), rec + g.wire_len - SDP_TLS_TAG_LEN, SDP_TLS_TAG_LEN);
    }
    note_record_nonce(name, kl ? kl->label : "flow " + m.src + ">" + m.dst, s.epoch, seq, si, tag);
  }
  if (key) m.key_label = key->label;
  m.complete = ok && key;
  if (!m.complete) m.plain.clear();
}

// Errors for what the capture lacks: packets cut by the snaplen, bytes of
// messages never captured.
void Decoder::report_missing(const std::vector<Message>& messages) {
  if (st_.truncated_packets && !opt_.allow_truncated)
    error(std::to_string(st_.truncated_packets) +
          " SDP packets were cut by the capture's snaplen: capture with tcpdump -s 0 "
          "(or use --list-nonces, which copes with cut packets)");
  for (const auto& m : messages)
    if (!m.complete && !(opt_.allow_truncated && st_.truncated_packets) && m.missing_bytes)
      error(message_name(m) + ": " + std::to_string(m.missing_bytes) + " of its " +
            std::to_string(m.msg_len) + "-byte message's wire bytes were not captured");
}

Result Decoder::finish() {
  Result res;
  for (size_t si = 0; si < streams_.size(); si++) {
    const Stream& s = streams_[si];
    Message m = describe(s);
    if (s.broken) {
      // Reported when its first packet arrived.
    } else if (!s.rec_plain) {  // plaintext message
      m.complete = m.missing_bytes == 0;
      if (m.complete) m.plain.assign(s.buf.begin(), s.buf.begin() + s.wire_len);
    } else {
      open_records(si, m);
    }
    res.messages.push_back(std::move(m));
  }
  for (auto& [k, v] : nonces_)
    res.nonces.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k), v.uses});
  st_.nonces = nonces_.size();
  st_.messages = res.messages.size();
  for (auto& m : res.messages) st_.complete_messages += m.complete;
  report_missing(res.messages);
  res.errors = errors_;
  res.stats = st_;
  return res;
}

}  // namespace sdp::decrypt
