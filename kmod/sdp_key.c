// SPDX-License-Identifier: GPL-2.0
/*
 * Keys of a socket, per peer (address and port) and direction, installed
 * with setsockopt(SOL_SDP, SDP_TX_KEY / SDP_RX_KEY) after a handshake in
 * userspace; opening a record and signing or verifying a control packet
 * under them; and their replay windows, which move only after a record or
 * control packet authenticated. A leaf: the receive and send paths call
 * it, it reports what authenticated and they act on it.
 *
 * Nonce uniqueness: message ids count from 0 under each transmit epoch and
 * are never reused; epochs only go up, so a key is never reinstalled with
 * a reset counter; running out of message ids is EKEYEXPIRED.
 */
#include <linux/slab.h>
#include <linux/sockptr.h>
#include <linux/uaccess.h>
#include <linux/siphash.h>

#include "sdp_sock.h"
#include "sdp_key.h"
#include "sdp_buf.h"

static u32 sdp_key_hash(const struct in6_addr *a, u16 port)
{
	return sdp_hash_addr_port(a, port, SDP_KEY_BUCKET_BITS);
}

static struct sdp_peer_keys *sdp_keys_find(struct sdp_sock *ssk,
					   const struct in6_addr *addr,
					   u16 port)
{
	struct sdp_peer_keys *pk;

	hlist_for_each_entry(pk, &ssk->key_hash[sdp_key_hash(addr, port)],
			     node)
		if (pk->port == port && ipv6_addr_equal(&pk->addr, addr))
			return pk;
	return NULL;
}

/* Parse the peer of a struct sdp_key / sdp_key_info for this socket. */
static int sdp_key_peer(const struct sock *sk,
			const struct __kernel_sockaddr_storage *ss,
			struct in6_addr *addr, u16 *port)
{
	if (sk->sk_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		if (sin->sin_family != AF_INET)
			return -EAFNOSUPPORT;
		ipv6_addr_set_v4mapped(sin->sin_addr.s_addr, addr);
		*port = ntohs(sin->sin_port);
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		if (sin6->sin6_family != AF_INET6 ||
		    ipv6_addr_v4mapped(&sin6->sin6_addr))
			return -EAFNOSUPPORT;
		*addr = sin6->sin6_addr;
		*port = ntohs(sin6->sin6_port);
	}
	return *port ? 0 : -EINVAL;
}

static void sdp_txkey_free(struct sdp_txkey *txk)
{
	sdp_aead_destroy(&txk->aead);
	kfree_sensitive(txk);
}

void sdp_txkey_put(struct sdp_txkey *txk)
{
	if (txk && refcount_dec_and_test(&txk->refs))
		sdp_txkey_free(txk);
}

static void sdp_rxkey_free(struct sdp_rxkey *rxk)
{
	if (!rxk)
		return;
	sdp_aead_destroy(&rxk->aead);
	kfree_sensitive(rxk);
}

/*
 * Keys installed on the socket, by fingerprint: a SipHash, under a random
 * per-socket secret, of cipher || key || salt (the raw key is kept only by
 * the crypto transform). Message ids and control sequence numbers count from
 * 0 under every key, so a key used twice on one socket (both directions of a
 * peer, two peers, a new epoch with the key it replaces) would repeat
 * nonces: such an install is refused. A collision of two different keys
 * (probability 2^-64 per pair) refuses the second, never accepts a reuse.
 * Keys replaced earlier are not remembered: the handshake must not hand
 * them out again.
 */
static u64 sdp_key_fp(const struct sdp_sock *ssk, const struct sdp_key *k)
{
	u8 m[2 + sizeof(k->key) + sizeof(k->salt)] = {};
	unsigned int keylen = k->cipher == SDP_CIPHER_AES_GCM_256 ? 32 : 16;
	u64 fp;

	m[0] = k->cipher >> 8;
	m[1] = k->cipher & 0xff;
	memcpy(m + 2, k->key, keylen);
	memcpy(m + 2 + sizeof(k->key), k->salt, sizeof(k->salt));
	fp = siphash(m, sizeof(m), &ssk->key_fp_secret);
	memzero_explicit(m, sizeof(m));
	return fp;
}

static struct hlist_head *sdp_key_fp_bucket(struct sdp_sock *ssk, u64 fp)
{
	return &ssk->key_fp_hash[hash_64(fp, SDP_KEY_FP_BUCKET_BITS)];
}

