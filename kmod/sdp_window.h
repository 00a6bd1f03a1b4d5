/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Sliding window over 64-bit ids, in the style of RFC 6479.
 *
 * Kernel-free: shared by the module, the host unit tests and the window
 * fuzzer. Used for the server's at-most-once request filter (one window of
 * RPC ids per client port) and for the replay window of a receive key.
 *
 * Checking and marking are separate calls on purpose: a replay window may
 * only move after the packet has been authenticated, so the receive path
 * calls sdp_window_check() early (cheap drop) and sdp_window_update() once
 * the packet is known to be genuine.
 *
 * Semantics, for any u64 id (the arithmetic never overflows):
 *   - before the first update every id is NEW;
 *   - id > top is NEW (top = the highest id ever marked);
 *   - id <= top with top - id >= SDP_WINDOW_SIZE is TOO_OLD;
 *   - otherwise id is SEEN if it was marked, NEW if not.
 * So the SDP_WINDOW_SIZE ids top - SDP_WINDOW_SIZE + 1 .. top are always
 * tracked exactly.
 *
 * Layout: a ring of SDP_WINDOW_BLOCKS 64-bit blocks, one bit per id, id's
 * bit being (id & 63) of the block that holds ids (id >> 6) * 64 .. + 63.
 * The SDP_WINDOW_SIZE tracked ids touch at most SDP_WINDOW_SIZE / 64 + 1
 * blocks, which is the ring size (RFC 6479: window + one block). Sliding
 * forward by d blocks clears the d blocks that come into use, all of them
 * when d is the ring size or more.
 *
 * The ring has 129 blocks, not a power of two, to keep the window at
 * 1 KiB; 'top_slot' remembers which ring slot holds top's block so slots
 * are found with small-number arithmetic and no 64-bit division.
 */
#ifndef SDP_WINDOW_H
#define SDP_WINDOW_H

#include "sdp_compat.h"

#define SDP_WINDOW_SIZE		8192	/* ids tracked behind the highest */
#define SDP_WINDOW_BLOCK_BITS	64
#define SDP_WINDOW_BLOCKS	(SDP_WINDOW_SIZE / SDP_WINDOW_BLOCK_BITS + 1)

struct sdp_window {
	u64 top;		/* highest id marked, valid if 'any' */
	u32 top_slot;		/* ring slot of top's block */
	bool any;		/* at least one id marked */
	u64 bits[SDP_WINDOW_BLOCKS];
};

enum sdp_window_result {
	SDP_WINDOW_NEW,		/* not seen: accept */
	SDP_WINDOW_SEEN,	/* already marked */
	SDP_WINDOW_TOO_OLD,	/* fell behind the window: treat as seen */
};

static inline void sdp_window_init(struct sdp_window *w)
{
	memset(w, 0, sizeof(*w));
}

/*
 * Ring slot of the block that holds 'id', for top - SDP_WINDOW_SIZE <
 * id <= top: then the block distance is at most SDP_WINDOW_BLOCKS - 1.
 */
static inline u32 sdp_window_slot(const struct sdp_window *w, u64 id)
{
	u32 back = (u32)((w->top / SDP_WINDOW_BLOCK_BITS) -
			 (id / SDP_WINDOW_BLOCK_BITS));

	return (w->top_slot + SDP_WINDOW_BLOCKS - back) % SDP_WINDOW_BLOCKS;
}

static inline u64 sdp_window_mask(u64 id)
{
	return 1ULL << (id % SDP_WINDOW_BLOCK_BITS);
}

/* Classify 'id' without changing anything. */
static inline enum sdp_window_result
sdp_window_check(const struct sdp_window *w, u64 id)
{
	if (!w->any || id > w->top)
		return SDP_WINDOW_NEW;
	if (w->top - id >= SDP_WINDOW_SIZE)
		return SDP_WINDOW_TOO_OLD;
	if (w->bits[sdp_window_slot(w, id)] & sdp_window_mask(id))
		return SDP_WINDOW_SEEN;
	return SDP_WINDOW_NEW;
}

/*
 * Classify 'id' and, when it is NEW, mark it, sliding the window forward
 * if id > top. Returns what sdp_window_check() would have returned.
 */
static inline enum sdp_window_result
sdp_window_update(struct sdp_window *w, u64 id)
{
	enum sdp_window_result res = sdp_window_check(w, id);
	u64 ahead;
	u32 i;

	if (res != SDP_WINDOW_NEW)
		return res;
	if (!w->any) {
		memset(w->bits, 0, sizeof(w->bits));
		w->top = id;
		w->top_slot = 0;
		w->any = true;
	} else if (id > w->top) {
		ahead = id / SDP_WINDOW_BLOCK_BITS -
			w->top / SDP_WINDOW_BLOCK_BITS;
		if (ahead >= SDP_WINDOW_BLOCKS) {
			memset(w->bits, 0, sizeof(w->bits));
			w->top_slot = 0;
		} else {
			for (i = 0; i < (u32)ahead; i++) {
				w->top_slot = (w->top_slot + 1) %
					      SDP_WINDOW_BLOCKS;
				w->bits[w->top_slot] = 0;
			}
		}
		w->top = id;
	}
	w->bits[sdp_window_slot(w, id)] |= sdp_window_mask(id);
	return SDP_WINDOW_NEW;
}

#endif /* SDP_WINDOW_H */
