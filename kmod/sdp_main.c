// SPDX-License-Identifier: GPL-2.0
/*
 * Module init/exit, parameters and per-netns counters
 * (/proc/net/sdp_stats).
 *
 * SDP: Secure Datacenter Protocol, a reliable, message-based, one-to-many
 * RPC transport with transport-level encryption. See docs/PROTOCOL.md.
 */
#include <linux/module.h>
#include <linux/random.h>
#include <linux/moduleparam.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "sdp_impl.h"
#include "sdp_crypto.h"
#include "sdp_sock.h"
#include "sdp_out.h"
#include "sdp_xdp.h"

int sdp_ip_proto = SDP_IPPROTO_DEFAULT;
module_param_named(ip_proto, sdp_ip_proto, int, 0444);
MODULE_PARM_DESC(ip_proto, "IP protocol number of SDP (default 253, RFC 3692 experimental)");

unsigned int sdp_max_msg_bytes = 8U << 20;
module_param_named(max_msg_bytes, sdp_max_msg_bytes, uint, 0644);
MODULE_PARM_DESC(max_msg_bytes, "largest message accepted, bytes (default 8 MiB, at most 16 MiB)");

unsigned int sdp_unsched_bytes = 64U << 10;
module_param_named(unsched_bytes, sdp_unsched_bytes, uint, 0644);
MODULE_PARM_DESC(unsched_bytes, "bytes a sender sends before the first grant");

unsigned int sdp_grant_window = 512U << 10;
module_param_named(grant_window, sdp_grant_window, uint, 0644);
MODULE_PARM_DESC(grant_window, "bytes a receiver grants beyond what it has received");

unsigned int sdp_max_incoming = 4U << 20;
module_param_named(max_incoming, sdp_max_incoming, uint, 0644);
MODULE_PARM_DESC(max_incoming, "granted-but-unreceived bytes per socket, at most");

unsigned int sdp_tick_ms = 4;
module_param_named(tick_ms, sdp_tick_ms, uint, 0644);
MODULE_PARM_DESC(tick_ms, "timer tick, ms");

unsigned int sdp_resend_ms = 12;
module_param_named(resend_ms, sdp_resend_ms, uint, 0644);
MODULE_PARM_DESC(resend_ms, "silence before asking the peer again (RESEND/NEED_ACK), ms");

unsigned int sdp_timeout_ms = 2000;
module_param_named(timeout_ms, sdp_timeout_ms, uint, 0644);
MODULE_PARM_DESC(timeout_ms, "silence after which an RPC fails with ETIMEDOUT, ms");

unsigned int sdp_sock_mem_bytes = 256U << 20;
module_param_named(sock_mem_bytes, sdp_sock_mem_bytes, uint, 0644);
MODULE_PARM_DESC(sock_mem_bytes, "message buffer bytes per socket, at most");

unsigned int sdp_max_ready_requests = 4096;
module_param_named(max_ready_requests, sdp_max_ready_requests, uint, 0644);
MODULE_PARM_DESC(max_ready_requests, "complete requests waiting for recvmsg per socket, at most (more are dropped: requests_shed)");

unsigned int sdp_net_id __read_mostly;

static const char *const sdp_counter_names[SDP_CNT_MAX] = {
	[SDP_CNT_TX_PACKETS] = "tx_packets",
	[SDP_CNT_TX_DATA_BYTES] = "tx_data_bytes",
	[SDP_CNT_TX_DATA] = "tx_data",
	[SDP_CNT_TX_GRANT] = "tx_grant",
	[SDP_CNT_TX_RESEND] = "tx_resend",
	[SDP_CNT_TX_UNKNOWN] = "tx_unknown",
	[SDP_CNT_TX_BUSY] = "tx_busy",
	[SDP_CNT_TX_NEED_ACK] = "tx_need_ack",
	[SDP_CNT_TX_ACK] = "tx_ack",
	[SDP_CNT_TX_ERRORS] = "tx_errors",
	[SDP_CNT_RX_PACKETS] = "rx_packets",
	[SDP_CNT_RX_DATA_BYTES] = "rx_data_bytes",
	[SDP_CNT_RX_DATA] = "rx_data",
	[SDP_CNT_RX_GRANT] = "rx_grant",
	[SDP_CNT_RX_RESEND] = "rx_resend",
	[SDP_CNT_RX_UNKNOWN] = "rx_unknown",
	[SDP_CNT_RX_BUSY] = "rx_busy",
	[SDP_CNT_RX_NEED_ACK] = "rx_need_ack",
	[SDP_CNT_RX_ACK] = "rx_ack",
	[SDP_CNT_RETRANSMITTED_SEGMENTS] = "retransmitted_segments",
	[SDP_CNT_RETRANSMITTED_BYTES] = "retransmitted_bytes",
	[SDP_CNT_RESTARTED_REQUESTS] = "restarted_requests",
	[SDP_CNT_CLIENT_RPCS_STARTED] = "client_rpcs_started",
	[SDP_CNT_CLIENT_RPCS_COMPLETED] = "client_rpcs_completed",
	[SDP_CNT_CLIENT_RPCS_TIMED_OUT] = "client_rpcs_timed_out",
	[SDP_CNT_SERVER_RPCS_STARTED] = "server_rpcs_started",
	[SDP_CNT_SERVER_RPCS_COMPLETED] = "server_rpcs_completed",
	[SDP_CNT_SERVER_RPCS_ABORTED] = "server_rpcs_aborted",
	[SDP_CNT_REQUESTS_DELIVERED] = "requests_delivered",
	[SDP_CNT_RESPONSES_DELIVERED] = "responses_delivered",
	[SDP_CNT_TX_CTRL_NO_KEY] = "tx_ctrl_no_key",
	[SDP_CNT_REQUESTS_SHED] = "requests_shed",
	[SDP_CNT_RECORDS_DISCARDED] = "records_discarded",
	[SDP_CNT_MESSAGES_DISCARDED] = "messages_discarded",
	[SDP_CNT_OLD_RESPONSES_TAKEN] = "old_responses_taken",
	[SDP_CNT_PROVISIONAL_EVICTED] = "provisional_evicted",
	[SDP_CNT_RECORDS_OPENED] = "records_opened",
	[SDP_CNT_BYTES_DECRYPTED] = "bytes_decrypted",
	[SDP_CNT_MESSAGES_COMPLETED] = "messages_completed",
};