static bool sdp_key_reused(struct sdp_sock *ssk, u64 fp)
{
	struct sdp_key_fp *f;

	hlist_for_each_entry(f, sdp_key_fp_bucket(ssk, fp), node)
		if (f->fp == fp)
			return true;
	return false;
}

static void sdp_key_fp_add(struct sdp_sock *ssk, struct sdp_key_fp *f,
			   u64 fp)
{
	f->fp = fp;
	hlist_add_head(&f->node, sdp_key_fp_bucket(ssk, fp));
}

static void sdp_key_fp_del(struct sdp_key_fp *f)
{
	if (!hlist_unhashed(&f->node))
		hlist_del_init(&f->node);
}

int sdp_setsockopt_key(struct sdp_sock *ssk, sockptr_t optval,
		       unsigned int optlen, bool tx)
{
	struct sock *sk = sdp_to_sk(ssk);
	struct sdp_txkey *txk = NULL, *old_tx = NULL;
	struct sdp_rxkey *rxk = NULL, *old_rx = NULL;
	struct sdp_peer_keys *pk, *new_pk;
	struct sdp_key k;
	struct in6_addr addr;
	u16 port;
	u64 fp;
	u8 *epoch_used;
	int err;

	if (optlen != sizeof(k))
		return -EINVAL;
	if (copy_from_sockptr(&k, optval, sizeof(k)))
		return -EFAULT;
	err = sdp_key_peer(sk, &k.peer, &addr, &port);
	if (err)
		goto out_wipe;
	err = -EINVAL;
	if (!k.epoch || k.reserved)
		goto out_wipe;
	/*
	 * Allocating a tfm may sleep: do it before taking the lock. What is
	 * allocated here is on behalf of the caller: charged to its memory
	 * cgroup (the crypto transforms are allocated by the crypto API,
	 * uncharged).
	 */
	if (tx) {
		txk = kzalloc(sizeof(*txk), GFP_KERNEL_ACCOUNT);
		err = txk ? sdp_aead_init(&txk->aead, k.cipher, k.key, k.salt) :
			    -ENOMEM;
		if (err)
			goto out_free;
		refcount_set(&txk->refs, 1);
		txk->epoch = k.epoch;
		INIT_HLIST_NODE(&txk->fp.node);
	} else {
		rxk = kzalloc(sizeof(*rxk), GFP_KERNEL_ACCOUNT);
		err = rxk ? sdp_aead_init(&rxk->aead, k.cipher, k.key, k.salt) :
			    -ENOMEM;
		if (err)
			goto out_free;
		rxk->epoch = k.epoch;
		sdp_window_init(&rxk->replay);
		sdp_window_init(&rxk->ctrl_replay);
		INIT_HLIST_NODE(&rxk->fp.node);
	}
	fp = sdp_key_fp(ssk, &k);
	new_pk = kzalloc(sizeof(*new_pk), GFP_KERNEL_ACCOUNT);
	if (!new_pk) {
		err = -ENOMEM;
		goto out_free;
	}

	spin_lock_bh(&ssk->lock);
	pk = sdp_keys_find(ssk, &addr, port);
	if (!pk) {
		/* Entered in the table only if the key is installed. */
		pk = new_pk;
		pk->addr = addr;
		pk->port = port;
	}
	epoch_used = tx ? &pk->tx_epoch_used : &pk->rx_epoch_used;
	if (sdp_key_reused(ssk, fp)) {
		err = -EINVAL;
	} else if (k.epoch <= *epoch_used) {
		err = *epoch_used == 255 ? -EKEYEXPIRED : -EEXIST;
	} else if (tx) {
		old_tx = pk->tx;
		if (old_tx)
			sdp_key_fp_del(&old_tx->fp);
		pk->tx = txk;
		sdp_key_fp_add(ssk, &txk->fp, fp);
		txk = NULL;
	} else {
		old_rx = pk->rx[1];
		if (old_rx)
			sdp_key_fp_del(&old_rx->fp);
		pk->rx[1] = pk->rx[0];
		pk->rx[0] = rxk;
		sdp_key_fp_add(ssk, &rxk->fp, fp);
		rxk = NULL;
	}
	if (!err) {
		*epoch_used = k.epoch;
		if (pk == new_pk) {
			hlist_add_head(&pk->node,
				       &ssk->key_hash[sdp_key_hash(&addr, port)]);
			ssk->nkeys++;
			new_pk = NULL;
		}
	}
	spin_unlock_bh(&ssk->lock);
	kfree(new_pk);
	sdp_txkey_put(old_tx);
	sdp_rxkey_free(old_rx);
out_free:
	if (txk)
		sdp_txkey_free(txk);
	sdp_rxkey_free(rxk);
out_wipe:
	memzero_explicit(&k, sizeof(k));
	return err;
}

