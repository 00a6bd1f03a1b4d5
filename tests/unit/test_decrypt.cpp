// SPDX-License-Identifier: MIT
// sdp-decrypt (userspace/tools/sdp_decrypt_lib.h) against captures built
// here: packets assembled byte by byte from docs/PROTOCOL.md and encrypted
// with OpenSSL directly (not with the tool's sealing code), written as pcap
// files with libpcap, read back by the decoder. Covers the worked example,
// both ciphers, IPv4/IPv6 and three link types, reordered, duplicated and
// cut packets, flipped bits, nonce repeats and replays, and the CLI's exit
// status.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <pcap/pcap.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "sdp_decrypt_lib.h"
#include "sdp_test_pcap.h"
#include "sdp_record.h"

namespace {

using Bytes = std::vector<uint8_t>;
using sdp::decrypt::DirKey;

Bytes unhex(const std::string& h) {
  Bytes v;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    v.push_back(static_cast<uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return v;
}

using sdp::test::put_be;
// Appends v as n big-endian bytes.
void put(Bytes& b, uint64_t v, int n) { put_be(b, v, n); }

// One record as docs/PROTOCOL.md section 6 describes it, sealed with OpenSSL.
Bytes record(const DirKey& k, uint64_t msg_id, uint32_t index, uint64_t rpc_id, uint32_t off,
             uint32_t msg_len, const uint8_t* app, uint32_t app_len) {
  uint64_t seq = msg_id << 16 | index;
  Bytes plain;
  put(plain, rpc_id, 8);
  put(plain, off, 4);
  put(plain, msg_len | (k.from_server ? 0x80000000u : 0), 4);  // top bit: a response
  plain.insert(plain.end(), app, app + app_len);
  Bytes iv(k.salt);
  put(iv, seq, 8);
  Bytes aad;
  put(aad, seq, 8);
  aad.insert(aad.end(), {0x17, 0x03, 0x03});
  put(aad, plain.size(), 2);
  Bytes out{0x17, 0x03, 0x03};
  put(out, 8 + plain.size() + 16, 2);
  put(out, seq, 8);
  size_t base = out.size();
  out.resize(base + plain.size() + 16);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  EXPECT_EQ(1, EVP_EncryptInit_ex(ctx, k.key.size() == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(),
                                  nullptr, k.key.data(), iv.data()));
  EXPECT_EQ(1, EVP_EncryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())));
  EXPECT_EQ(1, EVP_EncryptUpdate(ctx, out.data() + base, &len, plain.data(),
                                 static_cast<int>(plain.size())));
  EXPECT_EQ(1, EVP_EncryptFinal_ex(ctx, out.data() + base + len, &len));
  EXPECT_EQ(1, EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out.data() + base + plain.size()));
  EVP_CIPHER_CTX_free(ctx);
  return out;
}

// The wire stream of a message: records of rec_plain bytes back to back.
Bytes wire_stream(const DirKey& k, uint64_t msg_id, uint64_t rpc_id, const Bytes& msg,
                  uint32_t rec_plain) {
  Bytes w;
  uint32_t n = msg.empty() ? 1 : static_cast<uint32_t>((msg.size() + rec_plain - 1) / rec_plain);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t off = i * rec_plain, len = std::min<uint32_t>(rec_plain, static_cast<uint32_t>(msg.size()) - off);
    Bytes r = record(k, msg_id, i, rpc_id, off, static_cast<uint32_t>(msg.size()), msg.data() + off, len);
    w.insert(w.end(), r.begin(), r.end());
  }
  return w;
}