static const char *const sdp_drop_names[SDP_DROP_MAX] = {
	[SDP_DROP_NONE] = "none",
	[SDP_DROP_TRUNCATED] = "truncated",
	[SDP_DROP_BAD_TYPE] = "bad_type",
	[SDP_DROP_BAD_VERSION] = "bad_version",
	[SDP_DROP_BAD_HEADER] = "bad_header",
	[SDP_DROP_BAD_LENGTH] = "bad_length",
	[SDP_DROP_BAD_OFFSET] = "bad_offset",
	[SDP_DROP_NO_SOCKET] = "no_socket",
	[SDP_DROP_UNKNOWN_RPC] = "unknown_rpc",
	[SDP_DROP_DUPLICATE] = "duplicate",
	[SDP_DROP_OLD_RPC] = "old_rpc",
	[SDP_DROP_MISMATCH] = "mismatch",
	[SDP_DROP_NO_MEMORY] = "no_memory",
	[SDP_DROP_TOO_MANY_GAPS] = "too_many_gaps",
	[SDP_DROP_NEEDS_KEY] = "needs_key",
	[SDP_DROP_AUTH_FAILED] = "auth_failed",
	[SDP_DROP_REPLAY] = "replay",
	[SDP_DROP_WRONG_EPOCH] = "wrong_epoch",
	[SDP_DROP_TOO_OLD] = "too_old",
	[SDP_DROP_CTRL_AUTH_FAILED] = "ctrl_auth_failed",
	[SDP_DROP_CTRL_REPLAY] = "ctrl_replay",
	[SDP_DROP_CTRL_TOO_OLD] = "ctrl_too_old",
	[SDP_DROP_NOT_GRANTED] = "not_granted",
};

static int sdp_stats_show(struct seq_file *seq, void *v)
{
	struct sdp_net *sn = sdp_net(seq_file_single_net(seq));
	int i, cpu;

	for (i = 0; i < SDP_CNT_MAX; i++) {
		u64 sum = 0;

		for_each_possible_cpu(cpu)
			sum += per_cpu_ptr(sn->stats, cpu)->cnt[i];
		seq_printf(seq, "%s %llu\n", sdp_counter_names[i], sum);
	}
	for (i = 1; i < SDP_DROP_MAX; i++) {
		u64 sum = 0;

		for_each_possible_cpu(cpu)
			sum += per_cpu_ptr(sn->stats, cpu)->drop[i];
		seq_printf(seq, "drop_%s %llu\n", sdp_drop_names[i], sum);
	}
	seq_printf(seq, "rpcs_active %d\n", atomic_read(&sn->rpcs_active));
	seq_printf(seq, "sockets %d\n", atomic_read(&sn->sockets));
	return 0;
}

/*
 * /proc/net/sdp_cpu_stats: where the receive work ran, one line per
 * possible CPU after a header naming the columns (XDP steering moves it).
 */
static const enum sdp_counter sdp_cpu_columns[] = {
	SDP_CNT_RX_PACKETS, SDP_CNT_RECORDS_OPENED, SDP_CNT_BYTES_DECRYPTED,
	SDP_CNT_MESSAGES_COMPLETED,
};

