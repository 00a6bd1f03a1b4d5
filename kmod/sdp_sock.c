// SPDX-License-Identifier: GPL-2.0
/*
 * The socket API: socket(AF_INET[6], SOCK_DGRAM, IPPROTO_SDP),
 * bind, sendmsg (start a request / send a response), recvmsg (a whole
 * message), poll, close; plus the RPC table of each socket.
 */
#include <linux/module.h>
#include <linux/hash.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/timekeeping.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/transp_v6.h>
#include <net/addrconf.h>
#include <net/protocol.h>
#include <net/sock.h>

#include "sdp_impl.h"

/* ---- global port table: (netns, family, port) -> socket ---- */

#define SDP_PORT_BUCKET_BITS	10
static struct hlist_head sdp_ports[1 << SDP_PORT_BUCKET_BITS];
static DEFINE_SPINLOCK(sdp_ports_lock);

#define SDP_EPHEMERAL_LOW	32768
#define SDP_EPHEMERAL_HIGH	60999

static u32 sdp_port_hash(const struct net *net, int family, u16 port)
{
	return hash_32(net_hash_mix(net) ^ port ^ (family << 16),
		       SDP_PORT_BUCKET_BITS);
}

static struct sdp_sock *sdp_port_find(const struct net *net, int family,
				      u16 port)
{
	struct sdp_sock *ssk;

	hlist_for_each_entry_rcu(ssk, &sdp_ports[sdp_port_hash(net, family, port)],
				 port_node) {
		struct sock *sk = sdp_to_sk(ssk);

		if (ssk->port == port && sk->sk_family == family &&
		    net_eq(sock_net(sk), net))
			return ssk;
	}
	return NULL;
}

/* The socket bound to port, with a reference held; NULL if none. */
struct sdp_sock *sdp_sock_lookup(struct net *net, int family, u16 port)
{
	struct sdp_sock *ssk;

	rcu_read_lock();
	ssk = sdp_port_find(net, family, port);
	if (ssk && !refcount_inc_not_zero(&sdp_to_sk(ssk)->sk_refcnt))
		ssk = NULL;
	rcu_read_unlock();
	return ssk;
}

/* Bind to port (0 = pick an ephemeral one). */
static int sdp_port_bind(struct sdp_sock *ssk, u16 port)
{
	struct sock *sk = sdp_to_sk(ssk);
	struct net *net = sock_net(sk);
	int err = 0;

	spin_lock_bh(&sdp_ports_lock);
	if (ssk->port) {
		err = -EINVAL;
	} else if (port) {
		if (sdp_port_find(net, sk->sk_family, port))
			err = -EADDRINUSE;
	} else {
		u32 range = SDP_EPHEMERAL_HIGH - SDP_EPHEMERAL_LOW + 1;
		u32 start = get_random_u32_below(range), i;

		err = -EADDRNOTAVAIL;
		for (i = 0; i < range; i++) {
			u16 p = SDP_EPHEMERAL_LOW + (start + i) % range;

			if (!sdp_port_find(net, sk->sk_family, p)) {
				port = p;
				err = 0;
				break;
			}
		}
	}
	if (!err) {
		ssk->port = port;
		ssk->inet.inet_num = port;
		ssk->inet.inet_sport = htons(port);
		hlist_add_head_rcu(&ssk->port_node,
				   &sdp_ports[sdp_port_hash(net, sk->sk_family,
							    port)]);
	}
	spin_unlock_bh(&sdp_ports_lock);
	return err;
}

static void sdp_unhash(struct sock *sk)
{
	struct sdp_sock *ssk = sdp_sk(sk);

	spin_lock_bh(&sdp_ports_lock);
	if (ssk->port) {
		hlist_del_init_rcu(&ssk->port_node);
		ssk->port = 0;
	}
	spin_unlock_bh(&sdp_ports_lock);
}

static int sdp_hash(struct sock *sk)
{
	return 0;
}

/* ---- memory accounting ---- */

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

/* ---- RPC table ---- */

static u32 sdp_rpc_hash(u64 id)
{
	return sdp_hash_u64(id, SDP_RPC_BUCKET_BITS);
}

