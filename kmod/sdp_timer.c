// SPDX-License-Identifier: GPL-2.0
/*
 * Per-socket timer: asks for missing data (RESEND), checks
 * that the peer of an RPC is alive, and gives up on silent peers.
 *
 * Every tick (tick_ms) the timer looks at each RPC that waits on its peer.
 * It asks the peer resend_ms after the RPC last made progress, then again
 * after 2, 4, ... 32 times resend_ms (the backoff restarts when new data or
 * a grant arrives, not on BUSY):
 *   - receiving a message: RESEND for the first missing range (or the
 *     current GRANT again when everything granted has arrived);
 *   - client waiting for a response: RESEND(0, unsched) - the server
 *     answers with data, BUSY (still working) or UNKNOWN (lost request);
 *   - server that sent its whole response: NEED_ACK.
 * When no packet at all has come from the peer for timeout_ms (BUSY counts),
 * a client RPC fails with ETIMEDOUT and a server RPC is freed. Times are
 * kept in jiffies, so a late timer does not stretch them.
 */
#include <linux/timer.h>
#include <linux/jiffies.h>

#include "sdp_sock.h"
#include "sdp_out.h"
#include "sdp_timer.h"

static void sdp_ask_for_data(struct sdp_sock *ssk, struct sdp_rpc *rpc,
			     struct sk_buff_head *q)
{
	struct sdp_msgin *in = rpc->in;
	u32 start, end;

	if (!in) {
		sdp_queue_ctrl(ssk, rpc, SDP_PKT_RESEND, 0,
			       max(sdp_unsched_bytes, SDP_GRANT_WINDOW_MIN),
			       q);
		return;
	}
	if (sdp_reasm_first_gap(&in->reasm, in->granted, &start, &end))
		sdp_queue_ctrl(ssk, rpc, SDP_PKT_RESEND, start, end - start, q);
	else
		sdp_queue_ctrl(ssk, rpc, SDP_PKT_GRANT, in->granted, 0, q);
}

void sdp_timer_fn(struct timer_list *t)
{
	struct sdp_sock *ssk = from_timer(ssk, t, timer);
	struct net *net = sdp_sock_net(ssk);
	unsigned long timeout = max(1UL, msecs_to_jiffies(sdp_timeout_ms));
	unsigned long now = jiffies;
	struct sdp_rpc *rpc, *tmp;
	struct sk_buff_head q;

	__skb_queue_head_init(&q);
	spin_lock_bh(&ssk->lock);
	if (ssk->shutdown) {
		spin_unlock_bh(&ssk->lock);
		return;
	}
	list_for_each_entry_safe(rpc, tmp, &ssk->rpcs, sock_link) {
		struct sdp_rpc_facts f;
		enum sdp_reaction react;

		sdp_rpc_facts(rpc, &f);
		f.timed_out = time_after_eq(now, rpc->last_heard + timeout);
		f.probe_due = !time_before(now, rpc->next_probe);
		react = sdp_rpc_react(rpc->state, SDP_EVENT_TICK, &f);
		switch (react) {
		case SDP_REACT_FAIL:
			/* Silent, or only unauthentic responses. */
			sdp_rpc_fail(ssk, rpc, rpc->auth_failures ?
				     EBADMSG : ETIMEDOUT);
			continue;
		case SDP_REACT_ABORT:
			sdp_count(net, SDP_CNT_SERVER_RPCS_ABORTED, 1);
			sdp_rpc_free(ssk, rpc);
			continue;
		case SDP_REACT_ASK_DATA:
		case SDP_REACT_ASK_ACK:
		case SDP_REACT_BACKOFF:
			break;
		default:
			continue;	/* not due, or the application holds it */
		}
		if (rpc->probes < SDP_MAX_PROBE_SHIFT)
			rpc->probes++;
		rpc->next_probe = now + (sdp_resend_jiffies() << rpc->probes);
		if (react == SDP_REACT_ASK_ACK)
			sdp_queue_ctrl(ssk, rpc, SDP_PKT_NEED_ACK, 0, 0, &q);
		else if (react == SDP_REACT_ASK_DATA)
			sdp_ask_for_data(ssk, rpc, &q);
	}
	sdp_acks_flush(ssk, &q);
	if (!list_empty(&ssk->rpcs))
		sdp_timer_arm(ssk);
	spin_unlock_bh(&ssk->lock);
	sdp_xmit_queue(ssk, &q);
}
