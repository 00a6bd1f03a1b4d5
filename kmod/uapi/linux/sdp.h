/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR MIT */
/*
 * SDP - Secure Datacenter Protocol: user API.
 *
 * SDP is a reliable, message-based, one-to-many RPC transport. One socket
 * talks to many peers; each RPC is a request message from a client and a
 * response message from the server, delivered whole and unordered.
 *
 *	fd = socket(AF_INET or AF_INET6, SOCK_DGRAM, IPPROTO_SDP);
 *
 * Server:
 *	bind(fd, {addr, port});
 *	recvmsg(fd, &msg, 0);	// a whole request; SDP_CMSG_RECV says its
 *				// rpc_id, msg_name is the client
 *	sendmsg(fd, &msg, 0);	// response: SDP_CMSG_SEND with that rpc_id
 *
 * Client:
 *	sendmsg(fd, &msg, 0);	// request to msg_name; SDP_CMSG_SEND with
 *				// rpc_id 0, an application cookie, and
 *				// optionally id_out, where the kernel stores
 *				// the new RPC id before sendmsg returns
 *	recvmsg(fd, &msg, 0);	// a whole response; SDP_CMSG_RECV carries
 *				// rpc_id, cookie, and error != 0 if the RPC
 *				// failed (ETIMEDOUT: peer gone)
 *
 * sendmsg() returns the number of message bytes accepted (always the whole
 * message) or -1 with errno. recvmsg() requires a control buffer with room
 * for one SDP_CMSG_RECV (CMSG_SPACE(sizeof(struct sdp_recv_info))), else it
 * fails with EINVAL. A message longer than the buffer is truncated and
 * MSG_TRUNC is set; the rest of it is discarded. A failed RPC is reported
 * as a successful recvmsg() of 0 bytes whose sdp_recv_info.error is set.
 *
 * Blocking follows O_NONBLOCK / MSG_DONTWAIT and SO_RCVTIMEO; poll() and
 * epoll report EPOLLIN only when a complete message (or an RPC failure) is
 * ready. io_uring IORING_OP_SENDMSG / IORING_OP_RECVMSG work the same way.
 *
 * See docs/API.md for the full contract, docs/PROTOCOL.md for the wire.
 */
#ifndef _UAPI_LINUX_SDP_H
#define _UAPI_LINUX_SDP_H

#include <linux/types.h>
#include <linux/socket.h>

/* Default IP protocol number (module parameter ip_proto). */
#define IPPROTO_SDP		253

/* Socket option and control message level. */
#define SOL_SDP			253

/* Control message types at SOL_SDP. */
#define SDP_CMSG_SEND		1	/* struct sdp_send_info, sendmsg */
#define SDP_CMSG_RECV		2	/* struct sdp_recv_info, recvmsg */

struct sdp_send_info {
	__u64 rpc_id;		/* 0: new request; else: respond to it */
	__u64 cookie;		/* request: returned with the response */
	/* request: user address of a __u64 that receives the new RPC id,
	 * 0 = not wanted
	 */
	__aligned_u64 id_out;
	__u32 flags;		/* must be 0 */
	__u32 reserved;		/* must be 0 */
};

#define SDP_RECV_REQUEST	0x1	/* a request: answer with sendmsg */
#define SDP_RECV_RESPONSE	0x2	/* a response to our request */

struct sdp_recv_info {
	__u64 rpc_id;
	__u64 cookie;		/* the request's cookie; 0 for requests */
	__u32 flags;		/* SDP_RECV_* */
	__s32 error;		/* 0, or a positive errno: the RPC failed */
	__u32 msg_len;		/* full message length (before truncation) */
	__u32 reserved;
};

/* Socket options at SOL_SDP. */
#define SDP_RPC_STATS		1	/* get: struct sdp_sock_stats */
#define SDP_TX_KEY		2	/* set: struct sdp_key */
#define SDP_RX_KEY		3	/* set: struct sdp_key */
#define SDP_ALLOW_PLAINTEXT	4	/* set/get: int, default 0 */
#define SDP_KEY_INFO		5	/* get: struct sdp_key_info (in/out) */

/*
 * Keys, like kTLS: after a handshake in userspace, install one key per
 * direction and peer (address and port). Once a socket has any key it
 * refuses to send to or accept from peers without keys (ENOKEY, counted
 * drop_needs_key) unless SDP_ALLOW_PLAINTEXT is set. Each new key of a
 * direction needs a higher epoch (1..255); message ids restart at 0 under
 * every new epoch, so a (key, nonce) pair is never reused. Installing a
 * lower or equal epoch fails with EEXIST; after epoch 255, EKEYEXPIRED.
 * The previous receive epoch stays valid so messages in flight finish.
 */
#define SDP_CIPHER_AES_GCM_128	1
#define SDP_CIPHER_AES_GCM_256	2

struct sdp_key {
	/* the peer: a struct sockaddr_in or sockaddr_in6 with its port */
	struct __kernel_sockaddr_storage peer;
	__u16 cipher;		/* SDP_CIPHER_* */
	__u8 epoch;		/* 1..255, higher than the previous one */
	__u8 reserved;		/* must be 0 */
	__u8 salt[4];		/* implicit nonce part */
	__u8 key[32];		/* 16 or 32 bytes used */
};

struct sdp_key_info {
	struct __kernel_sockaddr_storage peer;	/* in: which peer */
	__u16 tx_cipher;	/* out: 0 if no transmit key */
	__u8 tx_epoch;
	__u8 rx_epoch;		/* newest receive epoch, 0 if none */
	__u16 rx_cipher;
	__u16 reserved;
	__u64 tx_next_msg_id;	/* message ids used under tx_epoch */
};

struct sdp_sock_stats {
	__u32 client_rpcs;	/* outstanding client RPCs */
	__u32 server_rpcs;	/* server RPCs not yet freed */
	__u32 ready_msgs;	/* complete messages waiting for recvmsg */
	__u32 mem_bytes;	/* message buffer bytes charged (sock_mem_bytes) */
};

/* Largest message the protocol can carry. */
#define SDP_MAX_MESSAGE_LEN	(16U << 20)

#endif /* _UAPI_LINUX_SDP_H */
