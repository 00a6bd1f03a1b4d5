// SPDX-License-Identifier: GPL-2.0
/*
 * Receive path: validate, find the socket and RPC, place DATA
 * by its explicit wire offset, grant, and act on control packets.
 *
 * Every packet that is not used is dropped and counted by reason
 * (/proc/net/sdp_stats, drop_*). Nothing here trusts a header field that
 * sdp_parse_header() has not checked against the protocol limits.
 */
#include <linux/skbuff.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "sdp_sock.h"
#include "sdp_in.h"
#include "sdp_out.h"
#include "sdp_key.h"
#include "sdp_timer.h"

static const enum sdp_counter sdp_rx_counter[] = {
	[SDP_PKT_DATA - SDP_PKT_TYPE_MIN] = SDP_CNT_RX_DATA,
	[SDP_PKT_GRANT - SDP_PKT_TYPE_MIN] = SDP_CNT_RX_GRANT,
	[SDP_PKT_RESEND - SDP_PKT_TYPE_MIN] = SDP_CNT_RX_RESEND,
	[SDP_PKT_UNKNOWN - SDP_PKT_TYPE_MIN] = SDP_CNT_RX_UNKNOWN,
	[SDP_PKT_BUSY - SDP_PKT_TYPE_MIN] = SDP_CNT_RX_BUSY,
	[SDP_PKT_NEED_ACK - SDP_PKT_TYPE_MIN] = SDP_CNT_RX_NEED_ACK,
	[SDP_PKT_ACK - SDP_PKT_TYPE_MIN] = SDP_CNT_RX_ACK,
};

/* Grant to the incoming messages of this socket, shortest remaining first. */
static void sdp_grant_update(struct sdp_sock *ssk, struct sk_buff_head *q)
{
	struct sdp_rpc *rpcs[SDP_GRANT_CANDIDATES];
	/* Parameters are writable at run time: keep them workable. */
	u32 window = max(sdp_grant_window, SDP_GRANT_WINDOW_MIN);
	struct sdp_grant_params p = {
		.window = window,
		.overcommit = SDP_GRANT_OVERCOMMIT,
		.max_incoming = max(sdp_max_incoming, window),
		.min_step = window / 4,
	};
	struct sdp_msgin *in, *tmp;
	unsigned int n = 0, i;

	list_for_each_entry_safe(in, tmp, &ssk->grantable, grant_link) {
		struct sdp_rpc *rpc;

		if (in->granted >= in->wire_len) {
			list_del_init(&in->grant_link);
			continue;
		}
		if (n == SDP_GRANT_CANDIDATES)
			break;
		rpc = in->owner;
		ssk->grant_cand[n].len = in->wire_len;
		ssk->grant_cand[n].received = in->reasm.received;
		ssk->grant_cand[n].granted = in->granted;
		ssk->grant_cand[n].new_grant = 0;
		rpcs[n++] = rpc;
	}
	if (!n || !sdp_grant_compute(ssk->grant_cand, n, &p))
		return;
	for (i = 0; i < n; i++) {
		u32 g = ssk->grant_cand[i].new_grant;

		if (!g)
			continue;
		rpcs[i]->in->granted = g;
		sdp_queue_ctrl(ssk, rpcs[i], SDP_PKT_GRANT, g, 0, q);
		if (g >= rpcs[i]->in->wire_len)
			list_del_init(&rpcs[i]->in->grant_link);
	}
}

/*
 * A record of the incoming message failed authentication. Anyone can inject
 * such a packet, so it must not end or set back a legitimate RPC: only that
 * record's bytes were discarded (sdp_key.c) and are asked for again; the
 * RPC goes on. Unauthenticated bytes do not keep it alive either: a
 * response that never authenticates ends in the timeout, reported as
 * EBADMSG, and a request that never authenticates is forgotten by the
 * timer.
 */
static void sdp_auth_failed(struct sdp_rpc *rpc)
{
	if (rpc->auth_failures < U8_MAX)
		rpc->auth_failures++;
}

/* ---- an incoming message: its bytes, its records ---- */

/*
 * Forget all that arrived of a message (its key went away, it is a replay,
 * or one failed record could not be forgotten alone): it is resent.
 */
