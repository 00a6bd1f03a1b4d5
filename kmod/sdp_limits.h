/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every limit of the implementation in one place (the protocol's own
 * limits, which a peer must respect too, are in sdp_wire.h: SDP_MAX_MESSAGE_LEN,
 * SDP_MAX_SEGMENT, SDP_RECORD_PLAIN_MAX, SDP_MSG_ID_LIMIT,
 * SDP_CTRL_SEQ_LIMIT; the kernel-free logic's own bounds are beside it:
 * SDP_REASM_MAX_GAPS, SDP_WINDOW_SIZE, SDP_GRANT_MAX_CANDIDATES,
 * SDP_ACK_MORE_BITS). Module parameters (sdp_main.c) tune the rest at run
 * time.
 */
#ifndef SDP_LIMITS_H
#define SDP_LIMITS_H

/* ---- tables: bits of the bucket count of each hash table ---- */
#define SDP_PORT_BUCKET_BITS	10	/* global: bound sockets */
#define SDP_RPC_BUCKET_BITS	8	/* per socket: RPCs */
#define SDP_PEER_BUCKET_BITS	6	/* per socket: peer routes */
#define SDP_CLIENT_BUCKET_BITS	6	/* per socket: clients' id windows */
#define SDP_KEY_BUCKET_BITS	6	/* per socket: peers' keys */
#define SDP_KEY_FP_BUCKET_BITS	8	/* per socket: installed keys */

/* ---- ports ---- */
#define SDP_EPHEMERAL_LOW	32768	/* autobind range, as inet's default */
#define SDP_EPHEMERAL_HIGH	60999

/* ---- server state ---- */
/* Clients whose used request ids a socket remembers (oldest recycled). */
#define SDP_MAX_CLIENT_WINDOWS	4096
/*
 * Unauthenticated server state: keyed requests none of whose records
 * authenticated yet, per socket and per peer address; the oldest is
 * forgotten to make room (its client restarts it if it was real).
 */
#define SDP_MAX_PROVISIONAL_RPCS	256
#define SDP_MAX_PROVISIONAL_PER_PEER	64

/* ---- receiver-driven flow control ---- */
/* Incoming messages considered per grant decision (shortest first). */
#define SDP_GRANT_CANDIDATES	64
/* Smallest grant window, whatever the grant_window parameter says. */
#define SDP_GRANT_WINDOW_MIN	16384U
/* Messages granted to at once, each up to the window. */
#define SDP_GRANT_OVERCOMMIT	8

/* ---- timers ---- */
/* Probes back off to resend_ms << SDP_MAX_PROBE_SHIFT at most. */
#define SDP_MAX_PROBE_SHIFT	5
/*
 * UNKNOWN keeps a client RPC alive for this many restarts only, so a
 * server that can never accept the request still ends it in ETIMEDOUT.
 */
#define SDP_MAX_LIVE_RESTARTS	8

/* ---- client ACKs ---- */
/* Servers a client batches ACKs for at once (one ACK per tick each). */
#define SDP_ACK_SLOTS		8

/* ---- buffers and transmit ---- */
/* Largest message (wire bytes) held in one piece of a page_frag cache. */
#define SDP_PAGEBUF_FRAG_MAX	2048U
/* Request ids remembered per transmit batch whose segments we dropped. */
#define SDP_DROPPED_REQS_MAX	16

#endif /* SDP_LIMITS_H */
