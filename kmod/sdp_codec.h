/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Validate and build SDP headers. Kernel-free: used by the
 * module's receive path, the host unit tests and the parser fuzzer.
 *
 * sdp_parse_header() is the only place received header bytes are trusted;
 * everything after it works on the host-order struct sdp_pkt_info.
 */
#ifndef SDP_CODEC_H
#define SDP_CODEC_H

#include "sdp_wire.h"
#include "sdp_ack.h"

/*
 * Why a packet was dropped. Each has a counter drop_<name> in
 * /proc/net/sdp_stats (names in sdp_main.c); keep them stable.
 */
enum sdp_drop_reason {
	SDP_DROP_NONE,
	SDP_DROP_TRUNCATED,	/* shorter than its header */
	SDP_DROP_BAD_TYPE,	/* unknown packet type */
	SDP_DROP_BAD_VERSION,
	SDP_DROP_BAD_HEADER,	/* doff, reserved or flags */
	SDP_DROP_BAD_LENGTH,	/* msg_len / record size */
	SDP_DROP_BAD_OFFSET,	/* bytes beyond the message */
	SDP_DROP_NO_SOCKET,	/* no socket on dport */
	SDP_DROP_UNKNOWN_RPC,	/* no such RPC */
	SDP_DROP_DUPLICATE,	/* all bytes already here */
	SDP_DROP_OLD_RPC,	/* request id already served */
	SDP_DROP_MISMATCH,	/* contradicts RPC state */
	SDP_DROP_NO_MEMORY,	/* buffer limits reached */
	SDP_DROP_TOO_MANY_GAPS,
	SDP_DROP_NEEDS_KEY,	/* plaintext from a peer that must use a key */
	SDP_DROP_AUTH_FAILED,	/* a record failed AES-GCM verification */
	SDP_DROP_REPLAY,	/* message id already accepted under the key */
	SDP_DROP_WRONG_EPOCH,	/* no receive key with the packet's epoch */
	SDP_DROP_TOO_OLD,	/* message id behind the replay window */
	SDP_DROP_CTRL_AUTH_FAILED,	/* control packet GMAC tag wrong */
	SDP_DROP_CTRL_REPLAY,	/* ctrl_seq already accepted under the key */
	SDP_DROP_CTRL_TOO_OLD,	/* ctrl_seq behind the replay window */
	SDP_DROP_NOT_GRANTED,	/* beyond what an unauthenticated message may get */
	SDP_DROP_MAX
};

/* A parsed header in host byte order. */
struct sdp_pkt_info {
	u8  type;
	u8  flags;
	u8  epoch;
	u16 sport;
	u16 dport;
	u32 seq;
	u64 rpc_id;
	unsigned int hdr_len;
	/* DATA */
	u32 msg_len;
	u32 incoming;
	u16 rec_plain;
	u32 payload_len;	/* bytes after the header */
	/* ACK: further acknowledged ids (sdp_ack.h) */
	u64 ack_more;
	/* GRANT, RESEND */
	u32 offset;
	u32 length;
	/* control packets with epoch != 0: trailer (ctrl_seq in host order) */
	u64 ctrl_seq;
};

/*
 * Wire length of a message: plaintext bytes when no records are used,
 * otherwise full records of rec_plain bytes each plus 'overhead' bytes of
 * record header and tag per record.
 */
static inline u64 sdp_wire_len(u32 msg_len, u16 rec_plain, u32 overhead)
{
	u64 nrec;

	if (!rec_plain)
		return msg_len;
	nrec = msg_len ? ((u64)msg_len + rec_plain - 1) / rec_plain : 1;
	return (u64)msg_len + nrec * overhead;
}

/*
 * Bytes the caller must linearise before sdp_parse_header(): the header,
 * and for control packets under a key also the trailer. 0: unknown type.
 */
static inline unsigned int sdp_linear_len(__u8 type, __u8 epoch)
{
	unsigned int hlen = sdp_hdr_len(type);

	if (hlen && type != SDP_PKT_DATA && epoch)
		hlen += SDP_CTRL_TRAILER_LEN;
	return hlen;
}

/*
 * Validate a received header. 'buf' holds at least 'len' contiguous bytes
 * (the caller linearises sdp_linear_len() bytes); 'pkt_len' is the whole
 * L4 length. A control packet under a key must carry exactly its trailer
 * (whose tag the caller verifies); without a key, nothing after the header.
 * 'record_overhead' is the per-record overhead of the epoch's cipher, 0
 * when the packet carries no key epoch.
 */
