// SPDX-License-Identifier: GPL-2.0
/*
 * Keys of a socket, per peer (address and port) and direction, installed
 * with setsockopt(SOL_SDP, SDP_TX_KEY / SDP_RX_KEY) after a handshake in
 * userspace; and the receive side's use of them: records are opened as
 * soon as all their bytes are here, and the replay window of the key moves
 * only after a record authenticated.
 *
 * Nonce uniqueness: message ids count from 0 under each transmit epoch and
 * are never reused; epochs only go up, so a key is never reinstalled with
 * a reset counter; running out of message ids is EKEYEXPIRED.
 */
#include <linux/slab.h>
#include <linux/sockptr.h>
#include <linux/uaccess.h>
#include <crypto/algapi.h>

#include "sdp_impl.h"

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
 * Is this key and salt already installed on the socket, for any peer and
 * direction? Message ids and control sequence numbers count from 0 under
 * every key, so a key used twice (both directions of a peer, two peers, a
 * new epoch with the old key) would repeat nonces. Keys replaced earlier are
 * not remembered; the handshake must not hand them out again.
 */
static bool sdp_key_reused(struct sdp_sock *ssk, const struct sdp_aead *a)
{
	struct sdp_peer_keys *pk;
	int b, i;

	for (b = 0; b < ARRAY_SIZE(ssk->key_hash); b++)
		hlist_for_each_entry(pk, &ssk->key_hash[b], node) {
			if (pk->tx &&
			    !crypto_memneq(pk->tx->aead.material, a->material,
					   sizeof(a->material)))
				return true;
			for (i = 0; i < ARRAY_SIZE(pk->rx); i++)
				if (pk->rx[i] &&
				    !crypto_memneq(pk->rx[i]->aead.material,
						   a->material,
						   sizeof(a->material)))
					return true;
		}
	return false;
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
	/* Allocating a tfm may sleep: do it before taking the lock. */
	if (tx) {
		txk = kzalloc(sizeof(*txk), GFP_KERNEL);
		err = txk ? sdp_aead_init(&txk->aead, k.cipher, k.key, k.salt) :
			    -ENOMEM;
		if (err)
			goto out_free;
		refcount_set(&txk->refs, 1);
		txk->epoch = k.epoch;
	} else {
		rxk = kzalloc(sizeof(*rxk), GFP_KERNEL);
		err = rxk ? sdp_aead_init(&rxk->aead, k.cipher, k.key, k.salt) :
			    -ENOMEM;
		if (err)
			goto out_free;
		rxk->epoch = k.epoch;
		sdp_window_init(&rxk->replay);
		sdp_window_init(&rxk->ctrl_replay);
	}
	new_pk = kzalloc(sizeof(*new_pk), GFP_KERNEL);
	if (!new_pk) {
		err = -ENOMEM;
		goto out_free;
	}

	spin_lock_bh(&ssk->lock);
	pk = sdp_keys_find(ssk, &addr, port);
	if (!pk) {
		pk = new_pk;
		new_pk = NULL;
		pk->addr = addr;
		pk->port = port;
		hlist_add_head(&pk->node,
			       &ssk->key_hash[sdp_key_hash(&addr, port)]);
		ssk->nkeys++;
	}
	err = 0;
	if (sdp_key_reused(ssk, tx ? &txk->aead : &rxk->aead)) {
		err = -EINVAL;
	} else if (tx) {
		if (k.epoch <= pk->tx_epoch_used) {
			err = pk->tx_epoch_used == 255 ? -EKEYEXPIRED : -EEXIST;
		} else {
			old_tx = pk->tx;
			pk->tx = txk;
			pk->tx_epoch_used = k.epoch;
			txk = NULL;
		}
	} else {
		if (k.epoch <= pk->rx_epoch_used) {
			err = pk->rx_epoch_used == 255 ? -EKEYEXPIRED : -EEXIST;
		} else {
			old_rx = pk->rx[1];
			pk->rx[1] = pk->rx[0];
			pk->rx[0] = rxk;
			pk->rx_epoch_used = k.epoch;
			rxk = NULL;
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
	int i;

	for (i = 0; i < ARRAY_SIZE(ssk->key_hash); i++)
		hlist_for_each_entry_safe(pk, tmp, &ssk->key_hash[i], node) {
			hlist_del(&pk->node);
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
 * Forget all that arrived of a message (its key went away, it is a replay,
 * or one failed record could not be forgotten alone): it is resent.
 */
static void sdp_msgin_reset(struct sdp_sock *ssk, struct sdp_msgin *in)
{
	u32 released = sdp_pagebuf_release(in->buf) * PAGE_SIZE;

	sdp_count(sock_net(sdp_to_sk(ssk)), SDP_CNT_MESSAGES_DISCARDED, 1);

	sdp_mem_uncharge(ssk, released);
	in->charged -= released;
	sdp_reasm_init(&in->reasm, in->wire_len);
	bitmap_zero(in->opened_map, in->nrec);
	in->opened = 0;
	/*
	 * An authenticated message id stays: the retransmitted records are
	 * checked against it, and the replay window is not asked again (it
	 * would call the message's own retransmission a replay).
	 */
}

/*
 * Forget the bytes of one record that failed authentication, and only
 * those: every other byte, opened or not, stays, so a forged packet costs
 * the sender one record's retransmission, not the message's. Returns false
 * if the reassembly state had no room for the new gap and the whole message
 * was discarded instead.
 */
static bool sdp_msgin_discard_record(struct sdp_sock *ssk,
				     struct sdp_msgin *in,
				     const struct sdp_record_geom *g)
{
	if (sdp_reasm_unmark(&in->reasm, g->wire_off,
			     g->wire_off + g->wire_len) ==
	    SDP_REASM_TOO_MANY_GAPS) {
		sdp_msgin_reset(ssk, in);
		return false;
	}
	sdp_count(sock_net(sdp_to_sk(ssk)), SDP_CNT_RECORDS_DISCARDED, 1);
	return true;
}

/*
 * Open every record of the message that lies in [start, end) of the wire
 * stream and has all its bytes. Returns 0, SDP_DROP_AUTH_FAILED if a record
 * failed (its bytes are asked for again, see sdp_msgin_discard_record()),
 * or the reason the message was discarded (a replay, a replaced key).
 */
int sdp_msgin_open_records(struct sdp_sock *ssk, struct sdp_rpc *rpc,
			   u32 start, u32 end)
{
	struct sdp_msgin *in = rpc->in;
	struct sdp_record_geom g;
	enum sdp_drop_reason r = SDP_DROP_NONE;
	struct sdp_rxkey *rxk;
	u32 k, last;

	if (!in->epoch || start >= end)
		return SDP_DROP_NONE;
	rxk = sdp_rx_key(ssk, &rpc->peer->addr, rpc->peer_port, in->epoch);
	if (!rxk) {
		/* The epoch's key was replaced while the message arrived. */
		sdp_msgin_reset(ssk, in);
		return SDP_DROP_WRONG_EPOCH;
	}
	last = min(sdp_record_index_at(end - 1, in->rec_plain), in->nrec - 1);
	for (k = sdp_record_index_at(start, in->rec_plain); k <= last; k++) {
		u8 prefix[SDP_RECORD_PREFIX];
		u64 id = in->msg_id;

		if (test_bit(k, in->opened_map) ||
		    !sdp_record_locate(in->len, in->rec_plain, k, &g) ||
		    !sdp_reasm_range_complete(&in->reasm, g.wire_off,
					      g.wire_off + g.wire_len))
			continue;
		if (id == U64_MAX) {
			/* The explicit nonce names the message; AEAD checks it. */
			sdp_pagebuf_rw(in->buf, g.wire_off, prefix,
				       sizeof(prefix), false);
			id = sdp_get_be64(prefix + SDP_TLS_HDR_LEN) >>
			     SDP_REC_INDEX_BITS;
		}
		if (sdp_record_open(&rxk->aead, in->buf, &g, id, rpc->id,
				    in->len)) {
			r = SDP_DROP_AUTH_FAILED;
			if (!sdp_msgin_discard_record(ssk, in, &g))
				break;
			continue;
		}
		if (in->msg_id == U64_MAX) {
			enum sdp_window_result w;

			w = sdp_window_update(&rxk->replay, id);
			/*
			 * A response behind the window is still taken: it
			 * authenticated, its framing names this RPC, and the
			 * RPC takes one response only, so it cannot be a
			 * replay of anything delivered (a later copy finds
			 * no RPC). Refusing it would leave the RPC waiting
			 * for a message its server can only resend as is.
			 * A request behind the window is refused (and its
			 * server RPC freed, sdp_in.c).
			 */
			if (w == SDP_WINDOW_TOO_OLD && rpc->is_client) {
				sdp_count(sock_net(sdp_to_sk(ssk)),
					  SDP_CNT_OLD_RESPONSES_TAKEN, 1);
			} else if (w != SDP_WINDOW_NEW) {
				sdp_msgin_reset(ssk, in);
				return w == SDP_WINDOW_TOO_OLD ?
				       SDP_DROP_TOO_OLD : SDP_DROP_REPLAY;
			}
			in->msg_id = id;
			/* Kept if the message is ever started over. */
			rpc->in_msg_id = id;
			rpc->in_msg_id_known = true;
			if (!rpc->is_client) {
				struct sdp_client_win *cw;

				/* Now the request id is authentic: record it. */
				cw = sdp_client_win_get(ssk, &rpc->peer->addr,
							rpc->peer_port, true);
				if (cw)
					sdp_window_update(&cw->win, rpc->id);
			}
		}
		__set_bit(k, in->opened_map);
		in->opened++;
	}
	return r;
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
