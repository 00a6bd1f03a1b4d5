/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal structures of the SDP kernel module.
 *
 * Locking: each socket has one spinlock (sdp_sock.lock, always taken with
 * _bh) that protects the socket's RPCs, peers, ready queue and windows.
 * The receive path, the timer and the system calls all take it. Packets
 * are built under the lock and transmitted after it is released.
 */
#ifndef SDP_IMPL_H
#define SDP_IMPL_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/scatterlist.h>
#include <linux/mm_types.h>
#include <linux/in6.h>
#include <net/sock.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/flow.h>
#include <net/netns/generic.h>

#include "sdp_wire.h"
#include "sdp_codec.h"
#include "sdp_reasm.h"
#include "sdp_window.h"
#include "sdp_ack.h"
#include "sdp_grant.h"
#include "sdp_record.h"
#include "sdp_crypto.h"
#include "sdp_hash.h"
#include "uapi/linux/sdp.h"

#define SDP_MODULE_VERSION	"0.1.0"

/* Module parameters (sdp_main.c). */
extern int sdp_ip_proto;
extern unsigned int sdp_max_msg_bytes;
extern unsigned int sdp_unsched_bytes;
extern unsigned int sdp_grant_window;
extern unsigned int sdp_max_incoming;
extern unsigned int sdp_tick_ms;
extern unsigned int sdp_resend_ms;
extern unsigned int sdp_timeout_ms;
extern unsigned int sdp_sock_mem_bytes;

/* ---- counters (sdp_main.c) ---- */

/* Counters of /proc/net/sdp_stats; names in sdp_main.c. */
enum sdp_counter {
	SDP_CNT_TX_PACKETS,
	SDP_CNT_TX_DATA_BYTES,
	SDP_CNT_TX_DATA,
	SDP_CNT_TX_GRANT,
	SDP_CNT_TX_RESEND,
	SDP_CNT_TX_UNKNOWN,
	SDP_CNT_TX_BUSY,
	SDP_CNT_TX_NEED_ACK,
	SDP_CNT_TX_ACK,
	SDP_CNT_TX_ERRORS,
	SDP_CNT_RX_PACKETS,
	SDP_CNT_RX_DATA_BYTES,
	SDP_CNT_RX_DATA,
	SDP_CNT_RX_GRANT,
	SDP_CNT_RX_RESEND,
	SDP_CNT_RX_UNKNOWN,
	SDP_CNT_RX_BUSY,
	SDP_CNT_RX_NEED_ACK,
	SDP_CNT_RX_ACK,
	SDP_CNT_RETRANSMITTED_SEGMENTS,
	SDP_CNT_RETRANSMITTED_BYTES,	/* wire bytes of those segments */
	SDP_CNT_RESTARTED_REQUESTS,
	SDP_CNT_CLIENT_RPCS_STARTED,
	SDP_CNT_CLIENT_RPCS_COMPLETED,
	SDP_CNT_CLIENT_RPCS_TIMED_OUT,
	SDP_CNT_SERVER_RPCS_STARTED,
	SDP_CNT_SERVER_RPCS_COMPLETED,
	SDP_CNT_SERVER_RPCS_ABORTED,
	SDP_CNT_REQUESTS_DELIVERED,
	SDP_CNT_RESPONSES_DELIVERED,
	SDP_CNT_TX_CTRL_NO_KEY,		/* control packet not sent: no key */
	SDP_CNT_RECORDS_DISCARDED,	/* failed AEAD: its bytes asked again */
	SDP_CNT_MESSAGES_DISCARDED,	/* all received bytes of one dropped */
	SDP_CNT_OLD_RESPONSES_TAKEN,	/* behind the replay window, taken */
	SDP_CNT_PROVISIONAL_EVICTED,	/* unauthenticated requests forgotten
					 * to make room (sdp_in.c)
					 */
	SDP_CNT_MAX
};

struct sdp_stats {
	u64 cnt[SDP_CNT_MAX];
	u64 drop[SDP_DROP_MAX];
};

struct sdp_net {
	struct sdp_stats __percpu *stats;
	atomic_t rpcs_active;
	atomic_t sockets;
};

extern unsigned int sdp_net_id;

static inline struct sdp_net *sdp_net(const struct net *net)
{
	return net_generic(net, sdp_net_id);
}

static inline void sdp_count(const struct net *net, enum sdp_counter c,
			     u64 n)
{
	this_cpu_add(sdp_net(net)->stats->cnt[c], n);
}

