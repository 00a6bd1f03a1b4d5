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
 * Map layouts: sdp_xdp_abi.h. Written for the 6.1 verifier: no kfuncs, no
 * helpers or map types newer than 5.x.
 */
#include "sdp_parse.h"

char LICENSE[] SEC("license") = "GPL";

/* IP protocol number of SDP; set between skeleton open and load. */
const volatile __u8 sdp_proto = SDP_IPPROTO_DEFAULT;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SDP_XDP_STAT_SLOTS);
	__type(key, __u32);
	__type(value, struct sdp_xdp_stat);
} sdp_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
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
static __always_inline int sdp_steer(const struct sdp_parsed *p, __u64 bytes)
{
	struct sdp_steer_cfg *cfg;
	__u32 zero = 0, n, idx, cpu;
	long act;

	cfg = bpf_map_lookup_elem(&sdp_steer_cfg, &zero);
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

SEC("xdp")
int sdp_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 bytes = data_end - data;
	struct sdp_parsed p;

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
	if (p.type != SDP_PKT_DATA)
		return XDP_PASS;
	return sdp_steer(&p, bytes);
}