int sdp_getsockopt_key_info(struct sdp_sock *ssk, char __user *optval,
			    int __user *optlen)
{
	struct sdp_key_info ki;
	struct sdp_peer_keys *pk;
	struct in6_addr addr;
	u16 port;
	int len, err;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < (int)sizeof(ki))
		return -EINVAL;
	if (copy_from_user(&ki, optval, sizeof(ki)))
		return -EFAULT;
	err = sdp_key_peer(sdp_to_sk(ssk), &ki.peer, &addr, &port);
	if (err)
		return err;
	ki.tx_cipher = 0;
	ki.tx_epoch = 0;
	ki.rx_epoch = 0;
	ki.rx_cipher = 0;
	ki.reserved = 0;
	ki.tx_next_msg_id = 0;
	spin_lock_bh(&ssk->lock);
	pk = sdp_keys_find(ssk, &addr, port);
	if (pk && pk->tx) {
		ki.tx_cipher = pk->tx->aead.cipher;
		ki.tx_epoch = pk->tx->epoch;
		ki.tx_next_msg_id = pk->tx->next_msg_id;
	}
	if (pk && pk->rx[0]) {
		ki.rx_cipher = pk->rx[0]->aead.cipher;
		ki.rx_epoch = pk->rx[0]->epoch;
	}
	spin_unlock_bh(&ssk->lock);
	len = sizeof(ki);
	if (put_user(len, optlen) || copy_to_user(optval, &ki, len))
		return -EFAULT;
	return 0;
}

/* Socket teardown: process context, no lock needed any more. */
void sdp_keys_destroy(struct sdp_sock *ssk)
{
	struct sdp_peer_keys *pk;
	struct hlist_node *tmp;
	int bkt;

	hash_for_each_safe(ssk->key_hash, bkt, tmp, pk, node) {
		hash_del(&pk->node);
		if (pk->tx)
			sdp_key_fp_del(&pk->tx->fp);
		sdp_txkey_put(pk->tx);
		sdp_rxkey_free(pk->rx[0]);
		sdp_rxkey_free(pk->rx[1]);
		kfree(pk);
	}
	ssk->nkeys = 0;
}

/*
 * The transmit key for a message to (addr, port), with a reference, and a
 * fresh message id; *txk = NULL for plaintext. Sock lock held.
 */
int sdp_tx_key_get(struct sdp_sock *ssk, const struct in6_addr *addr,
		   u16 port, struct sdp_txkey **txk, u64 *msg_id)
{
	struct sdp_peer_keys *pk = sdp_keys_find(ssk, addr, port);

	*txk = NULL;
	if (!pk || !pk->tx)
		return sdp_plaintext_refused(ssk, addr, port) ? -ENOKEY : 0;
	if (pk->tx->next_msg_id >= SDP_MSG_ID_LIMIT)
		return -EKEYEXPIRED;
	*msg_id = pk->tx->next_msg_id++;
	refcount_inc(&pk->tx->refs);
	*txk = pk->tx;
	return 0;
}

struct sdp_rxkey *sdp_rx_key(struct sdp_sock *ssk,
			     const struct in6_addr *addr, u16 port, u8 epoch)
{
	struct sdp_peer_keys *pk = sdp_keys_find(ssk, addr, port);
	int i;

	if (!pk || !epoch)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(pk->rx); i++)
		if (pk->rx[i] && pk->rx[i]->epoch == epoch)
			return pk->rx[i];
	return NULL;
}

/*
 * Must traffic with this peer be encrypted? Always when the peer has a key
 * in either direction: SDP_ALLOW_PLAINTEXT only admits peers without keys,
 * so nothing sent in the clear can stand in for a keyed peer. Otherwise
 * when the socket has keys for any peer and plaintext is not allowed.
 */
bool sdp_plaintext_refused(struct sdp_sock *ssk, const struct in6_addr *addr,
			   u16 port)
{
	struct sdp_peer_keys *pk;

	if (!ssk->nkeys)
		return false;
	pk = sdp_keys_find(ssk, addr, port);
	if (pk && (pk->tx || pk->rx[0] || pk->rx[1]))
		return true;
	return !ssk->allow_plaintext;
}