void sdp_rpc_insert(struct sdp_sock *ssk, struct sdp_rpc *rpc)
{
	INIT_LIST_HEAD(&rpc->ready_link);
	hlist_add_head(&rpc->hash_node, &ssk->rpc_hash[sdp_rpc_hash(rpc->id)]);
	list_add_tail(&rpc->sock_link, &ssk->rpcs);
	if (rpc->is_client)
		ssk->client_rpcs++;
	else
		ssk->server_rpcs++;
	atomic_inc(&sdp_net(sock_net(sdp_to_sk(ssk)))->rpcs_active);
	sdp_sock_arm_timer(ssk);
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
	sdp_mem_uncharge(ssk, rpc->out.wire_len);
	sdp_pagebuf_free(rpc->out.buf);
	rpc->out.buf = NULL;
}

void sdp_rpc_free(struct sdp_sock *ssk, struct sdp_rpc *rpc)
{
	sdp_provisional_end(ssk, rpc);
	hlist_del(&rpc->hash_node);
	list_del(&rpc->sock_link);
	if (!list_empty(&rpc->ready_link)) {
		list_del(&rpc->ready_link);
		ssk->ready_msgs--;
	}
	sdp_msgin_free(ssk, rpc);
	sdp_msgout_free(ssk, rpc);
	if (rpc->is_client)
		ssk->client_rpcs--;
	else
		ssk->server_rpcs--;
	atomic_dec(&sdp_net(sock_net(sdp_to_sk(ssk)))->rpcs_active);
	sdp_peer_put(ssk, rpc->peer);
	kfree(rpc);
}