static void sdp_msgin_reset(struct sdp_sock *ssk, struct sdp_msgin *in)
{
	u32 released = sdp_pagebuf_release(in->buf) * PAGE_SIZE;

	sdp_count(sdp_sock_net(ssk), SDP_CNT_MESSAGES_DISCARDED, 1);

	sdp_mem_uncharge(ssk, released);
	in->charged -= released;
	sdp_reasm_init(&in->reasm, in->wire_len);
	bitmap_zero(in->opened_map, in->nrec);
	in->opened = 0;
	/*
	 * An authenticated message id stays: the retransmitted records are
	 * checked against it, and the replay window is not asked again (it
	 * would call the message's own retransmission a replay).
	 */
}

/*
 * Forget the bytes of one record that failed authentication, and only
 * those: every other byte, opened or not, stays, so a forged packet costs
 * the sender one record's retransmission, not the message's. Returns false
 * if the reassembly state had no room for the new gap and the whole message
 * was discarded instead.
 */
static bool sdp_msgin_discard_record(struct sdp_sock *ssk,
				     struct sdp_msgin *in,
				     const struct sdp_record_geom *g)
{
	if (sdp_reasm_unmark(&in->reasm, g->wire_off,
			     g->wire_off + g->wire_len) ==
	    SDP_REASM_TOO_MANY_GAPS) {
		sdp_msgin_reset(ssk, in);
		return false;
	}
	sdp_count(sdp_sock_net(ssk), SDP_CNT_RECORDS_DISCARDED, 1);
	return true;
}

/*
 * Open every record of the message that lies in [start, end) of the wire
 * stream and has all its bytes. Returns 0, SDP_DROP_AUTH_FAILED if a record
 * failed (its bytes are asked for again, see sdp_msgin_discard_record()),
 * or the reason the message was discarded (a replay, a replaced key).
 */
static int sdp_msgin_open_records(struct sdp_sock *ssk, struct sdp_rpc *rpc,
			   u32 start, u32 end)
{
	struct sdp_msgin *in = rpc->in;
	struct sdp_record_geom g;
	enum sdp_drop_reason r = SDP_DROP_NONE;
	struct sdp_rxkey *rxk;
	u32 k, last;

	if (!in->epoch || start >= end)
		return SDP_DROP_NONE;
	rxk = sdp_rx_key(ssk, &rpc->peer->addr, rpc->peer_port, in->epoch);
	if (!rxk) {
		/* The epoch's key was replaced while the message arrived. */
		sdp_msgin_reset(ssk, in);
		return SDP_DROP_WRONG_EPOCH;
	}
	last = min(sdp_record_index_at(end - 1, in->rec_plain), in->nrec - 1);
	for (k = sdp_record_index_at(start, in->rec_plain); k <= last; k++) {
		u64 id = rpc->in_msg_id;

		if (test_bit(k, in->opened_map) ||
		    !sdp_record_locate(in->len, in->rec_plain, k, &g) ||
		    !sdp_reasm_range_complete(&in->reasm, g.wire_off,
					      g.wire_off + g.wire_len))
			continue;
		/* A client receives responses, a server requests. */
		if (sdp_rxkey_open_record(rxk, in->buf, &g, &id, rpc->id,
					  in->len, rpc->is_client)) {
			r = SDP_DROP_AUTH_FAILED;
			if (!sdp_msgin_discard_record(ssk, in, &g))
				break;
			continue;
		}
		if (!sdp_rpc_in_authenticated(rpc)) {
			enum sdp_window_result w;

			w = sdp_rxkey_accept_msg_id(rxk, id);
			/*
			 * A response behind the window is still taken: it
			 * authenticated, its framing names this RPC, and the
			 * RPC takes one response only, so it cannot be a
			 * replay of anything delivered (a later copy finds
			 * no RPC). Refusing it would leave the RPC waiting
			 * for a message its server can only resend as is.
			 * A request behind the window is refused (and its
			 * server RPC freed, sdp_rcv_data()).
			 */
			if (w == SDP_WINDOW_TOO_OLD && rpc->is_client) {
				sdp_count(sdp_sock_net(ssk),
					  SDP_CNT_OLD_RESPONSES_TAKEN, 1);
			} else if (w != SDP_WINDOW_NEW) {
				sdp_msgin_reset(ssk, in);
				return w == SDP_WINDOW_TOO_OLD ?
				       SDP_DROP_TOO_OLD : SDP_DROP_REPLAY;
			}
			/* Kept if the message is ever started over. */
			rpc->in_msg_id = id;
			if (!rpc->is_client) {
				struct sdp_client_win *cw;

				/* Now the request id is authentic: record it. */
				cw = sdp_client_win_get(ssk, &rpc->peer->addr,
							rpc->peer_port, true);
				if (cw)
					sdp_window_update(&cw->win, rpc->id);
			}
		}
		__set_bit(k, in->opened_map);
		in->opened++;
		sdp_count(sdp_sock_net(ssk), SDP_CNT_RECORDS_OPENED, 1);
		sdp_count(sdp_sock_net(ssk), SDP_CNT_BYTES_DECRYPTED, g.app_len);
	}
	return r;
}

