/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * libFuzzer target: the receive side's assembly of one keyed message from
 * a sequence of genuine and forged DATA packets, with the module's rules
 * (sdp_in.c sdp_msgin_place() and sdp_msgin_open_records()):
 *   - a packet copies only the bytes sdp_reasm_next_missing() lists, then
 *     marks its range (sdp_reasm_add());
 *   - a record whose bytes are all there is opened: it authenticates iff
 *     its bytes are the genuine ones (the AEAD stand-in); a record that
 *     fails is marked missing again alone (sdp_reasm_unmark()), or, when
 *     no gap slot is left, all of the message is discarded.
 * Invariants, after every packet: an opened record's bytes are the
 * genuine ones and never change; no complete record stays unopened; the
 * tracker's structure holds; once the message is complete every byte is
 * genuine (what the application gets is what authenticated).
 *
 * Input: byte 0: records - 1 (mod 16), byte 1: record wire size - 8
 * (mod 57); then 4-byte packets: [0] bit 0 forged, bits 1..7 length,
 * [1..2] start (big-endian, mod wire length), [3] xor mask of forged bytes
 * (0 makes a "forged" packet carry the genuine bytes).
 */
#include <stdint.h>
#include <string.h>

#include "sdp_reasm.h"
#include "fuzz_check.h"

#define MAX_RECORDS 16
#define MAX_REC 64

static u8 genuine_byte(u32 i)
{
	return (u8)(i * 131 + (i >> 5) + 7);
}

struct msg {
	u32 nrec, rec, len;
	u8 buf[MAX_RECORDS * MAX_REC];
	int opened[MAX_RECORDS];
	struct sdp_reasm r;
};

static int record_genuine(const struct msg *m, u32 k)
{
	u32 i;

	for (i = k * m->rec; i < (k + 1) * m->rec; i++)
		if (m->buf[i] != genuine_byte(i))
			return 0;
	return 1;
}

static void open_records(struct msg *m, u32 start, u32 end)
{
	u32 k;

	for (k = start / m->rec; k < m->nrec && k * m->rec < end; k++) {
		u32 a = k * m->rec, b = a + m->rec;

		if (m->opened[k] || !sdp_reasm_range_complete(&m->r, a, b))
			continue;
		if (record_genuine(m, k)) {
			m->opened[k] = 1;
			continue;
		}
		if (sdp_reasm_unmark(&m->r, a, b) == SDP_REASM_TOO_MANY_GAPS) {
			/* The whole message is discarded. */
			sdp_reasm_init(&m->r, m->len);
			memset(m->opened, 0, sizeof(m->opened));
			return;
		}
		CHECK(!sdp_reasm_range_complete(&m->r, a, b));
	}
}

static void check(const struct msg *m)
{
	u32 k, i;

	CHECK(m->r.ngaps <= SDP_REASM_MAX_GAPS);
	for (i = 1; i < m->r.ngaps; i++)
		CHECK(m->r.gaps[i - 1].end < m->r.gaps[i].start);
	for (k = 0; k < m->nrec; k++) {
		u32 a = k * m->rec, b = a + m->rec;

		if (m->opened[k]) {
			CHECK(sdp_reasm_range_complete(&m->r, a, b));
			CHECK(record_genuine(m, k));
		} else {
			CHECK(!sdp_reasm_range_complete(&m->r, a, b));
		}
	}
	if (sdp_reasm_complete(&m->r))
		for (i = 0; i < m->len; i++)
			CHECK(m->buf[i] == genuine_byte(i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct msg m;
	size_t p;

	if (size < 2)
		return 0;
	memset(&m, 0, sizeof(m));
	m.nrec = data[0] % MAX_RECORDS + 1;
	m.rec = data[1] % (MAX_REC - 7) + 8;
	m.len = m.nrec * m.rec;
	sdp_reasm_init(&m.r, m.len);
	for (p = 2; p + 4 <= size; p += 4) {
		int forged = data[p] & 1;
		u32 n = (data[p] >> 1) + 1;
		u32 start = ((u32)data[p + 1] << 8 | data[p + 2]) % m.len;
		u32 end = start + n > m.len ? m.len : start + n;
		u32 from = start, ms, me, i;
		u8 opened_before[MAX_RECORDS * MAX_REC];

		memcpy(opened_before, m.buf, m.len);
		if (sdp_reasm_range_complete(&m.r, start, end))
			continue;	/* a duplicate: dropped */
		while (sdp_reasm_next_missing(&m.r, from, end, &ms, &me)) {
			CHECK(ms >= from && me <= end && ms < me);
			for (i = ms; i < me; i++)
				m.buf[i] = forged ? genuine_byte(i) ^ data[p + 3] :
					   genuine_byte(i);
			from = me;
		}
		/* Bytes that had arrived were not written. */
		for (i = start; i < end; i++)
			if (sdp_reasm_range_complete(&m.r, i, i + 1))
				CHECK(m.buf[i] == opened_before[i]);
		if (sdp_reasm_add(&m.r, start, end, NULL) != SDP_REASM_NEW)
			continue;
		open_records(&m, start, end);
		check(&m);
	}
	return 0;
}