void sdp_rpc_make_ready(struct sdp_sock *ssk, struct sdp_rpc *rpc)
{
	struct sock *sk = sdp_to_sk(ssk);

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

void sdp_sock_arm_timer(struct sdp_sock *ssk)
{
	if (!timer_pending(&ssk->timer))
		mod_timer(&ssk->timer,
			  jiffies + max(1UL, msecs_to_jiffies(sdp_tick_ms)));
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
	int i;

	hlist_for_each_entry(cw, h, node)
		if (cw->port == port && ipv6_addr_equal(&cw->addr, addr))
			return cw;
	if (!create)
		return NULL;
	if (ssk->nclient_wins >= SDP_MAX_CLIENT_WINDOWS) {
		/* Recycle a client that has been silent for long. */
		for (i = 0; i < ARRAY_SIZE(ssk->client_hash) && !victim; i++)
			hlist_for_each_entry(cw, &ssk->client_hash[i], node)
				if (time_after(jiffies, cw->last_used + idle)) {
					victim = cw;
					break;
				}
		if (!victim)
			return NULL;
		hlist_del(&victim->node);
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
	sdp_window_init(&cw->win);
	hlist_add_head(&cw->node, h);
	return cw;
}

static void sdp_client_wins_destroy(struct sdp_sock *ssk)
{
	struct sdp_client_win *cw;
	struct hlist_node *tmp;
	int i;

	for (i = 0; i < ARRAY_SIZE(ssk->client_hash); i++)
		hlist_for_each_entry_safe(cw, tmp, &ssk->client_hash[i], node) {
			hlist_del(&cw->node);
			kfree(cw);
		}
	ssk->nclient_wins = 0;
}

/* ---- socket operations ---- */

static int sdp_init_sock(struct sock *sk)
{
	struct sdp_sock *ssk = sdp_sk(sk);
	int i;

	/* The slab clears new sockets only with init_on_alloc: do it here. */
	memset((u8 *)ssk + offsetof(struct sdp_sock, lock), 0,
	       sizeof(*ssk) - offsetof(struct sdp_sock, lock));
	spin_lock_init(&ssk->lock);
	INIT_HLIST_NODE(&ssk->port_node);
	INIT_LIST_HEAD(&ssk->rpcs);
	INIT_LIST_HEAD(&ssk->ready);
	INIT_LIST_HEAD(&ssk->grantable);
	INIT_LIST_HEAD(&ssk->provisional);
	for (i = 0; i < ARRAY_SIZE(ssk->rpc_hash); i++)
		INIT_HLIST_HEAD(&ssk->rpc_hash[i]);
	for (i = 0; i < ARRAY_SIZE(ssk->peer_hash); i++)
		INIT_HLIST_HEAD(&ssk->peer_hash[i]);
	for (i = 0; i < ARRAY_SIZE(ssk->client_hash); i++)
		INIT_HLIST_HEAD(&ssk->client_hash[i]);
	for (i = 0; i < ARRAY_SIZE(ssk->key_hash); i++)
		INIT_HLIST_HEAD(&ssk->key_hash[i]);
	timer_setup(&ssk->timer, sdp_timer_fn, 0);
	/*
	 * Request ids start at the wall clock in ns, so a new socket on the
	 * same port continues above its predecessor's ids and servers keep
	 * rejecting late duplicates of old requests (docs/PROTOCOL.md).
	 */
	ssk->next_rpc_id = max_t(u64, ktime_get_real_ns(), 1);
	atomic_inc(&sdp_net(sock_net(sk))->sockets);
	return 0;
}

static void sdp_destroy_sock(struct sock *sk)
{
	struct sdp_sock *ssk = sdp_sk(sk);
	struct sdp_rpc *rpc, *tmp;
	struct sk_buff_head q;

	__skb_queue_head_init(&q);
	spin_lock_bh(&ssk->lock);
	/* The responses that arrived are acknowledged, keys still exist. */
	sdp_acks_flush(ssk, &q);
	ssk->shutdown = true;
	list_for_each_entry_safe(rpc, tmp, &ssk->rpcs, sock_link)
		sdp_rpc_free(ssk, rpc);
	spin_unlock_bh(&ssk->lock);
	sdp_xmit_queue(ssk, &q);
	del_timer_sync(&ssk->timer);
	sdp_unhash(sk);
	sdp_peers_destroy(ssk);
	sdp_client_wins_destroy(ssk);
	sdp_keys_destroy(ssk);
	/* Pieces still in use (skbs in flight) keep their page. */
	if (ssk->frag_cache.va)
		__page_frag_cache_drain(virt_to_head_page(ssk->frag_cache.va),
					ssk->frag_cache.pagecnt_bias);
	ssk->frag_cache.va = NULL;
	atomic_dec(&sdp_net(sock_net(sk))->sockets);
}

static void sdp_close(struct sock *sk, long timeout)
{
	sk_common_release(sk);
}

static int sdp_parse_addr(const struct sock *sk, const struct sockaddr *sa,
			  int len, struct in6_addr *addr, u16 *port)
{
	if (sk->sk_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		if (len < (int)sizeof(*sin))
			return -EINVAL;
		if (sin->sin_family != AF_INET)
			return -EAFNOSUPPORT;
		ipv6_addr_set_v4mapped(sin->sin_addr.s_addr, addr);
		*port = ntohs(sin->sin_port);
	} else {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		if (len < SIN6_LEN_RFC2133)
			return -EINVAL;
		if (sin6->sin6_family != AF_INET6)
			return -EAFNOSUPPORT;
		if (ipv6_addr_v4mapped(&sin6->sin6_addr))
			return -EAFNOSUPPORT;
		*addr = sin6->sin6_addr;
		*port = ntohs(sin6->sin6_port);
	}
	return 0;
}

static int sdp_bind(struct sock *sk, struct sockaddr *uaddr, int addr_len)
{
	struct sdp_sock *ssk = sdp_sk(sk);
	struct in6_addr addr;
	u16 port;
	int err;

	err = sdp_parse_addr(sk, uaddr, addr_len, &addr, &port);
	if (err)
		return err;
	if (sk->sk_family == AF_INET) {
		__be32 a = addr.s6_addr32[3];

		if (a != htonl(INADDR_ANY) &&
		    inet_addr_type(sock_net(sk), a) != RTN_LOCAL)
			return -EADDRNOTAVAIL;
		err = sdp_port_bind(ssk, port);
		if (!err) {
			ssk->inet.inet_rcv_saddr = a;
			ssk->inet.inet_saddr = a;
		}
	} else {
		if (!ipv6_addr_any(&addr) &&
		    !ipv6_chk_addr(sock_net(sk), &addr, NULL, 0))
			return -EADDRNOTAVAIL;
		err = sdp_port_bind(ssk, port);
		if (!err)
			sk->sk_v6_rcv_saddr = addr;
	}
	return err;
}

static void sdp_fill_name(const struct sock *sk, struct msghdr *msg,
			  const struct sdp_rpc *rpc, int *addr_len)
{
	if (!msg->msg_name)
		return;
	if (sk->sk_family == AF_INET) {
		DECLARE_SOCKADDR(struct sockaddr_in *, sin, msg->msg_name);

		memset(sin, 0, sizeof(*sin));
		sin->sin_family = AF_INET;
		sin->sin_port = htons(rpc->peer_port);
		sin->sin_addr.s_addr = rpc->peer->addr.s6_addr32[3];
		*addr_len = sizeof(*sin);
	} else {
		DECLARE_SOCKADDR(struct sockaddr_in6 *, sin6, msg->msg_name);

		memset(sin6, 0, sizeof(*sin6));
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(rpc->peer_port);
		sin6->sin6_addr = rpc->peer->addr;
		*addr_len = sizeof(*sin6);
	}
}

static int sdp_get_send_info(struct msghdr *msg, struct sdp_send_info *info)
{
	struct cmsghdr *cmsg;
	bool seen = false;

	memset(info, 0, sizeof(*info));
	for_each_cmsghdr(cmsg, msg) {
		if (!CMSG_OK(msg, cmsg))
			return -EINVAL;
		if (cmsg->cmsg_level != SOL_SDP ||
		    cmsg->cmsg_type != SDP_CMSG_SEND ||
		    cmsg->cmsg_len != CMSG_LEN(sizeof(*info)) || seen)
			return -EINVAL;
		memcpy(info, CMSG_DATA(cmsg), sizeof(*info));
		seen = true;
	}
	if (info->flags || info->reserved)
		return -EINVAL;
	return 0;
}

/*
 * Fill the message's wire buffer from the user's bytes: as they are, or
 * record by record, each sealed with the transmit key (outside the socket
 * lock: sealing a large message takes a while).
 */
static int sdp_fill_msg(struct sdp_pagebuf *buf, struct iov_iter *from,
			u32 len, const struct sdp_msg_geom *geo,
			struct sdp_txkey *txk, u64 msg_id, u64 rpc_id)
{
	struct sdp_record_geom g;
	u32 k, nrec;
	int err;

	if (!txk)
		return sdp_pagebuf_from_iter(buf, from);
	nrec = sdp_record_count(len, geo->rec_app);
	for (k = 0; k < nrec; k++) {
		if (!sdp_record_locate(len, geo->rec_app, k, &g))
			return -EINVAL;
		err = sdp_pagebuf_from_iter_at(buf, g.wire_off +
					       SDP_RECORD_PREFIX + SDP_FRAME_LEN,
					       g.app_len, from);
		if (!err)
			err = sdp_record_prepare(buf, &g, msg_id, rpc_id, len);
		/*
		 * TLS TX offload hook (docs/OFFLOAD.md): a device that
		 * encrypts TLS records would take the prepared record from
		 * here; the software engine produces the same bytes.
		 */
		if (!err)
			err = sdp_record_encrypt(&txk->aead, buf, &g);
		if (err)
			return err;
	}
	return 0;
}

static int sdp_sendmsg(struct sock *sk, struct msghdr *msg, size_t len)
{
	struct sdp_sock *ssk = sdp_sk(sk);
	struct sdp_txkey *txk = NULL;
	u64 __user *id_out = NULL;
	struct sdp_peer *peer = NULL;
	struct sdp_send_info info;
	struct sdp_pagebuf *buf = NULL;
	struct sdp_rpc *rpc = NULL;
	struct sdp_msg_geom geo;
	struct in6_addr addr;
	struct sk_buff_head q;
	u16 port = 0;
	u64 id = 0, msg_id = 0;
	int err;

	if (msg->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;
	err = sdp_get_send_info(msg, &info);
	if (err)
		return err;
	if (len > min(sdp_max_msg_bytes, SDP_MAX_MESSAGE))
		return -EMSGSIZE;
	if (msg->msg_name) {
		err = sdp_parse_addr(sk, msg->msg_name, msg->msg_namelen,
				     &addr, &port);
		if (err)
			return err;
		if (!port)
			return -EINVAL;
	} else if (!info.rpc_id) {
		return -EDESTADDRREQ;
	}
	if (info.id_out) {
		id_out = u64_to_user_ptr(info.id_out);
		if (put_user(0ULL, id_out))
			return -EFAULT;
	}
	if (!ssk->port) {
		err = sdp_port_bind(ssk, 0);
		if (err && err != -EINVAL)
			return err;
	}

	/* 1. Under the lock: the RPC or peer, the key, a message id. */
	spin_lock_bh(&ssk->lock);
	if (ssk->shutdown) {
		err = -ESHUTDOWN;
		goto out_unlock;
	}
	if (info.rpc_id) {
		rpc = sdp_rpc_find(ssk, info.rpc_id, false,
				   msg->msg_name ? &addr : NULL, port);
		if (!rpc || rpc->state != SDP_RPC_SERVER_IN_SERVICE) {
			err = -EINVAL;
			goto out_unlock;
		}
		peer = rpc->peer;
		addr = peer->addr;
		port = rpc->peer_port;
	} else {
		peer = sdp_peer_get(ssk, &addr, &err);
		if (!peer)
			goto out_unlock;
	}
	/*
	 * A new request's id is taken now: the records bind it. If sendmsg
	 * fails later the id is simply never used.
	 */
	id = rpc ? rpc->id : ssk->next_rpc_id++;
	err = sdp_tx_key_get(ssk, &addr, port, &txk, &msg_id);
	if (!err)
		err = sdp_msg_geometry(ssk, peer, len, txk ? txk->epoch : 0,
				       &geo);
	if (!err && !sdp_mem_charge(ssk, geo.wire_len))
		err = -ENOBUFS;
	if (err)
		goto out_put;
	/* A small message takes a piece of the socket's page_frag cache. */
	if (sdp_pagebuf_fits_frag(geo.wire_len))
		buf = sdp_pagebuf_alloc_frag(&ssk->frag_cache, geo.wire_len,
					     GFP_ATOMIC);
	if (rpc)
		rpc->state = SDP_RPC_SERVER_PREPARING;
	spin_unlock_bh(&ssk->lock);

	/* 2. Without the lock: copy the message in and seal its records. */
	if (!buf)
		buf = sdp_pagebuf_alloc(geo.wire_len, GFP_KERNEL, true);
	err = buf ? sdp_fill_msg(buf, &msg->msg_iter, len, &geo, txk, msg_id,
				 id) : -ENOMEM;
	sdp_txkey_put(txk);
	txk = NULL;

	/* 3. Under the lock: start the RPC or the response. */
	__skb_queue_head_init(&q);
	spin_lock_bh(&ssk->lock);
	if (!err && ssk->shutdown)
		err = -ESHUTDOWN;
	if (err) {
		sdp_pagebuf_free(buf);
		sdp_mem_uncharge(ssk, geo.wire_len);
		if (rpc)
			rpc->state = SDP_RPC_SERVER_IN_SERVICE;
		goto out_put;
	}
	if (!rpc) {
		rpc = kzalloc(sizeof(*rpc), GFP_ATOMIC);
		if (!rpc) {
			sdp_pagebuf_free(buf);
			sdp_mem_uncharge(ssk, geo.wire_len);
			err = -ENOMEM;
			goto out_put;
		}
		rpc->peer = peer;	/* the RPC takes our reference */
		rpc->id = id;
		rpc->cookie = info.cookie;
		rpc->is_client = true;
		rpc->peer_port = port;
		rpc->state = SDP_RPC_CLIENT_OUTGOING;
		sdp_rpc_insert(ssk, rpc);
		sdp_count(sock_net(sk), SDP_CNT_CLIENT_RPCS_STARTED, 1);
	} else {
		rpc->state = SDP_RPC_SERVER_RESPONDING;
	}
	sdp_rpc_progress(rpc);
	sdp_msgout_init(rpc, buf, len, &geo);
	sdp_xmit_new_data(ssk, rpc, &q);
	spin_unlock_bh(&ssk->lock);
	sdp_xmit_queue(ssk, &q);
	if (id_out && put_user(id, id_out))
		return -EFAULT;
	return len;

out_put:
	if (!rpc && peer)
		sdp_peer_put(ssk, peer);
	if (txk) {
		/* Not sealed with: harmless, the id is simply never used. */
		spin_unlock_bh(&ssk->lock);
		sdp_txkey_put(txk);
		return err;
	}
out_unlock:
	spin_unlock_bh(&ssk->lock);
	return err;
}

/* Copy the first len application bytes of a complete message out. */
static int sdp_msgin_copy_out(const struct sdp_msgin *in, u32 len,
			      struct iov_iter *to)
{
	struct sdp_record_geom g;
	u32 k;
	int err;

	if (!in->epoch)
		return sdp_pagebuf_to_iter(in->buf, 0, len, to);
	for (k = 0; len && sdp_record_locate(in->len, in->rec_plain, k, &g);
	     k++) {
		u32 n = min(len, g.app_len);

		err = sdp_pagebuf_to_iter(in->buf, g.wire_off +
					  SDP_RECORD_PREFIX + SDP_FRAME_LEN, n,
					  to);
		if (err)
			return err;
		len -= n;
	}
	return 0;
}

static int sdp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
		       int flags, int *addr_len)
{
	struct sdp_sock *ssk = sdp_sk(sk);
	struct sdp_recv_info info = {};
	struct sdp_rpc *rpc;
	u32 msg_len = 0;
	long timeo;
	int err = 0;

	if (flags & (MSG_OOB | MSG_PEEK | MSG_ERRQUEUE))
		return -EOPNOTSUPP;
	if (msg->msg_controllen < CMSG_SPACE(sizeof(info)))
		return -EINVAL;
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);

	spin_lock_bh(&ssk->lock);
	while (list_empty(&ssk->ready)) {
		DEFINE_WAIT_FUNC(wait, woken_wake_function);

		if (ssk->shutdown) {
			err = -ESHUTDOWN;
			goto out_unlock;
		}
		if (!timeo) {
			err = -EAGAIN;
			goto out_unlock;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(timeo);
			goto out_unlock;
		}
		add_wait_queue(sk_sleep(sk), &wait);
		spin_unlock_bh(&ssk->lock);
		timeo = wait_woken(&wait, TASK_INTERRUPTIBLE, timeo);
		remove_wait_queue(sk_sleep(sk), &wait);
		spin_lock_bh(&ssk->lock);
	}
	rpc = list_first_entry(&ssk->ready, struct sdp_rpc, ready_link);
	list_del_init(&rpc->ready_link);
	ssk->ready_msgs--;
	rpc->state = SDP_RPC_DELIVERING;
	spin_unlock_bh(&ssk->lock);

	/* The RPC is ours now: only this call moves it on from DELIVERING. */
	info.rpc_id = rpc->id;
	info.cookie = rpc->is_client ? rpc->cookie : 0;
	info.flags = rpc->is_client ? SDP_RECV_RESPONSE : SDP_RECV_REQUEST;
	info.error = rpc->error;
	if (rpc->in) {
		msg_len = rpc->in->len;
		err = sdp_msgin_copy_out(rpc->in, min_t(size_t, len, msg_len),
					 &msg->msg_iter);
	}
	info.msg_len = msg_len;
	sdp_fill_name(sk, msg, rpc, addr_len);
	if (!err)
		err = put_cmsg(msg, SOL_SDP, SDP_CMSG_RECV, sizeof(info), &info);

	spin_lock_bh(&ssk->lock);
	if (rpc->is_client) {
		sdp_count(sock_net(sk), rpc->error ? SDP_CNT_CLIENT_RPCS_TIMED_OUT :
			  SDP_CNT_CLIENT_RPCS_COMPLETED, 1);
		sdp_count(sock_net(sk), SDP_CNT_RESPONSES_DELIVERED, 1);
		sdp_rpc_free(ssk, rpc);
	} else {
		sdp_count(sock_net(sk), SDP_CNT_REQUESTS_DELIVERED, 1);
		sdp_msgin_free(ssk, rpc);
		rpc->state = SDP_RPC_SERVER_IN_SERVICE;
	}
	spin_unlock_bh(&ssk->lock);
	if (err)
		return err;
	if (msg_len > len)
		msg->msg_flags |= MSG_TRUNC;
	return (flags & MSG_TRUNC) ? msg_len : min_t(size_t, len, msg_len);

out_unlock:
	spin_unlock_bh(&ssk->lock);
	return err;
}

static int sdp_getsockopt(struct sock *sk, int level, int optname,
			  char __user *optval, int __user *optlen)
{
	struct sdp_sock *ssk = sdp_sk(sk);
	struct sdp_sock_stats st = {};
	int len;

	if (level != SOL_SDP) {
		if (sk->sk_family == AF_INET6)
			return ipv6_getsockopt(sk, level, optname, optval,
					       optlen);
		return ip_getsockopt(sk, level, optname, optval, optlen);
	}
	if (optname == SDP_KEY_INFO)
		return sdp_getsockopt_key_info(ssk, optval, optlen);
	if (get_user(len, optlen))
		return -EFAULT;
	if (optname == SDP_ALLOW_PLAINTEXT) {
		int v = READ_ONCE(ssk->allow_plaintext);

		if (len < (int)sizeof(v))
			return -EINVAL;
		len = sizeof(v);
		if (put_user(len, optlen) || copy_to_user(optval, &v, len))
			return -EFAULT;
		return 0;
	}
	if (optname != SDP_RPC_STATS)
		return -ENOPROTOOPT;
	if (len < (int)sizeof(st))
		return -EINVAL;
	spin_lock_bh(&ssk->lock);
	st.client_rpcs = ssk->client_rpcs;
	st.server_rpcs = ssk->server_rpcs;
	st.ready_msgs = ssk->ready_msgs;
	st.mem_bytes = ssk->mem_bytes;
	spin_unlock_bh(&ssk->lock);
	len = sizeof(st);
	if (put_user(len, optlen) || copy_to_user(optval, &st, len))
		return -EFAULT;
	return 0;
}

static int sdp_setsockopt(struct sock *sk, int level, int optname,
			  sockptr_t optval, unsigned int optlen)
{
	if (level != SOL_SDP) {
		if (sk->sk_family == AF_INET6)
			return ipv6_setsockopt(sk, level, optname, optval,
					       optlen);
		return ip_setsockopt(sk, level, optname, optval, optlen);
	}
	switch (optname) {
	case SDP_TX_KEY:
	case SDP_RX_KEY:
		return sdp_setsockopt_key(sdp_sk(sk), optval, optlen,
					  optname == SDP_TX_KEY);
	case SDP_ALLOW_PLAINTEXT: {
		int v;

		if (optlen < sizeof(v))
			return -EINVAL;
		if (copy_from_sockptr(&v, optval, sizeof(v)))
			return -EFAULT;
		spin_lock_bh(&sdp_sk(sk)->lock);
		sdp_sk(sk)->allow_plaintext = !!v;
		spin_unlock_bh(&sdp_sk(sk)->lock);
		return 0;
	}
	}
	return -ENOPROTOOPT;
}

static __poll_t sdp_poll(struct file *file, struct socket *sock,
			 poll_table *wait)
{
	struct sdp_sock *ssk = sdp_sk(sock->sk);
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	sock_poll_wait(file, sock, wait);
	if (READ_ONCE(ssk->ready_msgs))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(ssk->shutdown))
		mask |= EPOLLHUP;
	return mask;
}

