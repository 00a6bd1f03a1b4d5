// SPDX-License-Identifier: MIT
// TLS 1.2 AES-GCM record framing of SDP (kmod/sdp_record.h) checked with
// OpenSSL: geometry, sequence numbers, and a worked example (the one in
// docs/PROTOCOL.md) whose bytes are pinned so the kernel's software path and
// any NIC offload must produce exactly them.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <set>
#include <string>
#include <vector>

#include "sdp_codec.h"
#include "sdp_record.h"

namespace {

// RPC id of the worked example (bound into every record's framing header).
constexpr uint64_t kExampleRpcId = 0x1122334455667788ULL;

// Pinned ciphertext || tag of the worked example (after the 13-byte prefix).
constexpr const char* GOLDEN_AES128 =
    "9c1d25dca9dfa28105071a6005270a47507bdec2cf09de52620f2ed1ec8043d6b165759b393b13e505f9";
constexpr const char* GOLDEN_AES256 =
    "ca699198b29674cecc31272bcec59c2375b4a383fa2d60e42e5ca35effcd23273470f1682c824f3e8970";
constexpr const char* GOLDEN_GRANT_TAG = "daa1b278f89d74838a323017261881f2";

std::vector<uint8_t> unhex(const std::string& h) {
  std::vector<uint8_t> v;
  for (size_t i = 0; i + 1 < h.size(); i += 2) v.push_back(static_cast<uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return v;
}

std::string hex(const uint8_t* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; i++) {
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}

// AES-GCM seal with OpenSSL: returns ciphertext || tag.
std::vector<uint8_t> gcm_seal(const std::vector<uint8_t>& key, const uint8_t* iv, const uint8_t* aad,
                              size_t aad_len, const std::vector<uint8_t>& plain) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  const EVP_CIPHER* c = key.size() == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
  std::vector<uint8_t> out(plain.size() + 16);
  int len = 0;
  EXPECT_EQ(1, EVP_EncryptInit_ex(ctx, c, nullptr, key.data(), iv));
  EXPECT_EQ(1, EVP_EncryptUpdate(ctx, nullptr, &len, aad, static_cast<int>(aad_len)));
  EXPECT_EQ(1, EVP_EncryptUpdate(ctx, out.data(), &len, plain.data(), static_cast<int>(plain.size())));
  EXPECT_EQ(1, EVP_EncryptFinal_ex(ctx, out.data() + len, &len));
  EXPECT_EQ(1, EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out.data() + plain.size()));
  EVP_CIPHER_CTX_free(ctx);
  return out;
}

TEST(Record, GcmPrimitiveMatchesTheGcmSpecTestCase4) {
  // McGrew & Viega, "The Galois/Counter Mode of Operation", test case 4.
  auto key = unhex("feffe9928665731c6d6a8f9467308308");
  auto iv = unhex("cafebabefacedbaddecaf888");
  auto aad = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  auto pt = unhex(
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525"
      "b16aedf5aa0de657ba637b39");
  auto out = gcm_seal(key, iv.data(), aad.data(), aad.size(), pt);
  EXPECT_EQ(hex(out.data() + pt.size(), 16), "5bc94fbc3221a5db94fae95ae7121a47");
}

TEST(Record, SequenceNumberLayout) {
  EXPECT_EQ(sdp_record_seq(0, 0), 0u);
  EXPECT_EQ(sdp_record_seq(1, 0), 0x10000u);
  EXPECT_EQ(sdp_record_seq(0xABCDEF012345ULL, 0xFFFF), 0xABCDEF012345FFFFULL);
  EXPECT_EQ(SDP_MSG_ID_LIMIT, 1ULL << 47);
  EXPECT_EQ(SDP_RECORDS_PER_MSG, 65536u);
  // Records and control packets never share a nonce under one key.
  EXPECT_EQ(sdp_record_seq(SDP_MSG_ID_LIMIT - 1, 0xFFFF) & SDP_CTRL_SEQ_BIT, 0u);
  EXPECT_EQ(sdp_ctrl_seq(0), SDP_CTRL_SEQ_BIT);
  uint64_t n = 0;
  EXPECT_TRUE(sdp_ctrl_seq_counter(sdp_ctrl_seq(12345), &n));
  EXPECT_EQ(n, 12345u);
  EXPECT_FALSE(sdp_ctrl_seq_counter(sdp_record_seq(7, 3), &n));
}

TEST(Record, Geometry) {
  EXPECT_EQ(SDP_RECORD_OVERHEAD, 45u);
  EXPECT_EQ(SDP_FRAME_LEN, 16u);
  EXPECT_EQ(SDP_RECORD_PLAIN_MAX, 16368u);
  EXPECT_EQ(sdp_record_count(0, 1000), 1u);
  EXPECT_EQ(sdp_record_count(1000, 1000), 1u);
  EXPECT_EQ(sdp_record_count(1001, 1000), 2u);
  struct sdp_record_geom g;
  ASSERT_TRUE(sdp_record_locate(2500, 1000, 2, &g));
  EXPECT_EQ(g.app_off, 2000u);
  EXPECT_EQ(g.app_len, 500u);
  EXPECT_EQ(g.wire_off, 2u * 1045u);
  EXPECT_EQ(g.wire_len, 545u);
  EXPECT_FALSE(sdp_record_locate(2500, 1000, 3, &g));
  EXPECT_EQ(sdp_record_index_at(1044, 1000), 0u);
  EXPECT_EQ(sdp_record_index_at(1045, 1000), 1u);
  EXPECT_TRUE(sdp_record_fits(16368u * 65536u, 16368));
  EXPECT_FALSE(sdp_record_fits(16368u * 65536u + 1, 16368));
  EXPECT_FALSE(sdp_record_fits(100, SDP_RECORD_PLAIN_MAX + 1));
}