/*
 * Open record g of a message in place under rxk. *msg_id is the message's
 * authenticated id or SDP_MSG_ID_UNKNOWN: then the record's explicit nonce
 * names the message (AEAD checks it) and *msg_id returns that id. 0 if the
 * record authenticated; its plaintext is then in place of the ciphertext.
 */
int sdp_rxkey_open_record(struct sdp_rxkey *rxk, struct sdp_pagebuf *buf,
			  const struct sdp_record_geom *g, u64 *msg_id,
			  u64 rpc_id, u32 msg_len, bool response)
{
	u64 id = *msg_id;
	int err;

	if (id == SDP_MSG_ID_UNKNOWN) {
		u8 prefix[SDP_RECORD_PREFIX];

		err = sdp_pagebuf_rw(buf, g->wire_off, prefix, sizeof(prefix),
				     false);
		if (err)
			return err;
		id = sdp_get_be64(prefix + SDP_TLS_HDR_LEN) >>
		     SDP_REC_INDEX_BITS;
	}
	err = sdp_record_open(&rxk->aead, buf, g, id, rpc_id, msg_len,
			      response);
	if (!err)
		*msg_id = id;
	return err;
}

/*
 * A record of message msg_id authenticated under rxk: record the id in the
 * key's replay window. SDP_WINDOW_NEW the first time; SDP_WINDOW_SEEN for a
 * message already taken, SDP_WINDOW_TOO_OLD for one behind the window.
 */
enum sdp_window_result sdp_rxkey_accept_msg_id(struct sdp_rxkey *rxk,
					       u64 msg_id)
{
	return sdp_window_update(&rxk->replay, msg_id);
}

/*
 * Append the trailer (ctrl_seq, GMAC tag) to a control packet whose header
 * fills the skb, under the transmit key for (addr, port). Returns 0 with
 * nothing appended when the peer has no key and plaintext is allowed,
 * -ENOKEY when it must not be sent in the clear, -EKEYEXPIRED when the
 * key's control sequence space is used up. Sock lock held.
 */
int sdp_ctrl_sign(struct sdp_sock *ssk, const struct in6_addr *addr,
		  u16 port, struct sk_buff *skb)
{
	struct sdp_peer_keys *pk = sdp_keys_find(ssk, addr, port);
	struct sdp_common_hdr *c = (struct sdp_common_hdr *)skb->data;
	struct sdp_txkey *txk = pk ? pk->tx : NULL;
	struct sdp_ctrl_trailer *t;
	unsigned int len;

	if (!txk)
		return sdp_plaintext_refused(ssk, addr, port) ? -ENOKEY : 0;
	if (txk->next_ctrl >= SDP_CTRL_SEQ_LIMIT)
		return -EKEYEXPIRED;
	c->epoch = txk->epoch;
	len = skb->len + SDP_CTRL_SEQ_LEN;
	t = skb_put(skb, sizeof(*t));
	t->ctrl_seq = cpu_to_be64(sdp_ctrl_seq(txk->next_ctrl++));
	return sdp_ctrl_tag(&txk->aead, skb->data, len, t->tag, false);
}

/*
 * Authenticate a control packet that carries a key epoch (the caller made
 * header and trailer linear): the receive key of that epoch must exist, the
 * tag must verify, and only then is ctrl_seq checked against and recorded
 * in the key's control replay window. Sock lock held.
 */
enum sdp_drop_reason sdp_ctrl_verify(struct sdp_sock *ssk,
				     const struct in6_addr *addr,
				     const struct sdp_pkt_info *pi,
				     struct sk_buff *skb)
{
	struct sdp_rxkey *rxk = sdp_rx_key(ssk, addr, pi->sport, pi->epoch);
	u64 n;

	if (!rxk)
		return SDP_DROP_WRONG_EPOCH;
	if (!sdp_ctrl_seq_counter(pi->ctrl_seq, &n))
		return SDP_DROP_BAD_HEADER;
	switch (sdp_window_check(&rxk->ctrl_replay, n)) {
	case SDP_WINDOW_SEEN:
		return SDP_DROP_CTRL_REPLAY;
	case SDP_WINDOW_TOO_OLD:
		return SDP_DROP_CTRL_TOO_OLD;
	default:
		break;
	}
	if (sdp_ctrl_tag(&rxk->aead, skb->data, pi->hdr_len + SDP_CTRL_SEQ_LEN,
			 skb->data + pi->hdr_len + SDP_CTRL_SEQ_LEN, true))
		return SDP_DROP_CTRL_AUTH_FAILED;
	sdp_window_update(&rxk->ctrl_replay, n);
	return SDP_DROP_NONE;
}