static inline void sdp_count_drop(const struct net *net,
				  enum sdp_drop_reason r)
{
	this_cpu_inc(sdp_net(net)->stats->drop[r]);
}

/* ---- peers (sdp_peer.c): per socket route cache ---- */

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

/* ---- message buffers (sdp_buf.c) ---- */

/*
 * A message's wire bytes: in pages (allocated lazily on the receive side),
 * or, for a small message, in one piece of a page_frag cache (sdp_buf.c).
 */
struct sdp_pagebuf {
	u32 len;
	u32 npages;
	bool frag;		/* fragment buffer: pages[0] is its head page */
	u32 frag_off;		/* ... and byte 0 is at this offset in it */
	struct page *pages[];
};

/* Largest message (wire bytes) held in a fragment buffer. */
#define SDP_PAGEBUF_FRAG_MAX	2048U

struct sdp_pagebuf *sdp_pagebuf_alloc(u32 len, gfp_t gfp, bool populate);
bool sdp_pagebuf_fits_frag(u32 len);
struct sdp_pagebuf *sdp_pagebuf_alloc_frag(struct page_frag_cache *nc,
					   u32 len, gfp_t gfp);
struct sdp_pagebuf *sdp_pagebuf_grow(struct sdp_pagebuf *b, u32 len,
				     gfp_t gfp);
void sdp_pagebuf_free(struct sdp_pagebuf *b);
u32 sdp_pagebuf_release(struct sdp_pagebuf *b);
int sdp_pagebuf_rw(struct sdp_pagebuf *b, u32 off, void *mem, u32 len,
		   bool write);
int sdp_pagebuf_sg(struct sdp_pagebuf *b, u32 off, u32 len,
		   struct scatterlist *sg, int max);
int sdp_pagebuf_from_iter(struct sdp_pagebuf *b, struct iov_iter *from);
int sdp_pagebuf_from_iter_at(struct sdp_pagebuf *b, u32 off, u32 len,
			     struct iov_iter *from);
int sdp_pagebuf_from_skb(struct sdp_pagebuf *b, u32 off,
			 const struct sk_buff *skb, int skb_off, u32 len,
			 u32 *new_pages);
int sdp_pagebuf_to_iter(const struct sdp_pagebuf *b, u32 off, u32 len,
			struct iov_iter *to);
int sdp_pagebuf_attach(const struct sdp_pagebuf *b, u32 off, u32 len,
		       struct sk_buff *skb);

/* ---- RPCs ---- */

enum sdp_rpc_state {
	SDP_RPC_CLIENT_OUTGOING,	/* request being sent / awaiting reply */
	SDP_RPC_SERVER_INCOMING,	/* request being received */
	SDP_RPC_READY,			/* complete message on ready queue */
	SDP_RPC_DELIVERING,		/* recvmsg is copying it out */
	SDP_RPC_SERVER_IN_SERVICE,	/* application owns the request */
	SDP_RPC_SERVER_PREPARING,	/* sendmsg is building the response */
	SDP_RPC_SERVER_RESPONDING,	/* response being sent / awaiting ACK */
};

/* How a message goes on the wire (sdp_msg_geometry()). */
struct sdp_msg_geom {
	u32 wire_len;
	u32 mss;		/* payload bytes per packet */
	u32 seg_bytes;		/* payload bytes per TSO segment */
	u16 rec_app;		/* application bytes per record, 0 = none */
	u8 epoch;		/* key epoch, 0 = plaintext */
};

struct sdp_msgout {
	struct sdp_pagebuf *buf;
	u32 len;		/* plaintext bytes */
	u16 rec_plain;		/* application bytes per record, 0 = none */
	u8 epoch;		/* key epoch of the records, 0 = none */
	u32 wire_len;
	u32 seg_bytes;		/* payload bytes per TSO segment */
	u32 mss;		/* payload bytes per packet */
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
	u64 msg_id;		/* authenticated message id, U64_MAX unknown */
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
	bool in_msg_id_known;		/* 'in' authenticated once under ... */
	u64 in_msg_id;			/* ... this message id: it stays */
	struct sdp_msgout out;		/* request (client) / response (server) */
	struct sdp_msgin *in;		/* response (client) / request (server) */
};

/* Server side: requests already accepted from one client port. */
struct sdp_client_win {
	struct hlist_node node;
	struct in6_addr addr;
	u16 port;
	unsigned long last_used;	/* jiffies */
	struct sdp_window win;
};

