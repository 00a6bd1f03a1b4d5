// SPDX-License-Identifier: GPL-2.0
/*
 * Transmit path: TSO segments of a message, control packets,
 * and the GSO callback that cuts a segment into packets in software when
 * the device cannot.
 *
 * A message's wire stream is sent as TSO segments of seg_bytes (a multiple
 * of the packet payload mss). Each segment is one skb whose fragments point
 * into the message's pages, with gso_size = mss and gso_type TCPV4/TCPV6,
 * so NIC TSO or the kernel's GSO replicates the 40-byte DATA header into
 * every packet and advances its seq field, exactly as for TCP. Packets are
 * built under the socket lock into a queue and sent after it is released.
 */
#include <linux/skbuff.h>
#include <linux/netdevice.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/ip6_route.h>
#include <net/route.h>
#include <net/protocol.h>

#include "sdp_sock.h"
#include "sdp_out.h"
#include "sdp_timer.h"

#define SDP_HEADROOM (MAX_HEADER + sizeof(struct ipv6hdr))

static bool sdp_is_v6(const struct sdp_sock *ssk)
{
	return ssk->inet.sk.sk_family == AF_INET6;
}

static unsigned int sdp_ip_hdr_len(const struct sdp_sock *ssk)
{
	return sdp_is_v6(ssk) ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
}

static struct sk_buff *sdp_alloc_skb(unsigned int hdr_len,
				     unsigned int tailroom)
{
	struct sk_buff *skb = alloc_skb(SDP_HEADROOM + hdr_len + tailroom,
					GFP_ATOMIC);

	if (!skb)
		return NULL;
	skb_reserve(skb, SDP_HEADROOM);
	skb_reset_transport_header(skb);
	skb_put(skb, hdr_len);
	return skb;
}

/*
 * Add the IP header and the route; the skb is then ready for
 * ip_local_out() / ip6_local_out(). Returns false (skb freed) without a
 * route.
 */
static bool sdp_finish_skb(struct sdp_sock *ssk, struct sdp_peer *peer,
			   struct sk_buff *skb, unsigned int segs)
{
	struct sock *sk = sdp_to_sk(ssk);
	struct dst_entry *dst = sdp_peer_dst(ssk, peer);
	unsigned int l4len = skb->len;

	if (!dst) {
		kfree_skb(skb);
		sdp_count(sock_net(sk), SDP_CNT_TX_ERRORS, 1);
		return false;
	}
	skb_dst_set(skb, dst_clone(dst));
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_transport_header(skb) - skb->head;
	skb->csum_offset = offsetof(struct sdp_common_hdr, check);
	skb->priority = sk->sk_priority;
	skb->mark = sk->sk_mark;
	skb_set_owner_w(skb, sk);

	if (!sdp_is_v6(ssk)) {
		struct iphdr *iph;

		skb_push(skb, sizeof(*iph));
		skb_reset_network_header(skb);
		iph = ip_hdr(skb);
		iph->version = 4;
		iph->ihl = 5;
		iph->tos = ssk->inet.tos;
		iph->tot_len = htons(skb->len);
		iph->frag_off = htons(IP_DF);
		iph->ttl = ip4_dst_hoplimit(dst);
		iph->protocol = sk->sk_protocol;
		iph->saddr = peer->fl4.saddr;
		iph->daddr = peer->fl4.daddr;
		ip_select_ident_segs(sock_net(sk), skb, sk, segs);
		ip_send_check(iph);
		skb->protocol = htons(ETH_P_IP);
	} else {
		struct ipv6hdr *ip6;

		skb_push(skb, sizeof(*ip6));
		skb_reset_network_header(skb);
		ip6 = ipv6_hdr(skb);
		ip6_flow_hdr(ip6, 0, 0);
		ip6->payload_len = htons(l4len);
		ip6->nexthdr = sk->sk_protocol;
		ip6->hop_limit = ip6_dst_hoplimit(dst);
		ip6->saddr = peer->fl6.saddr;
		ip6->daddr = peer->fl6.daddr;
		skb->protocol = htons(ETH_P_IPV6);
	}
	return true;
}