// Build record `index` of a message the way the module does.
std::vector<uint8_t> seal_record(const std::vector<uint8_t>& key, const std::vector<uint8_t>& salt,
                                 uint64_t msg_id, const std::vector<uint8_t>& msg, uint32_t rec_plain,
                                 uint32_t index) {
  struct sdp_record_geom g {};
  EXPECT_TRUE(sdp_record_locate(static_cast<uint32_t>(msg.size()), rec_plain, index, &g));
  uint64_t seq = sdp_record_seq(msg_id, index);
  std::vector<uint8_t> rec(SDP_RECORD_PREFIX);
  sdp_record_prefix(rec.data(), seq, g.app_len);
  std::vector<uint8_t> plain(SDP_FRAME_LEN);
  sdp_record_frame(plain.data(), kExampleRpcId, g.app_off, static_cast<uint32_t>(msg.size()),
                   false);  // the worked example is a request
  plain.insert(plain.end(), msg.begin() + g.app_off, msg.begin() + g.app_off + g.app_len);
  uint8_t iv[SDP_GCM_IV_LEN], aad[13];
  sdp_record_iv(iv, salt.data(), seq);
  sdp_record_aad(aad, seq, static_cast<uint32_t>(plain.size()));
  auto ct = gcm_seal(key, iv, aad, sizeof(aad), plain);
  rec.insert(rec.end(), ct.begin(), ct.end());
  EXPECT_EQ(rec.size(), g.wire_len);
  EXPECT_TRUE(sdp_record_prefix_ok(rec.data(), &g, msg_id));
  return rec;
}

// The worked example of docs/PROTOCOL.md ("Encryption: worked example").
TEST(Record, WorkedExampleAes128) {
  auto key = unhex("000102030405060708090a0b0c0d0e0f");
  auto salt = unhex("a0a1a2a3");
  std::string text = "hello, SDP";
  std::vector<uint8_t> msg(text.begin(), text.end());
  auto rec = seal_record(key, salt, 5, msg, SDP_RECORD_PLAIN_MAX, 0);
  // 17 03 03 | len 0x0032 | seq 0000000000050000 |
  // E(framing 1122334455667788 00000000 0000000a || "hello, SDP") | tag
  EXPECT_EQ(hex(rec.data(), 13), "17030300320000000000050000");
  EXPECT_EQ(rec.size(), 13u + 16u + 10u + 16u);
  std::printf("worked example AES-128-GCM record: %s\n", hex(rec.data(), rec.size()).c_str());
  EXPECT_EQ(hex(rec.data() + 13, rec.size() - 13), GOLDEN_AES128);
}

TEST(Record, WorkedExampleAes256) {
  std::vector<uint8_t> key(32);
  for (size_t i = 0; i < 32; i++) key[i] = static_cast<uint8_t>(i);
  auto salt = unhex("a0a1a2a3");
  std::string text = "hello, SDP";
  std::vector<uint8_t> msg(text.begin(), text.end());
  auto rec = seal_record(key, salt, 5, msg, SDP_RECORD_PLAIN_MAX, 0);
  std::printf("worked example AES-256-GCM record: %s\n", hex(rec.data(), rec.size()).c_str());
  EXPECT_EQ(hex(rec.data() + 13, rec.size() - 13), GOLDEN_AES256);
}

// The control packet example of docs/PROTOCOL.md: a GRANT from the server
// (port 5000) to the client (port 40000) for RPC kExampleRpcId up to wire
// offset 0x20000, the first control packet under epoch 1 (ctrl_seq
// 8000000000000000), authenticated with the worked example's AES-128 key.
TEST(Record, ControlPacketExampleGmac) {
  auto key = unhex("000102030405060708090a0b0c0d0e0f");
  auto salt = unhex("a0a1a2a3");
  std::vector<uint8_t> pkt(sizeof(struct sdp_grant_hdr) + SDP_CTRL_SEQ_LEN);
  auto* g = reinterpret_cast<struct sdp_grant_hdr*>(pkt.data());
  sdp_build_common(&g->common, SDP_PKT_GRANT, 5000, 40000, kExampleRpcId, SDP_F_FROM_SERVER, 1, 0);
  g->offset = htobe32(0x20000);
  sdp_put_be64(pkt.data() + sizeof(*g), sdp_ctrl_seq(0));
  EXPECT_EQ(hex(pkt.data(), pkt.size()),
            "13889c40000000001001010090110000000000001122334455667788000200000000000080000000"
            "00000000");
  uint8_t iv[SDP_GCM_IV_LEN];
  sdp_record_iv(iv, salt.data(), sdp_ctrl_seq(0));
  auto tag = gcm_seal(key, iv, pkt.data(), pkt.size(), {});
  ASSERT_EQ(tag.size(), 16u);
  std::printf("control packet example GMAC tag: %s\n", hex(tag.data(), 16).c_str());
  EXPECT_EQ(hex(tag.data(), 16), GOLDEN_GRANT_TAG);
  // The checksum slot is not covered: the tag is computed with it zeroed.
  // Any other bit is: the tag changes.
  for (size_t byte = 0; byte < pkt.size(); byte++) {
    if (byte == offsetof(struct sdp_common_hdr, check) || byte == offsetof(struct sdp_common_hdr, check) + 1)
      continue;
    auto bad = pkt;
    bad[byte] ^= 0x01;
    sdp_record_iv(iv, salt.data(), sdp_get_be64(bad.data() + sizeof(*g)));
    EXPECT_NE(gcm_seal(key, iv, bad.data(), bad.size(), {}), tag) << "byte " << byte;
  }
}