/* Client: received responses not yet acknowledged to one server. */
struct sdp_ack_pending {
	struct sdp_peer *peer;		/* holds a reference; NULL: free */
	u16 port;
	struct sdp_ackset set;
};

#define SDP_ACK_SLOTS		8
#define SDP_RPC_BUCKET_BITS	8
#define SDP_PEER_BUCKET_BITS	6
#define SDP_CLIENT_BUCKET_BITS	6
#define SDP_KEY_BUCKET_BITS	6
#define SDP_MAX_CLIENT_WINDOWS	4096
#define SDP_GRANT_CANDIDATES	64
#define SDP_GRANT_WINDOW_MIN	16384U
#define SDP_MAX_LIVE_RESTARTS	8
/*
 * Unauthenticated server state: keyed requests none of whose records
 * authenticated yet, per socket and per peer address; the oldest is
 * forgotten to make room (its client restarts it if it was real).
 */
#define SDP_MAX_PROVISIONAL_RPCS	256
#define SDP_MAX_PROVISIONAL_PER_PEER	64

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
	struct list_head rpcs;
	struct list_head ready;
	struct list_head grantable;
	struct list_head provisional;	/* provisional RPCs, oldest first */
	unsigned int nprovisional;
	struct timer_list timer;
	struct sdp_grant_cand grant_cand[SDP_GRANT_CANDIDATES];
	struct hlist_head rpc_hash[1 << SDP_RPC_BUCKET_BITS];
	struct hlist_head peer_hash[1 << SDP_PEER_BUCKET_BITS];
	struct hlist_head client_hash[1 << SDP_CLIENT_BUCKET_BITS];
	struct hlist_head key_hash[1 << SDP_KEY_BUCKET_BITS];
	unsigned int nkeys;		/* peers with keys */
	bool allow_plaintext;
	unsigned int nacks;		/* ack slots in use */
	unsigned int ack_evict;		/* next slot to give up when full */
	struct sdp_ack_pending acks[SDP_ACK_SLOTS];
	struct page_frag_cache frag_cache;	/* small messages; sock lock */
};

/* Keys of one peer (address and port) of a socket (sdp_key.c). */
struct sdp_txkey {
	refcount_t refs;		/* sendmsg seals outside the lock */
	struct sdp_aead aead;
	u8 epoch;
	u64 next_msg_id;		/* under the socket lock */
	u64 next_ctrl;			/* control packets sent, ditto */
};

struct sdp_rxkey {
	struct sdp_aead aead;
	u8 epoch;
	struct sdp_window replay;	/* message ids, after AEAD only */
	struct sdp_window ctrl_replay;	/* ctrl_seq counters, ditto */
};