/*
 * Decide how a message of len bytes goes to the peer: packet payload (mss)
 * from the route MTU, TSO segment size from the device's GSO limit, and,
 * with a key (epoch != 0), records of rec_plain application bytes such that
 * every segment holds whole records (a record never spans two segments).
 */
int sdp_msg_geometry(struct sdp_sock *ssk, struct sdp_peer *peer, u32 len,
		     u8 epoch, struct sdp_msg_geom *geo)
{
	struct dst_entry *dst = sdp_peer_dst(ssk, peer);
	unsigned int hdrs, mtu, gso_max, seg_max, per_seg, nrec, rec_wire;

	if (!dst)
		return -EHOSTUNREACH;
	hdrs = sdp_ip_hdr_len(ssk) + sizeof(struct sdp_data_hdr);
	mtu = dst_mtu(dst);
	if (mtu < hdrs + 64)
		return -EMSGSIZE;
	geo->mss = mtu - hdrs;
	gso_max = min_t(unsigned int, READ_ONCE(dst->dev->gso_max_size),
			SDP_MAX_SEGMENT + 1);
	seg_max = gso_max > hdrs + geo->mss ? gso_max - 1 - hdrs : geo->mss;
	geo->epoch = epoch;
	if (!epoch) {
		per_seg = seg_max / geo->mss;
		geo->seg_bytes = geo->mss * max_t(unsigned int, per_seg, 1);
		geo->rec_plain = 0;
		geo->wire_len = len;
		return 0;
	}
	/* As few records per segment as the TLS limit allows, equal sized. */
	nrec = DIV_ROUND_UP(seg_max, SDP_RECORD_PLAIN_MAX + SDP_RECORD_OVERHEAD);
	rec_wire = seg_max / nrec;
	if (rec_wire <= SDP_RECORD_OVERHEAD + 64)
		return -EMSGSIZE;
	geo->rec_plain = rec_wire - SDP_RECORD_OVERHEAD;
	geo->seg_bytes = nrec * rec_wire;
	if (!sdp_record_fits(len, geo->rec_plain))
		return -EMSGSIZE;
	geo->wire_len = (u32)sdp_wire_len(len, geo->rec_plain,
					  SDP_RECORD_OVERHEAD);
	return 0;
}

static void sdp_msgout_init(struct sdp_rpc *rpc, struct sdp_pagebuf *buf,
			    u32 len, const struct sdp_msg_geom *geo)
{
	struct sdp_msgout *out = &rpc->out;

	out->buf = buf;
	out->len = len;
	out->geo = *geo;
	out->next_xmit = 0;
	out->started = false;
	out->granted = sdp_unsched(out);
}

/*
 * Fill the message's wire buffer from the user's bytes: as they are, or
 * record by record, each sealed with the transmit key (outside the socket
 * lock: sealing a large message takes a while).
 */