/*
 * Copy the bytes of a DATA packet that are still missing, and only those:
 * bytes that arrived before are never written again (a complete record
 * there holds decrypted plaintext, and an injected overlapping packet must
 * not change what authenticated). The reassembly state is updated by the
 * caller; bytes copied into a gap it then refuses stay a gap.
 */
static enum sdp_drop_reason sdp_msgin_place(struct sdp_sock *ssk,
					    struct sdp_msgin *in,
					    struct sk_buff *skb,
					    const struct sdp_pkt_info *pi)
{
	u32 end = pi->seq + pi->payload_len, from = pi->seq, ms, me;
	u32 pages, charge = pi->payload_len + PAGE_SIZE;
	int err = 0;

	if (!sdp_mem_charge(ssk, charge))
		return SDP_DROP_NO_MEMORY;
	while (!err && sdp_reasm_next_missing(&in->reasm, from, end, &ms, &me)) {
		err = sdp_pagebuf_from_skb(in->buf, ms, skb,
					   pi->hdr_len + (ms - pi->seq),
					   me - ms, &pages);
		sdp_mem_charge_force(ssk, pages * PAGE_SIZE);
		in->charged += pages * PAGE_SIZE;
		from = me;
	}
	sdp_mem_uncharge(ssk, charge);
	return err ? SDP_DROP_NO_MEMORY : SDP_DROP_NONE;
}

static enum sdp_drop_reason sdp_rcv_data(struct sdp_sock *ssk,
					 struct sdp_rpc *rpc,
					 struct sk_buff *skb,
					 const struct sdp_pkt_info *pi,
					 const struct in6_addr *saddr,
					 struct sk_buff_head *q)
{
	struct net *net = sdp_sock_net(ssk);
	enum sdp_drop_reason r;
	struct sdp_msgin *in;
	u32 end = pi->seq + pi->payload_len, newb = 0, opened;

	if (!rpc) {
		if (pi->flags & SDP_F_FROM_SERVER)
			return SDP_DROP_UNKNOWN_RPC;
		rpc = sdp_rpc_new_server(ssk, pi, saddr, &r);
		if (!rpc)
			return r;
	}
	/* With a key, only authenticated records show the peer alive. */
	if (!pi->epoch)
		sdp_rpc_heard(rpc);
	if (sdp_rpc_reaction(rpc, SDP_PKT_DATA) != SDP_REACT_TAKE_DATA)
		return SDP_DROP_DUPLICATE;
	if (!rpc->in) {
		/* A response's first packet (a request's came with its RPC). */
		r = sdp_msgin_alloc(ssk, rpc, pi);
		if (r)
			return r;
	}
	in = rpc->in;
	if (pi->msg_len != in->len || pi->rec_plain != in->rec_plain ||
	    pi->epoch != in->epoch) {
		/*
		 * Under a key, a message none of whose records authenticated
		 * yet may have been started by a forged packet: its geometry
		 * is worth no more than this packet's, so start over with it
		 * rather than refuse the real sender for good.
		 */
		if ((!in->epoch && !pi->epoch) || sdp_rpc_in_authenticated(rpc))
			return SDP_DROP_MISMATCH;
		sdp_msgin_free(ssk, rpc);
		r = sdp_msgin_alloc(ssk, rpc, pi);
		if (r)
			return r;
		in = rpc->in;
	}
	/* Without a key nothing is authenticated; under one, see msgin_new. */
	if (!in->epoch && pi->incoming > in->granted)
		in->granted = min(pi->incoming, in->wire_len);
	/* Provisional: only the bytes a sender sends unasked. */
	if (in->epoch && !sdp_rpc_in_authenticated(rpc) &&
	    end > in->buf->len)
		return SDP_DROP_NOT_GRANTED;
	if (in->epoch && sdp_rpc_in_authenticated(rpc) &&
	    !sdp_msgin_authenticated(ssk, in))
		return SDP_DROP_NO_MEMORY;

