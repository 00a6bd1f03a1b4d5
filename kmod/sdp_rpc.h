/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An RPC's whole life (sdp_rpc.c): created by a client's sendmsg or by the
 * first DATA packet of a request, found by id, its messages' memory charged
 * to the socket, made ready for recvmsg, failed, freed; and what a server
 * remembers of each client (the request ids it accepted) and of the
 * requests none of whose records authenticated yet (provisional RPCs).
 *
 *   client: CLIENT_OUTGOING -> READY -> DELIVERING -> freed
 *   server: SERVER_INCOMING -> READY -> DELIVERING -> SERVER_IN_SERVICE
 *           -> SERVER_PREPARING -> SERVER_RESPONDING -> freed (ACK)
 *
 * All under the socket lock.
 */
#ifndef SDP_RPC_H
#define SDP_RPC_H

#include <linux/list.h>
#include <linux/in6.h>

#include "sdp_impl.h"
#include "sdp_buf.h"
#include "sdp_peer.h"
#include "sdp_key.h"
#include "sdp_react.h"

struct sdp_sock;

/* How a message goes on the wire (sdp_msg_geometry()). */
struct sdp_msg_geom {
	u32 wire_len;
	u32 mss;		/* payload bytes per packet */
	u32 seg_bytes;		/* payload bytes per TSO segment */
	u16 rec_plain;		/* application bytes per record, 0 = none */
	u8 epoch;		/* key epoch, 0 = plaintext */
};

struct sdp_msgout {
	struct sdp_pagebuf *buf;
	u32 len;		/* plaintext bytes */
	struct sdp_msg_geom geo;
	u32 next_xmit;		/* wire offset of the next new segment */
	u32 granted;		/* may start segments below this */
	bool started;		/* first segment queued */
	unsigned long last_sent;	/* jiffies: last segment queued */
};

struct sdp_msgin {
	struct sdp_rpc *owner;
	struct sdp_pagebuf *buf;
	u32 len;
	u32 wire_len;
	u32 granted;		/* sender's announced / our granted limit */
	u16 rec_plain;
	u8 epoch;
	u32 charged;		/* bytes charged to the socket: pages in use */
	u32 nrec;		/* records of the message */
	u32 opened;		/* records authenticated and decrypted */
	u32 opened_peak;	/* most ever opened: kept across a reset, so
				 * only a record never opened before is
				 * progress
				 */
	unsigned long *opened_map;
	struct list_head grant_link;	/* on sock->grantable */
	struct sdp_reasm reasm;
};

struct sdp_rpc {
	struct hlist_node hash_node;
	struct list_head sock_link;	/* sock->rpcs */
	struct list_head ready_link;	/* sock->ready */
	u64 id;
	u64 cookie;
	bool is_client;
	u8 state;
	int error;			/* positive errno */
	struct sdp_peer *peer;
	u16 peer_port;
	unsigned long last_heard;	/* jiffies: last packet from the peer */
	unsigned long next_probe;	/* jiffies: next RESEND/NEED_ACK */
	u8 probes;			/* probes sent without progress */
	u8 auth_failures;		/* records of 'in' that failed AEAD */
	u8 restarts;			/* client: request restarts (UNKNOWN) */
	bool req_dropped_here;		/* client: our stack dropped a
					 * request segment since the last
					 * (re)start
					 */
	bool provisional;		/* server, keyed: no record of the
					 * request authenticated yet; on
					 * sock->provisional by age
					 */
	struct list_head prov_link;
	/*
	 * The message id a record of 'in' authenticated under, once one did
	 * (SDP_MSG_ID_UNKNOWN before): it stays if 'in' starts over, so the
	 * retransmitted records are checked against it and are not replays.
	 */
	u64 in_msg_id;
	struct sdp_msgout out;		/* request (client) / response (server) */
	struct sdp_msgin *in;		/* response (client) / request (server) */
};

/* Server side: requests already accepted from one client port. */
struct sdp_client_win {
	struct hlist_node node;
	struct in6_addr addr;
	u16 port;
	unsigned long last_used;	/* jiffies */
	bool plain_ids;			/* a plaintext request moved win: it
					 * holds ids nobody authenticated
					 */
	struct sdp_window win;
};

/* Memory of message buffers, charged to the socket (sock_mem_bytes). */
bool sdp_mem_charge(struct sdp_sock *ssk, u32 bytes);
void sdp_mem_charge_force(struct sdp_sock *ssk, u32 bytes);
void sdp_mem_uncharge(struct sdp_sock *ssk, u32 bytes);

