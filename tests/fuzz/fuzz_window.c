// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target: sdp_window against a shift-register model.
 *
 * The model keeps one byte per id of the guaranteed window, indexed by age
 * (top - id) and shifted with memmove() when top moves: a different
 * mechanism from the ring under test, with the same specification.
 *
 * Input: 1-byte operations, each followed by its argument:
 *   op & 3 == 0: id = top + a            a: 2 bytes (forward, small)
 *   op & 3 == 1: id = top - a            a: 2 bytes (backward, crosses SIZE)
 *   op & 3 == 2: id = top + a            a: 8 bytes (any jump, may wrap)
 *   op & 3 == 3: id = a                  a: 8 bytes (absolute)
 *   op & 4:      check only (an unauthenticated packet), else update
 * All arithmetic is modulo 2^64, as for ids taken from the wire.
 */
#include <stdint.h>
#include <string.h>

#include "sdp_window.h"
#include "fuzz_check.h"

struct model {
	bool any;
	u64 top;
	u8 seen[SDP_WINDOW_SIZE];	/* seen[a]: id top - a was marked */
};

static enum sdp_window_result model_check(const struct model *m, u64 id)
{
	if (!m->any || id > m->top)
		return SDP_WINDOW_NEW;
	if (m->top - id >= SDP_WINDOW_SIZE)
		return SDP_WINDOW_TOO_OLD;
	return m->seen[m->top - id] ? SDP_WINDOW_SEEN : SDP_WINDOW_NEW;
}

static void model_mark(struct model *m, u64 id)
{
	u64 d;

	if (!m->any) {
		memset(m->seen, 0, sizeof(m->seen));
		m->any = true;
		m->top = id;
	} else if (id > m->top) {
		d = id - m->top;
		if (d >= SDP_WINDOW_SIZE) {
			memset(m->seen, 0, sizeof(m->seen));
		} else {
			memmove(m->seen + d, m->seen, SDP_WINDOW_SIZE - d);
			memset(m->seen, 0, d);
		}
		m->top = id;
	}
	m->seen[m->top - id] = 1;
}

static u64 take(const uint8_t *p, size_t n)
{
	u64 v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model m;
	static struct sdp_window w;
	size_t pos = 0;

	memset(&m, 0, sizeof(m));
	memset(&w, 0x5a, sizeof(w));
	sdp_window_init(&w);

	while (pos < size) {
		u8 op = data[pos++];
		size_t alen = (op & 2) ? 8 : 2;
		enum sdp_window_result want, got;
		u64 a, id;

		if (pos + alen > size)
			break;
		a = take(data + pos, alen);
		pos += alen;
		switch (op & 3) {
		case 0:
		case 2:
			id = m.top + a;
			break;
		case 1:
			id = m.top - a;
			break;
		default:
			id = a;
			break;
		}
		want = model_check(&m, id);
		CHECK(sdp_window_check(&w, id) == want);
		if (op & 4)
			continue;
		got = sdp_window_update(&w, id);
		CHECK(got == want);
		if (want == SDP_WINDOW_NEW)
			model_mark(&m, id);
		CHECK(w.any == m.any);
		CHECK(!m.any || w.top == m.top);
		CHECK(sdp_window_check(&w, id) != SDP_WINDOW_NEW);
	}
	/* Sweep the whole window and its edges once at the end. */
	if (m.any) {
		u64 age;

		for (age = 0; age <= SDP_WINDOW_SIZE + 64; age++)
			CHECK(sdp_window_check(&w, m.top - age) ==
			      model_check(&m, m.top - age));
		CHECK(sdp_window_check(&w, m.top + 1) == SDP_WINDOW_NEW ||
		      m.top == ~0ULL);
	}
	return 0;
}
