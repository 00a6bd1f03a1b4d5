// SPDX-License-Identifier: GPL-2.0
/*
 * The record engine: seal and open one TLS 1.2 AES-GCM record of a message
 * in place in its page buffer, with the kernel crypto API (AES-NI when the
 * CPU has it). Framing, nonces and AAD come from sdp_record.h, shared with
 * the host tests that check them against OpenSSL.
 *
 * Sealing writes the TLS AAD into the 13 bytes where the record header
 * will go, encrypts AAD || framing || application bytes in place (the tag
 * lands in the 16 bytes after them), then writes the real record header:
 * the software path produces exactly the bytes a NIC with TLS TX offload
 * would. Only synchronous AEAD implementations are used, so records can be
 * opened in softirq context.
 *
 * At module load a known-answer test seals the worked example of
 * docs/PROTOCOL.md with both ciphers and compares with the bytes OpenSSL
 * produced (tests/unit/test_record.cpp); the module refuses to load if
 * they differ.
 */
#include <crypto/aead.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "sdp_impl.h"
#include "sdp_record.h"
#include "sdp_crypto.h"

int sdp_aead_init(struct sdp_aead *a, u16 cipher, const u8 *key,
		  const u8 salt[SDP_SALT_LEN])
{
	unsigned int keylen;
	int err;

	switch (cipher) {
	case SDP_CIPHER_AES_GCM_128:
		keylen = 16;
		break;
	case SDP_CIPHER_AES_GCM_256:
		keylen = 32;
		break;
	default:
		return -EINVAL;
	}
	a->tfm = crypto_alloc_aead("gcm(aes)", 0, CRYPTO_ALG_ASYNC);
	if (IS_ERR(a->tfm)) {
		err = PTR_ERR(a->tfm);
		a->tfm = NULL;
		return err;
	}
	err = crypto_aead_setkey(a->tfm, key, keylen);
	if (!err)
		err = crypto_aead_setauthsize(a->tfm, SDP_TLS_TAG_LEN);
	if (err) {
		crypto_free_aead(a->tfm);
		a->tfm = NULL;
		return err;
	}
	a->cipher = cipher;
	memcpy(a->salt, salt, SDP_SALT_LEN);
	return 0;
}

void sdp_aead_destroy(struct sdp_aead *a)
{
	if (a->tfm)
		crypto_free_aead(a->tfm);
	a->tfm = NULL;
}

/* Copy len bytes between buf and the page buffer at off. */
static void sdp_pagebuf_rw(struct sdp_pagebuf *b, u32 off, void *buf, u32 len,
			   bool write)
{
	u8 *p = buf;

	while (len) {
		u32 poff = off & ~PAGE_MASK;
		u32 n = min_t(u32, len, PAGE_SIZE - poff);
		u8 *page = page_address(b->pages[off >> PAGE_SHIFT]) + poff;

		if (write)
			memcpy(page, p, n);
		else
			memcpy(p, page, n);
		off += n;
		p += n;
		len -= n;
	}
}

/* Scatterlist over [off, off + len) of the buffer; returns entries used. */
static int sdp_pagebuf_sg(struct sdp_pagebuf *b, u32 off, u32 len,
			  struct scatterlist *sg, int max)
{
	int n = 0;

	sg_init_table(sg, max);
	while (len) {
		u32 poff = off & ~PAGE_MASK;
		u32 chunk = min_t(u32, len, PAGE_SIZE - poff);

		if (n == max)
			return -EMSGSIZE;
		sg_set_page(&sg[n++], b->pages[off >> PAGE_SHIFT], chunk, poff);
		off += chunk;
		len -= chunk;
	}
	if (n)
		sg_mark_end(&sg[n - 1]);
	return n;
}

#define SDP_RECORD_MAX_SG (DIV_ROUND_UP(16384 + SDP_RECORD_OVERHEAD, \
					PAGE_SIZE) + 1)

