/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Keys of a socket (sdp_key.c), per peer (address and port) and direction,
 * and what is done with them: seal control packets, open records, and the
 * replay windows that move only after authentication. A leaf: it calls
 * only the record engine (sdp_crypto.c); it reports what authenticated and
 * its callers act on it.
 */
#ifndef SDP_KEY_H
#define SDP_KEY_H

#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/sockptr.h>
#include <linux/in6.h>

#include "sdp_crypto.h"
#include "sdp_window.h"
#include "sdp_codec.h"

struct sdp_sock;
struct sdp_pagebuf;

/* An installed key's entry in sock->key_fp_hash. */
struct sdp_key_fp {
	struct hlist_node node;		/* unhashed once replaced */
	u64 fp;
};

/* The transmit key of one peer (address and port). */
struct sdp_txkey {
	refcount_t refs;		/* sendmsg seals outside the lock */
	struct sdp_key_fp fp;
	struct sdp_aead aead;
	u8 epoch;
	u64 next_msg_id;		/* under the socket lock */
	u64 next_ctrl;			/* control packets sent, ditto */
};

struct sdp_rxkey {
	struct sdp_key_fp fp;
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

/* A message id no record authenticated yet (ids are < SDP_MSG_ID_LIMIT). */
#define SDP_MSG_ID_UNKNOWN	U64_MAX

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
int sdp_rxkey_open_record(struct sdp_rxkey *rxk, struct sdp_pagebuf *buf,
			  const struct sdp_record_geom *g, u64 *msg_id,
			  u64 rpc_id, u32 msg_len, bool response);
enum sdp_window_result sdp_rxkey_accept_msg_id(struct sdp_rxkey *rxk,
					       u64 msg_id);
int sdp_ctrl_sign(struct sdp_sock *ssk, const struct in6_addr *addr,
		  u16 port, struct sk_buff *skb);
enum sdp_drop_reason sdp_ctrl_verify(struct sdp_sock *ssk,
				     const struct in6_addr *addr,
				     const struct sdp_pkt_info *pi,
				     struct sk_buff *skb);

#endif /* SDP_KEY_H */
