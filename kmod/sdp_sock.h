/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SDP socket (sdp_sock.c): what one socket holds (its RPCs, peers,
 * keys, client windows, ready queue, timer) and protocol registration; the
 * global port table the receive path finds sockets in (sdp_port.c).
 */
#ifndef SDP_SOCK_H
#define SDP_SOCK_H

#include <linux/hashtable.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/siphash.h>
#include <net/sock.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>

#include "sdp_impl.h"
#include "sdp_rpc.h"

/* Client: received responses not yet acknowledged to one server. */
struct sdp_ack_pending {
	struct sdp_peer *peer;		/* holds a reference; NULL: free */
	u16 port;
	struct sdp_ackset set;
};

struct sdp_sock {
	struct inet_sock inet;		/* must be first */
	spinlock_t lock;
	struct hlist_node port_node;	/* global port table */
	u16 port;			/* host order; 0 = unbound */
	bool shutdown;
	u64 next_rpc_id;
	u32 mem_bytes;			/* msg buffer bytes charged */
	u32 nclient_wins;
	unsigned int client_rpcs;
	unsigned int server_rpcs;
	unsigned int ready_msgs;
	unsigned int ready_reqs;	/* requests among ready_msgs */
	struct list_head rpcs;
	struct list_head ready;
	struct list_head grantable;
	struct list_head provisional;	/* provisional RPCs, oldest first */
	unsigned int nprovisional;
	struct timer_list timer;
	struct sdp_grant_cand grant_cand[SDP_GRANT_CANDIDATES];
	/*
	 * Hash tables (linux/hashtable.h); buckets are chosen with SipHash
	 * under a per-boot key (sdp_hash.h), so a peer cannot aim at one.
	 */
	DECLARE_HASHTABLE(rpc_hash, SDP_RPC_BUCKET_BITS);
	DECLARE_HASHTABLE(peer_hash, SDP_PEER_BUCKET_BITS);
	DECLARE_HASHTABLE(client_hash, SDP_CLIENT_BUCKET_BITS);
	DECLARE_HASHTABLE(key_hash, SDP_KEY_BUCKET_BITS);
	/* installed keys by fingerprint (sdp_key.c), under a random secret */
	DECLARE_HASHTABLE(key_fp_hash, SDP_KEY_FP_BUCKET_BITS);
	siphash_key_t key_fp_secret;
	unsigned int nkeys;		/* peers with keys */
	bool allow_plaintext;
	unsigned int nacks;		/* ack slots in use */
	unsigned int ack_evict;		/* next slot to give up when full */
	struct sdp_ack_pending acks[SDP_ACK_SLOTS];
	struct page_frag_cache frag_cache;	/* small messages; sock lock */
};

struct sdp6_sock {
	struct sdp_sock sdp;
	struct ipv6_pinfo inet6;	/* must be last */
};

static inline struct sdp_sock *sdp_sk(const struct sock *sk)
{
	return (struct sdp_sock *)sk;
}

static inline struct sock *sdp_to_sk(struct sdp_sock *ssk)
{
	return &ssk->inet.sk;
}

static inline struct net *sdp_sock_net(struct sdp_sock *ssk)
{
	return sock_net(sdp_to_sk(ssk));
}

/* sdp_sock.c */
int sdp_proto_register(void);
void sdp_proto_unregister(void);

/* sdp_port.c: the global port table */
struct sdp_sock *sdp_sock_lookup(struct net *net, int family,
				 const struct sk_buff *skb, u16 port);
struct sdp_sock *sdp_sock_lookup_addr(struct net *net, int family,
				      const struct in6_addr *daddr, u16 port);
int sdp_port_bind(struct sdp_sock *ssk, u16 port,
		  const struct in6_addr *addr);
void sdp_unhash(struct sock *sk);

#endif /* SDP_SOCK_H */
