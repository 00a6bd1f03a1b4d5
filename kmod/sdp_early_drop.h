/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The early replay drop's decision (kfunc bpf_sdp_xdp_early_drop, see
 * uapi/linux/sdp_xdp.h and sdp_xdp.c): from what the socket knows about a
 * packet, which enum sdp_xdp_verdict it gets. Kernel-free, so the host
 * unit tests check every reason and every near miss
 * (tests/unit/proto/test_early_drop.cpp).
 *
 * Every fact here is one the receive path itself acts on (sdp_in.c):
 * a drop verdict is given only where sdp_rcv() would drop the packet with
 * no reaction, and only on facts that moved after authentication.
 */
#ifndef SDP_EARLY_DROP_H
#define SDP_EARLY_DROP_H

#include "sdp_compat.h"
#include "sdp_wire.h"
#include "sdp_window.h"
#include "sdp_react.h"
#include "uapi/linux/sdp_xdp.h"

struct sdp_early_facts {
	u8 type;			/* the packet's type */
	bool from_server;		/* SDP_F_FROM_SERVER */
	bool keyed;			/* epoch != 0 and the socket has the
					 * receive key of that epoch for the
					 * sender
					 */
	/* Control packets: */
	bool ctrl_seq_valid;		/* the trailer's ctrl_seq is well formed */
	enum sdp_window_result ctrl_seq; /* it in the key's control window */
	/* DATA of an RPC the socket holds: */
	bool rpc_live;
	enum sdp_reaction reaction;	/* the RPC's reaction to DATA */
	bool in_authenticated;		/* a record of its message opened */
	/* DATA of a request for which the socket holds no RPC: */
	bool id_window_keyed;		/* the client's id window exists and
					 * only authenticated requests moved it
					 */
	enum sdp_window_result rpc_id;	/* the RPC id in that window */
};

static inline enum sdp_xdp_verdict
sdp_early_verdict(const struct sdp_early_facts *f)
{
	if (!f->keyed)
		return SDP_XDP_VERDICT_PASS;
	if (f->type != SDP_PKT_DATA) {
		if (!sdp_hdr_len(f->type) || !f->ctrl_seq_valid)
			return SDP_XDP_VERDICT_PASS;
		/* sdp_ctrl_verify() drops these before the tag is checked. */
		return f->ctrl_seq == SDP_WINDOW_NEW ? SDP_XDP_VERDICT_PASS :
		       SDP_XDP_VERDICT_CTRL_REPLAY;
	}
	if (f->rpc_live)
		/* sdp_rcv_data(): SDP_DROP_DUPLICATE, nothing else done. */
		return f->reaction == SDP_REACT_DUPLICATE &&
		       f->in_authenticated ?
		       SDP_XDP_VERDICT_COMPLETE_MESSAGE : SDP_XDP_VERDICT_PASS;
	/* A response to an RPC we do not hold: the module's own drop. */
	if (f->from_server)
		return SDP_XDP_VERDICT_PASS;
	/* sdp_rpc_new_server(): SDP_DROP_OLD_RPC. */
	return f->id_window_keyed && f->rpc_id != SDP_WINDOW_NEW ?
	       SDP_XDP_VERDICT_FINISHED_REQUEST : SDP_XDP_VERDICT_PASS;
}

#endif /* SDP_EARLY_DROP_H */