static int sdp_sock_sendmsg(struct socket *sock, struct msghdr *msg,
			    size_t len)
{
	return sdp_sendmsg(sock->sk, msg, len);
}

static int sdp_sock_recvmsg(struct socket *sock, struct msghdr *msg,
			    size_t len, int flags)
{
	int addr_len = 0;
	int err = sdp_recvmsg(sock->sk, msg, len, flags, &addr_len);

	if (err >= 0 && msg->msg_name)
		msg->msg_namelen = addr_len;
	return err;
}

static int sdp_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	struct sdp_sock *ssk = sdp_sk(sk);

	spin_lock_bh(&ssk->lock);
	ssk->shutdown = true;
	spin_unlock_bh(&ssk->lock);
	sk->sk_state_change(sk);
	wake_up_interruptible_all(sk_sleep(sk));
	return 0;
}

static struct proto sdp_prot = {
	.name		= "SDP",
	.owner		= THIS_MODULE,
	.close		= sdp_close,
	.init		= sdp_init_sock,
	.destroy	= sdp_destroy_sock,
	.setsockopt	= sdp_setsockopt,
	.getsockopt	= sdp_getsockopt,
	.sendmsg	= sdp_sendmsg,
	.recvmsg	= sdp_recvmsg,
	.bind		= sdp_bind,
	.hash		= sdp_hash,
	.unhash		= sdp_unhash,
	.no_autobind	= true,
	.obj_size	= sizeof(struct sdp_sock),
};

