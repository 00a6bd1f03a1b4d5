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

#include "sdp_impl.h"

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
void sdp_grant_update(struct sdp_sock *ssk, struct sk_buff_head *q)
{
	struct sdp_rpc *rpcs[SDP_GRANT_CANDIDATES];
	/* Parameters are writable at run time: keep them workable. */
	u32 window = max(sdp_grant_window, SDP_GRANT_WINDOW_MIN);
	struct sdp_grant_params p = {
		.window = window,
		.overcommit = 8,
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
 * Page table bytes of a message buffer of len wire bytes (a small message
 * lives in one fragment: its bytes).
 */
static u32 sdp_msgin_table_bytes(u32 len)
{
	return sdp_pagebuf_fits_frag(len) ? len :
	       DIV_ROUND_UP(len, PAGE_SIZE) * sizeof(struct page *);
}

/*
 * A keyed message is provisional until one of its records authenticated:
 * its buffer covers only the bytes a sender sends unasked (in->granted) and
 * it gets no grants. Once authenticated it gets its whole buffer and may be
 * granted to. False if the larger page table could not be had (tried again
 * with the next packet).
 */
static bool sdp_msgin_authenticated(struct sdp_sock *ssk,
				    struct sdp_msgin *in)
{
	if (in->buf->len < in->wire_len) {
		u32 more = sdp_msgin_table_bytes(in->wire_len) -
			   sdp_msgin_table_bytes(in->buf->len);
		struct sdp_pagebuf *b;

		if (!sdp_mem_charge(ssk, more))
			return false;
		b = sdp_pagebuf_grow(in->buf, in->wire_len, GFP_ATOMIC);
		if (!b) {
			sdp_mem_uncharge(ssk, more);
			return false;
		}
		in->buf = b;
		in->charged += more;
	}
	if (in->granted < in->wire_len && list_empty(&in->grant_link))
		list_add_tail(&in->grant_link, &ssk->grantable);
	return true;
}

/*
 * What a sender sends of a keyed message unasked (sdp_unsched(); less is
 * harmless: the grant it then gets it had already), and the bytes such a
 * message may hold before it authenticated: those, plus the rest of the
 * segment that crosses them (a sender sends whole segments).
 */
static u32 sdp_provisional_grant(u32 wire_len, u16 rec_plain)
{
	return min(wire_len, max(sdp_unsched_bytes, sdp_rec_wire(rec_plain)));
}

static u32 sdp_provisional_limit(u32 wire_len, u16 rec_plain)
{
	return min(wire_len, sdp_provisional_grant(wire_len, rec_plain) +
		   SDP_MAX_SEGMENT);
}

/* ---- provisional server RPCs: bounded unauthenticated state ---- */

static void sdp_provisional_evict(struct sdp_sock *ssk,
				  const struct sdp_peer *peer)
{
	struct sdp_rpc *rpc;

	list_for_each_entry(rpc, &ssk->provisional, prov_link) {
		if (peer && rpc->peer != peer)
			continue;
		sdp_count(sock_net(sdp_to_sk(ssk)), SDP_CNT_PROVISIONAL_EVICTED,
			  1);
		sdp_count(sock_net(sdp_to_sk(ssk)), SDP_CNT_SERVER_RPCS_ABORTED,
			  1);
		sdp_rpc_free(ssk, rpc);
		return;
	}
}

/* Room for one more provisional RPC from peer: forget the oldest. */
static void sdp_provisional_make_room(struct sdp_sock *ssk,
				      const struct sdp_peer *peer)
{
	if (peer->nprovisional >= SDP_MAX_PROVISIONAL_PER_PEER)
		sdp_provisional_evict(ssk, peer);
	else if (ssk->nprovisional >= SDP_MAX_PROVISIONAL_RPCS)
		sdp_provisional_evict(ssk, NULL);
}

static void sdp_provisional_add(struct sdp_sock *ssk, struct sdp_rpc *rpc)
{
	rpc->provisional = true;
	list_add_tail(&rpc->prov_link, &ssk->provisional);
	ssk->nprovisional++;
	rpc->peer->nprovisional++;
}

/* The request authenticated, or the RPC goes away. */
void sdp_provisional_end(struct sdp_sock *ssk, struct sdp_rpc *rpc)
{
	if (!rpc->provisional)
		return;
	rpc->provisional = false;
	list_del(&rpc->prov_link);
	ssk->nprovisional--;
	rpc->peer->nprovisional--;
}

static enum sdp_drop_reason sdp_msgin_new(struct sdp_sock *ssk,
					  struct sdp_rpc *rpc,
					  const struct sdp_pkt_info *pi)
{
	u32 overhead = pi->epoch ? SDP_RECORD_OVERHEAD : 0;
	u64 wire = sdp_wire_len(pi->msg_len, pi->rec_plain, overhead);
	struct sdp_msgin *in;
	u32 charge, buf_len, nrec = 0;
	bool frag, known;

	if (pi->msg_len > sdp_max_msg_bytes)
		return SDP_DROP_BAD_LENGTH;
	if (pi->epoch) {
		if (!sdp_record_fits(pi->msg_len, pi->rec_plain))
			return SDP_DROP_BAD_LENGTH;
		nrec = sdp_record_count(pi->msg_len, pi->rec_plain);
	}
	/*
	 * Charge what is really allocated: the page table and record bitmap
	 * now, each page when data lands in it. A forged header that claims
	 * a long message costs its sender real bytes, not a declaration: a
	 * provisional keyed message holds only what a sender sends unasked,
	 * and its buffer grows when it authenticates.
	 */
	known = rpc->in_msg_id_known;
	buf_len = (u32)wire;
	if (pi->epoch && !known)
		buf_len = sdp_provisional_limit((u32)wire, pi->rec_plain);
	frag = sdp_pagebuf_fits_frag((u32)wire);
	if (frag)
		buf_len = (u32)wire;
	charge = sizeof(*in) + BITS_TO_LONGS(max(nrec, 1U)) * sizeof(long) +
		 sdp_msgin_table_bytes(buf_len);
	if (!sdp_mem_charge(ssk, charge))
		return SDP_DROP_NO_MEMORY;
	in = kzalloc(sizeof(*in), GFP_ATOMIC);
	if (in) {
		in->buf = frag ? sdp_pagebuf_alloc_frag(&ssk->frag_cache,
							(u32)wire, GFP_ATOMIC) :
			  sdp_pagebuf_alloc(buf_len, GFP_ATOMIC, false);
		in->opened_map = bitmap_zalloc(max(nrec, 1U), GFP_ATOMIC);
	}
	if (!in || !in->buf || !in->opened_map) {
		if (in) {
			sdp_pagebuf_free(in->buf);
			bitmap_free(in->opened_map);
		}
		kfree(in);
		sdp_mem_uncharge(ssk, charge);
		return SDP_DROP_NO_MEMORY;
	}
	in->charged = charge;
	in->owner = rpc;
	in->len = pi->msg_len;
	in->wire_len = (u32)wire;
	in->rec_plain = pi->rec_plain;
	in->epoch = pi->epoch;
	in->nrec = nrec;
	/*
	 * A message started over (a client's restart, a forged first packet)
	 * keeps the id it authenticated under: its retransmitted records are
	 * not replays of it.
	 */
	in->msg_id = rpc->in_msg_id_known ? rpc->in_msg_id : U64_MAX;
	sdp_reasm_init(&in->reasm, in->wire_len);
	INIT_LIST_HEAD(&in->grant_link);
	/*
	 * Under a key, 'incoming' is not authenticated and not read: a sender
	 * sends at least one record and unsched_bytes unasked (sdp_unsched()),
	 * and nothing is granted before the first record authenticated
	 * (sdp_msgin_authenticated()), so a forged first packet neither takes
	 * grant budget from real messages nor stalls the real sender. If the
	 * sender sends less unasked, the RESEND timer asks for the rest.
	 */
	if (in->epoch) {
		in->granted = sdp_provisional_grant(in->wire_len, in->rec_plain);
		if (known && !sdp_msgin_authenticated(ssk, in)) {
			list_del(&in->grant_link);
			sdp_mem_uncharge(ssk, in->charged);
			sdp_pagebuf_free(in->buf);
			bitmap_free(in->opened_map);
			kfree(in);
			return SDP_DROP_NO_MEMORY;
		}
	} else {
		in->granted = min(pi->incoming, in->wire_len);
		if (in->granted < in->wire_len)
			list_add_tail(&in->grant_link, &ssk->grantable);
	}
	rpc->in = in;
	return SDP_DROP_NONE;
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

static struct sdp_rpc *sdp_server_rpc_new(struct sdp_sock *ssk,
					  const struct sdp_pkt_info *pi,
					  const struct in6_addr *saddr,
					  enum sdp_drop_reason *r)
{
	struct net *net = sock_net(sdp_to_sk(ssk));
	struct sdp_client_win *cw;
	struct sdp_rpc *rpc;
	int err = 0;

	cw = sdp_client_win_get(ssk, saddr, pi->sport, true);
	if (!cw) {
		*r = SDP_DROP_NO_MEMORY;
		return NULL;
	}
	if (sdp_window_check(&cw->win, pi->rpc_id) != SDP_WINDOW_NEW) {
		*r = SDP_DROP_OLD_RPC;
		return NULL;
	}
	rpc = kzalloc(sizeof(*rpc), GFP_ATOMIC);
	if (!rpc) {
		*r = SDP_DROP_NO_MEMORY;
		return NULL;
	}
	rpc->peer = sdp_peer_get(ssk, saddr, &err);
	if (!rpc->peer) {
		kfree(rpc);
		*r = SDP_DROP_NO_MEMORY;
		return NULL;
	}
	rpc->id = pi->rpc_id;
	rpc->is_client = false;
	rpc->peer_port = pi->sport;
	rpc->state = SDP_RPC_SERVER_INCOMING;
	sdp_rpc_progress(rpc);
	if (pi->epoch)
		sdp_provisional_make_room(ssk, rpc->peer);
	*r = sdp_msgin_new(ssk, rpc, pi);
	if (*r) {
		sdp_peer_put(ssk, rpc->peer);
		kfree(rpc);
		return NULL;
	}
	/* With a key, the id is recorded once its first record authenticates. */
	if (!pi->epoch)
		sdp_window_update(&cw->win, pi->rpc_id);
	else
		sdp_provisional_add(ssk, rpc);
	cw->last_used = jiffies;
	sdp_rpc_insert(ssk, rpc);
	sdp_count(net, SDP_CNT_SERVER_RPCS_STARTED, 1);
	return rpc;
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
	struct net *net = sock_net(sdp_to_sk(ssk));
	enum sdp_drop_reason r;
	struct sdp_msgin *in;
	u32 end = pi->seq + pi->payload_len, newb = 0, opened;

	if (!rpc) {
		if (pi->flags & SDP_F_FROM_SERVER)
			return SDP_DROP_UNKNOWN_RPC;
		rpc = sdp_server_rpc_new(ssk, pi, saddr, &r);
		if (!rpc)
			return r;
	}
	/* With a key, only authenticated records show the peer alive. */
	if (!pi->epoch)
		sdp_rpc_heard(rpc);
	if (rpc->is_client) {
		if (rpc->state != SDP_RPC_CLIENT_OUTGOING)
			return SDP_DROP_DUPLICATE;
		if (!rpc->in) {
			r = sdp_msgin_new(ssk, rpc, pi);
			if (r)
				return r;
		}
	} else if (rpc->state != SDP_RPC_SERVER_INCOMING) {
		return SDP_DROP_DUPLICATE;
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
		if ((!in->epoch && !pi->epoch) || in->msg_id != U64_MAX)
			return SDP_DROP_MISMATCH;
		sdp_msgin_free(ssk, rpc);
		r = sdp_msgin_new(ssk, rpc, pi);
		if (r)
			return r;
		in = rpc->in;
	}
	/* Without a key nothing is authenticated; under one, see msgin_new. */
	if (!in->epoch && pi->incoming > in->granted)
		in->granted = min(pi->incoming, in->wire_len);
	/* Provisional: only the bytes a sender sends unasked. */
	if (in->epoch && in->msg_id == U64_MAX && end > in->buf->len)
		return SDP_DROP_NOT_GRANTED;
	if (in->epoch && in->msg_id != U64_MAX &&
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
	sdp_count(sock_net(sdp_to_sk(ssk)), SDP_CNT_RESTARTED_REQUESTS, 1);
	sdp_xmit_new_data(ssk, rpc, q);
}

/* Free the acknowledged server RPCs: rpc_id (rpc) and those in ack_more. */
static enum sdp_drop_reason sdp_rcv_ack(struct sdp_sock *ssk,
					struct sdp_rpc *rpc,
					const struct sdp_pkt_info *pi,
					const struct in6_addr *saddr)
{
	struct net *net = sock_net(sdp_to_sk(ssk));
	u64 more = pi->ack_more;
	unsigned int freed = 0;

	for (;;) {
		if (rpc && rpc->state == SDP_RPC_SERVER_RESPONDING) {
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

static enum sdp_drop_reason sdp_rcv_ctrl(struct sdp_sock *ssk,
					 struct sdp_rpc *rpc,
					 const struct sdp_pkt_info *pi,
					 const struct in6_addr *saddr,
					 struct sk_buff_head *q)
{
	bool from_server = pi->flags & SDP_F_FROM_SERVER;
	struct sdp_peer *peer;
	int err;

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

	switch (pi->type) {
	case SDP_PKT_GRANT:
		if (!rpc || !rpc->out.buf)
			return SDP_DROP_UNKNOWN_RPC;
		if (pi->offset > rpc->out.granted) {
			sdp_rpc_progress(rpc);
			rpc->out.granted = min(pi->offset, rpc->out.wire_len);
			sdp_xmit_new_data(ssk, rpc, q);
		}
		return SDP_DROP_NONE;

	case SDP_PKT_RESEND:
		if (!rpc) {
			/* Tell the asker we have nothing for this RPC. */
			peer = sdp_peer_get(ssk, saddr, &err);
			if (!peer)
				return SDP_DROP_NO_MEMORY;
			sdp_queue_ctrl_to(ssk, peer, pi->sport, pi->rpc_id,
					  from_server ? 0 : SDP_F_FROM_SERVER,
					  SDP_PKT_UNKNOWN, q);
			sdp_peer_put(ssk, peer);
			return SDP_DROP_NONE;
		}
		if (rpc->is_client) {
			sdp_xmit_range(ssk, rpc, pi->offset,
				       pi->offset + pi->length, q);
		} else if (rpc->state != SDP_RPC_SERVER_RESPONDING ||
			   !sdp_xmit_range(ssk, rpc, pi->offset,
					   pi->offset + pi->length, q)) {
			sdp_queue_ctrl(ssk, rpc, SDP_PKT_BUSY, 0, 0, q);
		}
		return SDP_DROP_NONE;

	case SDP_PKT_UNKNOWN:
		if (!rpc)
			return SDP_DROP_UNKNOWN_RPC;
		if (rpc->is_client) {
			/*
			 * A response is arriving: this UNKNOWN is older than
			 * the server's state (reordered), ignore it. Under a
			 * key only an authenticated record shows that; bytes
			 * nobody vouched for (a forged response packet) must
			 * not stop the restart.
			 */
			if (rpc->state == SDP_RPC_CLIENT_OUTGOING &&
			    (!rpc->in ||
			     (rpc->in->epoch && rpc->in->msg_id == U64_MAX)))
				sdp_restart_request(ssk, rpc, q);
		} else if (rpc->state == SDP_RPC_SERVER_INCOMING ||
			   rpc->state == SDP_RPC_SERVER_RESPONDING) {
			sdp_count(sock_net(sdp_to_sk(ssk)),
				  SDP_CNT_SERVER_RPCS_ABORTED, 1);
			sdp_rpc_free(ssk, rpc);
		}
		return SDP_DROP_NONE;

	case SDP_PKT_BUSY:
		return rpc ? SDP_DROP_NONE : SDP_DROP_UNKNOWN_RPC;

	case SDP_PKT_NEED_ACK:
		if (!from_server)
			return SDP_DROP_BAD_HEADER;
		if (rpc) {
			/* Complete but not read yet: its ACK may be lost. */
			if (rpc->state != SDP_RPC_CLIENT_OUTGOING)
				sdp_queue_ctrl(ssk, rpc, SDP_PKT_ACK, 0, 0, q);
			return SDP_DROP_NONE;	/* or not complete yet */
		}
		if (pi->rpc_id >= ssk->next_rpc_id)
			return SDP_DROP_UNKNOWN_RPC;
		peer = sdp_peer_get(ssk, saddr, &err);
		if (!peer)
			return SDP_DROP_NO_MEMORY;
		sdp_queue_ctrl_to(ssk, peer, pi->sport, pi->rpc_id, 0,
				  SDP_PKT_ACK, q);
		sdp_peer_put(ssk, peer);
		return SDP_DROP_NONE;

	case SDP_PKT_ACK:
		if (from_server)
			return SDP_DROP_BAD_HEADER;
		return sdp_rcv_ack(ssk, rpc, pi, saddr);
	}
	return SDP_DROP_BAD_TYPE;
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

	ssk = sdp_sock_lookup(net, family, pi.dport);
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
