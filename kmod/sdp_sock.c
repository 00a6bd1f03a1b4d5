// SPDX-License-Identifier: GPL-2.0
/*
 * The socket API: socket(AF_INET[6], SOCK_DGRAM, IPPROTO_SDP),
 * bind, sendmsg (start a request / send a response), recvmsg (a whole
 * message), poll, close, socket options, and protocol registration. The
 * port table is sdp_port.c; what happens to an RPC is in sdp_rpc.c, to its
 * messages in sdp_out.c and sdp_in.c.
 */
#include <linux/module.h>
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

#include "sdp_sock.h"
#include "sdp_rpc.h"
#include "sdp_key.h"
#include "sdp_peer.h"
#include "sdp_out.h"
#include "sdp_in.h"
#include "sdp_timer.h"

static int sdp_hash(struct sock *sk)
{
	return 0;
}

/* ---- socket operations ---- */

static int sdp_init_sock(struct sock *sk)
{
	struct sdp_sock *ssk = sdp_sk(sk);

	/* sk_alloc() cleared the whole socket (__GFP_ZERO, sk_prot_alloc()). */
	spin_lock_init(&ssk->lock);
	INIT_HLIST_NODE(&ssk->port_node);
	INIT_LIST_HEAD(&ssk->rpcs);
	INIT_LIST_HEAD(&ssk->ready);
	INIT_LIST_HEAD(&ssk->grantable);
	INIT_LIST_HEAD(&ssk->provisional);
	hash_init(ssk->rpc_hash);
	hash_init(ssk->peer_hash);
	hash_init(ssk->client_hash);
	hash_init(ssk->key_hash);
	hash_init(ssk->key_fp_hash);
	get_random_bytes(&ssk->key_fp_secret, sizeof(ssk->key_fp_secret));
	timer_setup(&ssk->timer, sdp_timer_fn, 0);
	/*
	 * The receive path finds sockets under RCU (sdp_sock_lookup()): free
	 * them only after a grace period, so refcount_inc_not_zero() never
	 * touches freed memory.
	 */
	sock_set_flag(sk, SOCK_RCU_FREE);
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
	struct sk_buff_head q;

	__skb_queue_head_init(&q);
	spin_lock_bh(&ssk->lock);
	/* The responses that arrived are acknowledged, keys still exist. */
	sdp_acks_flush(ssk, &q);
	ssk->shutdown = true;
	sdp_rpcs_destroy(ssk);
	spin_unlock_bh(&ssk->lock);
	sdp_xmit_queue(ssk, &q);
	del_timer_sync(&ssk->timer);
	/*
	 * Only now: the ACKs above carry ssk->port, which unhashing clears.
	 * Packets that find the socket until then see shutdown and are
	 * dropped; the socket is freed after an RCU grace period.
	 */
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
	struct net *net = sock_net(sk);
	struct in6_addr addr;
	u16 port;
	int err;

	err = sdp_parse_addr(sk, uaddr, addr_len, &addr, &port);
	if (err)
		return err;
	if (sk->sk_family == AF_INET) {
		__be32 a = addr.s6_addr32[3];

		if (a != htonl(INADDR_ANY) &&
		    inet_addr_type(net, a) != RTN_LOCAL)
			return -EADDRNOTAVAIL;
	} else if (!ipv6_addr_any(&addr) &&
		   !ipv6_chk_addr(net, &addr, NULL, 0)) {
		return -EADDRNOTAVAIL;
	}
	/* As inet: net.ipv4.ip_unprivileged_port_start, the netns' owner. */
	if (port && inet_port_requires_bind_service(net, port) &&
	    !ns_capable(net->user_ns, CAP_NET_BIND_SERVICE))
		return -EACCES;
	return sdp_port_bind(ssk, port, &addr);
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
	if (len > min(sdp_max_msg_bytes, SDP_MAX_MESSAGE_LEN))
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
	if (!READ_ONCE(ssk->port)) {
		struct in6_addr any;

		if (sk->sk_family == AF_INET)
			ipv6_addr_set_v4mapped(htonl(INADDR_ANY), &any);
		else
			any = in6addr_any;
		err = sdp_port_bind(ssk, 0, &any);
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
		rpc = sdp_rpc_response_begin(ssk, info.rpc_id,
					     msg->msg_name ? &addr : NULL, port);
		if (!rpc) {
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
	if (err) {
		if (rpc)
			sdp_rpc_response_abort(rpc);
		goto out_put;
	}
	/*
	 * A small message takes a piece of the socket's page_frag cache.
	 * Allocations in sendmsg are charged to the caller's memory cgroup.
	 */
	if (sdp_pagebuf_fits_frag(geo.wire_len))
		buf = sdp_pagebuf_alloc_frag(&ssk->frag_cache, geo.wire_len,
					     GFP_ATOMIC | __GFP_ACCOUNT);
	spin_unlock_bh(&ssk->lock);

	/* 2. Without the lock: copy the message in and seal its records. */
	if (!buf)
		buf = sdp_pagebuf_alloc(geo.wire_len, GFP_KERNEL_ACCOUNT, true);
	/* A send with an RPC to answer is that RPC's response. */
	err = buf ? sdp_msgout_fill(buf, &msg->msg_iter, len, &geo, txk,
				    msg_id, id, !!rpc) : -ENOMEM;
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
			sdp_rpc_response_abort(rpc);
		goto out_put;
	}
	if (!rpc) {
		/* The RPC takes our reference on peer. */
		rpc = sdp_rpc_new_client(ssk, peer, id, port, info.cookie);
		if (IS_ERR(rpc)) {
			err = PTR_ERR(rpc);
			rpc = NULL;
			sdp_pagebuf_free(buf);
			sdp_mem_uncharge(ssk, geo.wire_len);
			goto out_put;
		}
	} else {
		sdp_rpc_response_sent(rpc);
	}
	sdp_msgout_start(ssk, rpc, buf, len, &geo, &q);
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
	rpc = sdp_rpc_take_ready(ssk);
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
	sdp_rpc_delivered(ssk, rpc);
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
	/* The first four fields were the whole struct once: still enough. */
	if (len < (int)offsetof(struct sdp_sock_stats, mem_bytes))
		return -EINVAL;
	spin_lock_bh(&ssk->lock);
	st.client_rpcs = ssk->client_rpcs;
	st.server_rpcs = ssk->server_rpcs;
	st.ready_msgs = ssk->ready_msgs;
	st.keyed_peers = ssk->nkeys;
	st.mem_bytes = ssk->mem_bytes;
	spin_unlock_bh(&ssk->lock);
	len = min_t(int, len, sizeof(st));
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