int sdp_msgout_fill(struct sdp_pagebuf *buf, struct iov_iter *from, u32 len,
		    const struct sdp_msg_geom *geo, struct sdp_txkey *txk,
		    u64 msg_id, u64 rpc_id, bool response)
{
	struct sdp_record_geom g;
	u32 k, nrec;
	int err;

	if (!txk)
		return sdp_pagebuf_from_iter(buf, from);
	nrec = sdp_record_count(len, geo->rec_plain);
	for (k = 0; k < nrec; k++) {
		if (!sdp_record_locate(len, geo->rec_plain, k, &g))
			return -EINVAL;
		err = sdp_pagebuf_from_iter_at(buf, g.wire_off +
					       SDP_RECORD_PREFIX + SDP_FRAME_LEN,
					       g.app_len, from);
		if (!err)
			err = sdp_record_prepare(buf, &g, msg_id, rpc_id, len,
						 response);
		/*
		 * TLS TX offload hook (docs/OFFLOAD.md): a device that
		 * encrypts TLS records would take the prepared record from
		 * here; the software engine produces the same bytes.
		 */
		if (!err)
			err = sdp_record_encrypt(&txk->aead, buf, &g);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Start sending a message that sdp_msgout_fill() filled: as the RPC's
 * request (client) or response (server). Sock lock held.
 */
void sdp_msgout_start(struct sdp_sock *ssk, struct sdp_rpc *rpc,
		      struct sdp_pagebuf *buf, u32 len,
		      const struct sdp_msg_geom *geo, struct sk_buff_head *q)
{
	sdp_rpc_progress(rpc);
	sdp_msgout_init(rpc, buf, len, geo);
	sdp_xmit_new_data(ssk, rpc, q);
}

/* Build one DATA segment [off, off + len) of the message. */
static struct sk_buff *sdp_build_data(struct sdp_sock *ssk,
				      struct sdp_rpc *rpc, u32 off, u32 len,
				      u8 extra_flags)
{
	struct sdp_msgout *out = &rpc->out;
	struct sdp_data_hdr *h;
	struct sk_buff *skb;
	unsigned int segs;

	skb = sdp_alloc_skb(sizeof(*h), 0);
	if (!skb)
		return NULL;
	h = (struct sdp_data_hdr *)skb_transport_header(skb);
	sdp_build_common(&h->common, SDP_PKT_DATA, ssk->port, rpc->peer_port,
			 rpc->id, sdp_rpc_flags(rpc) | extra_flags, out->geo.epoch,
			 off);
	h->msg_len = cpu_to_be32(out->len);
	h->incoming = cpu_to_be32(out->granted);
	h->rec_plain = cpu_to_be16(out->geo.rec_plain);
	h->reserved1 = 0;
	h->reserved2 = 0;
	if (len && sdp_pagebuf_attach(out->buf, off, len, skb)) {
		kfree_skb(skb);
		return NULL;
	}
	segs = len > out->geo.mss ? DIV_ROUND_UP(len, out->geo.mss) : 1;
	if (segs > 1) {
		skb_shinfo(skb)->gso_size = out->geo.mss;
		skb_shinfo(skb)->gso_segs = segs;
		skb_shinfo(skb)->gso_type = sdp_is_v6(ssk) ? SKB_GSO_TCPV6 :
							      SKB_GSO_TCPV4;
	}
	if (!sdp_finish_skb(ssk, rpc->peer, skb, segs))
		return NULL;
	return skb;
}

static void sdp_queue_data(struct sdp_sock *ssk, struct sdp_rpc *rpc,
			   u32 off, u32 len, u8 flags, struct sk_buff_head *q)
{
	struct net *net = sdp_sock_net(ssk);
	struct sk_buff *skb = sdp_build_data(ssk, rpc, off, len, flags);

	if (!skb) {
		sdp_count(net, SDP_CNT_TX_ERRORS, 1);
		return;
	}
	rpc->out.last_sent = jiffies;
	sdp_count(net, SDP_CNT_TX_DATA, 1);
	sdp_count(net, SDP_CNT_TX_DATA_BYTES, len);
	if (flags & SDP_F_RETRANSMIT) {
		sdp_count(net, SDP_CNT_RETRANSMITTED_SEGMENTS, 1);
		sdp_count(net, SDP_CNT_RETRANSMITTED_BYTES, len);
	}
	__skb_queue_tail(q, skb);
}

/* Queue every segment that is granted and not yet sent. */
void sdp_xmit_new_data(struct sdp_sock *ssk, struct sdp_rpc *rpc,
		       struct sk_buff_head *q)
{
	struct sdp_msgout *out = &rpc->out;

	if (!out->buf && out->geo.wire_len)
		return;
	if (!out->started) {
		out->started = true;
		if (!out->geo.wire_len) {
			sdp_queue_data(ssk, rpc, 0, 0, 0, q);
			return;
		}
	}
	while (out->next_xmit < out->geo.wire_len &&
	       out->next_xmit < out->granted) {
		u32 len = min(out->geo.seg_bytes, out->geo.wire_len - out->next_xmit);

		sdp_queue_data(ssk, rpc, out->next_xmit, len, 0, q);
		out->next_xmit += len;
	}
}

/*
 * Answer a RESEND for [start, end): segments already sent that overlap
 * the range go out again; bytes beyond what was sent count as a grant.
 * While this message sent a segment less than resend_ms ago, a RESEND is
 * the peer's probe crossing data in flight (or sitting in a full device
 * backlog): the sent segments are not repeated, the peer gets BUSY (alive)
 * and asks again after its backoff. Returns true if it sent data.
 */
bool sdp_xmit_range(struct sdp_sock *ssk, struct sdp_rpc *rpc, u32 start,
		    u32 end, struct sk_buff_head *q)
{
	struct sdp_msgout *out = &rpc->out;
	u32 off, unit, stop;
	bool recent;

	if (!out->buf && out->geo.wire_len)
		return false;
	recent = out->started &&
		 time_before(jiffies, out->last_sent + sdp_resend_jiffies());
	if (!out->geo.wire_len) {
		if (recent)
			return false;
		sdp_queue_data(ssk, rpc, 0, 0, SDP_F_RETRANSMIT, q);
		out->started = true;
		return true;
	}
	end = min(end, out->geo.wire_len);
	if (start >= end)
		return false;
	/*
	 * Resend only what was asked for, widened to whole records (whole
	 * packets without a key) and cut at segment boundaries: a record that
	 * a forged packet spoiled at the receiver costs one record, not the
	 * segments around it.
	 */
	unit = out->geo.epoch ? out->geo.rec_plain + SDP_RECORD_OVERHEAD : out->geo.mss;
	off = start - start % unit;
	stop = min(roundup(end, unit), min(out->geo.wire_len, out->next_xmit));
	while (!recent && off < stop) {
		u32 seg_end = off - off % out->geo.seg_bytes + out->geo.seg_bytes;
		u32 len = min(seg_end, stop) - off;

		sdp_queue_data(ssk, rpc, off, len, SDP_F_RETRANSMIT, q);
		off += len;
	}
	if (end > out->granted)
		out->granted = end;
	off = out->next_xmit;
	sdp_xmit_new_data(ssk, rpc, q);
	return !recent || out->next_xmit != off;
}

static const enum sdp_counter sdp_tx_ctrl_counter[] = {
	[SDP_PKT_GRANT - SDP_PKT_TYPE_MIN] = SDP_CNT_TX_GRANT,
	[SDP_PKT_RESEND - SDP_PKT_TYPE_MIN] = SDP_CNT_TX_RESEND,
	[SDP_PKT_UNKNOWN - SDP_PKT_TYPE_MIN] = SDP_CNT_TX_UNKNOWN,
	[SDP_PKT_BUSY - SDP_PKT_TYPE_MIN] = SDP_CNT_TX_BUSY,
	[SDP_PKT_NEED_ACK - SDP_PKT_TYPE_MIN] = SDP_CNT_TX_NEED_ACK,
	[SDP_PKT_ACK - SDP_PKT_TYPE_MIN] = SDP_CNT_TX_ACK,
};

static void sdp_queue_ctrl_pkt(struct sdp_sock *ssk, struct sdp_peer *peer,
			       u16 dport, u64 rpc_id, u8 flags, u8 type,
			       u32 a, u32 b, u64 more, struct sk_buff_head *q)
{
	struct net *net = sdp_sock_net(ssk);
	unsigned int hlen = sdp_hdr_len(type);
	struct sdp_common_hdr *c;
	struct sk_buff *skb;
	int err;

	skb = sdp_alloc_skb(hlen, SDP_CTRL_TRAILER_LEN);
	if (!skb) {
		sdp_count(net, SDP_CNT_TX_ERRORS, 1);
		return;
	}
	c = (struct sdp_common_hdr *)skb_transport_header(skb);
	sdp_build_common(c, type, ssk->port, dport, rpc_id, flags, 0, 0);
	if (type == SDP_PKT_GRANT) {
		struct sdp_grant_hdr *g = (struct sdp_grant_hdr *)c;

		g->offset = cpu_to_be32(a);
		g->reserved = 0;
	} else if (type == SDP_PKT_RESEND) {
		struct sdp_resend_hdr *r = (struct sdp_resend_hdr *)c;

		r->offset = cpu_to_be32(a);
		r->length = cpu_to_be32(b);
	} else if (type == SDP_PKT_ACK) {
		((struct sdp_ack_hdr *)c)->more = cpu_to_be64(more);
	}
	err = sdp_ctrl_sign(ssk, &peer->addr, dport, skb);
	if (err) {
		kfree_skb(skb);
		sdp_count(net, err == -ENOKEY ? SDP_CNT_TX_CTRL_NO_KEY :
			  SDP_CNT_TX_ERRORS, 1);
		return;
	}
	if (!sdp_finish_skb(ssk, peer, skb, 1))
		return;
	sdp_count(net, sdp_tx_ctrl_counter[type - SDP_PKT_TYPE_MIN], 1);
	__skb_queue_tail(q, skb);
}

void sdp_queue_ctrl(struct sdp_sock *ssk, struct sdp_rpc *rpc, u8 type,
		    u32 a, u32 b, struct sk_buff_head *q)
{
	sdp_queue_ctrl_pkt(ssk, rpc->peer, rpc->peer_port, rpc->id,
			   sdp_rpc_flags(rpc), type, a, b, 0, q);
}

void sdp_queue_ctrl_to(struct sdp_sock *ssk, struct sdp_peer *peer,
		       u16 dport, u64 rpc_id, u8 flags, u8 type,
		       struct sk_buff_head *q)
{
	sdp_queue_ctrl_pkt(ssk, peer, dport, rpc_id, flags, type, 0, 0, 0, q);
}

/*
 * Client side ACKs. A received response is not acknowledged at once: its
 * id joins the set of its server (one slot per server address and port,
 * which holds a reference on the peer), and the set goes out as one ACK
 * packet at the next timer tick, when an id does not fit into it, when
 * the slots run out, or when the socket closes. One ACK per tick and
 * server instead of one per RPC; the server's NEED_ACK (resend_ms) comes
 * later than the tick (tick_ms) and is answered at once if it does.
 */
static void sdp_ack_slot_send(struct sdp_sock *ssk,
			      struct sdp_ack_pending *p,
			      struct sk_buff_head *q)
{
	if (!p->peer)
		return;
	if (!sdp_ackset_empty(&p->set))
		sdp_queue_ctrl_pkt(ssk, p->peer, p->port, p->set.top, 0,
				   SDP_PKT_ACK, 0, 0, p->set.more, q);
	sdp_peer_put(ssk, p->peer);
	p->peer = NULL;
	ssk->nacks--;
}

void sdp_ack_note(struct sdp_sock *ssk, struct sdp_rpc *rpc,
		  struct sk_buff_head *q)
{
	struct sdp_ack_pending *p, *slot = NULL;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ssk->acks); i++) {
		p = &ssk->acks[i];
		if (!p->peer) {
			if (!slot)
				slot = p;
			continue;
		}
		if (p->peer != rpc->peer || p->port != rpc->peer_port)
			continue;
		if (sdp_ackset_add(&p->set, rpc->id))
			return;
		/* Too far from the ids in the set: send it, start anew. */
		sdp_ack_slot_send(ssk, p, q);
		slot = p;
		break;
	}
	if (!slot) {
		slot = &ssk->acks[ssk->ack_evict++ % ARRAY_SIZE(ssk->acks)];
		sdp_ack_slot_send(ssk, slot, q);
	}
	slot->peer = rpc->peer;
	rpc->peer->refs++;
	slot->port = rpc->peer_port;
	sdp_ackset_init(&slot->set);
	sdp_ackset_add(&slot->set, rpc->id);
	ssk->nacks++;
	sdp_timer_arm(ssk);
}

