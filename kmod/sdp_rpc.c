// SPDX-License-Identifier: GPL-2.0
/*
 * An RPC's whole life, see sdp_rpc.h: creation (a client's sendmsg, a
 * request's first DATA packet), the RPC table, the memory of its messages
 * charged to the socket, the ready queue, failure and freeing; the request
 * ids each client already used; and the bounded set of provisional server
 * RPCs (keyed requests none of whose records authenticated yet).
 */
#include <linux/slab.h>
#include <linux/bitmap.h>

#include "sdp_sock.h"
#include "sdp_rpc.h"
#include "sdp_timer.h"

/* ---- memory of message buffers, charged to the socket ---- */

bool sdp_mem_charge(struct sdp_sock *ssk, u32 bytes)
{
	if (bytes > sdp_sock_mem_bytes ||
	    ssk->mem_bytes > sdp_sock_mem_bytes - bytes)
		return false;
	ssk->mem_bytes += bytes;
	return true;
}

/* Account for memory already allocated (may exceed the limit briefly). */
void sdp_mem_charge_force(struct sdp_sock *ssk, u32 bytes)
{
	ssk->mem_bytes += bytes;
}

void sdp_mem_uncharge(struct sdp_sock *ssk, u32 bytes)
{
	ssk->mem_bytes -= min(bytes, ssk->mem_bytes);
}

/* ---- server: which request ids each client port already used ---- */

static u32 sdp_client_hash(const struct in6_addr *a, u16 port)
{
	return sdp_hash_addr_port(a, port, SDP_CLIENT_BUCKET_BITS);
}

struct sdp_client_win *sdp_client_win_get(struct sdp_sock *ssk,
					  const struct in6_addr *addr,
					  u16 port, bool create)
{
	struct hlist_head *h = &ssk->client_hash[sdp_client_hash(addr, port)];
	unsigned long idle = 2 * msecs_to_jiffies(sdp_timeout_ms);
	struct sdp_client_win *cw, *victim = NULL;
	int bkt;

	hlist_for_each_entry(cw, h, node)
		if (cw->port == port && ipv6_addr_equal(&cw->addr, addr))
			return cw;
	if (!create)
		return NULL;
	if (ssk->nclient_wins >= SDP_MAX_CLIENT_WINDOWS) {
		/* Recycle a client that has been silent for long. */
		hash_for_each(ssk->client_hash, bkt, cw, node)
			if (time_after(jiffies, cw->last_used + idle)) {
				victim = cw;
				break;
			}
		if (!victim)
			return NULL;
		hash_del(&victim->node);
		cw = victim;
	} else {
		cw = kmalloc(sizeof(*cw), GFP_ATOMIC);
		if (!cw)
			return NULL;
		ssk->nclient_wins++;
	}
	cw->addr = *addr;
	cw->port = port;
	cw->last_used = jiffies;
	cw->plain_ids = false;
	sdp_window_init(&cw->win);
	hlist_add_head(&cw->node, h);
	return cw;
}

void sdp_client_wins_destroy(struct sdp_sock *ssk)
{
	struct sdp_client_win *cw;
	struct hlist_node *tmp;
	int bkt;

	hash_for_each_safe(ssk->client_hash, bkt, tmp, cw, node) {
		hash_del(&cw->node);
		kfree(cw);
	}
	ssk->nclient_wins = 0;
}

/* ---- the RPC table ---- */

static u32 sdp_rpc_hash(u64 id)
{
	return sdp_hash_u64(id, SDP_RPC_BUCKET_BITS);
}

static void sdp_rpc_insert(struct sdp_sock *ssk, struct sdp_rpc *rpc)
{
	INIT_LIST_HEAD(&rpc->ready_link);
	hlist_add_head(&rpc->hash_node, &ssk->rpc_hash[sdp_rpc_hash(rpc->id)]);
	list_add_tail(&rpc->sock_link, &ssk->rpcs);
	if (rpc->is_client)
		ssk->client_rpcs++;
	else
		ssk->server_rpcs++;
	atomic_inc(&sdp_net(sdp_sock_net(ssk))->rpcs_active);
	sdp_timer_arm(ssk);
}

/* addr may be NULL to match any peer. */
struct sdp_rpc *sdp_rpc_find(struct sdp_sock *ssk, u64 id, bool is_client,
			     const struct in6_addr *addr, u16 port)
{
	struct sdp_rpc *rpc;

	hlist_for_each_entry(rpc, &ssk->rpc_hash[sdp_rpc_hash(id)], hash_node) {
		if (rpc->id != id || rpc->is_client != is_client)
			continue;
		if (addr && (rpc->peer_port != port ||
			     !ipv6_addr_equal(&rpc->peer->addr, addr)))
			continue;
		return rpc;
	}
	return NULL;
}