Bytes pattern(size_t n, uint32_t seed) {
  std::mt19937 g(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(g());
  return b;
}

DirKey make_key(bool aes256, bool from_server, uint8_t epoch = 1, uint8_t first = 0) {
  DirKey k;
  k.cipher = aes256 ? SDP_CIPHER_AES_GCM_256 : SDP_CIPHER_AES_GCM_128;
  k.epoch = epoch;
  k.from_server = from_server;
  for (int i = 0; i < (aes256 ? 32 : 16); i++) k.key.push_back(static_cast<uint8_t>(first + i));
  k.salt = from_server ? Bytes{0xb0, 0xb1, 0xb2, 0xb3} : Bytes{0xa0, 0xa1, 0xa2, 0xa3};
  k.label = std::string(from_server ? "s2c" : "c2s") + (aes256 ? "256" : "128");
  return k;
}

struct Flow {
  bool v6 = false;
  uint16_t sport = 40000, dport = 5000;
  uint64_t rpc_id = 0x0102030405060708ULL;
  bool from_server = false;
  uint8_t epoch = 1;
};

sdp::test::SdpHeader header_of(const Flow& f, uint8_t type) {
  sdp::test::SdpHeader h;
  h.type = type;
  h.sport = f.from_server ? f.dport : f.sport;
  h.dport = f.from_server ? f.sport : f.dport;
  h.flags = f.from_server ? SDP_F_FROM_SERVER : 0;
  h.epoch = f.epoch;
  h.rpc_id = f.rpc_id;
  return h;
}

// SDP DATA packet (40-byte header + payload) as in docs/PROTOCOL.md section 3.
Bytes data_packet(const Flow& f, uint32_t seq, uint32_t msg_len, uint16_t rec_plain,
                  const uint8_t* payload, size_t n) {
  sdp::test::SdpHeader h = header_of(f, SDP_PKT_DATA);
  h.seq = seq;
  h.msg_len = msg_len;
  h.incoming = 65536;
  h.rec_plain = rec_plain;
  return h.build(Bytes(payload, payload + n));
}

// IP header (+ link header) around an SDP packet: server 10.77.0.1 / fd77::1,
// client .2 / ::2; Ethernet padded to 60 bytes.
Bytes frame(int dlt, const Flow& f, const Bytes& sdp) {
  sdp::test::IpHeader ip;
  ip.v6 = f.v6;
  if (f.from_server) ip.from_server();
  return sdp::test::LinkHeader{dlt, 0, -1, true}.build(ip.build(sdp));
}

// A capture being built: frames, written to a pcap file on decode().
struct Capture {
  int dlt = DLT_EN10MB;
  int snaplen = 262144;
  std::vector<Bytes> frames;

  // The packets of one message's wire stream, `mss` payload bytes each.
  std::vector<Bytes> packets(const Flow& f, const Bytes& wire, uint32_t msg_len, uint16_t rec_plain,
                             size_t mss) const {
    std::vector<Bytes> out;
    for (size_t off = 0; off < wire.size() || (off == 0 && wire.empty()); off += mss) {
      size_t n = std::min(mss, wire.size() - off);
      out.push_back(frame(dlt, f, data_packet(f, static_cast<uint32_t>(off), msg_len, rec_plain,
                                              wire.data() + off, n)));
      if (wire.empty()) break;
    }
    return out;
  }
  void add(const std::vector<Bytes>& pk) { frames.insert(frames.end(), pk.begin(), pk.end()); }

  std::string write() const { return sdp::test::write_pcap(dlt, frames, snaplen); }

  sdp::decrypt::Result decode(const std::vector<DirKey>& keys, sdp::decrypt::Options o = {}) const {
    std::string path = write();
    sdp::decrypt::Decoder dec(o);
    for (const auto& k : keys) dec.add_key(k);
    dec.read_pcap(path);
    unlink(path.c_str());
    return dec.finish();
  }
};

std::string errors(const sdp::decrypt::Result& r) {
  std::string s;
  for (const auto& e : r.errors) s += e + "\n";
  return s;
}

TEST(Decrypt, WorkedExampleOfProtocolMd) {
  // docs/PROTOCOL.md section 6: AES-128-GCM, key 00..0f, salt a0a1a2a3,
  // message ID 5, RPC id 0x1122334455667788, "hello, SDP". The record bytes
  // are the document's, copied here; the decoder must open them.
  static_assert(SDP_FRAME_LEN == 16, "update the worked example");
  const uint64_t rpc_id = 0x1122334455667788ULL;
  Bytes rec = unhex(
      "17030300320000000000050000"
      "9c1d25dca9dfa28105071a6005270a47507bdec2cf09de52620f2ed1"
      "ec8043d6b165759b393b13e505f9");
  DirKey k = make_key(false, false);
  // The independent encoder produces exactly the document's bytes.
  std::string msg = "hello, SDP";
  Bytes m(msg.begin(), msg.end());
  EXPECT_EQ(wire_stream(k, 5, rpc_id, m, 16313), rec);
  EXPECT_EQ(sdp::decrypt::seal_message(k, 5, rpc_id, 16313, m), rec);
  Capture c;
  Flow f;
  f.rpc_id = rpc_id;
  c.add(c.packets(f, rec, 10, 16313, 1400));
  auto r = c.decode({k});
  ASSERT_TRUE(r.errors.empty()) << errors(r);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_TRUE(r.messages[0].complete);
  EXPECT_EQ(r.messages[0].msg_id, 5u);
  EXPECT_EQ(r.messages[0].rpc_id, f.rpc_id);
  EXPECT_EQ(std::string(r.messages[0].plain.begin(), r.messages[0].plain.end()), msg);
  EXPECT_EQ(r.messages[0].src, "10.77.0.2:40000");
  EXPECT_EQ(r.messages[0].dst, "10.77.0.1:5000");
}

// Requests and responses of several sizes, both ciphers, each link type and
// IP version, packets shuffled and some sent twice: all recovered exactly,
// duplicates counted, every nonce listed once.
class RoundTrip : public ::testing::TestWithParam<std::tuple<bool, int, bool>> {};

TEST_P(RoundTrip, RecoversEveryMessageExactly) {
  auto [aes256, dlt, v6] = GetParam();
  DirKey c2s = make_key(aes256, false), s2c = make_key(aes256, true, 1, 0x40);
  Capture c;
  c.dlt = dlt;
  std::vector<size_t> sizes{0, 1, 100, 1400, 16313, 16314, 65536, 200000};
  const uint16_t rec_plain = 16313;
  std::vector<Bytes> pk, msgs;
  for (size_t i = 0; i < sizes.size(); i++) {
    Bytes m = pattern(sizes[i], static_cast<uint32_t>(i + 1));
    msgs.push_back(m);
    Flow f;
    f.v6 = v6;
    f.rpc_id = 1000 + i;
    auto a = c.packets(f, wire_stream(c2s, i, f.rpc_id, m, rec_plain), static_cast<uint32_t>(m.size()),
                       rec_plain, 1460);
    f.from_server = true;
    auto b = c.packets(f, wire_stream(s2c, 10 + i, f.rpc_id, m, rec_plain),
                       static_cast<uint32_t>(m.size()), rec_plain, 1220);
    pk.insert(pk.end(), a.begin(), a.end());
    pk.insert(pk.end(), b.begin(), b.end());
  }
  std::mt19937 g(7);
  std::shuffle(pk.begin(), pk.end(), g);
  size_t dups = 0;
  for (size_t i = 0; i < pk.size(); i += 5, dups++) pk.push_back(pk[i]);
  c.add(pk);
  auto r = c.decode({c2s, s2c});
  ASSERT_TRUE(r.errors.empty()) << errors(r);
  ASSERT_EQ(r.messages.size(), 2 * sizes.size());
  size_t records = 0;
  for (const auto& m : r.messages) {
    size_t i = m.rpc_id - 1000;
    ASSERT_LT(i, sizes.size());
    EXPECT_TRUE(m.complete) << m.rpc_id;
    EXPECT_EQ(m.plain, msgs[i]) << "rpc " << m.rpc_id << (m.from_server ? " response" : " request");
    EXPECT_EQ(m.msg_id, m.from_server ? 10 + i : i);
    EXPECT_EQ(m.key_label, m.from_server ? s2c.label : c2s.label);
    records += m.records;
  }
  EXPECT_EQ(r.stats.duplicate_packets, dups);
  EXPECT_EQ(r.stats.verified_records, records);
  EXPECT_EQ(r.stats.nonces, records);
  EXPECT_EQ(r.nonces.size(), records);
  EXPECT_EQ(r.stats.nonce_repeats, 0u);
}

INSTANTIATE_TEST_SUITE_P(CiphersLinksFamilies, RoundTrip,
                         ::testing::Combine(::testing::Bool(),
                                            ::testing::Values(DLT_EN10MB, DLT_LINUX_SLL, DLT_RAW),
                                            ::testing::Bool()));

// One request of 40000 bytes (3 records) in 1400-byte packets.
struct OneMessage {
  DirKey k = make_key(false, false);
  Flow f;
  Bytes msg = pattern(40000, 3);
  Bytes wire = wire_stream(k, 9, f.rpc_id, msg, 16313);
  Capture c;
  std::vector<Bytes> pk = c.packets(f, wire, 40000, 16313, 1400);
};

TEST(Decrypt, EveryFlippedBitIsAnError) {
  OneMessage om;
  // Bits in the record header, the explicit nonce, the ciphertext (framing
  // header and data) and the tag of the first record, and in the last
  // record's tag.
  std::vector<size_t> offsets{0, 3, 4, 5, 12, 13, 20, 21, 500, 16313 + SDP_RECORD_OVERHEAD - 1, om.wire.size() - 1};
  for (size_t off : offsets)
    for (int bit : {0, 7}) {
      Capture c;
      Bytes w = om.wire;
      w[off] ^= static_cast<uint8_t>(1 << bit);
      c.add(c.packets(om.f, w, 40000, 16313, 1400));
      auto r = c.decode({om.k});
      EXPECT_FALSE(r.errors.empty()) << "flipped bit " << bit << " of wire byte " << off;
      ASSERT_EQ(r.messages.size(), 1u);
      EXPECT_FALSE(r.messages[0].complete) << off;
      EXPECT_TRUE(r.messages[0].plain.empty());
    }
  // The same capture unflipped is clean.
  Capture c;
  c.add(om.pk);
  auto r = c.decode({om.k});
  EXPECT_TRUE(r.errors.empty()) << errors(r);
  EXPECT_EQ(r.messages.at(0).plain, om.msg);
}

TEST(Decrypt, WrongKeyOrWrongDirectionFails) {
  OneMessage om;
  Capture c;
  c.add(om.pk);
  auto r = c.decode({make_key(false, false, 1, 1)});
  EXPECT_NE(errors(r).find("fails authentication"), std::string::npos) << errors(r);
  // Only a server-to-client key for a request: no key for it.
  r = c.decode({make_key(false, true)});
  EXPECT_NE(errors(r).find("no key for epoch 1 client-to-server"), std::string::npos) << errors(r);
  // A key of another epoch is not used.
  r = c.decode({make_key(false, false, 2)});
  EXPECT_FALSE(r.errors.empty());
}

TEST(Decrypt, FramingBindsTheDirection) {
  // The same key and salt for both directions (the module refuses that on
  // one socket, but two sockets could be given it): a request record never
  // opens as a response, nor the reverse, because the framing header's top
  // length bit says which it is.
  DirKey req = make_key(false, false), resp = req;
  resp.from_server = true;
  Bytes m = pattern(300, 4);
  Bytes as_req = sdp::decrypt::seal_message(req, 7, 99, 16313, m);
  Bytes as_resp = sdp::decrypt::seal_message(resp, 7, 99, 16313, m);
  EXPECT_NE(as_req, as_resp);
  const uint32_t len = static_cast<uint32_t>(m.size());
  EXPECT_TRUE(sdp::decrypt::open_record(req, as_req, 7, 0, 99, len, 16313).has_value());
  EXPECT_FALSE(sdp::decrypt::open_record(resp, as_req, 7, 0, 99, len, 16313).has_value());
  EXPECT_TRUE(sdp::decrypt::open_record(resp, as_resp, 7, 0, 99, len, 16313).has_value());
  EXPECT_FALSE(sdp::decrypt::open_record(req, as_resp, 7, 0, 99, len, 16313).has_value());
  // The bit is the only difference in the framing header.
  uint8_t f0[SDP_FRAME_LEN], f1[SDP_FRAME_LEN];
  sdp_record_frame(f0, 99, 0, len, false);
  sdp_record_frame(f1, 99, 0, len, true);
  EXPECT_EQ(f1[12], f0[12] | 0x80);
  EXPECT_EQ(std::memcmp(f0, f1, 12), 0);
  EXPECT_EQ(std::memcmp(f0 + 13, f1 + 13, 3), 0);
}

TEST(Decrypt, FramingHeaderMustMatchThePosition) {
  // Records correctly sealed, but the framing header names a wrong
  // offset (record 1 claims offset 0) or length.
  OneMessage om;
  Bytes w = om.wire;
  Bytes bad = record(om.k, 9, 1, om.f.rpc_id, 0, 40000, om.msg.data() + 16313, 16313);
  std::copy(bad.begin(), bad.end(), w.begin() + 16313 + SDP_RECORD_OVERHEAD);
  Capture c;
  c.add(c.packets(om.f, w, 40000, 16313, 1400));
  auto r = c.decode({om.k});
  EXPECT_NE(errors(r).find("record 1 (message 9"), std::string::npos) << errors(r);
  w = om.wire;
  bad = record(om.k, 9, 0, om.f.rpc_id, 0, 39999, om.msg.data(), 16313);
  std::copy(bad.begin(), bad.end(), w.begin());
  Capture c2;
  c2.add(c2.packets(om.f, w, 40000, 16313, 1400));
  r = c2.decode({om.k});
  EXPECT_NE(errors(r).find("record 0 (message 9"), std::string::npos) << errors(r);
}

TEST(Decrypt, RecordOfAnotherMessageIsAnError) {
  // Record 1 taken from message 10: its explicit nonce names message 10.
  OneMessage om;
  Bytes w = om.wire;
  Bytes other = wire_stream(om.k, 10, om.f.rpc_id, om.msg, 16313);
  std::copy(other.begin() + (16313 + SDP_RECORD_OVERHEAD), other.begin() + 2 * (16313 + SDP_RECORD_OVERHEAD), w.begin() + (16313 + SDP_RECORD_OVERHEAD));
  Capture c;
  c.add(c.packets(om.f, w, 40000, 16313, 1400));
  auto r = c.decode({om.k});
  EXPECT_NE(errors(r).find("not message 9 record 1"), std::string::npos) << errors(r);
}

TEST(Decrypt, NonceRepeatWithOtherContentIsDetected) {
  DirKey k = make_key(true, false);
  Capture c;
  Flow f1, f2;
  f2.rpc_id = f1.rpc_id + 1;
  Bytes m1 = pattern(300, 1), m2 = pattern(300, 2);
  c.add(c.packets(f1, wire_stream(k, 4, f1.rpc_id, m1, 16313), 300, 16313, 1400));
  c.add(c.packets(f2, wire_stream(k, 4, f2.rpc_id, m2, 16313), 300, 16313, 1400));
  auto r = c.decode({k});
  EXPECT_EQ(r.stats.nonce_repeats, 1u);
  EXPECT_NE(errors(r).find("nonce repeat"), std::string::npos) << errors(r);
  EXPECT_EQ(r.stats.nonces, 1u);
  ASSERT_EQ(r.nonces.size(), 1u);
  EXPECT_EQ(r.nonces[0].uses, 2u);
  EXPECT_EQ(r.nonces[0].seq, 4u << 16);
  // Different message IDs: no repeat.
  Capture ok;
  ok.add(ok.packets(f1, wire_stream(k, 4, f1.rpc_id, m1, 16313), 300, 16313, 1400));
  ok.add(ok.packets(f2, wire_stream(k, 5, f2.rpc_id, m2, 16313), 300, 16313, 1400));
  r = ok.decode({k});
  EXPECT_TRUE(r.errors.empty()) << errors(r);
  EXPECT_EQ(r.stats.nonces, 2u);
}

TEST(Decrypt, ReplayedRecordUnderAnotherRpcIdFails) {
  // The same record bytes sent again under another RPC id (a replay): the
  // framing header binds the record to its RPC id, so it fails
  // authentication; the identical bytes are counted as a replay, not as a
  // nonce repeat.
  DirKey k = make_key(false, false);
  Capture c;
  Flow f1, f2;
  f2.rpc_id = 77;
  Bytes m = pattern(300, 1), w = wire_stream(k, 4, f1.rpc_id, m, 16313);
  c.add(c.packets(f1, w, 300, 16313, 1400));
  c.add(c.packets(f2, w, 300, 16313, 1400));
  auto r = c.decode({k});
  EXPECT_EQ(r.stats.replayed_records, 1u);
  EXPECT_EQ(r.stats.nonce_repeats, 0u);
  EXPECT_NE(errors(r).find("request rpc 77 10.77.0.2:40000 -> 10.77.0.1:5000: record 0 (message 4, "
                           "epoch 1) fails authentication"),
            std::string::npos)
      << errors(r);
  EXPECT_EQ(r.stats.complete_messages, 1u);
}

TEST(Decrypt, ConflictingRetransmissionIsAnError) {
  OneMessage om;
  Capture c;
  c.add(om.pk);
  Bytes w = om.wire;
  w[2000] ^= 1;
  auto again = c.packets(om.f, w, 40000, 16313, 1400);
  c.frames.push_back(again[1]);  // bytes 1400..2800 again, one differs
  auto r = c.decode({om.k});
  EXPECT_NE(errors(r).find("differ from the copy captured before"), std::string::npos) << errors(r);
}

TEST(Decrypt, MissingPacketLeavesTheMessageIncomplete) {
  OneMessage om;
  Capture c;
  auto pk = om.pk;
  pk.erase(pk.begin() + 3);
  c.add(pk);
  auto r = c.decode({om.k});
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_FALSE(r.messages[0].complete);
  EXPECT_EQ(r.messages[0].missing_bytes, 1400u);
  EXPECT_NE(errors(r).find("1400 of its 40000-byte message's wire bytes were not captured"),
            std::string::npos)
      << errors(r);
}

TEST(Decrypt, CutPacketsNeedListNoncesMode) {
  // 1-byte messages fit a 128-byte snaplen whole; a 40000-byte one does not.
  DirKey k = make_key(false, false);
  Capture c;
  c.snaplen = 128;
  for (uint64_t i = 0; i < 50; i++) {
    Flow f;
    f.rpc_id = 500 + i;
    Bytes m = pattern(1, static_cast<uint32_t>(i));
    c.add(c.packets(f, wire_stream(k, 100 + i, f.rpc_id, m, 16313), 1, 16313, 1400));
  }
  OneMessage om;
  c.add(om.pk);  // message 9 of the same key, every packet cut
  auto r = c.decode({k});
  EXPECT_NE(errors(r).find("cut by the capture's snaplen"), std::string::npos) << errors(r);
  sdp::decrypt::Options o;
  o.allow_truncated = true;
  r = c.decode({k}, o);
  EXPECT_TRUE(r.errors.empty()) << errors(r);
  EXPECT_EQ(r.stats.truncated_packets, om.pk.size());
  // The 50 one-record messages are opened; of the cut message only record
  // 0's header is captured (records 1 and 2 start inside cut packets).
  EXPECT_EQ(r.stats.verified_records, 50u);
  EXPECT_EQ(r.stats.complete_messages, 50u);
  EXPECT_EQ(r.stats.nonces, 51u);
  EXPECT_EQ(r.stats.nonce_repeats, 0u);
  // A cut message whose first record reuses a one-byte message's nonce is
  // a repeat even though its content is not captured.
  Capture rep = c;
  OneMessage om2;
  om2.wire = wire_stream(om2.k, 100, 9999, om2.msg, 16313);
  om2.f.rpc_id = 9999;
  rep.add(rep.packets(om2.f, om2.wire, 40000, 16313, 1400));
  r = rep.decode({k}, o);
  EXPECT_EQ(r.stats.nonce_repeats, 1u);
  EXPECT_NE(errors(r).find("content not fully captured"), std::string::npos) << errors(r);
}

TEST(Decrypt, PlaintextMessagesArePrintedAsTheyAre) {
  Capture c;
  Flow f;
  f.epoch = 0;
  std::string s = "abc";
  Bytes m(s.begin(), s.end());
  c.add(c.packets(f, m, 3, 0, 1400));
  auto r = c.decode({make_key(false, false)});
  ASSERT_TRUE(r.errors.empty()) << errors(r);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_TRUE(r.messages[0].complete);
  EXPECT_EQ(r.messages[0].plain, m);
  EXPECT_EQ(r.messages[0].rec_plain, 0u);
}

TEST(Decrypt, SealMatchesTheIndependentEncoder) {
  for (bool aes256 : {false, true})
    for (size_t n : {0, 1, 16313, 16314, 100000}) {
      DirKey k = make_key(aes256, true, 3, 9);
      Bytes m = pattern(n, 5);
      EXPECT_EQ(sdp::decrypt::seal_message(k, 0xABCDEF, 42, 16313, m),
                wire_stream(k, 0xABCDEF, 42, m, 16313))
          << n;
    }
}

// A control packet under a key: header, ctrl_seq (top bit | n) and the GMAC
// tag, computed here with OpenSSL as docs/PROTOCOL.md describes it.
Bytes ctrl_packet(const Flow& f, uint8_t type, const DirKey& k, uint64_t n, uint32_t a = 0,
                  uint32_t b = 0) {
  // GRANT, RESEND (a, b) and ACK (more = a << 32 | b): 36-byte header
  sdp::test::SdpHeader h = header_of(f, type);
  h.check = 0xbeef;  // whatever the device wrote; not authenticated
  h.offset = a;
  h.length = b;
  Bytes p = h.build();
  uint64_t cseq = 1ULL << 63 | n;
  put(p, cseq, 8);
  Bytes aad(p);
  aad[16] = aad[17] = 0;
  Bytes iv(k.salt);
  put(iv, cseq, 8);
  uint8_t tag[16], out[16];
  int len = 0;
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EXPECT_EQ(1, EVP_EncryptInit_ex(ctx, k.key.size() == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(),
                                  nullptr, k.key.data(), iv.data()));
  EXPECT_EQ(1, EVP_EncryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())));
  EXPECT_EQ(1, EVP_EncryptFinal_ex(ctx, out, &len));
  EXPECT_EQ(1, EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag));
  EVP_CIPHER_CTX_free(ctx);
  p.insert(p.end(), tag, tag + 16);
  return p;
}

