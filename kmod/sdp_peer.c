// SPDX-License-Identifier: GPL-2.0
/*
 * Per-socket peer table: the route (dst) to each peer address,
 * checked and looked up again when the routing table changes.
 */
#include <linux/slab.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>

#include "sdp_sock.h"
#include "sdp_peer.h"

static u32 sdp_addr_hash(const struct in6_addr *a)
{
	return sdp_hash_addr_port(a, 0, SDP_PEER_BUCKET_BITS);
}

static struct dst_entry *sdp_route6(struct sdp_sock *ssk, struct sdp_peer *p,
				    int *err)
{
	struct sock *sk = sdp_to_sk(ssk);
	struct flowi6 *fl6 = &p->fl6;
	struct dst_entry *dst;

	memset(fl6, 0, sizeof(*fl6));
	fl6->flowi6_proto = sk->sk_protocol;
	fl6->daddr = p->addr;
	fl6->saddr = sk->sk_v6_rcv_saddr;
	fl6->flowi6_oif = sk->sk_bound_dev_if;
	fl6->flowi6_mark = sk->sk_mark;
	fl6->flowi6_uid = sk->sk_uid;
	dst = ip6_dst_lookup_flow(sock_net(sk), sk, fl6, NULL);
	if (IS_ERR(dst)) {
		*err = PTR_ERR(dst);
		return NULL;
	}
	p->dst_cookie = rt6_get_cookie((struct rt6_info *)dst);
	return dst;
}

static struct dst_entry *sdp_route(struct sdp_sock *ssk, struct sdp_peer *p,
				   int *err)
{
	struct sock *sk = sdp_to_sk(ssk);
	struct net *net = sock_net(sk);

	if (sk->sk_family == AF_INET) {
		struct flowi4 *fl4 = &p->fl4;
		struct rtable *rt;

		flowi4_init_output(fl4, sk->sk_bound_dev_if, sk->sk_mark,
				   RT_CONN_FLAGS(sk), RT_SCOPE_UNIVERSE,
				   sk->sk_protocol, 0,
				   p->addr.s6_addr32[3],
				   ssk->inet.inet_saddr, 0, 0, sk->sk_uid);
		rt = ip_route_output_flow(net, fl4, sk);
		if (IS_ERR(rt)) {
			*err = PTR_ERR(rt);
			return NULL;
		}
		return &rt->dst;
	}
	return sdp_route6(ssk, p, err);
}

/* Look up or create the peer for addr; takes a reference. Sock lock held. */
struct sdp_peer *sdp_peer_get(struct sdp_sock *ssk,
			      const struct in6_addr *addr, int *err)
{
	struct hlist_head *h = &ssk->peer_hash[sdp_addr_hash(addr)];
	struct sdp_peer *p;

	hlist_for_each_entry(p, h, node) {
		if (ipv6_addr_equal(&p->addr, addr)) {
			p->refs++;
			return p;
		}
	}
	/* Charged to the caller's memory cgroup in a system call only. */
	p = kzalloc(sizeof(*p), GFP_ATOMIC | __GFP_ACCOUNT);
	if (!p) {
		*err = -ENOMEM;
		return NULL;
	}
	p->addr = *addr;
	p->dst = sdp_route(ssk, p, err);
	if (!p->dst) {
		kfree(p);
		return NULL;
	}
	p->refs = 1;
	hlist_add_head(&p->node, h);
	return p;
}

void sdp_peer_put(struct sdp_sock *ssk, struct sdp_peer *p)
{
	if (--p->refs)
		return;
	hlist_del(&p->node);
	dst_release(p->dst);
	kfree(p);
}

void sdp_peers_destroy(struct sdp_sock *ssk)
{
	struct hlist_node *tmp;
	struct sdp_peer *p;
	int bkt;

	hash_for_each_safe(ssk->peer_hash, bkt, tmp, p, node) {
		hash_del(&p->node);
		dst_release(p->dst);
		kfree(p);
	}
}

/* A valid route to the peer, refreshed if the old one went stale. */
struct dst_entry *sdp_peer_dst(struct sdp_sock *ssk, struct sdp_peer *p)
{
	struct dst_entry *dst = p->dst;
	int err = 0;

	if (dst->obsolete &&
	    !dst->ops->check(dst, sdp_to_sk(ssk)->sk_family == AF_INET6 ?
			     p->dst_cookie : 0)) {
		dst = sdp_route(ssk, p, &err);
		if (!dst)
			return NULL;
		dst_release(p->dst);
		p->dst = dst;
	}
	return dst;
}