	if (in->wire_len) {
		if (sdp_reasm_range_complete(&in->reasm, pi->seq, end))
			return SDP_DROP_DUPLICATE;
		r = sdp_msgin_place(ssk, in, skb, pi);
		if (r)
			return r;
		switch (sdp_reasm_add(&in->reasm, pi->seq, end, &newb)) {
		case SDP_REASM_NEW:
			break;
		case SDP_REASM_DUP:
			return SDP_DROP_DUPLICATE;
		case SDP_REASM_TOO_MANY_GAPS:
			return SDP_DROP_TOO_MANY_GAPS;
		default:
			return SDP_DROP_BAD_OFFSET;
		}
		sdp_count(net, SDP_CNT_RX_DATA_BYTES, newb);
		if (!in->epoch)
			sdp_rpc_progress(rpc);
		opened = in->opened_peak;
		r = sdp_msgin_open_records(ssk, rpc, pi->seq, end);
		if (in->opened > opened) {
			in->opened_peak = in->opened;
			sdp_rpc_progress(rpc);
			sdp_provisional_end(ssk, rpc);
			sdp_msgin_authenticated(ssk, in);
		}
		if (r == SDP_DROP_AUTH_FAILED) {
			sdp_auth_failed(rpc);
			return r;
		}
		if ((r == SDP_DROP_REPLAY || r == SDP_DROP_TOO_OLD) &&
		    !rpc->is_client) {
			/*
			 * A replayed request, or one sealed so long ago that
			 * it is behind the window: forget the RPC entirely.
			 * A real client's probes then get UNKNOWN, and its
			 * restarts (the same records) end in ETIMEDOUT once
			 * UNKNOWN stops keeping it alive (sdp_rcv_ctrl()).
			 */
			sdp_rpc_free(ssk, rpc);
			return r;
		}
		if (r)
			return r;
		if (!sdp_reasm_complete(&in->reasm) ||
		    (in->epoch && in->opened < in->nrec)) {
			if (!list_empty(&in->grant_link))
				sdp_grant_update(ssk, q);
			return SDP_DROP_NONE;
		}
	}

	/* The message is complete. */
	sdp_count(net, SDP_CNT_MESSAGES_COMPLETED, 1);
	list_del_init(&in->grant_link);
	if (rpc->is_client) {
		sdp_ack_note(ssk, rpc, q);
		sdp_msgout_free(ssk, rpc);
	}
	sdp_rpc_make_ready(ssk, rpc);
	if (!list_empty(&ssk->grantable))
		sdp_grant_update(ssk, q);
	return SDP_DROP_NONE;
}

static void sdp_restart_request(struct sdp_sock *ssk, struct sdp_rpc *rpc,
				struct sk_buff_head *q)
{
	struct sdp_msgout *out = &rpc->out;

	/*
	 * The probe backoff does not restart: a server that keeps losing the
	 * request is asked less and less often. Liveness: see sdp_rcv_ctrl().
	 */
	/*
	 * A request that our own stack dropped (a full device backlog) did
	 * not reach the server: that restart says nothing about whether the
	 * server can accept it, so it does not count toward the limit.
	 */
	if (rpc->restarts < U8_MAX && !rpc->req_dropped_here)
		rpc->restarts++;
	rpc->req_dropped_here = false;
	sdp_msgin_free(ssk, rpc);
	out->next_xmit = 0;
	out->started = false;
	out->granted = sdp_unsched(out);
	sdp_count(sdp_sock_net(ssk), SDP_CNT_RESTARTED_REQUESTS, 1);
	sdp_xmit_new_data(ssk, rpc, q);
}

/* Free the acknowledged server RPCs: rpc_id (rpc) and those in ack_more. */
static enum sdp_drop_reason sdp_rcv_ack(struct sdp_sock *ssk,
					struct sdp_rpc *rpc,
					const struct sdp_pkt_info *pi,
					const struct in6_addr *saddr)
{
	struct net *net = sdp_sock_net(ssk);
	u64 more = pi->ack_more;
	unsigned int freed = 0;

	for (;;) {
		if (rpc && sdp_rpc_reaction(rpc, SDP_PKT_ACK) ==
			   SDP_REACT_COMPLETE) {
			sdp_rpc_free(ssk, rpc);
			freed++;
		}
		if (!more)
			break;
		/* Bit i names RPC rpc_id - 1 - i (sdp_ack.h). */
		rpc = sdp_rpc_find(ssk, pi->rpc_id - 1 - __ffs64(more), false,
				   saddr, pi->sport);
		more &= more - 1;
	}
	if (!freed)
		return SDP_DROP_UNKNOWN_RPC;
	sdp_count(net, SDP_CNT_SERVER_RPCS_COMPLETED, freed);
	return SDP_DROP_NONE;
}

