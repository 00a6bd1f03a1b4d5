// SPDX-License-Identifier: GPL-2.0 OR MIT
// Header codec (kmod/sdp_codec.h, kmod/sdp_wire.h): layout, round trips of
// every packet type, and every drop reason the parser can give.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

extern "C" {
#include "sdp_codec.h"
}

namespace {

constexpr u32 kOverhead = 29;  // TLS record header + explicit nonce + tag
constexpr u64 kRpc = 0x0123456789abcdefULL;

const u8 kAllTypes[] = {SDP_PKT_DATA,   SDP_PKT_GRANT,    SDP_PKT_RESEND,
                        SDP_PKT_UNKNOWN, SDP_PKT_BUSY,    SDP_PKT_NEED_ACK,
                        SDP_PKT_ACK};

// A packet under construction: header bytes followed by payload bytes.
struct Pkt {
  std::vector<u8> b;

  explicit Pkt(u8 type, u32 payload = 0, u8 flags = 0, u8 epoch = 0,
               u32 seq = 0, u64 rpc = kRpc) {
    // (max: never shorter than a common header, even for a bad type)
    b.assign(std::max<size_t>(sdp_hdr_len(type), sizeof(sdp_common_hdr)) +
                 payload,
             0xa5);
    sdp_build_common(common(), type, 4000, 5000, rpc, flags, epoch, seq);
    if (type == SDP_PKT_GRANT) {
      grant()->offset = 0;
      grant()->reserved = 0;
    }
    if (type == SDP_PKT_RESEND) {
      resend()->offset = 0;
      resend()->length = 0;
    }
    if (type == SDP_PKT_ACK)
      reinterpret_cast<sdp_ack_hdr *>(b.data())->more = 0;
    if (type == SDP_PKT_DATA) {
      data()->msg_len = cpu_to_be32(payload);
      data()->incoming = cpu_to_be32(payload);
      data()->rec_plain = 0;
      data()->reserved1 = 0;
      data()->reserved2 = 0;
    }
  }
  sdp_common_hdr *common() { return reinterpret_cast<sdp_common_hdr *>(b.data()); }
  sdp_data_hdr *data() { return reinterpret_cast<sdp_data_hdr *>(b.data()); }
  sdp_grant_hdr *grant() { return reinterpret_cast<sdp_grant_hdr *>(b.data()); }
  sdp_resend_hdr *resend() { return reinterpret_cast<sdp_resend_hdr *>(b.data()); }