/* ---- messages ---- */

/*
 * Page table bytes of a message buffer of len wire bytes (a small message
 * lives in one fragment: its bytes).
 */
static u32 sdp_msgin_table_bytes(u32 len)
{
	return sdp_pagebuf_fits_frag(len) ? len :
	       DIV_ROUND_UP(len, PAGE_SIZE) * sizeof(struct page *);
}

/*
 * A keyed message is provisional until one of its records authenticated:
 * its buffer covers only the bytes a sender sends unasked (in->granted) and
 * it gets no grants. Once authenticated it gets its whole buffer and may be
 * granted to. False if the larger page table could not be had (tried again
 * with the next packet).
 */
bool sdp_msgin_authenticated(struct sdp_sock *ssk, struct sdp_msgin *in)
{
	if (in->buf->len < in->wire_len) {
		u32 more = sdp_msgin_table_bytes(in->wire_len) -
			   sdp_msgin_table_bytes(in->buf->len);
		struct sdp_pagebuf *b;

		if (!sdp_mem_charge(ssk, more))
			return false;
		b = sdp_pagebuf_grow(in->buf, in->wire_len, GFP_ATOMIC);
		if (!b) {
			sdp_mem_uncharge(ssk, more);
			return false;
		}
		in->buf = b;
		in->charged += more;
	}
	if (in->granted < in->wire_len && list_empty(&in->grant_link))
		list_add_tail(&in->grant_link, &ssk->grantable);
	return true;
}

void sdp_msgin_free(struct sdp_sock *ssk, struct sdp_rpc *rpc)
{
	struct sdp_msgin *in = rpc->in;

	if (!in)
		return;
	list_del(&in->grant_link);
	sdp_mem_uncharge(ssk, in->charged);
	sdp_pagebuf_free(in->buf);
	bitmap_free(in->opened_map);
	kfree(in);
	rpc->in = NULL;
}

void sdp_msgout_free(struct sdp_sock *ssk, struct sdp_rpc *rpc)
{
	if (!rpc->out.buf)
		return;
	sdp_mem_uncharge(ssk, rpc->out.geo.wire_len);
	sdp_pagebuf_free(rpc->out.buf);
	rpc->out.buf = NULL;
}

/* ---- provisional server RPCs: bounded unauthenticated state ---- */

/*
 * What a sender sends of a keyed message unasked (sdp_unsched(); less is
 * harmless: the grant it then gets it had already), and the bytes such a
 * message may hold before it authenticated: those, plus the rest of the
 * segment that crosses them (a sender sends whole segments).
 */
static u32 sdp_provisional_grant(u32 wire_len, u16 rec_plain)
{
	return min(wire_len, max(sdp_unsched_bytes, sdp_rec_wire(rec_plain)));
}

static u32 sdp_provisional_limit(u32 wire_len, u16 rec_plain)
{
	return min(wire_len, sdp_provisional_grant(wire_len, rec_plain) +
		   SDP_MAX_SEGMENT);
}

static void sdp_provisional_add(struct sdp_sock *ssk, struct sdp_rpc *rpc)
{
	rpc->provisional = true;
	list_add_tail(&rpc->prov_link, &ssk->provisional);
	ssk->nprovisional++;
	rpc->peer->nprovisional++;
}

/* The request authenticated, or the RPC goes away. */
void sdp_provisional_end(struct sdp_sock *ssk, struct sdp_rpc *rpc)
{
	if (!rpc->provisional)
		return;
	rpc->provisional = false;
	list_del(&rpc->prov_link);
	ssk->nprovisional--;
	rpc->peer->nprovisional--;
}

static void sdp_provisional_evict(struct sdp_sock *ssk,
				  const struct sdp_peer *peer)
{
	struct sdp_rpc *rpc;

	list_for_each_entry(rpc, &ssk->provisional, prov_link) {
		if (peer && rpc->peer != peer)
			continue;
		sdp_count(sdp_sock_net(ssk), SDP_CNT_PROVISIONAL_EVICTED,
			  1);
		sdp_count(sdp_sock_net(ssk), SDP_CNT_SERVER_RPCS_ABORTED,
			  1);
		sdp_rpc_free(ssk, rpc);
		return;
	}
}

