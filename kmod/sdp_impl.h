/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every file of the module shares: the module parameters and the
 * per-network-namespace counters of /proc/net/sdp_stats. The objects have
 * their own headers: sdp_buf.h (message buffers), sdp_peer.h (routes),
 * sdp_key.h (keys), sdp_rpc.h (RPCs and their messages), sdp_sock.h (the
 * socket); implementation limits are in sdp_limits.h, protocol constants
 * in sdp_wire.h.
 *
 * Locking: each socket has one spinlock (sdp_sock.lock, always taken with
 * _bh) that protects the socket's RPCs, peers, keys, ready queue and
 * windows. The receive path, the timer and the system calls all take it.
 * Packets are built under the lock and transmitted after it is released.
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
#include <linux/siphash.h>
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
#include "sdp_hash.h"
#include "sdp_limits.h"
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
extern unsigned int sdp_max_ready_requests;

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
	SDP_CNT_REQUESTS_SHED,		/* complete request dropped: too many
					 * waiting for recvmsg
					 */
	SDP_CNT_RECORDS_DISCARDED,	/* failed AEAD: its bytes asked again */
	SDP_CNT_MESSAGES_DISCARDED,	/* all received bytes of one dropped */
	SDP_CNT_OLD_RESPONSES_TAKEN,	/* behind the replay window, taken */
	SDP_CNT_PROVISIONAL_EVICTED,	/* unauthenticated requests forgotten
					 * to make room (sdp_in.c)
					 */
	SDP_CNT_RECORDS_OPENED,		/* records that authenticated */
	SDP_CNT_BYTES_DECRYPTED,	/* their plaintext bytes */
	SDP_CNT_MESSAGES_COMPLETED,	/* incoming messages made whole */
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

#endif /* SDP_IMPL_H */
