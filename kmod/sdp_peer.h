/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Peers of a socket (sdp_peer.c): one per remote address, with its cached
 * route, shared by the RPCs with that address (reference counted under the
 * socket lock).
 */
#ifndef SDP_PEER_H
#define SDP_PEER_H

#include <linux/in6.h>
#include <linux/list.h>
#include <net/flow.h>
#include <net/dst.h>

struct sdp_sock;

struct sdp_peer {
	struct hlist_node node;
	struct in6_addr addr;		/* IPv4 as v4-mapped */
	struct dst_entry *dst;
	u32 dst_cookie;			/* IPv6 route cookie */
	union {
		struct flowi4 fl4;
		struct flowi6 fl6;
	};
	unsigned int refs;		/* RPCs using it; under sock lock */
	unsigned int nprovisional;	/* its provisional server RPCs */
};

struct sdp_peer *sdp_peer_get(struct sdp_sock *ssk,
			      const struct in6_addr *addr, int *err);
void sdp_peer_put(struct sdp_sock *ssk, struct sdp_peer *peer);
void sdp_peers_destroy(struct sdp_sock *ssk);
struct dst_entry *sdp_peer_dst(struct sdp_sock *ssk, struct sdp_peer *peer);

#endif /* SDP_PEER_H */
