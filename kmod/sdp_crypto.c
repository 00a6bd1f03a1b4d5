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
#include <crypto/internal/simd.h>
#include <asm/simd.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "sdp_buf.h"
#include "sdp_crypto.h"

/*
 * The x86 AES-NI module's synchronous GCM, registered for internal use
 * behind its async SIMD wrapper (the wrapper defers to a worker thread when
 * SIMD is not usable; SDP instead falls back to its own synchronous tfm, so
 * records can be opened in softirq). Probed once at load so that key
 * installs never trigger a module request.
 */
#define SDP_SIMD_GCM	"__generic-gcm-aesni"
static bool sdp_simd_gcm;

void sdp_crypto_probe_simd(void)
{
	struct crypto_aead *t;

	t = crypto_alloc_aead(SDP_SIMD_GCM, CRYPTO_ALG_INTERNAL,
			      CRYPTO_ALG_INTERNAL | CRYPTO_ALG_ASYNC);
	sdp_simd_gcm = !IS_ERR(t);
	if (sdp_simd_gcm)
		crypto_free_aead(t);
}

/* Which implementation new keys use, for sdpctl status and the log. */
const char *sdp_crypto_driver(void)
{
	return sdp_simd_gcm ? SDP_SIMD_GCM " (generic fallback)" : "generic";
}

static struct crypto_aead *sdp_aead_alloc(const char *name, u32 type,
					  const u8 *key, unsigned int keylen)
{
	struct crypto_aead *t;
	int err;

	t = crypto_alloc_aead(name, type, type | CRYPTO_ALG_ASYNC);
	if (IS_ERR(t))
		return t;
	err = crypto_aead_setkey(t, key, keylen);
	if (!err)
		err = crypto_aead_setauthsize(t, SDP_TLS_TAG_LEN);
	if (err) {
		crypto_free_aead(t);
		return ERR_PTR(err);
	}
	return t;
}

int sdp_aead_init(struct sdp_aead *a, u16 cipher, const u8 *key,
		  const u8 salt[SDP_SALT_LEN])
{
	unsigned int keylen;

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
	a->simd = NULL;
	a->tfm = sdp_aead_alloc("gcm(aes)", 0, key, keylen);
	if (IS_ERR(a->tfm)) {
		int err = PTR_ERR(a->tfm);

		a->tfm = NULL;
		return err;
	}
	if (sdp_simd_gcm) {
		a->simd = sdp_aead_alloc(SDP_SIMD_GCM, CRYPTO_ALG_INTERNAL, key,
					 keylen);
		if (IS_ERR(a->simd))
			a->simd = NULL;	/* the generic tfm does the work */
	}
	a->cipher = cipher;
	memcpy(a->salt, salt, SDP_SALT_LEN);
	return 0;
}

void sdp_aead_destroy(struct sdp_aead *a)
{
	if (a->tfm)
		crypto_free_aead(a->tfm);
	if (a->simd)
		crypto_free_aead(a->simd);
	a->tfm = NULL;
	a->simd = NULL;
}

/* The tfm to use here and now: SIMD if this context may use it. */
static struct crypto_aead *sdp_aead_tfm(const struct sdp_aead *a)
{
	return a->simd && crypto_simd_usable() ? a->simd : a->tfm;
}

/* Self-tests of the generic path: without the SIMD tfm. */
static void sdp_aead_drop_simd(struct sdp_aead *a, bool generic)
{
	if (generic && a->simd) {
		crypto_free_aead(a->simd);
		a->simd = NULL;
	}
}

/* Pages one record can touch: its bytes, plus one when unaligned. */
#define SDP_RECORD_MAX_SG \
	(DIV_ROUND_UP(SDP_RECORD_PLAIN_MAX + SDP_RECORD_OVERHEAD, PAGE_SIZE) + 1)

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

	req = aead_request_alloc(sdp_aead_tfm(a), GFP_ATOMIC);
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
 * Prepare record g of message msg_id (msg_len bytes) for encryption: write
 * its TLS header, explicit nonce and framing header around the application
 * bytes the caller put at g->wire_off + SDP_RECORD_PREFIX + SDP_FRAME_LEN.
 * The result is the plaintext record a NIC with TLS 1.2 TX offload takes
 * (docs/OFFLOAD.md): everything but ciphertext and tag is final.
 */