/* Send every pending ACK (timer tick, close). Under the socket lock. */
void sdp_acks_flush(struct sdp_sock *ssk, struct sk_buff_head *q)
{
	unsigned int i;

	for (i = 0; ssk->nacks && i < ARRAY_SIZE(ssk->acks); i++)
		sdp_ack_slot_send(ssk, &ssk->acks[i], q);
}


/*
 * Client requests some of whose segments our own stack dropped (the device
 * backlog was full): mark them, so that the UNKNOWN this will bring does
 * not count as a failed attempt (sdp_restart_request()).
 */
static void sdp_mark_dropped_requests(struct sdp_sock *ssk, const u64 *ids,
				      unsigned int n)
{
	struct sdp_rpc *rpc;
	unsigned int i;

	spin_lock_bh(&ssk->lock);
	for (i = 0; i < n; i++) {
		rpc = sdp_rpc_find(ssk, ids[i], true, NULL, 0);
		if (rpc && rpc->state == SDP_RPC_CLIENT_OUTGOING)
			rpc->req_dropped_here = true;
	}
	spin_unlock_bh(&ssk->lock);
}

/* Send what was queued under the socket lock. Called without the lock. */
void sdp_xmit_queue(struct sdp_sock *ssk, struct sk_buff_head *q)
{
	struct sock *sk = sdp_to_sk(ssk);
	struct net *net = sock_net(sk);
	u64 dropped[SDP_DROPPED_REQS_MAX];
	unsigned int ndropped = 0;
	struct sk_buff *skb;
	int err;

	while ((skb = __skb_dequeue(q))) {
		const struct sdp_common_hdr *c =
			(const struct sdp_common_hdr *)skb_transport_header(skb);
		bool request = c->type == SDP_PKT_DATA &&
			       !(c->flags & SDP_F_FROM_SERVER);
		u64 id = be64_to_cpu(c->rpc_id);

		if (skb->protocol == htons(ETH_P_IP))
			err = ip_local_out(net, sk, skb);
		else
			err = ip6_local_out(net, sk, skb);
		err = net_xmit_eval(err);
		if (err) {
			sdp_count(net, SDP_CNT_TX_ERRORS, 1);
			if (request && ndropped < SDP_DROPPED_REQS_MAX &&
			    (!ndropped || dropped[ndropped - 1] != id))
				dropped[ndropped++] = id;
		} else {
			sdp_count(net, SDP_CNT_TX_PACKETS, 1);
		}
	}
	if (ndropped)
		sdp_mark_dropped_requests(ssk, dropped, ndropped);
}