// What a NIC with TLS 1.2 TX offload does with a segment of prepared
// records (docs/OFFLOAD.md): walk the record headers, take each record's
// sequence number from its explicit nonce, encrypt the plaintext in place
// and write the tag. It knows only key, salt and the bytes.
void nic_tls_offload_model(const std::vector<uint8_t>& key, const std::vector<uint8_t>& salt,
                           std::vector<uint8_t>& seg) {
  size_t off = 0;
  while (off < seg.size()) {
    ASSERT_GE(seg.size() - off, static_cast<size_t>(SDP_RECORD_PREFIX + SDP_TLS_TAG_LEN));
    ASSERT_EQ(seg[off], 0x17);
    size_t len = (static_cast<size_t>(seg[off + 3]) << 8) | seg[off + 4];
    ASSERT_LE(off + SDP_TLS_HDR_LEN + len, seg.size());
    uint64_t seq = sdp_get_be64(&seg[off + SDP_TLS_HDR_LEN]);
    size_t plain_len = len - SDP_TLS_NONCE_LEN - SDP_TLS_TAG_LEN;
    uint8_t iv[SDP_GCM_IV_LEN], aad[13];
    sdp_record_iv(iv, salt.data(), seq);
    sdp_record_aad(aad, seq, static_cast<uint32_t>(plain_len));
    std::vector<uint8_t> plain(seg.begin() + static_cast<long>(off + SDP_RECORD_PREFIX),
                               seg.begin() + static_cast<long>(off + SDP_RECORD_PREFIX + plain_len));
    auto ct = gcm_seal(key, iv, aad, sizeof(aad), plain);
    std::copy(ct.begin(), ct.end(), seg.begin() + static_cast<long>(off + SDP_RECORD_PREFIX));
    off += SDP_TLS_HDR_LEN + len;
  }
}

// The module prepares records (header, explicit nonce, framing header,
// application bytes, room for the tag: sdp_record_prepare()) and then
// encrypts them in software. An offloading NIC given the prepared bytes
// must produce exactly the software path's bytes: checked for a three-record
// message, record by record as a NIC walks a segment.
TEST(Record, OffloadModelProducesTheSoftwareBytes) {
  auto key = unhex("000102030405060708090a0b0c0d0e0f");
  auto salt = unhex("a0a1a2a3");
  std::vector<uint8_t> msg(40000);
  for (size_t i = 0; i < msg.size(); i++) msg[i] = static_cast<uint8_t>(i * 7 + 1);
  const uint32_t rec_plain = SDP_RECORD_PLAIN_MAX, n = sdp_record_count(40000, rec_plain);
  ASSERT_EQ(n, 3u);
  std::vector<uint8_t> software, prepared;
  for (uint32_t k = 0; k < n; k++) {
    auto rec = seal_record(key, salt, 9, msg, rec_plain, k);
    software.insert(software.end(), rec.begin(), rec.end());
    struct sdp_record_geom g;
    ASSERT_TRUE(sdp_record_locate(40000, rec_plain, k, &g));
    std::vector<uint8_t> p(g.wire_len);
    sdp_record_prefix(p.data(), sdp_record_seq(9, k), g.app_len);
    sdp_record_frame(p.data() + SDP_RECORD_PREFIX, kExampleRpcId, g.app_off, 40000, false);
    std::copy(msg.begin() + g.app_off, msg.begin() + g.app_off + g.app_len,
              p.begin() + SDP_RECORD_PREFIX + SDP_FRAME_LEN);
    prepared.insert(prepared.end(), p.begin(), p.end());
  }
  nic_tls_offload_model(key, salt, prepared);
  EXPECT_EQ(prepared, software);
}

TEST(Record, DistinctRecordsNeverShareANonce) {
  std::set<uint64_t> seqs;
  for (uint64_t id = 0; id < 64; id++)
    for (uint32_t k = 0; k < 1024; k++) ASSERT_TRUE(seqs.insert(sdp_record_seq(id, k)).second);
}

}  // namespace