int sdp_record_prepare(struct sdp_pagebuf *b, const struct sdp_record_geom *g,
		       u64 msg_id, u64 rpc_id, u32 msg_len, bool response)
{
	u8 frame[SDP_FRAME_LEN], prefix[SDP_RECORD_PREFIX];

	if (msg_id >= SDP_MSG_ID_LIMIT)
		return -EKEYEXPIRED;
	sdp_record_frame(frame, rpc_id, g->app_off, msg_len, response);
	sdp_pagebuf_rw(b, g->wire_off + SDP_RECORD_PREFIX, frame, sizeof(frame),
		       true);
	sdp_record_prefix(prefix, sdp_record_seq(msg_id, g->index), g->app_len);
	sdp_pagebuf_rw(b, g->wire_off, prefix, sizeof(prefix), true);
	return 0;
}

/*
 * The software TLS engine: encrypt a prepared record in place and write its
 * tag, exactly what an offloading NIC does with it on transmit. The record
 * sequence number comes from the explicit nonce, as a NIC reads it.
 */
int sdp_record_encrypt(struct sdp_aead *a, struct sdp_pagebuf *b,
		       const struct sdp_record_geom *g)
{
	u8 prefix[SDP_RECORD_PREFIX];
	int err;

	sdp_pagebuf_rw(b, g->wire_off, prefix, sizeof(prefix), false);
	err = sdp_record_crypt(a, b, g, sdp_get_be64(prefix + SDP_TLS_HDR_LEN),
			       true);
	/* The AAD was written over the prefix: put the prefix back. */
	sdp_pagebuf_rw(b, g->wire_off, prefix, sizeof(prefix), true);
	return err;
}

/* Prepare and encrypt in software: the record's final wire bytes. */
int sdp_record_seal(struct sdp_aead *a, struct sdp_pagebuf *b,
		    const struct sdp_record_geom *g, u64 msg_id, u64 rpc_id,
		    u32 msg_len, bool response)
{
	int err = sdp_record_prepare(b, g, msg_id, rpc_id, msg_len, response);

	return err ? err : sdp_record_encrypt(a, b, g);
}

/*
 * Open record g of message msg_id in place: check its header and explicit
 * nonce, authenticate and decrypt, check the framing header. -EBADMSG if
 * anything does not match.
 */
int sdp_record_open(struct sdp_aead *a, struct sdp_pagebuf *b,
		    const struct sdp_record_geom *g, u64 msg_id, u64 rpc_id,
		    u32 msg_len, bool response)
{
	u8 prefix[SDP_RECORD_PREFIX], frame[SDP_FRAME_LEN], want[SDP_FRAME_LEN];
	int err;

	/* A sequence number in the control packet space is never a record. */
	if (msg_id >= SDP_MSG_ID_LIMIT)
		return -EBADMSG;
	sdp_pagebuf_rw(b, g->wire_off, prefix, sizeof(prefix), false);
	if (!sdp_record_prefix_ok(prefix, g, msg_id))
		return -EBADMSG;
	err = sdp_record_crypt(a, b, g, sdp_record_seq(msg_id, g->index),
			       false);
	if (err)
		return err == -EBADMSG ? err : -EIO;
	sdp_pagebuf_rw(b, g->wire_off + SDP_RECORD_PREFIX, frame, sizeof(frame),
		       false);
	sdp_record_frame(want, rpc_id, g->app_off, msg_len, response);
	return memcmp(frame, want, sizeof(frame)) ? -EBADMSG : 0;
}

/* Largest header a control packet has (GRANT, RESEND) plus its ctrl_seq. */
#define SDP_CTRL_AAD_MAX	(sizeof(struct sdp_grant_hdr) + \
				 SDP_CTRL_SEQ_LEN)

/*
 * Compute (verify = false: store in 'tag') or check (verify = true: compare
 * with 'tag') the GMAC tag of a control packet. 'pkt' holds its 'len' SDP
 * bytes before the tag: header and ctrl_seq. The AAD is those bytes with
 * the checksum slot zeroed, so they are copied into the request's own
 * (heap) memory; the scatterlist never points at the stack or the skb.
 * Returns 0, -EBADMSG for a wrong tag, or another error.
 */
