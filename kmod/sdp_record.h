/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * TLS 1.2 AES-GCM record framing of an SDP message and the
 * per-message record sequence numbers. Kernel-free: shared by the module,
 * the host unit tests (checked against OpenSSL) and the sdp-decrypt tool.
 *
 * A message of msg_len plaintext bytes is cut into records of at most
 * rec_plain application bytes. Record k carries, encrypted, a 16-byte framing
 * header {be64 rpc_id, be32 msg_offset, be32 msg_len} and app bytes
 * [k*rec_plain, ...): the tag thus binds every record to its RPC, its place
 * and the message length, none of which the TLS AAD covers.
 *
 *   17 03 03 | len (be16) | seq (be64, explicit nonce) | ciphertext | tag
 *      5 bytes header        8 bytes                     8 + app     16
 *
 *   len   = 8 + 16 + app + 16 (TLS: explicit nonce + ciphertext + tag)
 *   seq   = message ID (48 bits, < 2^47) << 16 | record index k (16 bits)
 *   nonce = salt (4 bytes) || seq (8 bytes, big-endian)
 *   AAD   = seq (8) || 0x17 || 0x03 0x03 || plaintext length (be16)
 *
 * Records follow each other in the message's wire stream with no gap:
 * record k starts at wire offset k * (rec_plain + SDP_RECORD_OVERHEAD).
 *
 * Control packets sent under a key end in a 24-byte trailer
 * {be64 ctrl_seq, 16-byte tag}: the tag is AES-GCM over an empty plaintext
 * (GMAC) with nonce salt || ctrl_seq and AAD = every SDP byte before the
 * tag with the 'check' field read as zero. ctrl_seq has its top bit set and
 * record sequence numbers have it clear (message ids < 2^47), so the two
 * uses of one key never share a nonce.
 */
#ifndef SDP_RECORD_H
#define SDP_RECORD_H

#include "sdp_compat.h"
#include "sdp_wire.h"

struct sdp_record_geom {
	u32 index;
	u32 wire_off;	/* first byte of the record header in the stream */
	u32 wire_len;	/* whole record */
	u32 app_off;	/* message offset of its first application byte */
	u32 app_len;	/* application bytes in it */
};

/* Number of records of a message (an empty message has one, empty). */
static inline u32 sdp_record_count(u32 msg_len, u32 rec_plain)
{
	if (!rec_plain)
		return 0;
	return msg_len ? (u32)(((u64)msg_len + rec_plain - 1) / rec_plain) : 1;
}

/* Can a message of msg_len bytes be framed with records of rec_plain? */
static inline bool sdp_record_fits(u32 msg_len, u32 rec_plain)
{
	return rec_plain && rec_plain <= SDP_RECORD_PLAIN_MAX &&
	       sdp_record_count(msg_len, rec_plain) <= SDP_RECORDS_PER_MSG;
}

static inline bool sdp_record_locate(u32 msg_len, u32 rec_plain, u32 index,
				     struct sdp_record_geom *g)
{
	u32 n = sdp_record_count(msg_len, rec_plain);

	if (index >= n)
		return false;
	g->index = index;
	g->app_off = index * rec_plain;
	g->app_len = msg_len - g->app_off < rec_plain ? msg_len - g->app_off
						    : rec_plain;
	g->wire_off = index * (rec_plain + SDP_RECORD_OVERHEAD);
	g->wire_len = g->app_len + SDP_RECORD_OVERHEAD;
	return true;
}

/* The record whose bytes contain wire offset 'off'. */
static inline u32 sdp_record_index_at(u32 off, u32 rec_plain)
{
	return off / (rec_plain + SDP_RECORD_OVERHEAD);
}

static inline u64 sdp_record_seq(u64 msg_id, u32 index)
{
	return (msg_id << SDP_REC_INDEX_BITS) | (index & 0xffff);
}

/* Unaligned big-endian 64-bit fields of records and packets. */
static inline void sdp_put_be64(u8 *p, u64 v)
{
	__be64 b = cpu_to_be64(v);

	memcpy(p, &b, sizeof(b));
}

static inline u64 sdp_get_be64(const u8 *p)
{
	__be64 b;

	memcpy(&b, p, sizeof(b));
	return be64_to_cpu(b);
}

/* GCM IV: salt || seq. */
static inline void sdp_record_iv(u8 iv[SDP_GCM_IV_LEN],
				 const u8 salt[SDP_SALT_LEN], u64 seq)
{
	memcpy(iv, salt, SDP_SALT_LEN);
	sdp_put_be64(iv + SDP_SALT_LEN, seq);
}

/* TLS 1.2 additional data for a record of plain_len plaintext bytes. */
static inline void sdp_record_aad(u8 aad[13], u64 seq, u32 plain_len)
{
	sdp_put_be64(aad, seq);
	aad[8] = SDP_TLS_APPLICATION_DATA;
	aad[9] = 0x03;
	aad[10] = 0x03;
	aad[11] = (u8)(plain_len >> 8);
	aad[12] = (u8)plain_len;
}

/* Record header + explicit nonce (13 bytes) for app_len application bytes. */
static inline void sdp_record_prefix(u8 p[SDP_RECORD_PREFIX], u64 seq,
				     u32 app_len)
{
	u32 len = SDP_TLS_NONCE_LEN + SDP_FRAME_LEN + app_len + SDP_TLS_TAG_LEN;

	p[0] = SDP_TLS_APPLICATION_DATA;
	p[1] = 0x03;
	p[2] = 0x03;
	p[3] = (u8)(len >> 8);
	p[4] = (u8)len;
	sdp_put_be64(p + SDP_TLS_HDR_LEN, seq);
}

/*
 * Top bit of the framing header's length word: the record belongs to a
 * response. Messages are at most 16 MiB, so the bit is free; it binds the
 * direction, so a request record can never open as a response (or the
 * reverse) even under a key shared by both directions.
 */
#define SDP_FRAME_RESPONSE	0x80000000U

/* Framing header that starts every record's plaintext. */
static inline void sdp_record_frame(u8 f[SDP_FRAME_LEN], u64 rpc_id,
				    u32 app_off, u32 msg_len, bool response)
{
	u32 w = msg_len | (response ? SDP_FRAME_RESPONSE : 0);
	u32 i;

	sdp_put_be64(f, rpc_id);
	for (i = 0; i < 4; i++) {
		f[8 + i] = (u8)(app_off >> (24 - 8 * i));
		f[12 + i] = (u8)(w >> (24 - 8 * i));
	}
}

/* ---- control packet authentication ---- */

/* SDP_CTRL_* wire constants: sdp_wire.h. */
/* Wire value of the n-th control packet under a key. */
static inline u64 sdp_ctrl_seq(u64 n)
{
	return SDP_CTRL_SEQ_BIT | n;
}

/* Counter of a wire ctrl_seq; false if it is not a control sequence. */
static inline bool sdp_ctrl_seq_counter(u64 seq, u64 *n)
{
	*n = seq & ~SDP_CTRL_SEQ_BIT;
	return seq & SDP_CTRL_SEQ_BIT;
}

/*
 * Check a received record prefix against what the receiver expects for
 * record g of message msg_id. Returns false if anything differs.
 */
static inline bool sdp_record_prefix_ok(const u8 p[SDP_RECORD_PREFIX],
					const struct sdp_record_geom *g,
					u64 msg_id)
{
	u8 want[SDP_RECORD_PREFIX];

	sdp_record_prefix(want, sdp_record_seq(msg_id, g->index), g->app_len);
	return !memcmp(p, want, sizeof(want));
}

#endif /* SDP_RECORD_H */