struct sdp_peer_keys {
	struct hlist_node node;
	struct in6_addr addr;
	u16 port;
	u8 tx_epoch_used;		/* highest epoch ever installed */
	u8 rx_epoch_used;
	struct sdp_txkey *tx;
	struct sdp_rxkey *rx[2];	/* [0] newest, [1] previous */
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

/* sdp_sock.c */
int sdp_proto_register(void);
void sdp_proto_unregister(void);
struct sdp_sock *sdp_sock_lookup(struct net *net, int family, u16 port);
struct sdp_rpc *sdp_rpc_find(struct sdp_sock *ssk, u64 id, bool is_client,
			     const struct in6_addr *addr, u16 port);
void sdp_rpc_insert(struct sdp_sock *ssk, struct sdp_rpc *rpc);
void sdp_rpc_free(struct sdp_sock *ssk, struct sdp_rpc *rpc);
void sdp_rpc_make_ready(struct sdp_sock *ssk, struct sdp_rpc *rpc);
void sdp_rpc_fail(struct sdp_sock *ssk, struct sdp_rpc *rpc, int err);
struct sdp_client_win *sdp_client_win_get(struct sdp_sock *ssk,
					  const struct in6_addr *addr,
					  u16 port, bool create);
void sdp_sock_arm_timer(struct sdp_sock *ssk);
bool sdp_mem_charge(struct sdp_sock *ssk, u32 bytes);
void sdp_mem_charge_force(struct sdp_sock *ssk, u32 bytes);
void sdp_mem_uncharge(struct sdp_sock *ssk, u32 bytes);
void sdp_msgin_free(struct sdp_sock *ssk, struct sdp_rpc *rpc);
void sdp_msgout_free(struct sdp_sock *ssk, struct sdp_rpc *rpc);

/* sdp_peer.c */
struct sdp_peer *sdp_peer_get(struct sdp_sock *ssk,
			      const struct in6_addr *addr, int *err);
void sdp_peer_put(struct sdp_sock *ssk, struct sdp_peer *peer);
void sdp_peers_destroy(struct sdp_sock *ssk);
struct dst_entry *sdp_peer_dst(struct sdp_sock *ssk, struct sdp_peer *peer);

/* sdp_out.c */
int sdp_msg_geometry(struct sdp_sock *ssk, struct sdp_peer *peer, u32 len,
		     u8 epoch, struct sdp_msg_geom *geo);
void sdp_msgout_init(struct sdp_rpc *rpc, struct sdp_pagebuf *buf, u32 len,
		     const struct sdp_msg_geom *geo);
void sdp_xmit_new_data(struct sdp_sock *ssk, struct sdp_rpc *rpc,
		       struct sk_buff_head *q);
bool sdp_xmit_range(struct sdp_sock *ssk, struct sdp_rpc *rpc, u32 start,
		    u32 end, struct sk_buff_head *q);
void sdp_queue_ctrl(struct sdp_sock *ssk, struct sdp_rpc *rpc, u8 type,
		    u32 a, u32 b, struct sk_buff_head *q);
void sdp_queue_ctrl_to(struct sdp_sock *ssk, struct sdp_peer *peer,
		       u16 dport, u64 rpc_id, u8 flags, u8 type,
		       struct sk_buff_head *q);
void sdp_ack_note(struct sdp_sock *ssk, struct sdp_rpc *rpc,
		  struct sk_buff_head *q);
void sdp_acks_flush(struct sdp_sock *ssk, struct sk_buff_head *q);
void sdp_xmit_queue(struct sdp_sock *ssk, struct sk_buff_head *q);
int sdp_offload_register(void);
void sdp_offload_unregister(void);

/* sdp_in.c */
void sdp_provisional_end(struct sdp_sock *ssk, struct sdp_rpc *rpc);
int sdp_v4_rcv(struct sk_buff *skb);
int sdp_v6_rcv(struct sk_buff *skb);
void sdp_grant_update(struct sdp_sock *ssk, struct sk_buff_head *q);

/* sdp_key.c */
int sdp_setsockopt_key(struct sdp_sock *ssk, sockptr_t optval,
		       unsigned int optlen, bool tx);
int sdp_getsockopt_key_info(struct sdp_sock *ssk, char __user *optval,
			    int __user *optlen);
void sdp_keys_destroy(struct sdp_sock *ssk);
int sdp_tx_key_get(struct sdp_sock *ssk, const struct in6_addr *addr,
		   u16 port, struct sdp_txkey **txk, u64 *msg_id);
void sdp_txkey_put(struct sdp_txkey *txk);
struct sdp_rxkey *sdp_rx_key(struct sdp_sock *ssk,
			     const struct in6_addr *addr, u16 port, u8 epoch);
bool sdp_plaintext_refused(struct sdp_sock *ssk, const struct in6_addr *addr,
			   u16 port);
int sdp_msgin_open_records(struct sdp_sock *ssk, struct sdp_rpc *rpc,
			   u32 start, u32 end);
int sdp_ctrl_sign(struct sdp_sock *ssk, const struct in6_addr *addr,
		  u16 port, struct sk_buff *skb);
enum sdp_drop_reason sdp_ctrl_verify(struct sdp_sock *ssk,
				     const struct in6_addr *addr,
				     const struct sdp_pkt_info *pi,
				     struct sk_buff *skb);

/* sdp_timer.c */
void sdp_timer_fn(struct timer_list *t);

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
	return min(out->wire_len, max3(sdp_unsched_bytes, out->mss,
				       sdp_rec_wire(out->rec_plain)));
}

/* The peer of this RPC is alive. */
static inline void sdp_rpc_heard(struct sdp_rpc *rpc)
{
	rpc->last_heard = jiffies;
}

static inline unsigned long sdp_resend_jiffies(void)
{
	return max(1UL, msecs_to_jiffies(sdp_resend_ms));
}

/* The RPC made progress (or starts waiting): restart the probe backoff. */
static inline void sdp_rpc_progress(struct sdp_rpc *rpc)
{
	rpc->last_heard = jiffies;
	rpc->probes = 0;
	rpc->next_probe = jiffies + sdp_resend_jiffies();
}

/* Does the packet come from the server side of the RPC? */
static inline u8 sdp_rpc_flags(const struct sdp_rpc *rpc)
{
	return rpc->is_client ? 0 : SDP_F_FROM_SERVER;
}

#endif /* SDP_IMPL_H */
