/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Every SDP wire structure and protocol constant.
 *
 * This header is the single source of truth in code for docs/PROTOCOL.md.
 * It compiles in the kernel module and in the host unit tests (sdp_compat.h
 * supplies the fixed-width and byte-order types outside the kernel).
 *
 * All multi-byte fields are big-endian on the wire.
 */
#ifndef SDP_WIRE_H
#define SDP_WIRE_H

#include "sdp_compat.h"

/* IP protocol number: RFC 3692 experimental, overridable by module param. */
#define SDP_IPPROTO_DEFAULT	253

/* Protocol version carried in the common header (high nibble of 'vflags'). */
#define SDP_VERSION		1

/*
 * Packet types live in the byte a TCP header uses for its flags, so a NIC
 * that treats SDP as TCP for TSO sees plausible flags. Only DATA is ever
 * segmented by TSO/GSO; its value (0x10, the TCP ACK bit) is left alone by
 * TSO, which clears FIN/PSH on all but the last segment and CWR after the
 * first.
 */
enum sdp_packet_type {
	SDP_PKT_DATA	 = 0x10,
	SDP_PKT_GRANT	 = 0x11,
	SDP_PKT_RESEND	 = 0x12,
	SDP_PKT_UNKNOWN	 = 0x13,
	SDP_PKT_BUSY	 = 0x14,
	SDP_PKT_NEED_ACK = 0x17,
	SDP_PKT_ACK	 = 0x18,
};

#define SDP_PKT_TYPE_MIN	SDP_PKT_DATA
#define SDP_PKT_TYPE_MAX	SDP_PKT_ACK

/* Bits of sdp_common_hdr.flags. */
#define SDP_F_FROM_SERVER	0x01	/* sender is the server of this RPC */
#define SDP_F_RETRANSMIT	0x02	/* DATA: sent in answer to RESEND */
#define SDP_F_FLAGS_KNOWN	(SDP_F_FROM_SERVER | SDP_F_RETRANSMIT)

/*
 * Common header, 28 bytes, laid out like a TCP header (20 bytes) followed by
 * 8 bytes that TCP would call options. TSO replicates the whole header
 * (doff * 4 bytes) into every packet and advances 'seq' by the payload bytes
 * of each packet, exactly as it does for TCP.
 */
struct sdp_common_hdr {
	__be16 sport;		/* TCP source port */
	__be16 dport;		/* TCP destination port */
	__be32 seq;		/* TCP seq: DATA: wire offset of first payload byte */
	__u8   vflags;		/* TCP ack[0]: version << 4 (low nibble 0) */
	__u8   flags;		/* TCP ack[1]: SDP_F_* */
	__u8   epoch;		/* TCP ack[2]: key epoch, 0 = no key */
	__u8   reserved0;	/* TCP ack[3]: zero */
	__u8   doff;		/* TCP data offset: header bytes / 4, << 4 */
	__u8   type;		/* TCP flags byte: enum sdp_packet_type */
	__be16 window;		/* TCP window: zero */
	__be16 check;		/* TCP checksum slot: filled by TSO/GSO, not verified */
	__be16 urgent;		/* TCP urgent pointer: zero */
	__be64 rpc_id;		/* RPC id, chosen by the client */
} __packed;

/*
 * DATA: the common header plus 12 bytes, 40 bytes in all (doff = 10).
 * Identical in every packet of a TSO segment except 'seq'. The payload is a
 * slice of the message's wire stream (see docs/PROTOCOL.md, "Message wire
 * stream"): the plain message bytes, or TLS records when a key is in use.
 */
struct sdp_data_hdr {
	struct sdp_common_hdr common;
	__be32 msg_len;		/* message length in plaintext bytes */
	__be32 incoming;	/* wire bytes the sender will send unasked */
	__be16 rec_plain;	/* plaintext bytes per record, 0 = no records */
	__u8   reserved1;	/* zero */
	__u8   reserved2;	/* zero */
} __packed;

/* GRANT: receiver allows the sender to transmit wire bytes up to 'offset'. */
struct sdp_grant_hdr {
	struct sdp_common_hdr common;
	__be32 offset;
	__be32 reserved;
} __packed;

/* RESEND: receiver asks for wire bytes [offset, offset + length). */
struct sdp_resend_hdr {
	struct sdp_common_hdr common;
	__be32 offset;
	__be32 length;
} __packed;

/*
 * UNKNOWN, BUSY and NEED_ACK carry only the common header.
 * UNKNOWN: "I have no state for this RPC".  BUSY: "alive, response not ready".
 * NEED_ACK: server asks whether the client got the response.
 */
struct sdp_ctrl_hdr {
	struct sdp_common_hdr common;
} __packed;

/*
 * ACK: client tells the server the responses of RPC common.rpc_id and of
 * the ids in 'more' arrived (bit i: RPC rpc_id - 1 - i, see sdp_ack.h);
 * the server frees those RPCs.
 */
