// SPDX-License-Identifier: GPL-2.0
/*
 * sdp_xdp: SDP's receive-side XDP program.
 *
 * - Counts frames and bytes per SDP packet type (sdp_stats, per CPU), plus
 *   frames that are not SDP, malformed SDP headers and IPv4 fragments.
 * - Steers DATA packets per message to a CPU through a CPUMAP when
 *   sdp_steer_cfg says so: every packet of one message (source address,
 *   source port, RPC id, direction) goes to the same CPU, different
 *   messages spread over the configured CPUs. The last decision per
 *   message is kept in sdp_steer_log for bpftool.
 * - Everything else gets XDP_PASS: the module validates and drops.
 *
 * Two programs share the maps: sdp_xdp does the above; sdp_xdp_guard (what
 * sdpctl attaches) first asks sdp.ko about every packet under a key
 * (kfunc bpf_sdp_xdp_early_drop, uapi/linux/sdp_xdp.h) and drops the
 * replays the module would drop after authentication anyway, counted per
 * reason. sdp_xdp needs no module, so the tests can run it anywhere.
 *
 * Map layouts: sdp_xdp_abi.h. Written for the 6.1 verifier: helpers and
 * map types of 5.x, the kfunc API of 6.0.
 */
#include "sdp_parse.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * Weak: an object without sdp.ko loaded still loads sdp_xdp (sdpctl and
 * the tests turn sdp_xdp_guard's autoload off then).
 */
extern int bpf_sdp_xdp_early_drop(struct xdp_md *ctx, struct sdp_xdp_query *q,
				  __u32 q__sz) __ksym __weak;

/* IP protocol number of SDP; set between skeleton open and load. */
const volatile __u8 sdp_proto = SDP_IPPROTO_DEFAULT;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SDP_XDP_STAT_SLOTS);
	__type(key, __u32);
	__type(value, struct sdp_xdp_stat);
} sdp_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SDP_STEER_MAX_DEVICES);
	__type(key, __u32);	/* ifindex */
	__type(value, struct sdp_steer_cfg);
} sdp_steer_cfg SEC(".maps");

/* CPUMAP has no BTF support for key/value: sizes only. */
struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, SDP_CPUMAP_MAX_ENTRIES);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct bpf_cpumap_val));
} sdp_cpumap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SDP_STEER_LOG_ENTRIES);
	__type(key, struct sdp_msg_key);
	__type(value, struct sdp_steer_rec);
} sdp_steer_log SEC(".maps");

static __always_inline void sdp_count(__u32 slot, __u64 bytes)
{
	struct sdp_xdp_stat *st = bpf_map_lookup_elem(&sdp_stats, &slot);

	if (st) {
		st->packets++;
		st->bytes += bytes;
	}
}

static __always_inline void sdp_log_steer(const struct sdp_msg_key *key,
					  __u32 cpu, int fallback, __u64 bytes)
{
	struct sdp_steer_rec *rec, init = {
		.cpu = cpu,
		.fallback = fallback ? 1 : 0,
		.packets = 1,
		.bytes = bytes,
	};

	rec = bpf_map_lookup_elem(&sdp_steer_log, key);
	if (!rec) {
		if (bpf_map_update_elem(&sdp_steer_log, key, &init,
					BPF_NOEXIST) == 0)
			return;
		/* Another CPU inserted it first: add to that entry. */
		rec = bpf_map_lookup_elem(&sdp_steer_log, key);
		if (!rec)
			return;
	}
	rec->cpu = cpu;
	__sync_fetch_and_add(&rec->packets, 1);
	__sync_fetch_and_add(&rec->bytes, bytes);
	if (fallback)
		__sync_fetch_and_add(&rec->fallback, 1);
}

