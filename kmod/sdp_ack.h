/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The set of RPC ids one ACK packet acknowledges.
 *
 * Kernel-free: shared by the module, the host unit tests and the codec.
 * An ACK names its highest RPC id in the common header ('top') and the 64
 * ids below it in a bitmap ('more'): bit i set acknowledges top - 1 - i.
 * A client's request ids to one server are usually close together (one
 * counter per socket), so one ACK packet completes up to 65 RPCs.
 *
 * The client collects the ids of responses it has received per server
 * (address and port) in one set and sends the set as one ACK at the next
 * timer tick, when a new id does not fit, or when the socket closes
 * (docs/PROTOCOL.md, "ACK").
 */
#ifndef SDP_ACK_H
#define SDP_ACK_H

#include "sdp_compat.h"

#define SDP_ACK_MORE_BITS	64

struct sdp_ackset {
	u64 top;	/* highest id; 0 = empty set */
	u64 more;	/* bit i: id top - 1 - i */
};

static inline void sdp_ackset_init(struct sdp_ackset *s)
{
	s->top = 0;
	s->more = 0;
}

static inline bool sdp_ackset_empty(const struct sdp_ackset *s)
{
	return !s->top;
}

/*
 * Add id (> 0) to the set. Returns false, leaving the set unchanged, when
 * id cannot be represented with the ids already in it (more than 64 away
 * from the others): the caller sends the set and starts a new one.
 * Adding an id already in the set changes nothing.
 */
static inline bool sdp_ackset_add(struct sdp_ackset *s, u64 id)
{
	u64 d;

	if (!id)
		return false;
	if (!s->top) {
		s->top = id;
		s->more = 0;
		return true;
	}
	if (id == s->top)
		return true;
	if (id < s->top) {
		d = s->top - id;	/* 1 .. : bit d - 1 */
		if (d > SDP_ACK_MORE_BITS)
			return false;
		s->more |= 1ULL << (d - 1);
		return true;
	}
	/* id > top: old top becomes bit d - 1, old bits shift up by d. */
	d = id - s->top;
	if (d > SDP_ACK_MORE_BITS)
		return false;
	/* An old id must not fall off the bitmap. */
	if (d == SDP_ACK_MORE_BITS ? s->more != 0 :
	    (s->more >> (SDP_ACK_MORE_BITS - d)) != 0)
		return false;
	s->more = d == SDP_ACK_MORE_BITS ? 0 : s->more << d;
	s->more |= 1ULL << (d - 1);
	s->top = id;
	return true;
}

/*
 * Is a received (top, more) well formed: every id it names is > 0?
 * (top itself is checked non-zero like every RPC id.)
 */
static inline bool sdp_ackset_valid(u64 top, u64 more)
{
	if (!top)
		return false;
	if (top > SDP_ACK_MORE_BITS)
		return true;
	/* Bits i with top - 1 - i <= 0, i.e. i >= top - 1, must be clear. */
	return !(more >> (top - 1));
}

#endif /* SDP_ACK_H */
