// SPDX-License-Identifier: GPL-2.0
/*
 * The global port table: (netns, family, port, bound address) -> socket.
 * bind and autobind enter a socket, close removes it, and the receive path
 * finds the socket a packet is for.
 *
 * Sockets are freed after an RCU grace period (SOCK_RCU_FREE, set in
 * sdp_init_sock()), so the receive path may walk a bucket under
 * rcu_read_lock() and take a reference with refcount_inc_not_zero() while
 * close runs concurrently. A socket bound to a specific address and one
 * bound to the wildcard address never share a port (EADDRINUSE), so at most
 * one socket matches a packet's destination address and port.
 */
#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/random.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "sdp_sock.h"

static DEFINE_HASHTABLE(sdp_ports, SDP_PORT_BUCKET_BITS);
static DEFINE_SPINLOCK(sdp_ports_lock);

static u32 sdp_port_hash(const struct net *net, int family, u16 port)
{
	return hash_32(net_hash_mix(net) ^ port ^ (family << 16),
		       SDP_PORT_BUCKET_BITS);
}

/* The socket's bound address (v4-mapped for IPv4; any: wildcard). */
static void sdp_bound_addr(const struct sock *sk, struct in6_addr *a)
{
	if (sk->sk_family == AF_INET)
		ipv6_addr_set_v4mapped(READ_ONCE(inet_sk(sk)->inet_rcv_saddr),
				       a);
	else
		*a = sk->sk_v6_rcv_saddr;
}

static bool sdp_addr_wild(const struct in6_addr *a)
{
	return ipv6_addr_any(a) ||
	       (ipv6_addr_v4mapped(a) && !a->s6_addr32[3]);
}

/*
 * The socket on (net, family, port) that addr would collide with: one bound
 * to addr or to the wildcard, or, if addr is the wildcard, any socket on the
 * port. Under rcu_read_lock() or sdp_ports_lock.
 */
static struct sdp_sock *sdp_port_find(const struct net *net, int family,
				      u16 port, const struct in6_addr *addr)
{
	struct sdp_sock *ssk;

	hlist_for_each_entry_rcu(ssk, &sdp_ports[sdp_port_hash(net, family, port)],
				 port_node) {
		struct sock *sk = sdp_to_sk(ssk);
		struct in6_addr bound;

		if (READ_ONCE(ssk->port) != port || sk->sk_family != family ||
		    !net_eq(sock_net(sk), net))
			continue;
		sdp_bound_addr(sk, &bound);
		if (sdp_addr_wild(&bound) || sdp_addr_wild(addr) ||
		    ipv6_addr_equal(&bound, addr))
			return ssk;
	}
	return NULL;
}

/*
 * The socket a packet to (daddr, port) belongs to, with a reference held;
 * NULL if none. daddr is v4-mapped for IPv4.
 */
struct sdp_sock *sdp_sock_lookup_addr(struct net *net, int family,
				      const struct in6_addr *daddr, u16 port)
{
	struct sdp_sock *ssk;

	/* A packet to the wildcard address belongs to no bound address. */
	if (sdp_addr_wild(daddr))
		return NULL;
	rcu_read_lock();
	ssk = sdp_port_find(net, family, port, daddr);
	if (ssk && !refcount_inc_not_zero(&sdp_to_sk(ssk)->sk_refcnt))
		ssk = NULL;
	rcu_read_unlock();
	return ssk;
}

/* The socket a received packet belongs to (sdp_sock_lookup_addr()). */
struct sdp_sock *sdp_sock_lookup(struct net *net, int family,
				 const struct sk_buff *skb, u16 port)
{
	struct in6_addr daddr;

	if (family == AF_INET)
		ipv6_addr_set_v4mapped(ip_hdr(skb)->daddr, &daddr);
	else
		daddr = ipv6_hdr(skb)->daddr;
	return sdp_sock_lookup_addr(net, family, &daddr, port);
}

/*
 * Bind to port (0 = pick an ephemeral one) with the socket's bound address
 * addr (the wildcard address, or a local one), which is set before the
 * socket becomes visible to the receive path.
 */
int sdp_port_bind(struct sdp_sock *ssk, u16 port,
			 const struct in6_addr *addr)
{
	struct sock *sk = sdp_to_sk(ssk);
	struct net *net = sock_net(sk);
	int err = 0;

	spin_lock_bh(&sdp_ports_lock);
	if (ssk->port) {
		err = -EINVAL;
	} else if (port) {
		if (sdp_port_find(net, sk->sk_family, port, addr))
			err = -EADDRINUSE;
	} else {
		u32 range = SDP_EPHEMERAL_HIGH - SDP_EPHEMERAL_LOW + 1;
		u32 start = get_random_u32_below(range), i;

		err = -EADDRNOTAVAIL;
		for (i = 0; i < range; i++) {
			u16 p = SDP_EPHEMERAL_LOW + (start + i) % range;

			if (!sdp_port_find(net, sk->sk_family, p, addr)) {
				port = p;
				err = 0;
				break;
			}
		}
	}
	if (!err) {
		if (sk->sk_family == AF_INET) {
			WRITE_ONCE(ssk->inet.inet_rcv_saddr, addr->s6_addr32[3]);
			ssk->inet.inet_saddr = addr->s6_addr32[3];
		} else {
			sk->sk_v6_rcv_saddr = *addr;
		}
		WRITE_ONCE(ssk->port, port);
		ssk->inet.inet_num = port;
		ssk->inet.inet_sport = htons(port);
		hlist_add_head_rcu(&ssk->port_node,
				   &sdp_ports[sdp_port_hash(net, sk->sk_family,
							    port)]);
	}
	spin_unlock_bh(&sdp_ports_lock);
	return err;
}

void sdp_unhash(struct sock *sk)
{
	struct sdp_sock *ssk = sdp_sk(sk);

	spin_lock_bh(&sdp_ports_lock);
	if (ssk->port) {
		hlist_del_init_rcu(&ssk->port_node);
		WRITE_ONCE(ssk->port, 0);
	}
	spin_unlock_bh(&sdp_ports_lock);
}