  sdp_drop_reason parse(sdp_pkt_info *pi, u32 overhead = 0) const {
    return sdp_parse_header(b.data(), b.size(), b.size(), overhead, pi);
  }
  sdp_drop_reason parse(u32 overhead = 0) const {
    sdp_pkt_info pi;
    return parse(&pi, overhead);
  }
};

TEST(CodecLayout, CommonHeaderOffsets) {
  EXPECT_EQ(offsetof(sdp_common_hdr, sport), 0u);
  EXPECT_EQ(offsetof(sdp_common_hdr, dport), 2u);
  EXPECT_EQ(offsetof(sdp_common_hdr, seq), 4u);
  EXPECT_EQ(offsetof(sdp_common_hdr, vflags), 8u);
  EXPECT_EQ(offsetof(sdp_common_hdr, flags), 9u);
  EXPECT_EQ(offsetof(sdp_common_hdr, epoch), 10u);
  EXPECT_EQ(offsetof(sdp_common_hdr, reserved0), 11u);
  EXPECT_EQ(offsetof(sdp_common_hdr, doff), 12u);
  EXPECT_EQ(offsetof(sdp_common_hdr, type), 13u);
  EXPECT_EQ(offsetof(sdp_common_hdr, window), 14u);
  EXPECT_EQ(offsetof(sdp_common_hdr, check), 16u);
  EXPECT_EQ(offsetof(sdp_common_hdr, urgent), 18u);
  EXPECT_EQ(offsetof(sdp_common_hdr, rpc_id), 20u);
  EXPECT_EQ(sizeof(sdp_common_hdr), 28u);
}

TEST(CodecLayout, TypeSpecificOffsets) {
  EXPECT_EQ(offsetof(sdp_data_hdr, msg_len), 28u);
  EXPECT_EQ(offsetof(sdp_data_hdr, incoming), 32u);
  EXPECT_EQ(offsetof(sdp_data_hdr, rec_plain), 36u);
  EXPECT_EQ(offsetof(sdp_data_hdr, reserved1), 38u);
  EXPECT_EQ(offsetof(sdp_data_hdr, reserved2), 39u);
  EXPECT_EQ(sizeof(sdp_data_hdr), 40u);
  EXPECT_EQ(offsetof(sdp_grant_hdr, offset), 28u);
  EXPECT_EQ(offsetof(sdp_grant_hdr, reserved), 32u);
  EXPECT_EQ(sizeof(sdp_grant_hdr), 36u);
  EXPECT_EQ(offsetof(sdp_resend_hdr, offset), 28u);
  EXPECT_EQ(offsetof(sdp_resend_hdr, length), 32u);
  EXPECT_EQ(sizeof(sdp_resend_hdr), 36u);
  EXPECT_EQ(sizeof(sdp_ctrl_hdr), 28u);
  EXPECT_EQ(offsetof(sdp_ack_hdr, more), 28u);
  EXPECT_EQ(sizeof(sdp_ack_hdr), 36u);
}

TEST(CodecLayout, HeaderLengthByType) {
  for (unsigned int t = 0; t < 256; t++) {
    unsigned int want = 0;
    switch (t) {
    case SDP_PKT_DATA: want = 40; break;
    case SDP_PKT_GRANT:
    case SDP_PKT_RESEND:
    case SDP_PKT_ACK: want = 36; break;
    case SDP_PKT_UNKNOWN:
    case SDP_PKT_BUSY:
    case SDP_PKT_NEED_ACK: want = 28; break;
    default: break;
    }
    EXPECT_EQ(sdp_hdr_len(static_cast<u8>(t)), want) << "type " << t;
    if (want) {
      EXPECT_EQ(want % 4, 0u);
    }
  }
}

// The header looks like TCP to a NIC: bytes land where TCP has them.
TEST(CodecLayout, BuildCommonBytes) {
  Pkt p(SDP_PKT_DATA, 0, SDP_F_FROM_SERVER, 7, 0x01020304, kRpc);
  const u8 *b = p.b.data();
  EXPECT_EQ(b[0], 4000 >> 8);
  EXPECT_EQ(b[1], 4000 & 0xff);
  EXPECT_EQ(b[2], 5000 >> 8);
  EXPECT_EQ(b[3], 5000 & 0xff);
  EXPECT_EQ(b[4], 1);
  EXPECT_EQ(b[7], 4);
  EXPECT_EQ(b[8], SDP_VERSION << 4);
  EXPECT_EQ(b[9], SDP_F_FROM_SERVER);
  EXPECT_EQ(b[10], 7);
  EXPECT_EQ(b[11], 0);
  EXPECT_EQ(b[12], (40 / 4) << 4);
  EXPECT_EQ(b[13], SDP_PKT_DATA);
  for (int i = 14; i < 20; i++)
    EXPECT_EQ(b[i], 0) << i;
  EXPECT_EQ(b[20], 0x01);
  EXPECT_EQ(b[27], 0xef);
}

TEST(CodecRoundTrip, EveryType) {
  for (u8 type : kAllTypes) {
    SCOPED_TRACE(static_cast<int>(type));
    u32 payload = type == SDP_PKT_DATA ? 100 : 0;
    u32 seq = type == SDP_PKT_DATA ? 50 : 0;
    Pkt p(type, payload, SDP_F_FROM_SERVER | SDP_F_RETRANSMIT, 0, seq);
    if (type == SDP_PKT_DATA) {
      p.data()->msg_len = cpu_to_be32(150);
      p.data()->incoming = cpu_to_be32(120);
    } else if (type == SDP_PKT_GRANT) {
      p.grant()->offset = cpu_to_be32(65536);
    } else if (type == SDP_PKT_RESEND) {
      p.resend()->offset = cpu_to_be32(1000);
      p.resend()->length = cpu_to_be32(2000);
    }
    sdp_pkt_info pi;
    std::memset(&pi, 0xee, sizeof(pi));
    ASSERT_EQ(p.parse(&pi), SDP_DROP_NONE);
    EXPECT_EQ(pi.type, type);
    EXPECT_EQ(pi.flags, SDP_F_FROM_SERVER | SDP_F_RETRANSMIT);
    EXPECT_EQ(pi.epoch, 0);
    EXPECT_EQ(pi.sport, 4000);
    EXPECT_EQ(pi.dport, 5000);
    EXPECT_EQ(pi.seq, seq);
    EXPECT_EQ(pi.rpc_id, kRpc);
    EXPECT_EQ(pi.hdr_len, sdp_hdr_len(type));
    EXPECT_EQ(pi.payload_len, payload);
    switch (type) {
    case SDP_PKT_DATA:
      EXPECT_EQ(pi.msg_len, 150u);
      EXPECT_EQ(pi.incoming, 120u);
      EXPECT_EQ(pi.rec_plain, 0);
      EXPECT_EQ(pi.offset, 0u);
      EXPECT_EQ(pi.length, 0u);
      break;
    case SDP_PKT_GRANT:
      EXPECT_EQ(pi.offset, 65536u);
      EXPECT_EQ(pi.length, 0u);
      EXPECT_EQ(pi.msg_len, 0u);
      break;
    case SDP_PKT_RESEND:
      EXPECT_EQ(pi.offset, 1000u);
      EXPECT_EQ(pi.length, 2000u);
      break;
    default:
      EXPECT_EQ(pi.offset, 0u);
      EXPECT_EQ(pi.length, 0u);
      EXPECT_EQ(pi.msg_len, 0u);
      break;
    }
  }
}

TEST(CodecRoundTrip, KeyedDataWithRecords) {
  // 3 records of 1000 plaintext bytes (the last one short): 2500 + 3 * 29.
  const u32 wire = 2500 + 3 * kOverhead;
  Pkt p(SDP_PKT_DATA, 1000, 0, 3, wire - 1000);
  p.data()->msg_len = cpu_to_be32(2500);
  p.data()->incoming = cpu_to_be32(0xffffffff);
  p.data()->rec_plain = cpu_to_be16(1000);
  sdp_pkt_info pi;
  ASSERT_EQ(p.parse(&pi, kOverhead), SDP_DROP_NONE);
  EXPECT_EQ(pi.epoch, 3);
  EXPECT_EQ(pi.rec_plain, 1000);
  EXPECT_EQ(pi.msg_len, 2500u);
  EXPECT_EQ(pi.seq, wire - 1000);
  EXPECT_EQ(pi.incoming, wire) << "incoming is clamped to the wire length";
  // One byte further is beyond the message.
  p.common()->seq = cpu_to_be32(wire - 999);
  EXPECT_EQ(p.parse(kOverhead), SDP_DROP_BAD_OFFSET);
}

TEST(CodecRoundTrip, EmptyMessage) {
  Pkt p(SDP_PKT_DATA, 0);
  sdp_pkt_info pi;
  ASSERT_EQ(p.parse(&pi), SDP_DROP_NONE);
  EXPECT_EQ(pi.msg_len, 0u);
  EXPECT_EQ(pi.payload_len, 0u);
  // An empty keyed message still has one (empty) record on the wire, so a
  // DATA packet must carry bytes.
  p.common()->epoch = 1;
  p.data()->rec_plain = cpu_to_be16(16);
  EXPECT_EQ(p.parse(kOverhead), SDP_DROP_BAD_LENGTH);
}

TEST(CodecWireLen, WithoutRecords) {
  EXPECT_EQ(sdp_wire_len(0, 0, kOverhead), 0u);
  EXPECT_EQ(sdp_wire_len(1, 0, kOverhead), 1u);
  EXPECT_EQ(sdp_wire_len(SDP_MAX_MESSAGE_LEN, 0, kOverhead), SDP_MAX_MESSAGE_LEN);
}

TEST(CodecWireLen, WithRecords) {
  EXPECT_EQ(sdp_wire_len(0, 100, kOverhead), kOverhead) << "one empty record";
  EXPECT_EQ(sdp_wire_len(1, 100, kOverhead), 1 + kOverhead);
  EXPECT_EQ(sdp_wire_len(100, 100, kOverhead), 100 + kOverhead);
  EXPECT_EQ(sdp_wire_len(101, 100, kOverhead), 101 + 2 * kOverhead);
  EXPECT_EQ(sdp_wire_len(16384 * 4, 16384, kOverhead), 16384 * 4 + 4 * kOverhead);
  EXPECT_EQ(sdp_wire_len(100, 100, 0), 100u);
  // The largest case does not overflow 32 bits silently: it is 64-bit.
  EXPECT_EQ(sdp_wire_len(SDP_MAX_MESSAGE_LEN, 1, kOverhead),
            static_cast<u64>(SDP_MAX_MESSAGE_LEN) * (1 + kOverhead));
  EXPECT_GT(sdp_wire_len(0xffffffffu, 1, 0xffffffffu), 0xffffffffull);
}

// --- drop reasons -------------------------------------------------------

TEST(CodecDrop, Truncated) {
  Pkt p(SDP_PKT_DATA, 10);
  sdp_pkt_info pi;
  EXPECT_EQ(sdp_parse_header(p.b.data(), 0, 0, 0, &pi), SDP_DROP_TRUNCATED);
  EXPECT_EQ(sdp_parse_header(p.b.data(), 27, 100, 0, &pi), SDP_DROP_TRUNCATED);
  // A whole common header, but not the whole DATA header.
  EXPECT_EQ(sdp_parse_header(p.b.data(), 39, 100, 0, &pi), SDP_DROP_TRUNCATED);
  // The linear part is long enough but the packet itself is not.
  EXPECT_EQ(sdp_parse_header(p.b.data(), 50, 39, 0, &pi), SDP_DROP_TRUNCATED);
  EXPECT_EQ(sdp_parse_header(p.b.data(), 50, 27, 0, &pi), SDP_DROP_TRUNCATED);
  Pkt g(SDP_PKT_GRANT);
  EXPECT_EQ(sdp_parse_header(g.b.data(), 35, 35, 0, &pi), SDP_DROP_TRUNCATED);
  EXPECT_EQ(sdp_parse_header(g.b.data(), 36, 36, 0, &pi), SDP_DROP_NONE);
  Pkt a(SDP_PKT_ACK);
  EXPECT_EQ(sdp_parse_header(a.b.data(), 35, 36, 0, &pi), SDP_DROP_TRUNCATED);
  EXPECT_EQ(sdp_parse_header(a.b.data(), 36, 35, 0, &pi), SDP_DROP_TRUNCATED);
  EXPECT_EQ(sdp_parse_header(a.b.data(), 36, 36, 0, &pi), SDP_DROP_NONE);
  Pkt n(SDP_PKT_NEED_ACK);
  EXPECT_EQ(sdp_parse_header(n.b.data(), 27, 28, 0, &pi), SDP_DROP_TRUNCATED);
  EXPECT_EQ(sdp_parse_header(n.b.data(), 28, 28, 0, &pi), SDP_DROP_NONE);
}

// ACK names rpc_id and, in 'more', up to 64 ids below it; none may be 0.
TEST(CodecDrop, AckMoreNamesOnlyValidIds) {
  sdp_pkt_info pi;
  Pkt a(SDP_PKT_ACK);
  auto* h = reinterpret_cast<sdp_ack_hdr*>(a.b.data());
  h->more = cpu_to_be64(0x8000000000000001ULL);
  ASSERT_EQ(a.parse(&pi), SDP_DROP_NONE);  // rpc id of Pkt is large
  EXPECT_EQ(pi.ack_more, 0x8000000000000001ULL);
  for (u64 top : {1ULL, 2ULL, 10ULL, 64ULL, 65ULL}) {
    a.common()->rpc_id = cpu_to_be64(top);
    for (unsigned int bit = 0; bit < 64; bit++) {
      h->more = cpu_to_be64(1ULL << bit);
      // bit names top - 1 - bit, which must be >= 1
      bool ok = top >= bit + 2;
      EXPECT_EQ(a.parse(), ok ? SDP_DROP_NONE : SDP_DROP_BAD_HEADER) << top << " bit " << bit;
    }
  }
}

TEST(CodecDrop, BadType) {
  std::set<int> valid(std::begin(kAllTypes), std::end(kAllTypes));
  for (int t = 0; t < 256; t++) {
    if (valid.count(t))
      continue;
    Pkt p(SDP_PKT_ACK);
    p.common()->type = static_cast<u8>(t);
    EXPECT_EQ(p.parse(), SDP_DROP_BAD_TYPE) << t;
  }
}

TEST(CodecDrop, BadVersion) {
  for (u8 type : kAllTypes) {
    Pkt p(type);
    for (int v = 0; v < 256; v++) {
      p.common()->vflags = static_cast<u8>(v);
      sdp_drop_reason want =
          v == (SDP_VERSION << 4) ? SDP_DROP_NONE : SDP_DROP_BAD_VERSION;
      EXPECT_EQ(p.parse(), want) << "type " << int(type) << " vflags " << v;
    }
  }
}

TEST(CodecDrop, BadDoff) {
  for (u8 type : kAllTypes) {
    Pkt p(type);
    u8 good = p.common()->doff;
    for (int d = 0; d < 256; d++) {
      if (d == good)
        continue;
      p.common()->doff = static_cast<u8>(d);
      EXPECT_EQ(p.parse(), SDP_DROP_BAD_HEADER) << int(type) << " " << d;
    }
  }
}

TEST(CodecDrop, ReservedCommonFields) {
  for (u8 type : kAllTypes) {
    SCOPED_TRACE(static_cast<int>(type));
    {
      Pkt p(type);
      p.common()->reserved0 = 1;
      EXPECT_EQ(p.parse(), SDP_DROP_BAD_HEADER);
    }
    {
      Pkt p(type);
      p.common()->window = cpu_to_be16(1);
      EXPECT_EQ(p.parse(), SDP_DROP_BAD_HEADER);
    }
    {
      Pkt p(type);
      p.common()->urgent = cpu_to_be16(0x8000);
      EXPECT_EQ(p.parse(), SDP_DROP_BAD_HEADER);
    }
    {
      // The checksum slot is never verified (TSO fills it).
      Pkt p(type);
      p.common()->check = cpu_to_be16(0xbeef);
      EXPECT_EQ(p.parse(), SDP_DROP_NONE);
    }
    {
      Pkt p(type, 0, 0, 0, 0, 0);
      EXPECT_EQ(p.parse(), SDP_DROP_BAD_HEADER) << "rpc id 0";
    }
  }
}

TEST(CodecDrop, Flags) {
  for (u8 type : kAllTypes) {
    for (int f = 0; f < 256; f++) {
      Pkt p(type, 0, static_cast<u8>(f));
      sdp_drop_reason want = (f & ~SDP_F_FLAGS_KNOWN) ? SDP_DROP_BAD_HEADER
                                                      : SDP_DROP_NONE;
      EXPECT_EQ(p.parse(), want) << int(type) << " flags " << f;
    }
  }
}

TEST(CodecDrop, SeqOnControlPackets) {
  for (u8 type : kAllTypes) {
    if (type == SDP_PKT_DATA)
      continue;
    Pkt p(type, 0, 0, 0, 1);
    EXPECT_EQ(p.parse(), SDP_DROP_BAD_HEADER) << int(type);
  }
}

TEST(CodecDrop, TypeReservedFields) {
  {
    Pkt p(SDP_PKT_DATA, 10);
    p.data()->reserved1 = 1;
    EXPECT_EQ(p.parse(), SDP_DROP_BAD_HEADER);
  }
  {
    Pkt p(SDP_PKT_DATA, 10);
    p.data()->reserved2 = 0x80;
    EXPECT_EQ(p.parse(), SDP_DROP_BAD_HEADER);
  }
  {
    Pkt p(SDP_PKT_GRANT);
    p.grant()->reserved = cpu_to_be32(1);
    EXPECT_EQ(p.parse(), SDP_DROP_BAD_HEADER);
  }
}

TEST(CodecDrop, ControlPayload) {
  for (u8 type : kAllTypes) {
    if (type == SDP_PKT_DATA)
      continue;
    Pkt p(type, 1);
    EXPECT_EQ(p.parse(), SDP_DROP_BAD_LENGTH) << int(type);
    // Only the L4 length says there is payload: the parser may be handed
    // just the linear header.
    sdp_pkt_info pi;
    EXPECT_EQ(sdp_parse_header(p.b.data(), sdp_hdr_len(type), p.b.size(), 0,
                               &pi),
              SDP_DROP_BAD_LENGTH);
  }
}

// Under a key (epoch != 0) a control packet carries exactly the 24-byte
// trailer {ctrl_seq with its top bit set, GMAC tag}; the parser needs it
// linear (sdp_linear_len) and reports ctrl_seq; the tag is the caller's.
TEST(CodecCtrlTrailer, KeyedControlPackets) {
  for (u8 type : kAllTypes) {
    if (type == SDP_PKT_DATA)
      continue;
    EXPECT_EQ(sdp_linear_len(type, 0), sdp_hdr_len(type));
    EXPECT_EQ(sdp_linear_len(type, 1), sdp_hdr_len(type) + SDP_CTRL_TRAILER_LEN);
    u8 flags = type == SDP_PKT_ACK ? 0 : SDP_F_FROM_SERVER;
    Pkt p(type, SDP_CTRL_TRAILER_LEN, flags, 1);
    u8 *t = p.b.data() + sdp_hdr_len(type);
    const u64 seq = SDP_CTRL_SEQ_BIT | 0x0102030405ULL;
    for (int i = 0; i < 8; i++) t[i] = static_cast<u8>(seq >> (56 - 8 * i));
    sdp_pkt_info pi;
    ASSERT_EQ(p.parse(&pi), SDP_DROP_NONE) << int(type);
    EXPECT_EQ(pi.ctrl_seq, seq);
    EXPECT_EQ(pi.payload_len, SDP_CTRL_TRAILER_LEN);
    // Only the header linear: the trailer is needed.
    EXPECT_EQ(sdp_parse_header(p.b.data(), sdp_hdr_len(type), p.b.size(), 0, &pi),
              SDP_DROP_TRUNCATED);
    // A record sequence number (top bit clear) is no ctrl_seq.
    t[0] &= 0x7f;
    EXPECT_EQ(p.parse(), SDP_DROP_BAD_HEADER);
    // Keyed without the trailer, or with more than it.
    EXPECT_EQ(Pkt(type, 0, flags, 1).parse(), SDP_DROP_BAD_LENGTH);
    EXPECT_EQ(Pkt(type, SDP_CTRL_TRAILER_LEN + 1, flags, 1).parse(), SDP_DROP_BAD_LENGTH);
    // Without a key, a trailer is payload it must not have.
    EXPECT_EQ(Pkt(type, SDP_CTRL_TRAILER_LEN, flags, 0).parse(), SDP_DROP_BAD_LENGTH);
  }
}

TEST(CodecDrop, DataLength) {
  {
    Pkt p(SDP_PKT_DATA, 10);
    p.data()->msg_len = cpu_to_be32(SDP_MAX_MESSAGE_LEN);
    EXPECT_EQ(p.parse(), SDP_DROP_NONE);
    p.data()->msg_len = cpu_to_be32(SDP_MAX_MESSAGE_LEN + 1);
    EXPECT_EQ(p.parse(), SDP_DROP_BAD_LENGTH);
    p.data()->msg_len = cpu_to_be32(0xffffffff);
    EXPECT_EQ(p.parse(), SDP_DROP_BAD_LENGTH);
  }
  {
    // Records without a key epoch, and a key epoch without records.
    Pkt p(SDP_PKT_DATA, 10);
    p.data()->rec_plain = cpu_to_be16(100);
    EXPECT_EQ(p.parse(kOverhead), SDP_DROP_BAD_LENGTH);
    Pkt q(SDP_PKT_DATA, 10, 0, 1);
    EXPECT_EQ(q.parse(kOverhead), SDP_DROP_BAD_LENGTH);
  }
  {
    Pkt p(SDP_PKT_DATA, 100, 0, 1);
    p.data()->msg_len = cpu_to_be32(100000);
    p.data()->rec_plain = cpu_to_be16(SDP_RECORD_PLAIN_MAX);
    EXPECT_EQ(p.parse(kOverhead), SDP_DROP_NONE);
    p.data()->rec_plain = cpu_to_be16(SDP_RECORD_PLAIN_MAX + 1);
    EXPECT_EQ(p.parse(kOverhead), SDP_DROP_BAD_LENGTH);
    p.data()->rec_plain = cpu_to_be16(0xffff);
    EXPECT_EQ(p.parse(kOverhead), SDP_DROP_BAD_LENGTH);
  }
  {
    // A DATA packet of a non-empty message must carry payload.
    Pkt p(SDP_PKT_DATA, 0);
    p.data()->msg_len = cpu_to_be32(10);
    EXPECT_EQ(p.parse(), SDP_DROP_BAD_LENGTH);
  }
}

TEST(CodecDrop, DataOffsetBeyondWireLength) {
  Pkt p(SDP_PKT_DATA, 100);
  p.data()->msg_len = cpu_to_be32(1000);
  for (u32 seq : {0u, 1u, 899u, 900u})
    EXPECT_EQ((p.common()->seq = cpu_to_be32(seq), p.parse()), SDP_DROP_NONE)
        << seq;
  for (u32 seq : {901u, 1000u, 0x7fffffffu, 0xffffff9cu, 0xffffffffu})
    EXPECT_EQ((p.common()->seq = cpu_to_be32(seq), p.parse()),
              SDP_DROP_BAD_OFFSET)
        << seq;
  // Payload longer than the whole message.
  Pkt big(SDP_PKT_DATA, 1001);
  big.data()->msg_len = cpu_to_be32(1000);
  EXPECT_EQ(big.parse(), SDP_DROP_BAD_OFFSET);
  // With records the wire stream is longer than the message.
  Pkt k(SDP_PKT_DATA, 100, 0, 2, 1000 + 2 * kOverhead - 100);
  k.data()->msg_len = cpu_to_be32(1000);
  k.data()->rec_plain = cpu_to_be16(500);
  EXPECT_EQ(k.parse(kOverhead), SDP_DROP_NONE);
  EXPECT_EQ(k.parse(0u), SDP_DROP_BAD_OFFSET) << "same bytes, no overhead";
}

TEST(CodecDrop, ResendRange) {
  Pkt p(SDP_PKT_RESEND);
  p.resend()->offset = cpu_to_be32(SDP_MAX_MESSAGE_LEN);
  p.resend()->length = cpu_to_be32(SDP_MAX_MESSAGE_LEN);
  EXPECT_EQ(p.parse(), SDP_DROP_NONE);
  p.resend()->length = cpu_to_be32(SDP_MAX_MESSAGE_LEN + 1);
  EXPECT_EQ(p.parse(), SDP_DROP_BAD_OFFSET);
  p.resend()->offset = cpu_to_be32(0xffffffff);
  p.resend()->length = cpu_to_be32(0xffffffff);
  EXPECT_EQ(p.parse(), SDP_DROP_BAD_OFFSET);
}

// Every reason the parser can give is produced by at least one crafted
// packet above; this collects one of each in one place, and checks that
// the reasons later stages give (socket, RPC and memory state) are never
// the parser's.
TEST(CodecDrop, EveryParserReasonReachable) {
  std::set<int> seen;
  sdp_pkt_info pi;
  auto note = [&](const Pkt &p, size_t len, u32 ov = 0) {
    seen.insert(sdp_parse_header(p.b.data(), len, p.b.size(), ov, &pi));
  };
  Pkt ok(SDP_PKT_ACK);
  note(ok, ok.b.size());
  note(ok, 10);
  Pkt t(SDP_PKT_ACK);
  t.common()->type = 0;
  note(t, t.b.size());
  Pkt v(SDP_PKT_ACK);
  v.common()->vflags = 0;
  note(v, v.b.size());
  Pkt h(SDP_PKT_ACK);
  h.common()->reserved0 = 1;
  note(h, h.b.size());
  Pkt l(SDP_PKT_ACK, 4);
  note(l, l.b.size());
  Pkt o(SDP_PKT_DATA, 10, 0, 0, 1);
  o.data()->msg_len = cpu_to_be32(10);
  note(o, o.b.size());
  const std::set<int> want = {SDP_DROP_NONE,        SDP_DROP_TRUNCATED,
                              SDP_DROP_BAD_TYPE,    SDP_DROP_BAD_VERSION,
                              SDP_DROP_BAD_HEADER,  SDP_DROP_BAD_LENGTH,
                              SDP_DROP_BAD_OFFSET};
  EXPECT_EQ(seen, want);
}

// The parser reads only the 'len' bytes it is given (ASan checks the exact
// heap copy), whatever the L4 length says.
TEST(CodecDrop, ParserNeverReadsPastLen) {
  Pkt p(SDP_PKT_DATA, 64);
  for (size_t len = 0; len <= p.b.size(); len++) {
    std::vector<u8> copy(p.b.begin(), p.b.begin() + static_cast<long>(len));
    sdp_pkt_info pi;
    sdp_drop_reason r =
        sdp_parse_header(copy.data(), copy.size(), p.b.size(), 0, &pi);
    EXPECT_EQ(r, len < sizeof(sdp_data_hdr) ? SDP_DROP_TRUNCATED
                                            : SDP_DROP_NONE)
        << len;
  }
}

}  // namespace
