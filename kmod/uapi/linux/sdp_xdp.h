/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR MIT */
/*
 * SDP's kfunc for XDP programs: the early replay drop.
 *
 * sdp.ko registers, for BPF_PROG_TYPE_XDP (it needs module BTF, see
 * /sys/kernel/btf/sdp),
 *
 *	int bpf_sdp_xdp_early_drop(struct xdp_md *ctx,
 *				   struct sdp_xdp_query *q, __u32 q__sz);
 *
 * An XDP program parses an SDP packet into *q (q__sz = sizeof(*q)) and
 * gets an enum sdp_xdp_verdict back. The module looks the packet up in the
 * socket it is addressed to (the receiving device's network namespace,
 * q->daddr and q->dport) and answers from state that moves only after
 * authentication, for packets under a key (q->epoch != 0) only:
 *
 *   FINISHED_REQUEST  DATA of a request (no SDP_F_FROM_SERVER) whose RPC id
 *                     is in the client's id window, moved only by requests
 *                     whose first record authenticated, and for which the
 *                     socket holds no RPC any more;
 *   COMPLETE_MESSAGE  DATA of an RPC the socket holds whose incoming
 *                     message is complete: a record of it authenticated
 *                     (its message id is in the key's replay window) and
 *                     the RPC takes no more bytes;
 *   CTRL_REPLAY       a control packet whose ctrl_seq counter is in the
 *                     control replay window of the receive key of its
 *                     epoch, or behind it.
 *
 * In each case the module's own receive path would drop the packet without
 * any reaction (no reply, no timer, no state change), and every later
 * packet that matches too: the windows only move forward and a complete
 * message stays complete. Nothing an unauthenticated packet can do makes
 * the answer "drop" for a packet that the receive path would take.
 * Everything else, including every packet the module does not recognise
 * (no socket, no key of that epoch, a malformed query), is PASS: the
 * module then validates and drops it itself, with a reason counter.
 */
#ifndef _UAPI_LINUX_SDP_XDP_H
#define _UAPI_LINUX_SDP_XDP_H

#include <linux/types.h>

enum sdp_xdp_verdict {
	SDP_XDP_VERDICT_PASS = 0,
	SDP_XDP_VERDICT_FINISHED_REQUEST = 1,
	SDP_XDP_VERDICT_COMPLETE_MESSAGE = 2,
	SDP_XDP_VERDICT_CTRL_REPLAY = 3,
	SDP_XDP_VERDICT_MAX = 3,
};

/* All fields in host byte order except the addresses. */
struct sdp_xdp_query {
	__u8  saddr[16];	/* IPv6, or IPv4 as ::ffff:a.b.c.d */
	__u8  daddr[16];	/* ditto */
	__u64 rpc_id;
	__u64 ctrl_seq;		/* control packets: the trailer's ctrl_seq */
	__u16 sport;
	__u16 dport;
	__u8  family;		/* 4 or 6 */
	__u8  type;		/* enum sdp_packet_type (kmod/sdp_wire.h) */
	__u8  flags;		/* SDP_F_* */
	__u8  epoch;		/* the key epoch of the packet */
};

#define SDP_XDP_KFUNC_EARLY_DROP "bpf_sdp_xdp_early_drop"

#endif /* _UAPI_LINUX_SDP_XDP_H */