int sdp_ctrl_tag(struct sdp_aead *a, const u8 *pkt, u32 len, u8 *tag,
		 bool verify)
{
	struct crypto_aead *tfm = sdp_aead_tfm(a);
	unsigned int reqlen = sizeof(struct aead_request) +
			      crypto_aead_reqsize(tfm);
	struct aead_request *req;
	struct scatterlist sg;
	u8 iv[SDP_GCM_IV_LEN];
	u8 *aad;
	int err;

	if (len < sizeof(struct sdp_common_hdr) + SDP_CTRL_SEQ_LEN ||
	    len > SDP_CTRL_AAD_MAX)
		return -EINVAL;
	req = kmalloc(ALIGN(reqlen, 8) + SDP_CTRL_AAD_MAX + SDP_TLS_TAG_LEN,
		      GFP_ATOMIC);
	if (!req)
		return -ENOMEM;
	aad = (u8 *)req + ALIGN(reqlen, 8);
	memcpy(aad, pkt, len);
	memset(aad + offsetof(struct sdp_common_hdr, check), 0,
	       sizeof_field(struct sdp_common_hdr, check));
	sdp_record_iv(iv, a->salt, sdp_get_be64(pkt + len - SDP_CTRL_SEQ_LEN));
	if (verify)
		memcpy(aad + len, tag, SDP_TLS_TAG_LEN);
	sg_init_one(&sg, aad, len + SDP_TLS_TAG_LEN);

	aead_request_set_tfm(req, tfm);
	aead_request_set_callback(req, 0, NULL, NULL);
	aead_request_set_ad(req, len);
	if (verify) {
		aead_request_set_crypt(req, &sg, &sg, SDP_TLS_TAG_LEN, iv);
		err = crypto_aead_decrypt(req);
	} else {
		aead_request_set_crypt(req, &sg, &sg, 0, iv);
		err = crypto_aead_encrypt(req);
		if (!err)
			memcpy(tag, aad + len, SDP_TLS_TAG_LEN);
	}
	kfree_sensitive(req);
	return err;
}

/* ---- known-answer test (docs/PROTOCOL.md worked example) ---- */

static const u8 sdp_kat_salt[SDP_SALT_LEN] = { 0xa0, 0xa1, 0xa2, 0xa3 };
static const char sdp_kat_text[] = "hello, SDP";
static const u64 sdp_kat_rpc_id = 0x1122334455667788ULL;

/* The control packet example: GRANT header || ctrl_seq, and its tag. */
static const u8 sdp_kat_grant[] = {
	0x13, 0x88, 0x9c, 0x40, 0x00, 0x00, 0x00, 0x00, 0x10, 0x01, 0x01, 0x00,
	0x90, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44,
	0x55, 0x66, 0x77, 0x88, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const u8 sdp_kat_grant_tag[SDP_TLS_TAG_LEN] = {
	0xda, 0xa1, 0xb2, 0x78, 0xf8, 0x9d, 0x74, 0x83, 0x8a, 0x32, 0x30, 0x17,
	0x26, 0x18, 0x81, 0xf2,
};

/* ciphertext || tag after the 13-byte prefix, from OpenSSL */
static const u8 sdp_kat_aes128[] = {
	0x9c, 0x1d, 0x25, 0xdc, 0xa9, 0xdf, 0xa2, 0x81, 0x05, 0x07, 0x1a, 0x60,
	0x05, 0x27, 0x0a, 0x47, 0x50, 0x7b, 0xde, 0xc2, 0xcf, 0x09, 0xde, 0x52,
	0x62, 0x0f, 0x2e, 0xd1, 0xec, 0x80, 0x43, 0xd6, 0xb1, 0x65, 0x75, 0x9b,
	0x39, 0x3b, 0x13, 0xe5, 0x05, 0xf9,
};

static const u8 sdp_kat_aes256[] = {
	0xca, 0x69, 0x91, 0x98, 0xb2, 0x96, 0x74, 0xce, 0xcc, 0x31, 0x27, 0x2b,
	0xce, 0xc5, 0x9c, 0x23, 0x75, 0xb4, 0xa3, 0x83, 0xfa, 0x2d, 0x60, 0xe4,
	0x2e, 0x5c, 0xa3, 0x5e, 0xff, 0xcd, 0x23, 0x27, 0x34, 0x70, 0xf1, 0x68,
	0x2c, 0x82, 0x4f, 0x3e, 0x89, 0x70,
};

static int sdp_crypto_kat_one(u16 cipher, const u8 *golden, size_t golden_len,
			      bool generic)
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
	if (!sdp_record_locate(msg_len, SDP_RECORD_PLAIN_MAX, 0, &g) ||
	    g.wire_len != SDP_RECORD_PREFIX + golden_len)
		return -EINVAL;
	err = sdp_aead_init(&a, cipher, key, sdp_kat_salt);
	if (err)
		return err;
	sdp_aead_drop_simd(&a, generic);
	b = sdp_pagebuf_alloc(g.wire_len, GFP_KERNEL, true);
	if (!b) {
		err = -ENOMEM;
		goto out;
	}
	sdp_pagebuf_rw(b, SDP_RECORD_PREFIX + SDP_FRAME_LEN,
		       (void *)sdp_kat_text, msg_len, true);
	err = sdp_record_seal(&a, b, &g, msg_id, sdp_kat_rpc_id, msg_len,
			      false);
	if (err)
		goto out;
	sdp_pagebuf_rw(b, 0, wire, g.wire_len, false);
	if (memcmp(wire + SDP_RECORD_PREFIX, golden, golden_len)) {
		err = -EBADMSG;
		goto out;
	}
	err = sdp_record_open(&a, b, &g, msg_id, sdp_kat_rpc_id, msg_len,
			      false);
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
	err = sdp_record_seal(&a, b, &g, msg_id, sdp_kat_rpc_id, msg_len,
			      false);
	if (!err) {
		sdp_pagebuf_rw(b, SDP_RECORD_PREFIX + 3, wire, 1, false);
		wire[0] ^= 0x10;
		sdp_pagebuf_rw(b, SDP_RECORD_PREFIX + 3, wire, 1, true);
		err = sdp_record_open(&a, b, &g, msg_id, sdp_kat_rpc_id,
				      msg_len, false) == -EBADMSG ? 0 : -EINVAL;
	}
out:
	sdp_pagebuf_free(b);
	sdp_aead_destroy(&a);
	return err;
}

