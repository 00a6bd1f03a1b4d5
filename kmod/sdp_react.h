/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The RPC state machine as a table: what an RPC in each state does on each
 * packet type and on each timer tick. Kernel-free: the module's receive
 * path (sdp_in.c) and timer (sdp_timer.c) look the reaction up and carry
 * it out; the host unit tests (tests/unit/proto/test_react.cpp) check the
 * table whole, like the codec.
 *
 *   client: CLIENT_OUTGOING -> READY -> DELIVERING -> freed
 *   server: SERVER_INCOMING -> READY -> DELIVERING -> SERVER_IN_SERVICE
 *           -> SERVER_PREPARING -> SERVER_RESPONDING -> freed (ACK)
 *
 * A packet for an RPC the socket does not have is not in the table: the
 * receive path answers it (RESEND: UNKNOWN; NEED_ACK: ACK for an id it
 * used) or starts a server RPC (DATA of a request). Checks of the packet
 * itself (which side may send a type, authentication) come first, in
 * sdp_in.c; the table sees only packets that passed them.
 */
#ifndef SDP_REACT_H
#define SDP_REACT_H

#include "sdp_compat.h"
#include "sdp_wire.h"

enum sdp_rpc_state {
	SDP_RPC_CLIENT_OUTGOING,	/* request being sent / awaiting reply */
	SDP_RPC_SERVER_INCOMING,	/* request being received */
	SDP_RPC_READY,			/* complete message on ready queue */
	SDP_RPC_DELIVERING,		/* recvmsg is copying it out */
	SDP_RPC_SERVER_IN_SERVICE,	/* application owns the request */
	SDP_RPC_SERVER_PREPARING,	/* sendmsg is building the response */
	SDP_RPC_SERVER_RESPONDING,	/* response being sent / awaiting ACK */
	SDP_RPC_STATE_COUNT
};

/* Events: the packet types of sdp_wire.h, and the timer's tick. */
#define SDP_EVENT_TICK		0

/* What the RPC's state does not say, but a reaction depends on. */
struct sdp_rpc_facts {
	bool client;		/* the RPC is ours as client */
	bool sending;		/* it holds a message to send (request or
				 * response): GRANT and RESEND apply to it
				 */
	bool incoming_vouched;	/* its incoming message is plaintext and has
				 * started, or a record of it authenticated
				 */
	bool all_sent;		/* every byte of its message went out once */
	bool timed_out;		/* tick: nothing heard for timeout_ms */
	bool probe_due;		/* tick: its next probe time has come */
};

enum sdp_reaction {
	SDP_REACT_NONE,		/* nothing to do */
	SDP_REACT_DUPLICATE,	/* drop: this message is complete here */
	SDP_REACT_NOT_OURS,	/* drop: no message of the RPC it applies to */
	SDP_REACT_TAKE_DATA,	/* place the bytes, open complete records */
	SDP_REACT_SEND_GRANTED,	/* send what the new grant allows */
	SDP_REACT_RETRANSMIT,	/* send the asked range again */
	SDP_REACT_RETRANSMIT_OR_BUSY,	/* ... or BUSY if it is in flight */
	SDP_REACT_SEND_BUSY,	/* alive, no response yet */
	SDP_REACT_RESTART,	/* the server lost the request: start over */
	SDP_REACT_ABORT,	/* forget the server RPC */
	SDP_REACT_SEND_ACK,	/* the client has the response: say so */
	SDP_REACT_COMPLETE,	/* the client has the response: free the RPC */
	SDP_REACT_FAIL,		/* tick: the client RPC ends in an error */
	SDP_REACT_ASK_DATA,	/* tick: RESEND (or GRANT) what is missing */
	SDP_REACT_ASK_ACK,	/* tick: NEED_ACK */
	SDP_REACT_BACKOFF,	/* tick: a probe is due, none to send: back off */
	SDP_REACT_COUNT
};

/* States in which the RPC waits on its peer (the timer watches them). */
static inline bool sdp_rpc_state_waits(enum sdp_rpc_state s)
{
	return s == SDP_RPC_CLIENT_OUTGOING || s == SDP_RPC_SERVER_INCOMING ||
	       s == SDP_RPC_SERVER_RESPONDING;
}

static inline enum sdp_reaction sdp_rpc_react_tick(enum sdp_rpc_state s,
						   const struct sdp_rpc_facts *f)
{
	if (!sdp_rpc_state_waits(s))
		return SDP_REACT_NONE;	/* the application holds it */
	if (f->timed_out)
		return f->client ? SDP_REACT_FAIL : SDP_REACT_ABORT;
	if (!f->probe_due)
		return SDP_REACT_NONE;
	if (s != SDP_RPC_SERVER_RESPONDING)
		return SDP_REACT_ASK_DATA;
	/* Until the whole response went out, grants and data are pending. */
	return f->all_sent ? SDP_REACT_ASK_ACK : SDP_REACT_BACKOFF;
}

/* The reaction of an RPC in state s to event ev (a packet type or tick). */
static inline enum sdp_reaction sdp_rpc_react(enum sdp_rpc_state s, u8 ev,
					      const struct sdp_rpc_facts *f)
{
	switch (ev) {
	case SDP_EVENT_TICK:
		return sdp_rpc_react_tick(s, f);
	case SDP_PKT_DATA:
		/* Only the message the RPC still receives takes bytes. */
		if (s == (f->client ? SDP_RPC_CLIENT_OUTGOING :
				      SDP_RPC_SERVER_INCOMING))
			return SDP_REACT_TAKE_DATA;
		return SDP_REACT_DUPLICATE;
	case SDP_PKT_GRANT:
		return f->sending ? SDP_REACT_SEND_GRANTED : SDP_REACT_NOT_OURS;
	case SDP_PKT_RESEND:
		if (f->client)
			return SDP_REACT_RETRANSMIT;
		/* A server asked for its response before it has one: BUSY. */
		return s == SDP_RPC_SERVER_RESPONDING ?
		       SDP_REACT_RETRANSMIT_OR_BUSY : SDP_REACT_SEND_BUSY;
	case SDP_PKT_UNKNOWN:
		if (f->client)
			/*
			 * A response is arriving: this UNKNOWN is older than
			 * the server's state (reordered), ignore it. Under a
			 * key only an authenticated record shows that.
			 */
			return s == SDP_RPC_CLIENT_OUTGOING &&
			       !f->incoming_vouched ? SDP_REACT_RESTART :
						      SDP_REACT_NONE;
		/* The client forgot the RPC: so does the server. */
		return s == SDP_RPC_SERVER_INCOMING ||
		       s == SDP_RPC_SERVER_RESPONDING ? SDP_REACT_ABORT :
							SDP_REACT_NONE;
	case SDP_PKT_BUSY:
		return SDP_REACT_NONE;	/* the peer is alive, nothing more */
	case SDP_PKT_NEED_ACK:
		/* Complete (maybe unread): its ACK may have been lost. */
		if (f->client && s != SDP_RPC_CLIENT_OUTGOING)
			return SDP_REACT_SEND_ACK;
		return SDP_REACT_NONE;	/* not complete yet */
	case SDP_PKT_ACK:
		return !f->client && s == SDP_RPC_SERVER_RESPONDING ?
		       SDP_REACT_COMPLETE : SDP_REACT_NONE;
	}
	return SDP_REACT_NOT_OURS;
}

#endif /* SDP_REACT_H */