struct sdp_ack_hdr {
	struct sdp_common_hdr common;
	__be64 more;
} __packed;

/*
 * Control packets sent under a key (common header epoch != 0) end in a
 * trailer after their header: ctrl_seq (be64, top bit set, counted per key
 * and direction from 0) and a 16-byte GMAC tag (docs/PROTOCOL.md,
 * "Control packet authentication"). Without a key there is no trailer.
 */
struct sdp_ctrl_trailer {
	__be64 ctrl_seq;
	__u8   tag[16];
} __packed;

#define SDP_CTRL_SEQ_LEN	8
#define SDP_CTRL_TRAILER_LEN	24
#define SDP_CTRL_SEQ_BIT	(1ULL << 63)
#define SDP_CTRL_SEQ_LIMIT	SDP_CTRL_SEQ_BIT	/* counters < this */

/*
 * TLS 1.2 AES-GCM records of a keyed message (layout: sdp_record.h and
 * docs/PROTOCOL.md, "Records").
 */
#define SDP_TLS_HDR_LEN		5
#define SDP_TLS_NONCE_LEN	8	/* explicit nonce = record seq */
#define SDP_TLS_TAG_LEN		16
#define SDP_FRAME_LEN		16	/* framing header inside the record */
#define SDP_RECORD_PREFIX	(SDP_TLS_HDR_LEN + SDP_TLS_NONCE_LEN)
#define SDP_RECORD_OVERHEAD	(SDP_RECORD_PREFIX + SDP_FRAME_LEN + \
				 SDP_TLS_TAG_LEN)

#define SDP_TLS_APPLICATION_DATA 0x17
#define SDP_SALT_LEN		4
#define SDP_GCM_IV_LEN		12

#define SDP_MSG_ID_BITS		48
#define SDP_REC_INDEX_BITS	16
/* Message ids < 2^47: record seqs keep the top bit clear for ctrl_seq. */
#define SDP_MSG_ID_LIMIT	(1ULL << (SDP_MSG_ID_BITS - 1))
#define SDP_RECORDS_PER_MSG	(1U << SDP_REC_INDEX_BITS)

/* Protocol limits (the implementation's own: kmod/sdp_limits.h). */
/*
 * Plaintext bytes of a message, 16 MiB. The uapi header gives applications
 * the same macro, token for token (an identical redefinition is valid C).
 */
#define SDP_MAX_MESSAGE_LEN	(16U << 20)
#define SDP_MAX_SEGMENT		65535U		/* bytes of one TSO segment skb */
#define SDP_TLS_PLAINTEXT_MAX	16384U		/* TLS 1.2 record plaintext */
/* Application bytes per record (rec_plain): the TLS limit less framing. */
#define SDP_RECORD_PLAIN_MAX	(SDP_TLS_PLAINTEXT_MAX - SDP_FRAME_LEN)

/* Compile-time layout checks; the unit tests repeat them at run time. */
#ifdef __cplusplus
#define SDP_WIRE_ASSERT(c, m) static_assert(c, m)
#else
#define SDP_WIRE_ASSERT(c, m) _Static_assert(c, m)
#endif
SDP_WIRE_ASSERT(sizeof(struct sdp_common_hdr) == 28, "common header");
SDP_WIRE_ASSERT(sizeof(struct sdp_data_hdr) == 40, "data header");
SDP_WIRE_ASSERT(sizeof(struct sdp_grant_hdr) == 36, "grant header");
SDP_WIRE_ASSERT(sizeof(struct sdp_resend_hdr) == 36, "resend header");
SDP_WIRE_ASSERT(sizeof(struct sdp_ctrl_hdr) == 28, "ctrl header");
SDP_WIRE_ASSERT(sizeof(struct sdp_ack_hdr) == 36, "ack header");
SDP_WIRE_ASSERT(sizeof(struct sdp_ctrl_trailer) == SDP_CTRL_TRAILER_LEN,
		"ctrl trailer");

/* Header length by type; 0 for an unknown type. */
static inline unsigned int sdp_hdr_len(__u8 type)
{
	switch (type) {
	case SDP_PKT_DATA:
		return sizeof(struct sdp_data_hdr);
	case SDP_PKT_GRANT:
		return sizeof(struct sdp_grant_hdr);
	case SDP_PKT_RESEND:
		return sizeof(struct sdp_resend_hdr);
	case SDP_PKT_ACK:
		return sizeof(struct sdp_ack_hdr);
	case SDP_PKT_UNKNOWN:
	case SDP_PKT_BUSY:
	case SDP_PKT_NEED_ACK:
		return sizeof(struct sdp_ctrl_hdr);
	default:
		return 0;
	}
}

#endif /* SDP_WIRE_H */