TEST(Decrypt, ControlPacketGmacAndCtrlSeqUniqueness) {
  DirKey c2s = make_key(true, false), s2c = make_key(true, true, 1, 0x40);
  Flow cl, sv;
  sv.from_server = true;
  Capture c;
  Bytes grant = ctrl_packet(sv, 0x11, s2c, 0, 300000);
  Bytes ack = ctrl_packet(cl, 0x18, c2s, 0);
  c.frames = {frame(c.dlt, sv, grant), frame(c.dlt, cl, ack),
              frame(c.dlt, cl, ctrl_packet(cl, 0x12, c2s, 1, 0, 65536)),
              frame(c.dlt, sv, ctrl_packet(sv, 0x17, s2c, 1)), frame(c.dlt, cl, ack)};
  auto r = c.decode({c2s, s2c});
  EXPECT_TRUE(r.errors.empty()) << errors(r);
  EXPECT_EQ(r.stats.control_packets, 5u);
  EXPECT_EQ(r.stats.control_verified, 5u);
  EXPECT_EQ(r.stats.control_duplicates, 1u);
  EXPECT_EQ(r.stats.nonces, 4u);
  // Every byte but 'check' is authenticated.
  for (size_t i = 0; i < grant.size(); i++) {
    Capture bad;
    Bytes g = grant;
    g[i] ^= 0x04;
    bad.frames = {frame(bad.dlt, sv, g)};
    r = bad.decode({c2s, s2c});
    if (i == 16 || i == 17) {
      EXPECT_TRUE(r.errors.empty()) << "check byte " << i << ": " << errors(r);
    } else if (i == 9 || i == 10 || i == 13) {
      // Direction or epoch: another key or none; type: unknown type.
      EXPECT_FALSE(r.errors.empty()) << i;
    } else {
      EXPECT_NE(errors(r).find("GMAC tag fails"), std::string::npos) << "byte " << i << ": " << errors(r);
    }
  }
  // ctrl_seq 0 of the server's key again, on another GRANT: a nonce repeat.
  c.frames.push_back(frame(c.dlt, sv, ctrl_packet(sv, 0x11, s2c, 0, 400000)));
  r = c.decode({c2s, s2c});
  EXPECT_EQ(r.stats.nonce_repeats, 1u);
  EXPECT_NE(errors(r).find("nonce repeat"), std::string::npos) << errors(r);
  // Under a key, a control packet without its trailer is an error.
  Capture none;
  Bytes bare(ack.begin(), ack.end() - SDP_CTRL_TRAILER_LEN);
  none.frames = {frame(none.dlt, cl, bare)};
  r = none.decode({c2s, s2c});
  EXPECT_NE(errors(r).find("GMAC trailer"), std::string::npos) << errors(r);
}