static int sdp_record_crypt(struct sdp_aead *a, struct sdp_pagebuf *b,
			    const struct sdp_record_geom *g, u64 seq,
			    bool encrypt)
{
	u32 plain_len = SDP_FRAME_LEN + g->app_len;
	struct scatterlist sg[SDP_RECORD_MAX_SG];
	u8 iv[SDP_GCM_IV_LEN], aad[13];
	struct aead_request *req;
	int n, err;

	/* AAD goes where the header and explicit nonce sit: 13 bytes. */
	sdp_record_aad(aad, seq, plain_len);
	sdp_pagebuf_rw(b, g->wire_off, aad, sizeof(aad), true);
	n = sdp_pagebuf_sg(b, g->wire_off,
			   sizeof(aad) + plain_len + SDP_TLS_TAG_LEN, sg,
			   ARRAY_SIZE(sg));
	if (n < 0)
		return n;
	sdp_record_iv(iv, a->salt, seq);

	req = aead_request_alloc(a->tfm, GFP_ATOMIC);
	if (!req)
		return -ENOMEM;
	aead_request_set_callback(req, 0, NULL, NULL);
	aead_request_set_ad(req, sizeof(aad));
	if (encrypt) {
		aead_request_set_crypt(req, sg, sg, plain_len, iv);
		err = crypto_aead_encrypt(req);
	} else {
		aead_request_set_crypt(req, sg, sg, plain_len + SDP_TLS_TAG_LEN,
				       iv);
		err = crypto_aead_decrypt(req);
	}
	aead_request_free(req);
	return err;
}

/*
 * Seal record g of message msg_id (msg_len bytes) in place. The caller put
 * the record's application bytes at g->wire_off + SDP_RECORD_PREFIX +
 * SDP_FRAME_LEN; everything else of the record is written here.
 */
int sdp_record_seal(struct sdp_aead *a, struct sdp_pagebuf *b,
		    const struct sdp_record_geom *g, u64 msg_id, u32 msg_len)
{
	u64 seq = sdp_record_seq(msg_id, g->index);
	u8 frame[SDP_FRAME_LEN], prefix[SDP_RECORD_PREFIX];
	int err;

	sdp_record_frame(frame, g->app_off, msg_len);
	sdp_pagebuf_rw(b, g->wire_off + SDP_RECORD_PREFIX, frame, sizeof(frame),
		       true);
	err = sdp_record_crypt(a, b, g, seq, true);
	if (err)
		return err;
	sdp_record_prefix(prefix, seq, g->app_len);
	sdp_pagebuf_rw(b, g->wire_off, prefix, sizeof(prefix), true);
	return 0;
}

/*
 * Open record g of message msg_id in place: check its header and explicit
 * nonce, authenticate and decrypt, check the framing header. -EBADMSG if
 * anything does not match.
 */
int sdp_record_open(struct sdp_aead *a, struct sdp_pagebuf *b,
		    const struct sdp_record_geom *g, u64 msg_id, u32 msg_len)
{
	u8 prefix[SDP_RECORD_PREFIX], frame[SDP_FRAME_LEN], want[SDP_FRAME_LEN];
	int err;

	sdp_pagebuf_rw(b, g->wire_off, prefix, sizeof(prefix), false);
	if (!sdp_record_prefix_ok(prefix, g, msg_id))
		return -EBADMSG;
	err = sdp_record_crypt(a, b, g, sdp_record_seq(msg_id, g->index),
			       false);
	if (err)
		return err == -EBADMSG ? err : -EIO;
	sdp_pagebuf_rw(b, g->wire_off + SDP_RECORD_PREFIX, frame, sizeof(frame),
		       false);
	sdp_record_frame(want, g->app_off, msg_len);
	return memcmp(frame, want, sizeof(frame)) ? -EBADMSG : 0;
}

/* ---- known-answer test (docs/PROTOCOL.md worked example) ---- */

static const u8 sdp_kat_salt[SDP_SALT_LEN] = { 0xa0, 0xa1, 0xa2, 0xa3 };
static const char sdp_kat_text[] = "hello, SDP";

/* ciphertext || tag after the 13-byte prefix, from OpenSSL */
static const u8 sdp_kat_aes128[] = {
	0x8d, 0x3f, 0x16, 0x98, 0xfc, 0xb9, 0xd5, 0x03, 0x6d, 0x62, 0x76, 0x0c,
	0x6a, 0x0b, 0x2a, 0x1e, 0x7c, 0x4e, 0x2b, 0x55, 0x25, 0x24, 0x5c, 0xa9,
	0x23, 0x84, 0xe1, 0x41, 0x97, 0xf0, 0xc3, 0x05, 0xec, 0xe7,
};