static inline enum sdp_drop_reason
sdp_parse_header(const void *buf, size_t len, size_t pkt_len,
		 u32 record_overhead, struct sdp_pkt_info *pi)
{
	const struct sdp_common_hdr *c = (const struct sdp_common_hdr *)buf;
	unsigned int hlen;

	if (len < sizeof(*c) || pkt_len < sizeof(*c))
		return SDP_DROP_TRUNCATED;
	hlen = sdp_hdr_len(c->type);
	if (!hlen)
		return SDP_DROP_BAD_TYPE;
	if (len < hlen || pkt_len < hlen)
		return SDP_DROP_TRUNCATED;
	if ((c->vflags >> 4) != SDP_VERSION || (c->vflags & 0x0f))
		return SDP_DROP_BAD_VERSION;
	if (c->doff != (hlen / 4) << 4 || c->reserved0 ||
	    (c->flags & ~SDP_F_FLAGS_KNOWN) || c->window || c->urgent)
		return SDP_DROP_BAD_HEADER;

	memset(pi, 0, sizeof(*pi));
	pi->type = c->type;
	pi->flags = c->flags;
	pi->epoch = c->epoch;
	pi->sport = be16_to_cpu(c->sport);
	pi->dport = be16_to_cpu(c->dport);
	pi->seq = be32_to_cpu(c->seq);
	pi->rpc_id = be64_to_cpu(c->rpc_id);
	pi->hdr_len = hlen;
	pi->payload_len = (u32)(pkt_len - hlen);

	if (!pi->rpc_id)
		return SDP_DROP_BAD_HEADER;

	switch (c->type) {
	case SDP_PKT_DATA: {
		const struct sdp_data_hdr *d = (const struct sdp_data_hdr *)buf;
		u64 wire;

		if (d->reserved1 || d->reserved2)
			return SDP_DROP_BAD_HEADER;
		pi->msg_len = be32_to_cpu(d->msg_len);
		pi->incoming = be32_to_cpu(d->incoming);
		pi->rec_plain = be16_to_cpu(d->rec_plain);
		if (pi->msg_len > SDP_MAX_MESSAGE_LEN)
			return SDP_DROP_BAD_LENGTH;
		/* Records exactly when a key epoch is in use. */
		if (!pi->epoch != !pi->rec_plain ||
		    pi->rec_plain > SDP_RECORD_PLAIN_MAX)
			return SDP_DROP_BAD_LENGTH;
		wire = sdp_wire_len(pi->msg_len, pi->rec_plain,
				    record_overhead);
		if (pi->payload_len == 0 && wire != 0)
			return SDP_DROP_BAD_LENGTH;
		if ((u64)pi->seq + pi->payload_len > wire)
			return SDP_DROP_BAD_OFFSET;
		if (pi->incoming > wire)
			pi->incoming = (u32)wire;
		break;
	}
	case SDP_PKT_GRANT: {
		const struct sdp_grant_hdr *g = (const struct sdp_grant_hdr *)buf;

		if (c->seq || g->reserved)
			return SDP_DROP_BAD_HEADER;
		pi->offset = be32_to_cpu(g->offset);
		break;
	}
	case SDP_PKT_RESEND: {
		const struct sdp_resend_hdr *r = (const struct sdp_resend_hdr *)buf;

		if (c->seq)
			return SDP_DROP_BAD_HEADER;
		pi->offset = be32_to_cpu(r->offset);
		pi->length = be32_to_cpu(r->length);
		if ((u64)pi->offset + pi->length > SDP_MAX_MESSAGE_LEN * 2ULL)
			return SDP_DROP_BAD_OFFSET;
		break;
	}
	case SDP_PKT_ACK: {
		const struct sdp_ack_hdr *a = (const struct sdp_ack_hdr *)buf;

		pi->ack_more = be64_to_cpu(a->more);
		if (c->seq || !sdp_ackset_valid(pi->rpc_id, pi->ack_more))
			return SDP_DROP_BAD_HEADER;
		break;
	}
	default:
		if (c->seq)
			return SDP_DROP_BAD_HEADER;
		break;
	}
	if (c->type != SDP_PKT_DATA) {
		const struct sdp_ctrl_trailer *t;

		if (pi->payload_len != (pi->epoch ? SDP_CTRL_TRAILER_LEN : 0))
			return SDP_DROP_BAD_LENGTH;
		if (!pi->epoch)
			return SDP_DROP_NONE;
		if (len < hlen + SDP_CTRL_TRAILER_LEN)
			return SDP_DROP_TRUNCATED;
		t = (const struct sdp_ctrl_trailer *)((const u8 *)buf + hlen);
		pi->ctrl_seq = be64_to_cpu(t->ctrl_seq);
		if (!(pi->ctrl_seq & SDP_CTRL_SEQ_BIT))
			return SDP_DROP_BAD_HEADER;
	}
	return SDP_DROP_NONE;
}

/* Fill the common header of a packet of 'type' (its doff from the type). */
static inline void sdp_build_common(struct sdp_common_hdr *c, u8 type,
				    u16 sport, u16 dport, u64 rpc_id,
				    u8 flags, u8 epoch, u32 seq)
{
	memset(c, 0, sizeof(*c));
	c->sport = cpu_to_be16(sport);
	c->dport = cpu_to_be16(dport);
	c->seq = cpu_to_be32(seq);
	c->vflags = SDP_VERSION << 4;
	c->flags = flags;
	c->epoch = epoch;
	c->doff = (u8)((sdp_hdr_len(type) / 4) << 4);
	c->type = type;
	c->rpc_id = cpu_to_be64(rpc_id);
}

#endif /* SDP_CODEC_H */