TEST(Decrypt, ControlPacketExampleOfTheRecordTests) {
  // The GRANT of tests/unit/test_record.cpp (server port 5000 to client
  // 40000, RPC id 0x1122334455667788, offset 0x20000, epoch 1, ctrl_seq 0)
  // with its pinned GMAC tag under key 00..0f, salt a0a1a2a3: verified with
  // those as the server-to-client key, rejected as anything else.
  Bytes pkt = unhex(
      "13889c40000000001001010090110000000000001122334455667788000200000000000080000000"
      "00000000"
      "daa1b278f89d74838a323017261881f2");
  Flow sv;
  sv.from_server = true;
  DirKey s2c = make_key(false, true), c2s = make_key(false, false);
  s2c.salt = c2s.salt;  // the example's salt a0a1a2a3
  Capture c;
  c.frames = {frame(c.dlt, sv, pkt)};
  auto r = c.decode({s2c});
  EXPECT_TRUE(r.errors.empty()) << errors(r);
  EXPECT_EQ(r.stats.control_verified, 1u);
  ASSERT_EQ(r.nonces.size(), 1u);
  EXPECT_EQ(r.nonces[0].seq, 1ULL << 63);
  r = c.decode({c2s});  // a client-to-server key does not sign server packets
  EXPECT_NE(errors(r).find("no key for epoch 1 server-to-client"), std::string::npos) << errors(r);
}