static const u8 sdp_kat_aes256[] = {
	0xdb, 0x4b, 0xa2, 0xdc, 0xe7, 0xf0, 0x03, 0x4c, 0xa4, 0x54, 0x4b, 0x47,
	0xa1, 0xe9, 0xbc, 0x7a, 0x59, 0x81, 0xea, 0x94, 0x17, 0xcc, 0x4f, 0x50,
	0xbe, 0xe5, 0x62, 0xa6, 0x29, 0x7a, 0x6c, 0x34, 0x06, 0xc1,
};

static int sdp_crypto_kat_one(u16 cipher, const u8 *golden, size_t golden_len)
{
	u32 msg_len = sizeof(sdp_kat_text) - 1;
	u8 key[32], wire[SDP_RECORD_PREFIX + 64];
	struct sdp_record_geom g;
	struct sdp_pagebuf *b;
	struct sdp_aead a = {};
	u64 msg_id = 5;
	int i, err;

	for (i = 0; i < sizeof(key); i++)
		key[i] = i;
	if (!sdp_record_locate(msg_len, SDP_RECORD_APP_MAX, 0, &g) ||
	    g.wire_len != SDP_RECORD_PREFIX + golden_len)
		return -EINVAL;
	err = sdp_aead_init(&a, cipher, key, sdp_kat_salt);
	if (err)
		return err;
	b = sdp_pagebuf_alloc(g.wire_len, GFP_KERNEL, true);
	if (!b) {
		err = -ENOMEM;
		goto out;
	}
	sdp_pagebuf_rw(b, SDP_RECORD_PREFIX + SDP_FRAME_LEN,
		       (void *)sdp_kat_text, msg_len, true);
	err = sdp_record_seal(&a, b, &g, msg_id, msg_len);
	if (err)
		goto out;
	sdp_pagebuf_rw(b, 0, wire, g.wire_len, false);
	if (memcmp(wire + SDP_RECORD_PREFIX, golden, golden_len)) {
		err = -EBADMSG;
		goto out;
	}
	err = sdp_record_open(&a, b, &g, msg_id, msg_len);
	if (err)
		goto out;
	sdp_pagebuf_rw(b, SDP_RECORD_PREFIX + SDP_FRAME_LEN, wire, msg_len,
		       false);
	if (memcmp(wire, sdp_kat_text, msg_len)) {
		err = -EBADMSG;
		goto out;
	}
	/* A flipped bit must fail authentication. */
	wire[0] = 0;
	sdp_pagebuf_rw(b, SDP_RECORD_PREFIX + SDP_FRAME_LEN,
		       (void *)sdp_kat_text, msg_len, true);
	err = sdp_record_seal(&a, b, &g, msg_id, msg_len);
	if (!err) {
		sdp_pagebuf_rw(b, SDP_RECORD_PREFIX + 3, wire, 1, false);
		wire[0] ^= 0x10;
		sdp_pagebuf_rw(b, SDP_RECORD_PREFIX + 3, wire, 1, true);
		err = sdp_record_open(&a, b, &g, msg_id, msg_len) == -EBADMSG ?
		      0 : -EINVAL;
	}
out:
	sdp_pagebuf_free(b);
	sdp_aead_destroy(&a);
	return err;
}

int sdp_crypto_selftest(void)
{
	int err;

	err = sdp_crypto_kat_one(SDP_CIPHER_AES_GCM_128, sdp_kat_aes128,
				 sizeof(sdp_kat_aes128));
	if (err) {
		pr_err("sdp: AES-128-GCM record self-test failed: %d\n", err);
		return err;
	}
	err = sdp_crypto_kat_one(SDP_CIPHER_AES_GCM_256, sdp_kat_aes256,
				 sizeof(sdp_kat_aes256));
	if (err)
		pr_err("sdp: AES-256-GCM record self-test failed: %d\n", err);
	return err;
}
