/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Which incoming messages the receiver grants to, and how far.
 *
 * Kernel-free: shared by the module and the host unit tests.
 *
 * Policy (SRPT over the messages that still need grants):
 *   1. Rank the incomplete candidates (received < len) by remaining bytes,
 *      len - received, shortest first; ties go to the lower index.
 *   2. Only the first 'overcommit' of them are granted to.
 *   3. Each of those wants target = min(len, received + window). A grant is
 *      raised only when target > granted, and only when the step is worth
 *      a packet: target - granted >= min_step, or target == len (the last
 *      grant of a message is always sent).
 *   4. All raises together stay within the budget
 *        max_incoming - sum over ALL candidates of (granted - received),
 *      clamped at 0 (a candidate that received more than it was granted
 *      counts 0): bytes granted but not yet received are bytes that may be
 *      in flight towards us. A raise costs what it newly allows in flight,
 *      target - max(granted, received), so the sum stays within
 *      max_incoming. Candidates are served in rank order; when the budget
 *      runs short a candidate gets a partial raise, provided it still moves
 *      its grant by at least min_step.
 *   5. A grant is never lowered.
 *
 * Cost: ranking keeps the best min(n, overcommit) indices in a sorted array
 * by insertion, O(n * overcommit) comparisons, at most 256 * 256; the stack
 * holds 256 bytes of indices. No allocation, no recursion.
 */
#ifndef SDP_GRANT_H
#define SDP_GRANT_H

#include "sdp_compat.h"

/* Candidates looked at per call; further ones are ignored. */
#define SDP_GRANT_MAX_CANDIDATES	256

struct sdp_grant_cand {
	u32 len;	/* wire bytes of the message */
	u32 received;	/* wire bytes received */
	u32 granted;	/* sender may send wire bytes below this */
	u32 new_grant;	/* output: the raised grant, 0 = no change */
};

struct sdp_grant_params {
	u32 window;		/* grant up to received + window */
	u32 overcommit;		/* messages granted to at once */
	u32 max_incoming;	/* cap on the sum of (granted - received) */
	u32 min_step;		/* smallest raise worth a packet */
};

static inline u32 sdp_grant_remaining(const struct sdp_grant_cand *c)
{
	return c->len - c->received;
}

/*
 * Set new_grant on every candidate (0 where the grant stays) and return the
 * number of candidates whose grant was raised. See the policy above.
 */
static inline unsigned int sdp_grant_compute(struct sdp_grant_cand *c,
					     unsigned int n,
					     const struct sdp_grant_params *p)
{
	u8 rank[SDP_GRANT_MAX_CANDIDATES];
	unsigned int i, k, nrank = 0, limit, raised = 0;
	u64 inflight = 0, budget, target, base;

	if (n > SDP_GRANT_MAX_CANDIDATES)
		n = SDP_GRANT_MAX_CANDIDATES;
	limit = p->overcommit < n ? p->overcommit : n;

	for (i = 0; i < n; i++) {
		c[i].new_grant = 0;
		if (c[i].granted > c[i].received)
			inflight += c[i].granted - c[i].received;
		if (c[i].received >= c[i].len || !limit)
			continue;
		/* Insert i into rank[0 .. nrank), keeping the best 'limit'. */
		k = nrank;
		if (k == limit) {
			if (sdp_grant_remaining(&c[rank[k - 1]]) <=
			    sdp_grant_remaining(&c[i]))
				continue;
			k--;
		} else {
			nrank++;
		}
		while (k && sdp_grant_remaining(&c[rank[k - 1]]) >
			    sdp_grant_remaining(&c[i])) {
			rank[k] = rank[k - 1];
			k--;
		}
		rank[k] = (u8)i;
	}
	budget = p->max_incoming > inflight ? p->max_incoming - inflight : 0;

	for (k = 0; k < nrank && budget; k++) {
		struct sdp_grant_cand *g = &c[rank[k]];

		target = (u64)g->received + p->window;
		if (target > g->len)
			target = g->len;
		if (target <= g->granted)
			continue;
		/* Bytes this raise newly allows in flight. */
		base = g->granted > g->received ? g->granted : g->received;
		if (target - base > budget)
			target = base + budget;
		if (target - g->granted < p->min_step && target != g->len)
			continue;
		g->new_grant = (u32)target;
		budget -= target - base;
		raised++;
	}
	return raised;
}

#endif /* SDP_GRANT_H */