/* A control packet for an RPC this socket does not have. */
static enum sdp_drop_reason sdp_rcv_ctrl_no_rpc(struct sdp_sock *ssk,
						const struct sdp_pkt_info *pi,
						const struct in6_addr *saddr,
						struct sk_buff_head *q)
{
	bool from_server = pi->flags & SDP_F_FROM_SERVER;
	struct sdp_peer *peer;
	u8 type, flags = 0;
	int err;

	switch (pi->type) {
	case SDP_PKT_RESEND:
		/* Tell the asker we have nothing for this RPC. */
		type = SDP_PKT_UNKNOWN;
		flags = from_server ? 0 : SDP_F_FROM_SERVER;
		break;
	case SDP_PKT_NEED_ACK:
		/* A response to an id we used and no longer hold: we had it. */
		if (pi->rpc_id >= ssk->next_rpc_id)
			return SDP_DROP_UNKNOWN_RPC;
		type = SDP_PKT_ACK;
		break;
	default:
		return SDP_DROP_UNKNOWN_RPC;
	}
	peer = sdp_peer_get(ssk, saddr, &err);
	if (!peer)
		return SDP_DROP_NO_MEMORY;
	sdp_queue_ctrl_to(ssk, peer, pi->sport, pi->rpc_id, flags, type, q);
	sdp_peer_put(ssk, peer);
	return SDP_DROP_NONE;
}

/* A control packet: its RPC reacts as the table says (sdp_react.h). */
static enum sdp_drop_reason sdp_rcv_ctrl(struct sdp_sock *ssk,
					 struct sdp_rpc *rpc,
					 const struct sdp_pkt_info *pi,
					 const struct in6_addr *saddr,
					 struct sk_buff_head *q)
{
	bool from_server = pi->flags & SDP_F_FROM_SERVER;
	u32 end = pi->offset + pi->length;

	/* Only a server asks for an ACK, only a client sends one. */
	if ((pi->type == SDP_PKT_NEED_ACK && !from_server) ||
	    (pi->type == SDP_PKT_ACK && from_server))
		return SDP_DROP_BAD_HEADER;
	if (!rpc && pi->type != SDP_PKT_ACK)
		return sdp_rcv_ctrl_no_rpc(ssk, pi, saddr, q);
	/*
	 * UNKNOWN shows the peer is alive but lost our request (an overloaded
	 * receiver drops whole requests): it keeps the RPC alive for the first
	 * SDP_MAX_LIVE_RESTARTS restarts only, so a server that can never
	 * accept the request (it cannot authenticate it, say) still ends in
	 * ETIMEDOUT.
	 */
	if (rpc && (pi->type != SDP_PKT_UNKNOWN ||
		    rpc->restarts < SDP_MAX_LIVE_RESTARTS))
		sdp_rpc_heard(rpc);
	/* An ACK may name more RPCs than the one it is addressed to. */
	if (pi->type == SDP_PKT_ACK)
		return sdp_rcv_ack(ssk, rpc, pi, saddr);

	switch (sdp_rpc_reaction(rpc, pi->type)) {
	case SDP_REACT_NOT_OURS:
		return SDP_DROP_UNKNOWN_RPC;
	case SDP_REACT_SEND_GRANTED:
		if (pi->offset > rpc->out.granted) {
			sdp_rpc_progress(rpc);
			rpc->out.granted = min(pi->offset, rpc->out.geo.wire_len);
			sdp_xmit_new_data(ssk, rpc, q);
		}
		break;
	case SDP_REACT_RETRANSMIT:
		sdp_xmit_range(ssk, rpc, pi->offset, end, q);
		break;
	case SDP_REACT_RETRANSMIT_OR_BUSY:
		if (!sdp_xmit_range(ssk, rpc, pi->offset, end, q))
			sdp_queue_ctrl(ssk, rpc, SDP_PKT_BUSY, 0, 0, q);
		break;
	case SDP_REACT_SEND_BUSY:
		sdp_queue_ctrl(ssk, rpc, SDP_PKT_BUSY, 0, 0, q);
		break;
	case SDP_REACT_RESTART:
		/*
		 * Under a key, bytes nobody vouched for (a forged response
		 * packet) do not stop the restart (sdp_rpc_facts()).
		 */
		sdp_restart_request(ssk, rpc, q);
		break;
	case SDP_REACT_ABORT:
		sdp_count(sdp_sock_net(ssk), SDP_CNT_SERVER_RPCS_ABORTED, 1);
		sdp_rpc_free(ssk, rpc);
		break;
	case SDP_REACT_SEND_ACK:
		sdp_queue_ctrl(ssk, rpc, SDP_PKT_ACK, 0, 0, q);
		break;
	default:
		break;
	}
	return SDP_DROP_NONE;
}