static struct proto sdp6_prot = {
	.name		= "SDPv6",
	.owner		= THIS_MODULE,
	.close		= sdp_close,
	.init		= sdp_init_sock,
	.destroy	= sdp_destroy_sock,
	.setsockopt	= sdp_setsockopt,
	.getsockopt	= sdp_getsockopt,
	.sendmsg	= sdp_sendmsg,
	.recvmsg	= sdp_recvmsg,
	.bind		= sdp_bind,
	.hash		= sdp_hash,
	.unhash		= sdp_unhash,
	.no_autobind	= true,
	.obj_size	= sizeof(struct sdp6_sock),
};

static const struct proto_ops sdp_ops = {
	.family		= PF_INET,
	.owner		= THIS_MODULE,
	.release	= inet_release,
	.bind		= inet_bind,
	.connect	= sock_no_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= sock_no_accept,
	.getname	= inet_getname,
	.poll		= sdp_poll,
	.ioctl		= inet_ioctl,
	.listen		= sock_no_listen,
	.shutdown	= sdp_shutdown,
	.setsockopt	= sock_common_setsockopt,
	.getsockopt	= sock_common_getsockopt,
	.sendmsg	= sdp_sock_sendmsg,
	.recvmsg	= sdp_sock_recvmsg,
	.mmap		= sock_no_mmap,
	.sendpage	= sock_no_sendpage,
};

