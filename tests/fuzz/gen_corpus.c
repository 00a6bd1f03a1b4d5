// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Writes the seed corpora in tests/fuzz/corpus/<target>/ (committed; run
 * again with `tests/fuzz/run.sh --gen-corpus` when an input format
 * changes). The input formats are described in each fuzz_*.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdp_codec.h"

static const char *outdir;

static void put(const char *target, const char *name, const u8 *b, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(b, 1, n, f) != n || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* parse_header input: flags, 3-byte extra L4 length, header bytes. */
static void header(const char *name, u8 type, u8 epoch, u32 seq, u32 extra,
		   void (*fill)(u8 *hdr))
{
	u8 b[4 + 64];
	unsigned int hlen = sdp_hdr_len(type);

	memset(b, 0, sizeof(b));
	b[0] = epoch ? 1 : 0;
	b[1] = (u8)(extra >> 16);
	b[2] = (u8)(extra >> 8);
	b[3] = (u8)extra;
	sdp_build_common((struct sdp_common_hdr *)(b + 4), type, 40000, 7000,
			 0x1234, type == SDP_PKT_DATA ? 0 : SDP_F_FROM_SERVER,
			 epoch, seq);
	if (fill)
		fill(b + 4);
	put("parse_header", name, b, 4 + hlen);
}

/* A control packet under a key: header, ctrl_seq, a (wrong) GMAC tag. */
static void ctrl_keyed(const char *name, u8 type)
{
	u8 b[4 + 64];
	unsigned int hlen = sdp_hdr_len(type);
	struct sdp_ctrl_trailer *t;

	memset(b, 0, sizeof(b));
	b[0] = 1;
	sdp_build_common((struct sdp_common_hdr *)(b + 4), type, 40000, 7000,
			 0x1234, SDP_F_FROM_SERVER, 3, 0);
	t = (struct sdp_ctrl_trailer *)(b + 4 + hlen);
	t->ctrl_seq = cpu_to_be64(SDP_CTRL_SEQ_BIT | 77);
	memset(t->tag, 0xa5, sizeof(t->tag));
	put("parse_header", name, b, 4 + hlen + SDP_CTRL_TRAILER_LEN);
}

static void fill_data_plain(u8 *h)
{
	struct sdp_data_hdr *d = (struct sdp_data_hdr *)h;

	d->msg_len = cpu_to_be32(100000);
	d->incoming = cpu_to_be32(65536);
}

static void fill_data_keyed(u8 *h)
{
	struct sdp_data_hdr *d = (struct sdp_data_hdr *)h;

	d->msg_len = cpu_to_be32(50000);
	d->incoming = cpu_to_be32(20000);
	d->rec_plain = cpu_to_be16(16384);
}

static void fill_grant(u8 *h)
{
	((struct sdp_grant_hdr *)h)->offset = cpu_to_be32(131072);
}

static void fill_resend(u8 *h)
{
	struct sdp_resend_hdr *r = (struct sdp_resend_hdr *)h;

	r->offset = cpu_to_be32(1448);
	r->length = cpu_to_be32(2896);
}

static void fill_bad_version(u8 *h)
{
	h[8] = 2 << 4;
}

/* reasm input: 2-byte length, then ops {op, be16 start, be16 n}. */
struct reasm_seq {
	u8 b[2 + 5 * 200];
	size_t n;
};

static void reasm_begin(struct reasm_seq *s, u16 len)
{
	s->b[0] = (u8)(len >> 8);
	s->b[1] = (u8)len;
	s->n = 2;
}

static void reasm_op(struct reasm_seq *s, u8 op, u16 start, u16 n)
{
	u8 *p = s->b + s->n;

	p[0] = op;
	p[1] = (u8)(start >> 8);
	p[2] = (u8)start;
	p[3] = (u8)(n >> 8);
	p[4] = (u8)n;
	s->n += 5;
}

static void gen_reasm(void)
{
	struct reasm_seq s;
	int i;

	reasm_begin(&s, 2000);
	for (i = 0; i < 2000; i += 400)
		reasm_op(&s, 0, (u16)i, 400);
	reasm_op(&s, 3, 2000, 0);
	put("reasm", "in_order", s.b, s.n);

	reasm_begin(&s, 2000);
	for (i = 2000 - 250; i >= 0; i -= 250) {
		reasm_op(&s, 0, (u16)i, 250);
		reasm_op(&s, 2, (u16)i, 250);
	}
	put("reasm", "reverse", s.b, s.n);

	/* Every other byte: runs into the gap limit. */
	reasm_begin(&s, 300);
	for (i = 1; i < 300 && s.n + 5 <= sizeof(s.b); i += 2)
		reasm_op(&s, 4, (u16)i, 1);
	reasm_op(&s, 3, 150, 0);
	reasm_op(&s, 0, 0, 300);
	put("reasm", "gap_limit", s.b, s.n);

	reasm_begin(&s, 1000);
	reasm_op(&s, 0, 100, 200);
	reasm_op(&s, 0, 500, 100);
	reasm_op(&s, 0, 50, 600);	/* straddles both */
	reasm_op(&s, 0, 100, 200);	/* duplicate */
	reasm_op(&s, 0, 900, 200);	/* past the end */
	reasm_op(&s, 3, 1000, 0);
	put("reasm", "overlaps", s.b, s.n);

	reasm_begin(&s, 0);
	reasm_op(&s, 0, 0, 0);
	reasm_op(&s, 2, 0, 0);
	reasm_op(&s, 3, 0, 0);
	put("reasm", "empty", s.b, s.n);
}

/* window input: ops {op, arg (2 or 8 bytes, big-endian)}. */
struct window_seq {
	u8 b[1024];
	size_t n;
};

static void window_op(struct window_seq *s, u8 op, u64 a)
{
	int bytes = (op & 2) ? 8 : 2;

	s->b[s->n++] = op;
	while (bytes--)
		s->b[s->n++] = (u8)(a >> (8 * bytes));
}

static void gen_window(void)
{
	struct window_seq s;
	int i;

	s.n = 0;
	window_op(&s, 3, 1);
	for (i = 0; i < 100; i++)
		window_op(&s, 0, 1);
	window_op(&s, 1, 50);
	window_op(&s, 1, 50);
	put("window", "sequential", s.b, s.n);

	s.n = 0;
	window_op(&s, 3, 100000);
	window_op(&s, 1, 8191);
	window_op(&s, 1, 1);
	window_op(&s, 0, 8192);
	window_op(&s, 1, 8192);
	window_op(&s, 4, 0);
	put("window", "edges", s.b, s.n);

	s.n = 0;
	window_op(&s, 3, 64 * 129 - 1);
	window_op(&s, 2, 64 * 128);
	window_op(&s, 2, 64 * 129);
	window_op(&s, 2, 1ULL << 40);
	window_op(&s, 1, 100);
	window_op(&s, 3, (1ULL << 63) - 1);
	window_op(&s, 2, 1ULL << 63);
	put("window", "jumps", s.b, s.n);
}

int main(int argc, char **argv)
{
	u8 junk[4 + 28];

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];

	header("data_plain", SDP_PKT_DATA, 0, 2896, 1448, fill_data_plain);
	header("data_keyed", SDP_PKT_DATA, 1, 16413, 16413, fill_data_keyed);
	header("data_empty", SDP_PKT_DATA, 0, 0, 0, NULL);
	header("grant", SDP_PKT_GRANT, 0, 0, 0, fill_grant);
	header("resend", SDP_PKT_RESEND, 0, 0, 0, fill_resend);
	header("unknown", SDP_PKT_UNKNOWN, 0, 0, 0, NULL);
	header("busy", SDP_PKT_BUSY, 0, 0, 0, NULL);
	header("need_ack", SDP_PKT_NEED_ACK, 0, 0, 0, NULL);
	header("ack", SDP_PKT_ACK, 2, 0, 0, NULL);
	header("bad_version", SDP_PKT_ACK, 0, 0, 0, fill_bad_version);
	ctrl_keyed("grant_keyed", SDP_PKT_GRANT);
	ctrl_keyed("busy_keyed", SDP_PKT_BUSY);
	memset(junk, 0, sizeof(junk));
	put("parse_header", "zeros", junk, sizeof(junk));

	gen_reasm();
	gen_window();
	return 0;
}
