/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bucket hashes for the tables indexed by values a peer chooses (RPC ids,
 * addresses, ports): SipHash under a key drawn at module load, so nobody
 * off this host can aim packets at one bucket and make each lookup walk a
 * long chain. One key per boot of the module; the tables are per socket.
 */
#ifndef SDP_HASH_H
#define SDP_HASH_H

#include <linux/siphash.h>
#include <linux/in6.h>

extern siphash_key_t sdp_hash_key;	/* sdp_main.c */

static inline u32 sdp_hash_bits(u64 h, unsigned int bits)
{
	return (u32)(h >> (64 - bits));
}

static inline u32 sdp_hash_u64(u64 v, unsigned int bits)
{
	return sdp_hash_bits(siphash_1u64(v, &sdp_hash_key), bits);
}

static inline u32 sdp_hash_addr_port(const struct in6_addr *a, u16 port,
				     unsigned int bits)
{
	return sdp_hash_bits(siphash_3u64(((u64)a->s6_addr32[0] << 32) |
					  a->s6_addr32[1],
					  ((u64)a->s6_addr32[2] << 32) |
					  a->s6_addr32[3], port,
					  &sdp_hash_key), bits);
}

#endif /* SDP_HASH_H */
