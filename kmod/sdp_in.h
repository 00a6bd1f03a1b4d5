/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Incoming messages and packets (sdp_in.c): the IP protocol handlers, DATA
 * placed by wire offset and opened record by record, grants, the reactions
 * to control packets, and a complete message's copy to the application.
 */
#ifndef SDP_IN_H
#define SDP_IN_H

#include <linux/skbuff.h>
#include <linux/uio.h>

#include "sdp_rpc.h"

int sdp_v4_rcv(struct sk_buff *skb);
int sdp_v6_rcv(struct sk_buff *skb);
int sdp_msgin_copy_out(const struct sdp_msgin *in, u32 len,
		       struct iov_iter *to);

#endif /* SDP_IN_H */
