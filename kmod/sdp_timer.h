/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-socket timer (sdp_timer.c) and the events that move an RPC's
 * probe schedule: a packet heard from the peer, progress made.
 */
#ifndef SDP_TIMER_H
#define SDP_TIMER_H

#include <linux/jiffies.h>
#include <linux/timer.h>

#include "sdp_sock.h"

void sdp_timer_fn(struct timer_list *t);

/* Make sure the socket's timer ticks (an RPC waits on its peer). */
static inline void sdp_timer_arm(struct sdp_sock *ssk)
{
	if (!timer_pending(&ssk->timer))
		mod_timer(&ssk->timer,
			  jiffies + max(1UL, msecs_to_jiffies(sdp_tick_ms)));
}

static inline unsigned long sdp_resend_jiffies(void)
{
	return max(1UL, msecs_to_jiffies(sdp_resend_ms));
}

/* The peer of this RPC is alive. */
static inline void sdp_rpc_heard(struct sdp_rpc *rpc)
{
	rpc->last_heard = jiffies;
}

/* The RPC made progress (or starts waiting): restart the probe backoff. */
static inline void sdp_rpc_progress(struct sdp_rpc *rpc)
{
	rpc->last_heard = jiffies;
	rpc->probes = 0;
	rpc->next_probe = jiffies + sdp_resend_jiffies();
}

#endif /* SDP_TIMER_H */