/* GMAC of the control packet example; a flipped bit must fail. */
static int sdp_crypto_kat_ctrl(bool generic)
{
	u8 key[16], tag[SDP_TLS_TAG_LEN], pkt[sizeof(sdp_kat_grant)];
	struct sdp_aead a = {};
	int i, err;

	for (i = 0; i < sizeof(key); i++)
		key[i] = i;
	err = sdp_aead_init(&a, SDP_CIPHER_AES_GCM_128, key, sdp_kat_salt);
	if (err)
		return err;
	sdp_aead_drop_simd(&a, generic);
	err = sdp_ctrl_tag(&a, sdp_kat_grant, sizeof(sdp_kat_grant), tag,
			   false);
	if (!err && memcmp(tag, sdp_kat_grant_tag, sizeof(tag)))
		err = -EBADMSG;
	if (!err)
		err = sdp_ctrl_tag(&a, sdp_kat_grant, sizeof(sdp_kat_grant),
				   tag, true);
	if (!err) {
		memcpy(pkt, sdp_kat_grant, sizeof(pkt));
		pkt[sizeof(struct sdp_common_hdr)] ^= 0x01;	/* offset */
		err = sdp_ctrl_tag(&a, pkt, sizeof(pkt), tag, true) ==
		      -EBADMSG ? 0 : -EINVAL;
	}
	sdp_aead_destroy(&a);
	return err;
}

/*
 * Known answers through both implementations a key may use (the SIMD one
 * is used where SIMD is usable, the generic one elsewhere).
 */
int sdp_crypto_selftest(void)
{
	int pass, err;

	for (pass = 0; pass < (sdp_simd_gcm ? 2 : 1); pass++) {
		bool generic = pass == 1 || !sdp_simd_gcm;
		const char *impl = generic ? "generic" : SDP_SIMD_GCM;

		err = sdp_crypto_kat_ctrl(generic);
		if (err) {
			pr_err("sdp: control packet GMAC self-test failed (%s): %d\n",
			       impl, err);
			return err;
		}
		err = sdp_crypto_kat_one(SDP_CIPHER_AES_GCM_128, sdp_kat_aes128,
					 sizeof(sdp_kat_aes128), generic);
		if (err) {
			pr_err("sdp: AES-128-GCM record self-test failed (%s): %d\n",
			       impl, err);
			return err;
		}
		err = sdp_crypto_kat_one(SDP_CIPHER_AES_GCM_256, sdp_kat_aes256,
					 sizeof(sdp_kat_aes256), generic);
		if (err) {
			pr_err("sdp: AES-256-GCM record self-test failed (%s): %d\n",
			       impl, err);
			return err;
		}
	}
	return 0;
}
