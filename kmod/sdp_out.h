/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Outgoing messages and packets (sdp_out.c): a message's geometry, its
 * wire bytes filled and sealed, its TSO segments, control packets, ACK
 * batching, and the queue of built packets sent after the socket lock.
 */
#ifndef SDP_OUT_H
#define SDP_OUT_H

#include <linux/skbuff.h>
#include <linux/uio.h>

#include "sdp_rpc.h"

int sdp_msg_geometry(struct sdp_sock *ssk, struct sdp_peer *peer, u32 len,
		     u8 epoch, struct sdp_msg_geom *geo);
int sdp_msgout_fill(struct sdp_pagebuf *buf, struct iov_iter *from, u32 len,
		    const struct sdp_msg_geom *geo, struct sdp_txkey *txk,
		    u64 msg_id, u64 rpc_id, bool response);
void sdp_msgout_start(struct sdp_sock *ssk, struct sdp_rpc *rpc,
		      struct sdp_pagebuf *buf, u32 len,
		      const struct sdp_msg_geom *geo, struct sk_buff_head *q);
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

#endif /* SDP_OUT_H */
