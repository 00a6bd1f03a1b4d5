// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only second-level CPUMAP program for sdp_bpf_test.
 *
 * sdp_xdp redirects DATA packets into sdp_cpumap; with this program in
 * every cpumap entry, each frame is seen on the CPU it was steered to.
 * It records, per message, the set of CPUs the frames ran on and how many
 * arrived, then drops the frame (the test only needs the record).
 */
#include "sdp_parse.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u8 sdp_proto = SDP_IPPROTO_DEFAULT;

struct sdp_test_arrival {
	__u64 cpu_mask;		/* bit n: a frame ran on CPU n (n < 64) */
	__u64 packets;
	__u64 other_cpu;	/* frames on a CPU >= 64 */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct sdp_msg_key);
	__type(value, struct sdp_test_arrival);
} sdp_test_arrivals SEC(".maps");

/* Frames the program saw that did not parse as SDP. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sdp_test_unparsed SEC(".maps");

SEC("xdp/cpumap")
int sdp_test_cpumap_rx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct sdp_test_arrival *a, init = {};
	__u32 cpu = bpf_get_smp_processor_id();
	struct sdp_parsed p;
	__u64 *unparsed;
	__u32 zero = 0;

	if (sdp_parse(data, data_end, sdp_proto, &p) != SDP_PARSE_OK) {
		unparsed = bpf_map_lookup_elem(&sdp_test_unparsed, &zero);
		if (unparsed)
			__sync_fetch_and_add(unparsed, 1);
		return XDP_DROP;
	}

	a = bpf_map_lookup_elem(&sdp_test_arrivals, &p.key);
	if (!a) {
		bpf_map_update_elem(&sdp_test_arrivals, &p.key, &init,
				    BPF_NOEXIST);
		a = bpf_map_lookup_elem(&sdp_test_arrivals, &p.key);
		if (!a)
			return XDP_DROP;
	}
	if (cpu < 64)
		__sync_fetch_and_or(&a->cpu_mask, 1ULL << cpu);
	else
		__sync_fetch_and_add(&a->other_cpu, 1);
	__sync_fetch_and_add(&a->packets, 1);
	return XDP_DROP;
}