// The command line: exit 0 on a clean capture, 1 on a flipped bit, 2 on a
// bad key file; the message line carries the plaintext in hex.
TEST(Decrypt, CommandLine) {
  OneMessage om;
  char kf[] = "/tmp/sdp-decrypt-key-XXXXXX";
  int fd = mkstemp(kf);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    std::ofstream k(kf);
    k << "cipher aes-gcm-128\nepoch 1\nclient-to-server " << sdp::decrypt::to_hex(om.k.key)
      << " a0a1a2a3\nserver-to-client " << sdp::decrypt::to_hex(om.k.key) << " b0b1b2b3\n";
  }
  Capture c;
  c.add(om.pk);
  std::string pcap = c.write(), out = pcap + ".out";
  std::string cmd = std::string(SDP_DECRYPT_BIN) + " --key-file " + kf + " " + pcap + " >" + out +
                    " 2>/dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream o(out);
  std::string line;
  std::getline(o, line);
  EXPECT_NE(line.find("request 10.77.0.2:40000 -> 10.77.0.1:5000 rpc 72623859790382856 epoch 1 "
                      "msg 9 len 40000 data " + sdp::decrypt::to_hex(om.msg)),
            std::string::npos)
      << line.substr(0, 200);
  // --out-dir (also with --quiet) writes the plaintext to a file.
  char dir[] = "/tmp/sdp-decrypt-out-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  cmd = std::string(SDP_DECRYPT_BIN) + " --quiet --key-file " + kf + " --out-dir " + dir + " " +
        pcap + " 2>/dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::string mf = std::string(dir) + "/000001-request-72623859790382856.bin";
  std::ifstream mi(mf, std::ios::binary);
  Bytes got((std::istreambuf_iterator<char>(mi)), std::istreambuf_iterator<char>());
  EXPECT_EQ(got, om.msg) << mf;
  unlink(mf.c_str());
  rmdir(dir);
  Capture bad;
  Bytes w = om.wire;
  w[30000] ^= 0x10;
  bad.add(bad.packets(om.f, w, 40000, 16313, 1400));
  std::string bpcap = bad.write();
  cmd = std::string(SDP_DECRYPT_BIN) + " --key-file " + kf + " " + bpcap + " >/dev/null 2>&1";
  EXPECT_EQ(WEXITSTATUS(std::system(cmd.c_str())), 1);
  cmd = std::string(SDP_DECRYPT_BIN) + " --key-file /nonexistent " + bpcap + " >/dev/null 2>&1";
  EXPECT_EQ(WEXITSTATUS(std::system(cmd.c_str())), 2);
  unlink(kf);
  unlink(pcap.c_str());
  unlink(bpcap.c_str());
  unlink(out.c_str());
}

}  // namespace