/* Room for one more provisional RPC from peer: forget the oldest. */
static void sdp_provisional_make_room(struct sdp_sock *ssk,
				      const struct sdp_peer *peer)
{
	if (peer->nprovisional >= SDP_MAX_PROVISIONAL_PER_PEER)
		sdp_provisional_evict(ssk, peer);
	else if (ssk->nprovisional >= SDP_MAX_PROVISIONAL_RPCS)
		sdp_provisional_evict(ssk, NULL);
}

enum sdp_drop_reason sdp_msgin_alloc(struct sdp_sock *ssk,
					  struct sdp_rpc *rpc,
					  const struct sdp_pkt_info *pi)
{
	u32 overhead = pi->epoch ? SDP_RECORD_OVERHEAD : 0;
	u64 wire = sdp_wire_len(pi->msg_len, pi->rec_plain, overhead);
	struct sdp_msgin *in;
	u32 charge, buf_len, nrec = 0;
	bool frag, known;

	if (pi->msg_len > sdp_max_msg_bytes)
		return SDP_DROP_BAD_LENGTH;
	if (pi->epoch) {
		if (!sdp_record_fits(pi->msg_len, pi->rec_plain))
			return SDP_DROP_BAD_LENGTH;
		nrec = sdp_record_count(pi->msg_len, pi->rec_plain);
	}
	/*
	 * Charge what is really allocated: the page table and record bitmap
	 * now, each page when data lands in it. A forged header that claims
	 * a long message costs its sender real bytes, not a declaration: a
	 * provisional keyed message holds only what a sender sends unasked,
	 * and its buffer grows when it authenticates.
	 */
	known = sdp_rpc_in_authenticated(rpc);
	buf_len = (u32)wire;
	if (pi->epoch && !known)
		buf_len = sdp_provisional_limit((u32)wire, pi->rec_plain);
	frag = sdp_pagebuf_fits_frag((u32)wire);
	if (frag)
		buf_len = (u32)wire;
	charge = sizeof(*in) + BITS_TO_LONGS(max(nrec, 1U)) * sizeof(long) +
		 sdp_msgin_table_bytes(buf_len);
	if (!sdp_mem_charge(ssk, charge))
		return SDP_DROP_NO_MEMORY;
	in = kzalloc(sizeof(*in), GFP_ATOMIC);
	if (in) {
		in->buf = frag ? sdp_pagebuf_alloc_frag(&ssk->frag_cache,
							(u32)wire, GFP_ATOMIC) :
			  sdp_pagebuf_alloc(buf_len, GFP_ATOMIC, false);
		in->opened_map = bitmap_zalloc(max(nrec, 1U), GFP_ATOMIC);
	}
	if (!in || !in->buf || !in->opened_map) {
		if (in) {
			sdp_pagebuf_free(in->buf);
			bitmap_free(in->opened_map);
		}
		kfree(in);
		sdp_mem_uncharge(ssk, charge);
		return SDP_DROP_NO_MEMORY;
	}
	in->charged = charge;
	in->owner = rpc;
	in->len = pi->msg_len;
	in->wire_len = (u32)wire;
	in->rec_plain = pi->rec_plain;
	in->epoch = pi->epoch;
	in->nrec = nrec;
	sdp_reasm_init(&in->reasm, in->wire_len);
	INIT_LIST_HEAD(&in->grant_link);
	/*
	 * Under a key, 'incoming' is not authenticated and not read: a sender
	 * sends at least one record and unsched_bytes unasked (sdp_unsched()),
	 * and nothing is granted before the first record authenticated
	 * (sdp_msgin_authenticated()), so a forged first packet neither takes
	 * grant budget from real messages nor stalls the real sender. If the
	 * sender sends less unasked, the RESEND timer asks for the rest.
	 */
	if (in->epoch) {
		in->granted = sdp_provisional_grant(in->wire_len, in->rec_plain);
		if (known && !sdp_msgin_authenticated(ssk, in)) {
			list_del(&in->grant_link);
			sdp_mem_uncharge(ssk, in->charged);
			sdp_pagebuf_free(in->buf);
			bitmap_free(in->opened_map);
			kfree(in);
			return SDP_DROP_NO_MEMORY;
		}
	} else {
		in->granted = min(pi->incoming, in->wire_len);
		if (in->granted < in->wire_len)
			list_add_tail(&in->grant_link, &ssk->grantable);
	}
	rpc->in = in;
	return SDP_DROP_NONE;
}

/* ---- life of an RPC ---- */

/*
 * An RPC's own memory is charged to the socket like its messages', so what
 * an unauthenticated request holds is all in sock_mem_bytes.
 */
static struct sdp_rpc *sdp_rpc_alloc(struct sdp_sock *ssk, gfp_t gfp)
{
	struct sdp_rpc *rpc;

