/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Which wire bytes [0, len) of one incoming message are here.
 *
 * Kernel-free: shared by the module's receive path, the host unit tests and
 * the reassembly fuzzer. The tracker does not hold data, only ranges.
 *
 * It keeps the *missing* ranges ("gaps"): sorted by start, disjoint, never
 * empty, never adjacent, all inside [0, len). A fresh tracker has the one
 * gap [0, len); the message is complete when no gap is left. In-order
 * arrival keeps a single gap, so the common case costs almost nothing, and
 * the state has a fixed size: a packet that would need more than
 * SDP_REASM_MAX_GAPS gaps is refused and the tracker is left as it was (the
 * caller drops the packet and the sender sends those bytes again later).
 *
 * Every call is O(ngaps): one linear scan plus at most one memmove().
 */
#ifndef SDP_REASM_H
#define SDP_REASM_H

#include "sdp_compat.h"

#define SDP_REASM_MAX_GAPS	64

struct sdp_gap {
	u32 start;	/* first missing byte */
	u32 end;	/* one past the last missing byte */
};

struct sdp_reasm {
	u32 len;	/* wire bytes of the message */
	u32 received;	/* bytes of [0, len) marked received */
	u32 ngaps;	/* gaps[0 .. ngaps) are valid */
	struct sdp_gap gaps[SDP_REASM_MAX_GAPS];
};

enum sdp_reasm_result {
	SDP_REASM_NEW,		/* at least one byte was missing */
	SDP_REASM_DUP,		/* every byte was already here */
	SDP_REASM_OUT_OF_RANGE,	/* empty range or beyond len */
	SDP_REASM_TOO_MANY_GAPS,	/* refused, tracker unchanged */
};

static inline void sdp_reasm_init(struct sdp_reasm *r, u32 len)
{
	r->len = len;
	r->received = 0;
	r->ngaps = 0;
	if (len) {
		r->gaps[0].start = 0;
		r->gaps[0].end = len;
		r->ngaps = 1;
	}
}

static inline bool sdp_reasm_complete(const struct sdp_reasm *r)
{
	return r->ngaps == 0;
}

/* Index of the first gap that ends after 'off' (ngaps if there is none). */
static inline u32 sdp_reasm_find(const struct sdp_reasm *r, u32 off)
{
	u32 i;

	for (i = 0; i < r->ngaps; i++)
		if (r->gaps[i].end > off)
			break;
	return i;
}

/*
 * Mark [start, end) received.
 *
 * Returns SDP_REASM_NEW with *new_bytes = the number of bytes that were
 * missing, SDP_REASM_DUP when none was, SDP_REASM_OUT_OF_RANGE when
 * end > len or start >= end, and SDP_REASM_TOO_MANY_GAPS when marking the
 * range would split a gap while SDP_REASM_MAX_GAPS are in use. Partial
 * overlaps with received bytes are fine: only the missing part counts.
 *
 * The one empty range that is accepted is [0, 0) on an empty message
 * (len == 0): it is what the single DATA packet of an empty message
 * carries, and it answers SDP_REASM_DUP (the message was complete from the
 * start). Any other empty range is SDP_REASM_OUT_OF_RANGE.
 *
 * *new_bytes (which may be NULL) is 0 for every result but SDP_REASM_NEW.
 * On any result but SDP_REASM_NEW the tracker is unchanged.
 */
static inline enum sdp_reasm_result
sdp_reasm_add(struct sdp_reasm *r, u32 start, u32 end, u32 *new_bytes)
{
	struct sdp_gap keep[2];
	u32 i, j, nkeep = 0, fresh = 0;

	if (new_bytes)
		*new_bytes = 0;
	if (start == 0 && end == 0 && r->len == 0)
		return SDP_REASM_DUP;
	if (start >= end || end > r->len)
		return SDP_REASM_OUT_OF_RANGE;

	/* Gaps i .. j-1 are the ones that intersect [start, end). */
	i = sdp_reasm_find(r, start);
	for (j = i; j < r->ngaps; j++) {
		if (r->gaps[j].start >= end)
			break;
		fresh += r->gaps[j].end - r->gaps[j].start;
	}
	if (i == j)
		return SDP_REASM_DUP;

	/* What survives of the first and the last of them. */
	if (r->gaps[i].start < start) {
		keep[nkeep].start = r->gaps[i].start;
		keep[nkeep].end = start;
		fresh -= start - r->gaps[i].start;
		nkeep++;
	}
	if (r->gaps[j - 1].end > end) {
		keep[nkeep].start = end;
		keep[nkeep].end = r->gaps[j - 1].end;
		fresh -= r->gaps[j - 1].end - end;
		nkeep++;
	}
	if (r->ngaps - (j - i) + nkeep > SDP_REASM_MAX_GAPS)
		return SDP_REASM_TOO_MANY_GAPS;

	/* Replace gaps[i .. j) by keep[0 .. nkeep). */
	if (j - i != nkeep)
		memmove(&r->gaps[i + nkeep], &r->gaps[j],
			(r->ngaps - j) * sizeof(r->gaps[0]));
	if (nkeep)
		memcpy(&r->gaps[i], keep, nkeep * sizeof(keep[0]));
	r->ngaps = r->ngaps - (j - i) + nkeep;
	r->received += fresh;
	if (new_bytes)
		*new_bytes = fresh;
	return SDP_REASM_NEW;
}

