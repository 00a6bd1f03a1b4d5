// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target: sdp_reasm against a one-byte-per-wire-byte model.
 *
 * Input: 2 bytes message length (big-endian, modulo MAX_LEN + 1), then
 * 5-byte operations:
 *   op & 3 == 0, 1: add [start, start + n)     (n may be 0 or run past len)
 *   op & 3 == 2:    range_complete(start, start + n)
 *   op & 3 == 3:    first_gap(limit = start)
 *   start = bytes 1..2, n = bytes 3..4 (big-endian); with op bit 2 set, n is
 *   taken modulo 16 so that small ranges (and so the gap limit) are common.
 * Any disagreement with the model, or a broken structural invariant,
 * aborts.
 */
#include <stdint.h>
#include <string.h>

#include "sdp_reasm.h"
#include "fuzz_check.h"

#define MAX_LEN 2048

struct model {
	u32 len;
	u32 received;
	u32 runs;		/* maximal runs of missing bytes */
	u8 got[MAX_LEN];
};

static int run_starts_at(const struct model *m, u32 i)
{
	return i < m->len && !m->got[i] && (i == 0 || m->got[i - 1]);
}

/* Missing runs after marking [s, e): only run starts in [s, e] change. */
static u32 runs_after(const struct model *m, u32 s, u32 e)
{
	u32 runs = m->runs, i;

	for (i = s; i <= e && i < m->len; i++)
		runs -= run_starts_at(m, i);
	/* After marking, no run starts inside [s, e); e may start one. */
	if (e < m->len && !m->got[e] && e > 0)
		runs++;
	return runs;
}

static u32 missing_in(const struct model *m, u32 s, u32 e)
{
	u32 n = 0, i;

	for (i = s; i < e; i++)
		n += !m->got[i];
	return n;
}

/* The gaps are exactly the model's missing runs. */
static void check_state(const struct sdp_reasm *r, const struct model *m)
{
	u32 i, b = 0, missing = 0;

	CHECK(r->len == m->len);
	CHECK(r->ngaps <= SDP_REASM_MAX_GAPS);
	CHECK(r->ngaps == m->runs);
	for (i = 0; i < r->ngaps; i++) {
		const struct sdp_gap *g = &r->gaps[i];

		CHECK(g->start < g->end && g->end <= r->len);
		CHECK(i == 0 || r->gaps[i - 1].end < g->start);
		for (; b < g->start; b++)
			CHECK(m->got[b]);
		for (; b < g->end; b++)
			CHECK(!m->got[b]);
		missing += g->end - g->start;
	}
	for (; b < m->len; b++)
		CHECK(m->got[b]);
	CHECK(r->received == r->len - missing);
	CHECK(r->received == m->received);
	CHECK(sdp_reasm_complete(r) == (m->received == m->len));
}

static void do_add(struct sdp_reasm *r, struct model *m, u32 s, u32 e)
{
	struct sdp_reasm before = *r;
	enum sdp_reasm_result res;
	u32 nb = 0xdeadbeef, want;

	res = sdp_reasm_add(r, s, e, &nb);
	if (s == 0 && e == 0 && m->len == 0) {
		CHECK(res == SDP_REASM_DUP && nb == 0);
		return;
	}
	if (s >= e || e > m->len) {
		CHECK(res == SDP_REASM_OUT_OF_RANGE && nb == 0);
		CHECK(!memcmp(&before, r, sizeof(before)));
		return;
	}
	want = missing_in(m, s, e);
	if (!want) {
		CHECK(res == SDP_REASM_DUP && nb == 0);
		CHECK(!memcmp(&before, r, sizeof(before)));
		return;
	}
	if (runs_after(m, s, e) > SDP_REASM_MAX_GAPS) {
		CHECK(res == SDP_REASM_TOO_MANY_GAPS && nb == 0);
		CHECK(!memcmp(&before, r, sizeof(before)));
		return;
	}
	CHECK(res == SDP_REASM_NEW && nb == want);
	m->runs = runs_after(m, s, e);
	memset(m->got + s, 1, e - s);
	m->received += want;
}

static void do_first_gap(const struct sdp_reasm *r, const struct model *m,
			 u32 limit)
{
	u32 s = 0, e = 0, i = 0;
	bool found = sdp_reasm_first_gap(r, limit, &s, &e);

	while (i < m->len && m->got[i])
		i++;
	if (i >= m->len || i >= limit) {
		CHECK(!found);
		return;
	}
	CHECK(found && s == i);
	while (i < m->len && i < limit && !m->got[i])
		i++;
	CHECK(e == i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model m;
	struct sdp_reasm r;
	size_t pos;

	if (size < 2)
		return 0;
	memset(&m, 0, sizeof(m));
	m.len = ((u32)data[0] << 8 | data[1]) % (MAX_LEN + 1);
	m.runs = m.len ? 1 : 0;
	memset(&r, 0xa5, sizeof(r));
	sdp_reasm_init(&r, m.len);
	check_state(&r, &m);

	for (pos = 2; pos + 5 <= size; pos += 5) {
		u8 op = data[pos];
		u32 s = (u32)data[pos + 1] << 8 | data[pos + 2];
		u32 n = (u32)data[pos + 3] << 8 | data[pos + 4];

		if (op & 4)
			n %= 16;
		switch (op & 3) {
		case 0:
		case 1:
			do_add(&r, &m, s, s + n);
			check_state(&r, &m);
			break;
		case 2:
			CHECK(sdp_reasm_range_complete(&r, s, s + n) ==
			      (s + n <= m.len && !missing_in(&m, s, s + n)));
			break;
		default:
			do_first_gap(&r, &m, s);
			break;
		}
	}
	return 0;
}