	if (!sdp_mem_charge(ssk, sizeof(*rpc)))
		return ERR_PTR(-ENOBUFS);
	rpc = kzalloc(sizeof(*rpc), gfp);
	if (!rpc) {
		sdp_mem_uncharge(ssk, sizeof(*rpc));
		return ERR_PTR(-ENOMEM);
	}
	rpc->in_msg_id = SDP_MSG_ID_UNKNOWN;
	return rpc;
}

static void sdp_rpc_release(struct sdp_sock *ssk, struct sdp_rpc *rpc)
{
	kfree(rpc);
	sdp_mem_uncharge(ssk, sizeof(*rpc));
}

void sdp_rpc_free(struct sdp_sock *ssk, struct sdp_rpc *rpc)
{
	sdp_provisional_end(ssk, rpc);
	hlist_del(&rpc->hash_node);
	list_del(&rpc->sock_link);
	if (!list_empty(&rpc->ready_link)) {
		list_del(&rpc->ready_link);
		ssk->ready_msgs--;
		if (!rpc->is_client)
			ssk->ready_reqs--;
	}
	sdp_msgin_free(ssk, rpc);
	sdp_msgout_free(ssk, rpc);
	if (rpc->is_client)
		ssk->client_rpcs--;
	else
		ssk->server_rpcs--;
	atomic_dec(&sdp_net(sdp_sock_net(ssk))->rpcs_active);
	sdp_peer_put(ssk, rpc->peer);
	sdp_rpc_release(ssk, rpc);
}

struct sdp_rpc *sdp_rpc_new_server(struct sdp_sock *ssk,
				   const struct sdp_pkt_info *pi,
				   const struct in6_addr *saddr,
				   enum sdp_drop_reason *r)
{
	struct net *net = sdp_sock_net(ssk);
	struct sdp_client_win *cw;
	struct sdp_rpc *rpc;
	int err = 0;

	cw = sdp_client_win_get(ssk, saddr, pi->sport, true);
	if (!cw) {
		*r = SDP_DROP_NO_MEMORY;
		return NULL;
	}
	if (sdp_window_check(&cw->win, pi->rpc_id) != SDP_WINDOW_NEW) {
		*r = SDP_DROP_OLD_RPC;
		return NULL;
	}
	rpc = sdp_rpc_alloc(ssk, GFP_ATOMIC);
	if (IS_ERR(rpc)) {
		*r = SDP_DROP_NO_MEMORY;
		return NULL;
	}
	rpc->peer = sdp_peer_get(ssk, saddr, &err);
	if (!rpc->peer) {
		sdp_rpc_release(ssk, rpc);
		*r = SDP_DROP_NO_MEMORY;
		return NULL;
	}
	rpc->id = pi->rpc_id;
	rpc->is_client = false;
	rpc->peer_port = pi->sport;
	rpc->state = SDP_RPC_SERVER_INCOMING;
	sdp_rpc_progress(rpc);
	if (pi->epoch)
		sdp_provisional_make_room(ssk, rpc->peer);
	*r = sdp_msgin_alloc(ssk, rpc, pi);
	if (*r) {
		sdp_peer_put(ssk, rpc->peer);
		sdp_rpc_release(ssk, rpc);
		return NULL;
	}
	/* With a key, the id is recorded once its first record authenticates. */
	if (!pi->epoch) {
		sdp_window_update(&cw->win, pi->rpc_id);
		cw->plain_ids = true;
	} else
		sdp_provisional_add(ssk, rpc);
	cw->last_used = jiffies;
	sdp_rpc_insert(ssk, rpc);
	sdp_count(net, SDP_CNT_SERVER_RPCS_STARTED, 1);
	return rpc;
}

/*
 * A complete message (or a failed client RPC) waits for recvmsg. At most
 * max_ready_requests requests wait per socket: one more is dropped whole
 * (requests_shed); its id stays used, so the client's RPC ends with
 * ETIMEDOUT. The caller must not touch rpc afterwards.
 */
void sdp_rpc_make_ready(struct sdp_sock *ssk, struct sdp_rpc *rpc)
{
	struct sock *sk = sdp_to_sk(ssk);

	if (!rpc->is_client) {
		if (ssk->ready_reqs >= READ_ONCE(sdp_max_ready_requests)) {
			sdp_count(sock_net(sk), SDP_CNT_REQUESTS_SHED, 1);
			sdp_rpc_free(ssk, rpc);
			return;
		}
		ssk->ready_reqs++;
	}
	rpc->state = SDP_RPC_READY;
	list_add_tail(&rpc->ready_link, &ssk->ready);
	ssk->ready_msgs++;
	sk->sk_data_ready(sk);
}

