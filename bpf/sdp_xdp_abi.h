/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The contract between the SDP XDP program (sdp_xdp.bpf.c) and userspace
 * (sdpctl, the BPF tests): layout of every map key and value, the stats
 * slots, and the per-message steering hash.
 *
 * Compiles in BPF C and in host C/C++. Keep every struct free of implicit
 * padding: hash keys are compared bytewise, and bpftool prints the fields
 * by their BTF names, so explicit pad fields are part of the ABI.
 */
#ifndef SDP_XDP_ABI_H
#define SDP_XDP_ABI_H

#include <linux/types.h>

#include "../kmod/uapi/linux/sdp_xdp.h"

/* Paths sdpctl pins the maps under (see bpf/README.md). */
#define SDP_BPF_PIN_DIR "/sys/fs/bpf/sdp"

/*
 * sdp_stats: BPF_MAP_TYPE_PERCPU_ARRAY, one struct sdp_xdp_stat per slot.
 * Slots 0..8 are the packet types 0x10..0x18 (type - SDP_PKT_TYPE_MIN);
 * 0x15 and 0x16 are unassigned, such packets count as MALFORMED, so those
 * two slots stay zero. The other slots count packets the program did not
 * attribute to a type, or what steering did with DATA packets.
 */
enum sdp_xdp_stat_slot {
	SDP_XDP_STAT_DATA = 0,		/* 0x10 */
	SDP_XDP_STAT_GRANT = 1,		/* 0x11 */
	SDP_XDP_STAT_RESEND = 2,	/* 0x12 */
	SDP_XDP_STAT_UNKNOWN = 3,	/* 0x13 */
	SDP_XDP_STAT_BUSY = 4,		/* 0x14 */
	SDP_XDP_STAT_TYPE_15 = 5,	/* unassigned */
	SDP_XDP_STAT_TYPE_16 = 6,	/* unassigned */
	SDP_XDP_STAT_NEED_ACK = 7,	/* 0x17 */
	SDP_XDP_STAT_ACK = 8,		/* 0x18 */
	SDP_XDP_STAT_NOT_SDP = 9,	/* not IPv4/IPv6 + sdp_proto */
	SDP_XDP_STAT_MALFORMED = 10,	/* truncated, bad type/version/doff */
	SDP_XDP_STAT_FRAGMENT = 11,	/* IPv4 fragment of sdp_proto */
	SDP_XDP_STAT_STEERED = 12,	/* DATA redirected to a CPU */
	SDP_XDP_STAT_STEER_FALLBACK = 13, /* DATA passed: CPU not in cpumap */
	/* Dropped early by sdp_xdp_guard (enum sdp_xdp_verdict, 1..3): */
	SDP_XDP_STAT_DROP_FINISHED_REQUEST = 14,
	SDP_XDP_STAT_DROP_COMPLETE_MESSAGE = 15,
	SDP_XDP_STAT_DROP_CTRL_REPLAY = 16,
	SDP_XDP_STAT_SLOTS = 17,
};

/* Slot of an early-drop verdict v (1..SDP_XDP_VERDICT_MAX). */
#define SDP_XDP_STAT_DROP_SLOT(v) (SDP_XDP_STAT_DROP_FINISHED_REQUEST + (v) - 1)

/* Frames and their bytes (whole frame, Ethernet header included). */
struct sdp_xdp_stat {
	__u64 packets;
	__u64 bytes;
};

/*
 * sdp_steer_cfg: BPF_MAP_TYPE_HASH keyed by the receiving device's ifindex
 * (__u32, xdp_md.ingress_ifindex), at most SDP_STEER_MAX_DEVICES entries.
 * When a device's entry has enabled == 1 and 1 <= ncpus <=
 * SDP_STEER_MAX_CPUS, every DATA packet it receives goes to CPU
 * cpus[sdp_msg_hash(key) % ncpus] through sdp_cpumap; a device without an
 * entry does not steer.
 */
#define SDP_STEER_MAX_CPUS 64
#define SDP_STEER_MAX_DEVICES 64

struct sdp_steer_cfg {
	__u32 enabled;
	__u32 ncpus;
	__u32 cpus[SDP_STEER_MAX_CPUS];
};

/* sdp_cpumap: BPF_MAP_TYPE_CPUMAP indexed by CPU id. */
#define SDP_CPUMAP_MAX_ENTRIES 256

/*
 * Identity of one message: the sender's address and port, the RPC id and
 * the direction (a request and its response are two messages).
 * Key of sdp_steer_log; input of the steering hash.
 */
struct sdp_msg_key {
	__u8  addr[16];		/* IPv6 source, or IPv4 as ::ffff:a.b.c.d */
	__u64 rpc_id;		/* host byte order */
	__u16 sport;		/* host byte order */
	__u8  from_server;	/* 1 if SDP_F_FROM_SERVER was set */
	__u8  pad[5];		/* zero */
};

/* sdp_steer_log: BPF_MAP_TYPE_LRU_HASH, struct sdp_msg_key -> this. */
struct sdp_steer_rec {
	__u32 cpu;		/* CPU chosen for the last packet */
	__u32 fallback;		/* packets passed: that CPU had no cpumap entry */
	__u64 packets;		/* DATA packets of the message seen */
	__u64 bytes;
};

#define SDP_STEER_LOG_ENTRIES 8192

/*
 * The early replay drop (program sdp_xdp_guard) asks sdp.ko with the kfunc
 * of kmod/uapi/linux/sdp_xdp.h (struct sdp_xdp_query, enum
 * sdp_xdp_verdict) and counts each drop verdict v in slot
 * SDP_XDP_STAT_DROP_SLOT(v).
 */
/* Program, maps and device links live under SDP_BPF_PIN_DIR (sdpctl). */

/*
 * Steering hash: 32-bit MurmurHash3 over the eight 32-bit words of the key
 * (read in host byte order), fixed seed. Userspace can predict the CPU of
 * a message with the same function.
 */
#define SDP_STEER_HASH_SEED 0x5d9f3b1du

static inline __u32 sdp_rotl32(__u32 v, unsigned int s)
{
	return (v << s) | (v >> (32 - s));
}

static inline __u32 sdp_msg_hash(const struct sdp_msg_key *key)
{
	__u32 w[sizeof(*key) / 4];
	__u32 h = SDP_STEER_HASH_SEED;
	unsigned int i;

	__builtin_memcpy(w, key, sizeof(w));
	for (i = 0; i < sizeof(w) / 4; i++) {
		__u32 k = w[i] * 0xcc9e2d51u;

		k = sdp_rotl32(k, 15) * 0x1b873593u;
		h ^= k;
		h = sdp_rotl32(h, 13) * 5 + 0xe6546b64u;
	}
	h ^= (__u32)sizeof(*key);
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

#ifdef __cplusplus
static_assert(sizeof(struct sdp_xdp_stat) == 16, "stat");
static_assert(sizeof(struct sdp_steer_cfg) == 8 + 4 * SDP_STEER_MAX_CPUS, "cfg");
static_assert(sizeof(struct sdp_msg_key) == 32, "msg key");
static_assert(sizeof(struct sdp_steer_rec) == 24, "steer rec");
#else
_Static_assert(sizeof(struct sdp_xdp_stat) == 16, "stat");
_Static_assert(sizeof(struct sdp_steer_cfg) == 8 + 4 * SDP_STEER_MAX_CPUS, "cfg");
_Static_assert(sizeof(struct sdp_msg_key) == 32, "msg key");
_Static_assert(sizeof(struct sdp_steer_rec) == 24, "steer rec");
#endif

#endif /* SDP_XDP_ABI_H */
