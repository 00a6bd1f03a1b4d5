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

#include "sdp_impl.h"

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
 * with a key (epoch != 0), records of rec_app application bytes such that
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
		geo->rec_app = 0;
		geo->wire_len = len;
		return 0;
	}
	/* As few records per segment as the TLS limit allows, equal sized. */
	nrec = DIV_ROUND_UP(seg_max, SDP_RECORD_APP_MAX + SDP_RECORD_OVERHEAD);
	rec_wire = seg_max / nrec;
	if (rec_wire <= SDP_RECORD_OVERHEAD + 64)
		return -EMSGSIZE;
	geo->rec_app = rec_wire - SDP_RECORD_OVERHEAD;
	geo->seg_bytes = nrec * rec_wire;
	if (!sdp_record_fits(len, geo->rec_app))
		return -EMSGSIZE;
	geo->wire_len = (u32)sdp_wire_len(len, geo->rec_app,
					  SDP_RECORD_OVERHEAD);
	return 0;
}

void sdp_msgout_init(struct sdp_rpc *rpc, struct sdp_pagebuf *buf, u32 len,
		     const struct sdp_msg_geom *geo)
{
	struct sdp_msgout *out = &rpc->out;

	out->buf = buf;
	out->len = len;
	out->wire_len = geo->wire_len;
	out->mss = geo->mss;
	out->seg_bytes = geo->seg_bytes;
	out->rec_plain = geo->rec_app;
	out->epoch = geo->epoch;
	out->next_xmit = 0;
	out->started = false;
	out->granted = sdp_unsched(out);
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
			 rpc->id, sdp_rpc_flags(rpc) | extra_flags, out->epoch,
			 off);
	h->msg_len = cpu_to_be32(out->len);
	h->incoming = cpu_to_be32(out->granted);
	h->rec_plain = cpu_to_be16(out->rec_plain);
	h->reserved1 = 0;
	h->reserved2 = 0;
	if (len && sdp_pagebuf_attach(out->buf, off, len, skb)) {
		kfree_skb(skb);
		return NULL;
	}
	segs = len > out->mss ? DIV_ROUND_UP(len, out->mss) : 1;
	if (segs > 1) {
		skb_shinfo(skb)->gso_size = out->mss;
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
	struct net *net = sock_net(sdp_to_sk(ssk));
	struct sk_buff *skb = sdp_build_data(ssk, rpc, off, len, flags);

	if (!skb) {
		sdp_count(net, SDP_CNT_TX_ERRORS, 1);
		return;
	}
	sdp_count(net, SDP_CNT_TX_DATA, 1);
	sdp_count(net, SDP_CNT_TX_DATA_BYTES, len);
	if (flags & SDP_F_RETRANSMIT)
		sdp_count(net, SDP_CNT_RETRANSMITTED_SEGMENTS, 1);
	__skb_queue_tail(q, skb);
}

/* Queue every segment that is granted and not yet sent. */
void sdp_xmit_new_data(struct sdp_sock *ssk, struct sdp_rpc *rpc,
		       struct sk_buff_head *q)
{
	struct sdp_msgout *out = &rpc->out;

	if (!out->buf && out->wire_len)
		return;
	if (!out->started) {
		out->started = true;
		if (!out->wire_len) {
			sdp_queue_data(ssk, rpc, 0, 0, 0, q);
			return;
		}
	}
	while (out->next_xmit < out->wire_len &&
	       out->next_xmit < out->granted) {
		u32 len = min(out->seg_bytes, out->wire_len - out->next_xmit);

		sdp_queue_data(ssk, rpc, out->next_xmit, len, 0, q);
		out->next_xmit += len;
	}
}

/*
 * Answer a RESEND for [start, end): segments already sent that overlap
 * the range go out again; bytes beyond what was sent count as a grant.
 */
void sdp_xmit_range(struct sdp_sock *ssk, struct sdp_rpc *rpc, u32 start,
		    u32 end, struct sk_buff_head *q)
{
	struct sdp_msgout *out = &rpc->out;
	u32 off;

	if (!out->buf && out->wire_len)
		return;
	if (!out->wire_len) {
		sdp_queue_data(ssk, rpc, 0, 0, SDP_F_RETRANSMIT, q);
		out->started = true;
		return;
	}
	end = min(end, out->wire_len);
	if (start >= end)
		return;
	off = start - start % out->seg_bytes;
	for (; off < end && off < out->next_xmit; off += out->seg_bytes) {
		u32 len = min(out->seg_bytes, out->wire_len - off);

		sdp_queue_data(ssk, rpc, off, len, SDP_F_RETRANSMIT, q);
	}
	if (end > out->granted)
		out->granted = end;
	sdp_xmit_new_data(ssk, rpc, q);
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
			       u32 a, u32 b, struct sk_buff_head *q)
{
	struct net *net = sock_net(sdp_to_sk(ssk));
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
			   sdp_rpc_flags(rpc), type, a, b, q);
}

void sdp_queue_ctrl_to(struct sdp_sock *ssk, struct sdp_peer *peer,
		       u16 dport, u64 rpc_id, u8 flags, u8 type,
		       struct sk_buff_head *q)
{
	sdp_queue_ctrl_pkt(ssk, peer, dport, rpc_id, flags, type, 0, 0, q);
}

/* Send what was queued under the socket lock. Called without the lock. */
void sdp_xmit_queue(struct sdp_sock *ssk, struct sk_buff_head *q)
{
	struct sock *sk = sdp_to_sk(ssk);
	struct net *net = sock_net(sk);
	struct sk_buff *skb;
	int err;

	while ((skb = __skb_dequeue(q))) {
		if (skb->protocol == htons(ETH_P_IP))
			err = ip_local_out(net, sk, skb);
		else
			err = ip6_local_out(net, sk, skb);
		err = net_xmit_eval(err);
		if (err)
			sdp_count(net, SDP_CNT_TX_ERRORS, 1);
		else
			sdp_count(net, SDP_CNT_TX_PACKETS, 1);
	}
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