static int sdp_rcv(struct sk_buff *skb, int family,
		   const struct in6_addr *saddr)
{
	struct net *net = dev_net(skb->dev);
	enum sdp_drop_reason r;
	struct sdp_pkt_info pi;
	struct sk_buff_head q;
	struct sdp_sock *ssk;
	const struct sdp_common_hdr *c;
	struct sdp_rpc *rpc;
	unsigned int hlen;

	sdp_count(net, SDP_CNT_RX_PACKETS, 1);
	if (!pskb_may_pull(skb, sizeof(struct sdp_common_hdr))) {
		r = SDP_DROP_TRUNCATED;
		goto drop;
	}
	c = (const struct sdp_common_hdr *)skb->data;
	hlen = sdp_linear_len(c->type, c->epoch);
	if (hlen && !pskb_may_pull(skb, hlen)) {
		r = SDP_DROP_TRUNCATED;
		goto drop;
	}
	r = sdp_parse_header(skb->data, skb_headlen(skb), skb->len,
			     SDP_RECORD_OVERHEAD, &pi);
	if (r)
		goto drop;
	sdp_count(net, sdp_rx_counter[pi.type - SDP_PKT_TYPE_MIN], 1);

	ssk = sdp_sock_lookup(net, family, skb, pi.dport);
	if (!ssk) {
		r = SDP_DROP_NO_SOCKET;
		goto drop;
	}
	__skb_queue_head_init(&q);
	spin_lock_bh(&ssk->lock);
	if (ssk->shutdown)
		r = SDP_DROP_NO_SOCKET;
	else if (!pi.epoch)
		r = sdp_plaintext_refused(ssk, saddr, pi.sport) ?
		    SDP_DROP_NEEDS_KEY : SDP_DROP_NONE;
	else if (pi.type == SDP_PKT_DATA)
		/* Records are authenticated as they complete (sdp_key.c). */
		r = sdp_rx_key(ssk, saddr, pi.sport, pi.epoch) ?
		    SDP_DROP_NONE : SDP_DROP_WRONG_EPOCH;
	else
		r = sdp_ctrl_verify(ssk, saddr, &pi, skb);
	if (!r) {
		rpc = sdp_rpc_find(ssk, pi.rpc_id,
				   pi.flags & SDP_F_FROM_SERVER, saddr,
				   pi.sport);
		if (pi.type == SDP_PKT_DATA)
			r = sdp_rcv_data(ssk, rpc, skb, &pi, saddr, &q);
		else
			r = sdp_rcv_ctrl(ssk, rpc, &pi, saddr, &q);
	}
	spin_unlock_bh(&ssk->lock);
	sdp_xmit_queue(ssk, &q);
	sock_put(sdp_to_sk(ssk));
	if (r)
		goto drop;
	consume_skb(skb);
	return 0;

drop:
	sdp_count_drop(net, r);
	kfree_skb(skb);
	return 0;
}

int sdp_v4_rcv(struct sk_buff *skb)
{
	struct in6_addr saddr;

	ipv6_addr_set_v4mapped(ip_hdr(skb)->saddr, &saddr);
	return sdp_rcv(skb, AF_INET, &saddr);
}

int sdp_v6_rcv(struct sk_buff *skb)
{
	struct in6_addr saddr = ipv6_hdr(skb)->saddr;

	return sdp_rcv(skb, AF_INET6, &saddr);
}

/* Copy the first len application bytes of a complete message out. */
int sdp_msgin_copy_out(const struct sdp_msgin *in, u32 len,
			      struct iov_iter *to)
{
	struct sdp_record_geom g;
	u32 k;
	int err;

	if (!in->epoch)
		return sdp_pagebuf_to_iter(in->buf, 0, len, to);
	for (k = 0; len && sdp_record_locate(in->len, in->rec_plain, k, &g);
	     k++) {
		u32 n = min(len, g.app_len);

		err = sdp_pagebuf_to_iter(in->buf, g.wire_off +
					  SDP_RECORD_PREFIX + SDP_FRAME_LEN, n,
					  to);
		if (err)
			return err;
		len -= n;
	}
	return 0;
}