/*
 * Software GSO: cut a DATA segment into packets and advance seq by the
 * payload of each, as TSO would. Called with skb->data at the SDP header.
 */
static struct sk_buff *sdp_gso_segment(struct sk_buff *skb,
				       netdev_features_t features)
{
	struct sdp_common_hdr *h;
	struct sk_buff *segs, *s;
	unsigned int mss;
	u32 seq;

	if (!pskb_may_pull(skb, sizeof(struct sdp_data_hdr)))
		return ERR_PTR(-EINVAL);
	h = (struct sdp_common_hdr *)skb->data;
	if (h->type != SDP_PKT_DATA ||
	    h->doff != (sizeof(struct sdp_data_hdr) / 4) << 4)
		return ERR_PTR(-EINVAL);
	mss = skb_shinfo(skb)->gso_size;
	seq = be32_to_cpu(h->seq);
	__skb_pull(skb, sizeof(struct sdp_data_hdr));
	segs = skb_segment(skb, features);
	if (IS_ERR_OR_NULL(segs))
		return segs;
	for (s = segs; s; s = s->next) {
		h = (struct sdp_common_hdr *)skb_transport_header(s);
		h->seq = cpu_to_be32(seq);
		seq += mss;
	}
	return segs;
}

static const struct net_offload sdp_offload = {
	.callbacks = { .gso_segment = sdp_gso_segment },
};

int sdp_offload_register(void)
{
	int err = inet_add_offload(&sdp_offload, sdp_ip_proto);

	if (err)
		return err;
	err = inet6_add_offload(&sdp_offload, sdp_ip_proto);
	if (err)
		inet_del_offload(&sdp_offload, sdp_ip_proto);
	return err;
}

void sdp_offload_unregister(void)
{
	inet6_del_offload(&sdp_offload, sdp_ip_proto);
	inet_del_offload(&sdp_offload, sdp_ip_proto);
}