/*
 * True when every byte of [start, end) has been received. An empty range
 * inside the message is trivially complete; a range that reaches beyond
 * len, or has start > end, is not.
 */
static inline bool sdp_reasm_range_complete(const struct sdp_reasm *r,
					    u32 start, u32 end)
{
	u32 i;

	if (start > end || end > r->len)
		return false;
	if (start == end)
		return true;
	i = sdp_reasm_find(r, start);
	return i == r->ngaps || r->gaps[i].start >= end;
}

/*
 * The first missing range that intersects [from, end), clipped to it:
 * what of a packet carrying [from, end) may be copied in. Bytes outside
 * the gaps arrived before and are never written again (a record may
 * already hold its decrypted plaintext there). Iterate with from = *me.
 * False when nothing of [from, end) is missing.
 */
static inline bool sdp_reasm_next_missing(const struct sdp_reasm *r, u32 from,
					  u32 end, u32 *ms, u32 *me)
{
	u32 i;

	if (from >= end)
		return false;
	i = sdp_reasm_find(r, from);
	if (i == r->ngaps || r->gaps[i].start >= end)
		return false;
	*ms = r->gaps[i].start > from ? r->gaps[i].start : from;
	*me = r->gaps[i].end < end ? r->gaps[i].end : end;
	return true;
}

/*
 * Mark [start, end) missing again: the bytes of a record that failed
 * authentication are discarded and must be received anew, while every
 * other byte stays. Merges with overlapping and adjacent gaps.
 *
 * Returns SDP_REASM_NEW (some byte of the range had been received),
 * SDP_REASM_DUP (all of it was missing already), SDP_REASM_OUT_OF_RANGE
 * (empty or beyond len) or SDP_REASM_TOO_MANY_GAPS (the range lies inside
 * received bytes and SDP_REASM_MAX_GAPS gaps are in use; tracker
 * unchanged: the caller must discard more).
 */
static inline enum sdp_reasm_result
sdp_reasm_unmark(struct sdp_reasm *r, u32 start, u32 end)
{
	u32 i, j, s = start, e = end, missing = 0;

	if (start >= end || end > r->len)
		return SDP_REASM_OUT_OF_RANGE;
	/* Gaps i .. j-1 overlap or touch [start, end). */
	for (i = 0; i < r->ngaps && r->gaps[i].end < start; i++)
		;
	for (j = i; j < r->ngaps && r->gaps[j].start <= end; j++) {
		u32 os = r->gaps[j].start > start ? r->gaps[j].start : start;
		u32 oe = r->gaps[j].end < end ? r->gaps[j].end : end;

		if (oe > os)
			missing += oe - os;
		if (r->gaps[j].start < s)
			s = r->gaps[j].start;
		if (r->gaps[j].end > e)
			e = r->gaps[j].end;
	}
	if (missing == end - start)
		return SDP_REASM_DUP;
	if (i == j && r->ngaps == SDP_REASM_MAX_GAPS)
		return SDP_REASM_TOO_MANY_GAPS;
	/* Replace gaps[i .. j) by the one gap [s, e). */
	if (j - i != 1)
		memmove(&r->gaps[i + 1], &r->gaps[j],
			(r->ngaps - j) * sizeof(r->gaps[0]));
	r->gaps[i].start = s;
	r->gaps[i].end = e;
	r->ngaps = r->ngaps - (j - i) + 1;
	r->received -= (end - start) - missing;
	return SDP_REASM_NEW;
}

/*
 * The first missing range, clipped to [0, limit): what a RESEND asks for
 * when only bytes below 'limit' (the grant) may have been sent. False when
 * nothing below 'limit' is missing.
 */
static inline bool sdp_reasm_first_gap(const struct sdp_reasm *r, u32 limit,
				       u32 *start, u32 *end)
{
	if (!r->ngaps || r->gaps[0].start >= limit)
		return false;
	*start = r->gaps[0].start;
	*end = r->gaps[0].end < limit ? r->gaps[0].end : limit;
	return true;
}

#endif /* SDP_REASM_H */