/* DATA packet: redirect to the message's CPU, or pass. */
static __always_inline int sdp_steer(struct xdp_md *ctx,
				     const struct sdp_parsed *p, __u64 bytes)
{
	__u32 ifindex = ctx->ingress_ifindex, n, idx, cpu;
	struct sdp_steer_cfg *cfg;
	long act;

	cfg = bpf_map_lookup_elem(&sdp_steer_cfg, &ifindex);
	if (!cfg || cfg->enabled != 1)
		return XDP_PASS;
	n = cfg->ncpus;
	if (n == 0 || n > SDP_STEER_MAX_CPUS)
		return XDP_PASS;
	idx = sdp_msg_hash(&p->key) % n;
	/*
	 * clang knows idx < n <= 64 and would drop the check below; the
	 * verifier does not know it (modulo by a variable is unbounded).
	 */
	asm volatile("" : "+r"(idx));
	if (idx >= SDP_STEER_MAX_CPUS)
		return XDP_PASS;
	cpu = cfg->cpus[idx];

	/* Falls back to XDP_PASS when 'cpu' has no cpumap entry. */
	act = bpf_redirect_map(&sdp_cpumap, cpu, XDP_PASS);
	if (act == XDP_REDIRECT) {
		sdp_count(SDP_XDP_STAT_STEERED, bytes);
		sdp_log_steer(&p->key, cpu, 0, bytes);
		return XDP_REDIRECT;
	}
	sdp_count(SDP_XDP_STAT_STEER_FALLBACK, bytes);
	sdp_log_steer(&p->key, cpu, 1, bytes);
	return XDP_PASS;
}

/* What sdp.ko says about a packet under a key: an early drop verdict. */
static __always_inline int sdp_early_drop(struct xdp_md *ctx,
					  const struct sdp_parsed *p)
{
	struct sdp_xdp_query q = {};

	__builtin_memcpy(q.saddr, p->key.addr, sizeof(q.saddr));
	__builtin_memcpy(q.daddr, p->daddr, sizeof(q.daddr));
	q.rpc_id = p->key.rpc_id;
	q.ctrl_seq = p->ctrl_seq;
	q.sport = p->key.sport;
	q.dport = p->dport;
	q.family = p->family;
	q.type = p->type;
	q.flags = p->flags;
	q.epoch = p->epoch;
	return bpf_sdp_xdp_early_drop(ctx, &q, sizeof(q));
}

static __always_inline int sdp_xdp_run(struct xdp_md *ctx, int guard)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 bytes = data_end - data;
	struct sdp_parsed p;
	int v;

	switch (sdp_parse(data, data_end, sdp_proto, &p)) {
	case SDP_PARSE_OK:
		break;
	case SDP_PARSE_MALFORMED:
		sdp_count(SDP_XDP_STAT_MALFORMED, bytes);
		return XDP_PASS;
	case SDP_PARSE_FRAGMENT:
		sdp_count(SDP_XDP_STAT_FRAGMENT, bytes);
		return XDP_PASS;
	default:
		sdp_count(SDP_XDP_STAT_NOT_SDP, bytes);
		return XDP_PASS;
	}

	/* sdp_parse() accepted the type, so the slot is in 0..8. */
	sdp_count(p.type - SDP_PKT_TYPE_MIN, bytes);
	if (guard && p.epoch) {
		v = sdp_early_drop(ctx, &p);
		if (v > SDP_XDP_VERDICT_PASS && v <= SDP_XDP_VERDICT_MAX) {
			sdp_count(SDP_XDP_STAT_DROP_SLOT(v), bytes);
			return XDP_DROP;
		}
	}
	if (p.type != SDP_PKT_DATA)
		return XDP_PASS;
	return sdp_steer(ctx, &p, bytes);
}

SEC("xdp")
int sdp_xdp(struct xdp_md *ctx)
{
	return sdp_xdp_run(ctx, 0);
}

SEC("xdp")
int sdp_xdp_guard(struct xdp_md *ctx)
{
	return sdp_xdp_run(ctx, 1);
}
