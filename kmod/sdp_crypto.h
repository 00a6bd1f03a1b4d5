/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The record engine (sdp_crypto.c): AES-GCM keys and in-place sealing and
 * opening of the TLS records of a message.
 */
#ifndef SDP_CRYPTO_H
#define SDP_CRYPTO_H

#include <crypto/aead.h>

#include "sdp_record.h"
#include "uapi/linux/sdp.h"		/* SDP_CIPHER_* */

struct sdp_pagebuf;

struct sdp_aead {
	struct crypto_aead *tfm;	/* synchronous gcm(aes): always usable */
	/*
	 * The CPU's SIMD AES-GCM (AES-NI + PCLMULQDQ, AVX2) when it is loaded:
	 * synchronous but only callable where SIMD is usable; NULL if absent.
	 */
	struct crypto_aead *simd;
	u16 cipher;
	u8 salt[SDP_SALT_LEN];
};

int sdp_aead_init(struct sdp_aead *a, u16 cipher, const u8 *key,
		  const u8 salt[SDP_SALT_LEN]);
void sdp_aead_destroy(struct sdp_aead *a);
int sdp_record_prepare(struct sdp_pagebuf *b, const struct sdp_record_geom *g,
		       u64 msg_id, u64 rpc_id, u32 msg_len, bool response);
int sdp_record_encrypt(struct sdp_aead *a, struct sdp_pagebuf *b,
		       const struct sdp_record_geom *g);
int sdp_record_seal(struct sdp_aead *a, struct sdp_pagebuf *b,
		    const struct sdp_record_geom *g, u64 msg_id, u64 rpc_id,
		    u32 msg_len, bool response);
int sdp_record_open(struct sdp_aead *a, struct sdp_pagebuf *b,
		    const struct sdp_record_geom *g, u64 msg_id, u64 rpc_id,
		    u32 msg_len, bool response);
int sdp_ctrl_tag(struct sdp_aead *a, const u8 *pkt, u32 len, u8 *tag,
		 bool verify);
int sdp_crypto_selftest(void);
void sdp_crypto_probe_simd(void);
const char *sdp_crypto_driver(void);

#endif /* SDP_CRYPTO_H */
