// SPDX-License-Identifier: GPL-2.0
/*
 * The early replay drop for XDP: the kfunc bpf_sdp_xdp_early_drop()
 * (uapi/linux/sdp_xdp.h) that bpf/sdp_xdp.bpf.c's sdp_xdp_guard calls for
 * every SDP packet under a key. It gathers what the socket knows about the
 * packet, under the socket lock like the receive path, and
 * sdp_early_verdict() (sdp_early_drop.h) decides. It only reads: nothing
 * here changes any state.
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/filter.h>
#include <net/xdp.h>

#include "sdp_sock.h"
#include "sdp_rpc.h"
#include "sdp_key.h"
#include "sdp_early_drop.h"
#include "sdp_xdp.h"

/* The facts sdp_early_verdict() needs. Sock lock held. */
static void sdp_xdp_facts(struct sdp_sock *ssk, const struct sdp_xdp_query *q,
			  const struct in6_addr *saddr,
			  struct sdp_early_facts *f)
{
	struct sdp_client_win *cw;
	struct sdp_rxkey *rxk;
	struct sdp_rpc *rpc;
	u64 n;

	f->type = q->type;
	f->from_server = q->flags & SDP_F_FROM_SERVER;
	rxk = sdp_rx_key(ssk, saddr, q->sport, q->epoch);
	f->keyed = rxk;
	if (!rxk)
		return;
	if (q->type != SDP_PKT_DATA) {
		f->ctrl_seq_valid = sdp_ctrl_seq_counter(q->ctrl_seq, &n);
		if (f->ctrl_seq_valid)
			f->ctrl_seq = sdp_window_check(&rxk->ctrl_replay, n);
		return;
	}
	rpc = sdp_rpc_find(ssk, q->rpc_id, f->from_server, saddr, q->sport);
	if (rpc) {
		f->rpc_live = true;
		f->reaction = sdp_rpc_reaction(rpc, SDP_PKT_DATA);
		f->in_authenticated = sdp_rpc_in_authenticated(rpc);
		return;
	}
	if (f->from_server)
		return;
	cw = sdp_client_win_get(ssk, saddr, q->sport, false);
	if (cw && !cw->plain_ids) {
		f->id_window_keyed = true;
		f->rpc_id = sdp_window_check(&cw->win, q->rpc_id);
	}
}

__diag_push();
__diag_ignore_all("-Wmissing-prototypes",
		  "kfuncs are called from BPF programs, their prototypes are in BTF");

/*
 * ctx is the XDP program's context; the verifier passes the kernel's
 * struct xdp_buff for it. Called with BH disabled and under RCU (XDP).
 */
noinline int bpf_sdp_xdp_early_drop(struct xdp_md *ctx,
				    struct sdp_xdp_query *q, u32 q__sz)
{
	struct xdp_buff *xdp = (struct xdp_buff *)ctx;
	struct sdp_early_facts f = {};
	struct in6_addr saddr, daddr;
	struct sdp_sock *ssk;
	int family, verdict = SDP_XDP_VERDICT_PASS;

	if (q__sz != sizeof(*q) || !q->epoch || !xdp->rxq || !xdp->rxq->dev)
		return SDP_XDP_VERDICT_PASS;
	if (q->family == 4)
		family = AF_INET;
	else if (q->family == 6)
		family = AF_INET6;
	else
		return SDP_XDP_VERDICT_PASS;
	memcpy(&saddr, q->saddr, sizeof(saddr));
	memcpy(&daddr, q->daddr, sizeof(daddr));
	ssk = sdp_sock_lookup_addr(dev_net(xdp->rxq->dev), family, &daddr,
				   q->dport);
	if (!ssk)
		return SDP_XDP_VERDICT_PASS;
	spin_lock_bh(&ssk->lock);
	if (!ssk->shutdown) {
		sdp_xdp_facts(ssk, q, &saddr, &f);
		verdict = sdp_early_verdict(&f);
	}
	spin_unlock_bh(&ssk->lock);
	sock_put(sdp_to_sk(ssk));
	return verdict;
}

__diag_pop();

BTF_SET8_START(sdp_xdp_kfunc_ids)
BTF_ID_FLAGS(func, bpf_sdp_xdp_early_drop)
BTF_SET8_END(sdp_xdp_kfunc_ids)

static const struct btf_kfunc_id_set sdp_xdp_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &sdp_xdp_kfunc_ids,
};

/*
 * Without module BTF the kernel logs "missing module BTF" and returns 0
 * here: sdpctl checks /sys/kernel/btf/sdp and says so.
 */
int sdp_xdp_kfunc_register(void)
{
	if (!IS_ENABLED(CONFIG_DEBUG_INFO_BTF_MODULES))
		return 0;
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP, &sdp_xdp_kfunc_set);
}