void sdp_rpc_fail(struct sdp_sock *ssk, struct sdp_rpc *rpc, int err)
{
	rpc->error = err;
	sdp_msgin_free(ssk, rpc);
	sdp_msgout_free(ssk, rpc);
	sdp_rpc_make_ready(ssk, rpc);
}

/*
 * A client RPC for a request to (peer, port) whose message is being
 * sealed under id; it takes the caller's reference on peer. ERR_PTR:
 * -ENOBUFS (sock_mem_bytes used up) or -ENOMEM.
 */
struct sdp_rpc *sdp_rpc_new_client(struct sdp_sock *ssk,
				   struct sdp_peer *peer, u64 id, u16 port,
				   u64 cookie)
{
	/* On behalf of the caller of sendmsg: charged to its memory cgroup. */
	struct sdp_rpc *rpc = sdp_rpc_alloc(ssk, GFP_ATOMIC | __GFP_ACCOUNT);

	if (IS_ERR(rpc))
		return rpc;
	rpc->peer = peer;
	rpc->id = id;
	rpc->cookie = cookie;
	rpc->is_client = true;
	rpc->peer_port = port;
	rpc->state = SDP_RPC_CLIENT_OUTGOING;
	sdp_rpc_insert(ssk, rpc);
	sdp_count(sdp_sock_net(ssk), SDP_CNT_CLIENT_RPCS_STARTED, 1);
	return rpc;
}

/*
 * The oldest message waiting for recvmsg, now DELIVERING: only the caller
 * moves it on (sdp_rpc_delivered()), so it may copy without the lock.
 */
struct sdp_rpc *sdp_rpc_take_ready(struct sdp_sock *ssk)
{
	struct sdp_rpc *rpc;

	rpc = list_first_entry_or_null(&ssk->ready, struct sdp_rpc,
				       ready_link);
	if (!rpc)
		return NULL;
	list_del_init(&rpc->ready_link);
	ssk->ready_msgs--;
	if (!rpc->is_client)
		ssk->ready_reqs--;
	rpc->state = SDP_RPC_DELIVERING;
	return rpc;
}

/*
 * recvmsg handed the message to the application: a client RPC ends, a
 * server RPC's request is the application's to answer.
 */
void sdp_rpc_delivered(struct sdp_sock *ssk, struct sdp_rpc *rpc)
{
	struct net *net = sdp_sock_net(ssk);

	if (rpc->is_client) {
		sdp_count(net, rpc->error ? SDP_CNT_CLIENT_RPCS_TIMED_OUT :
			  SDP_CNT_CLIENT_RPCS_COMPLETED, 1);
		sdp_count(net, SDP_CNT_RESPONSES_DELIVERED, 1);
		sdp_rpc_free(ssk, rpc);
	} else {
		sdp_count(net, SDP_CNT_REQUESTS_DELIVERED, 1);
		sdp_msgin_free(ssk, rpc);
		rpc->state = SDP_RPC_SERVER_IN_SERVICE;
	}
}

/*
 * sendmsg starts the response of server RPC id, from (addr, port) if addr
 * is given: NULL unless the application holds that request. Until
 * sdp_rpc_response_sent() or _abort() nobody else touches the RPC.
 */
struct sdp_rpc *sdp_rpc_response_begin(struct sdp_sock *ssk, u64 id,
				       const struct in6_addr *addr, u16 port)
{
	struct sdp_rpc *rpc = sdp_rpc_find(ssk, id, false, addr, port);

	if (!rpc || rpc->state != SDP_RPC_SERVER_IN_SERVICE)
		return NULL;
	rpc->state = SDP_RPC_SERVER_PREPARING;
	return rpc;
}

/* The response could not be built: the application still holds it. */
void sdp_rpc_response_abort(struct sdp_rpc *rpc)
{
	rpc->state = SDP_RPC_SERVER_IN_SERVICE;
}

/* The response is on its way; the client's ACK frees the RPC. */
void sdp_rpc_response_sent(struct sdp_rpc *rpc)
{
	rpc->state = SDP_RPC_SERVER_RESPONDING;
}

/* Socket teardown: every RPC goes, whatever its state. */
void sdp_rpcs_destroy(struct sdp_sock *ssk)
{
	struct sdp_rpc *rpc, *tmp;

	list_for_each_entry_safe(rpc, tmp, &ssk->rpcs, sock_link)
		sdp_rpc_free(ssk, rpc);
}