struct sdp_rpc *sdp_rpc_find(struct sdp_sock *ssk, u64 id, bool is_client,
			     const struct in6_addr *addr, u16 port);
struct sdp_rpc *sdp_rpc_new_client(struct sdp_sock *ssk,
				   struct sdp_peer *peer, u64 id, u16 port,
				   u64 cookie);
struct sdp_rpc *sdp_rpc_new_server(struct sdp_sock *ssk,
				   const struct sdp_pkt_info *pi,
				   const struct in6_addr *saddr,
				   enum sdp_drop_reason *r);
void sdp_rpc_free(struct sdp_sock *ssk, struct sdp_rpc *rpc);
void sdp_rpcs_destroy(struct sdp_sock *ssk);
void sdp_rpc_make_ready(struct sdp_sock *ssk, struct sdp_rpc *rpc);
void sdp_rpc_fail(struct sdp_sock *ssk, struct sdp_rpc *rpc, int err);
struct sdp_rpc *sdp_rpc_take_ready(struct sdp_sock *ssk);
void sdp_rpc_delivered(struct sdp_sock *ssk, struct sdp_rpc *rpc);
struct sdp_rpc *sdp_rpc_response_begin(struct sdp_sock *ssk, u64 id,
				       const struct in6_addr *addr, u16 port);
void sdp_rpc_response_abort(struct sdp_rpc *rpc);
void sdp_rpc_response_sent(struct sdp_rpc *rpc);

enum sdp_drop_reason sdp_msgin_alloc(struct sdp_sock *ssk,
				     struct sdp_rpc *rpc,
				     const struct sdp_pkt_info *pi);
bool sdp_msgin_authenticated(struct sdp_sock *ssk, struct sdp_msgin *in);
void sdp_msgin_free(struct sdp_sock *ssk, struct sdp_rpc *rpc);
void sdp_msgout_free(struct sdp_sock *ssk, struct sdp_rpc *rpc);
void sdp_provisional_end(struct sdp_sock *ssk, struct sdp_rpc *rpc);

struct sdp_client_win *sdp_client_win_get(struct sdp_sock *ssk,
					  const struct in6_addr *addr,
					  u16 port, bool create);
void sdp_client_wins_destroy(struct sdp_sock *ssk);

/* A record's wire bytes for rec_plain application bytes, 0 = no records. */
static inline u32 sdp_rec_wire(u16 rec_plain)
{
	return rec_plain ? rec_plain + SDP_RECORD_OVERHEAD : 0;
}

/*
 * Unscheduled bytes of a message: at least one packet and, under a key, one
 * record: a receiver grants to a message only once its first record
 * authenticated (sdp_in.c).
 */
static inline u32 sdp_unsched(const struct sdp_msgout *out)
{
	return min(out->geo.wire_len, max3(sdp_unsched_bytes, out->geo.mss,
				       sdp_rec_wire(out->geo.rec_plain)));
}

/* Has a record of the RPC's incoming message authenticated? */
static inline bool sdp_rpc_in_authenticated(const struct sdp_rpc *rpc)
{
	return rpc->in_msg_id != SDP_MSG_ID_UNKNOWN;
}

/* What the reaction table (sdp_react.h) needs to know besides the state. */
static inline void sdp_rpc_facts(const struct sdp_rpc *rpc,
				 struct sdp_rpc_facts *f)
{
	f->client = rpc->is_client;
	f->sending = !!rpc->out.buf;
	f->incoming_vouched = rpc->in &&
			      (!rpc->in->epoch || sdp_rpc_in_authenticated(rpc));
	f->all_sent = rpc->out.next_xmit >= rpc->out.geo.wire_len;
	f->timed_out = false;
	f->probe_due = false;
}

/* The RPC's reaction to a packet of type ev (sdp_react.h). */
static inline enum sdp_reaction sdp_rpc_reaction(const struct sdp_rpc *rpc,
						 u8 ev)
{
	struct sdp_rpc_facts f;

	sdp_rpc_facts(rpc, &f);
	return sdp_rpc_react(rpc->state, ev, &f);
}

/* Does the packet come from the server side of the RPC? */
static inline u8 sdp_rpc_flags(const struct sdp_rpc *rpc)
{
	return rpc->is_client ? 0 : SDP_F_FROM_SERVER;
}

#endif /* SDP_RPC_H */