static const struct proto_ops sdp6_ops = {
	.family		= PF_INET6,
	.owner		= THIS_MODULE,
	.release	= inet6_release,
	.bind		= inet6_bind,
	.connect	= sock_no_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= sock_no_accept,
	.getname	= inet6_getname,
	.poll		= sdp_poll,
	.ioctl		= inet6_ioctl,
	.listen		= sock_no_listen,
	.shutdown	= sdp_shutdown,
	.setsockopt	= sock_common_setsockopt,
	.getsockopt	= sock_common_getsockopt,
	.sendmsg	= sdp_sock_sendmsg,
	.recvmsg	= sdp_sock_recvmsg,
	.mmap		= sock_no_mmap,
	.sendpage	= sock_no_sendpage,
};

static struct inet_protosw sdp_protosw = {
	.type		= SOCK_DGRAM,
	.prot		= &sdp_prot,
	.ops		= &sdp_ops,
};

static struct inet_protosw sdp6_protosw = {
	.type		= SOCK_DGRAM,
	.prot		= &sdp6_prot,
	.ops		= &sdp6_ops,
};

static struct net_protocol sdp_net_protocol = {
	.handler	= sdp_v4_rcv,
	.no_policy	= 1,
};

static struct inet6_protocol sdp6_net_protocol = {
	.handler	= sdp_v6_rcv,
	.flags		= INET6_PROTO_NOPOLICY | INET6_PROTO_FINAL,
};