static int sdp_cpu_stats_show(struct seq_file *seq, void *v)
{
	struct sdp_net *sn = sdp_net(seq_file_single_net(seq));
	int i, cpu;

	seq_puts(seq, "cpu");
	for (i = 0; i < ARRAY_SIZE(sdp_cpu_columns); i++)
		seq_printf(seq, " %s", sdp_counter_names[sdp_cpu_columns[i]]);
	seq_putc(seq, '\n');
	for_each_possible_cpu(cpu) {
		const struct sdp_stats *st = per_cpu_ptr(sn->stats, cpu);

		seq_printf(seq, "%d", cpu);
		for (i = 0; i < ARRAY_SIZE(sdp_cpu_columns); i++)
			seq_printf(seq, " %llu", st->cnt[sdp_cpu_columns[i]]);
		seq_putc(seq, '\n');
	}
	return 0;
}

static int __net_init sdp_net_init(struct net *net)
{
	struct sdp_net *sn = sdp_net(net);

	sn->stats = alloc_percpu(struct sdp_stats);
	if (!sn->stats)
		return -ENOMEM;
	atomic_set(&sn->rpcs_active, 0);
	atomic_set(&sn->sockets, 0);
	if (!proc_create_net_single("sdp_stats", 0444, net->proc_net,
				    sdp_stats_show, NULL))
		goto out_free;
	if (!proc_create_net_single("sdp_cpu_stats", 0444, net->proc_net,
				    sdp_cpu_stats_show, NULL))
		goto out_stats;
	return 0;

out_stats:
	remove_proc_entry("sdp_stats", net->proc_net);
out_free:
	free_percpu(sn->stats);
	return -ENOMEM;
}

static void __net_exit sdp_net_exit(struct net *net)
{
	struct sdp_net *sn = sdp_net(net);

	remove_proc_entry("sdp_cpu_stats", net->proc_net);
	remove_proc_entry("sdp_stats", net->proc_net);
	WARN_ON_ONCE(atomic_read(&sn->rpcs_active));
	free_percpu(sn->stats);
}

static struct pernet_operations sdp_net_ops = {
	.init = sdp_net_init,
	.exit = sdp_net_exit,
	.id = &sdp_net_id,
	.size = sizeof(struct sdp_net),
};

siphash_key_t sdp_hash_key __read_mostly;

static int __init sdp_init(void)
{
	int err;

	if (sdp_ip_proto < 1 || sdp_ip_proto > 254) {
		pr_err("sdp: ip_proto=%d is not a usable IP protocol number (1..254)\n",
		       sdp_ip_proto);
		return -EINVAL;
	}
	if (sdp_max_msg_bytes > SDP_MAX_MESSAGE_LEN) {
		pr_err("sdp: max_msg_bytes=%u exceeds the protocol limit %u\n",
		       sdp_max_msg_bytes, SDP_MAX_MESSAGE_LEN);
		return -EINVAL;
	}
	get_random_bytes(&sdp_hash_key, sizeof(sdp_hash_key));
	sdp_crypto_probe_simd();
	err = sdp_crypto_selftest();
	if (err)
		return err;
	err = register_pernet_subsys(&sdp_net_ops);
	if (err)
		return err;
	err = sdp_offload_register();
	if (err) {
		pr_err("sdp: cannot register GSO for IP protocol %d: %d\n",
		       sdp_ip_proto, err);
		goto out_pernet;
	}
	err = sdp_proto_register();
	if (err)
		goto out_offload;
	/* XDP can still be used without it, but not the early drop. */
	err = sdp_xdp_kfunc_register();
	if (err)
		pr_warn("sdp: cannot register the XDP kfunc %s: %d\n",
			SDP_XDP_KFUNC_EARLY_DROP, err);
	pr_info("sdp: loaded, version %s, IP protocol %d, AES-GCM: %s\n",
		SDP_MODULE_VERSION, sdp_ip_proto, sdp_crypto_driver());
	return 0;

out_offload:
	sdp_offload_unregister();
out_pernet:
	unregister_pernet_subsys(&sdp_net_ops);
	return err;
}

static void __exit sdp_exit(void)
{
	sdp_proto_unregister();
	sdp_offload_unregister();
	synchronize_net();
	unregister_pernet_subsys(&sdp_net_ops);
	pr_info("sdp: unloaded\n");
}

module_init(sdp_init);
module_exit(sdp_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("SDP developers");
MODULE_DESCRIPTION("SDP: encrypted, message-based datacenter RPC transport");
MODULE_VERSION(SDP_MODULE_VERSION);
/* socket(AF_INET[6], SOCK_DGRAM, 253) loads the module (default ip_proto). */
MODULE_ALIAS_NET_PF_PROTO(PF_INET, SDP_IPPROTO_DEFAULT);
MODULE_ALIAS_NET_PF_PROTO(PF_INET6, SDP_IPPROTO_DEFAULT);