int sdp_proto_register(void)
{
	int err;

	sdp_protosw.protocol = sdp_ip_proto;
	sdp6_protosw.protocol = sdp_ip_proto;

	err = proto_register(&sdp_prot, 1);
	if (err)
		return err;
	err = proto_register(&sdp6_prot, 1);
	if (err)
		goto out_prot;
	inet_register_protosw(&sdp_protosw);
	err = inet6_register_protosw(&sdp6_protosw);
	if (err)
		goto out_protosw;
	err = inet_add_protocol(&sdp_net_protocol, sdp_ip_proto);
	if (err) {
		pr_err("sdp: IPv4 protocol %d is already taken (module parameter ip_proto)\n",
		       sdp_ip_proto);
		goto out_protosw6;
	}
	err = inet6_add_protocol(&sdp6_net_protocol, sdp_ip_proto);
	if (err) {
		pr_err("sdp: IPv6 protocol %d is already taken (module parameter ip_proto)\n",
		       sdp_ip_proto);
		goto out_proto4;
	}
	return 0;

out_proto4:
	inet_del_protocol(&sdp_net_protocol, sdp_ip_proto);
out_protosw6:
	inet6_unregister_protosw(&sdp6_protosw);
out_protosw:
	inet_unregister_protosw(&sdp_protosw);
	proto_unregister(&sdp6_prot);
out_prot:
	proto_unregister(&sdp_prot);
	return err;
}

void sdp_proto_unregister(void)
{
	inet6_del_protocol(&sdp6_net_protocol, sdp_ip_proto);
	inet_del_protocol(&sdp_net_protocol, sdp_ip_proto);
	inet6_unregister_protosw(&sdp6_protosw);
	inet_unregister_protosw(&sdp_protosw);
	proto_unregister(&sdp6_prot);
	proto_unregister(&sdp_prot);
}
