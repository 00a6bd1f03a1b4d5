/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Packet parsing shared by SDP's XDP programs: Ethernet (one optional
 * 802.1Q/802.1ad tag), IPv4 (any IHL) or IPv6 (no extension headers), then
 * the SDP common header of kmod/sdp_wire.h.
 *
 * The checks are the structural ones of the module's sdp_parse_header()
 * (kmod/sdp_codec.h): length, type, version, doff. The module still
 * validates everything; XDP only needs to know where a packet belongs.
 * Lengths come from the IP header, not from the frame, so Ethernet padding
 * never makes a short SDP packet look complete.
 */
#ifndef SDP_PARSE_H
#define SDP_PARSE_H

#include "sdp_wire.h"
#include "sdp_xdp_abi.h"

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef ETH_P_8021Q
#define ETH_P_8021Q 0x8100
#endif
#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif
#define SDP_IP_MF	0x2000
#define SDP_IP_OFFSET	0x1fff

enum sdp_parse_result {
	SDP_PARSE_OK,		/* well-formed SDP header, 'out' filled */
	SDP_PARSE_NOT_SDP,	/* other EtherType, IP protocol, IPv6 ext hdr */
	SDP_PARSE_MALFORMED,	/* SDP, but truncated or a bad header */
	SDP_PARSE_FRAGMENT,	/* IPv4 fragment of an SDP packet */
};

struct sdp_parsed {
	struct sdp_msg_key key;	/* the message this packet belongs to */
	__u8  type;		/* enum sdp_packet_type */
	__u8  flags;		/* SDP_F_* */
	__u16 hdr_len;		/* doff * 4 */
	__u32 l4_len;		/* SDP header + payload, from the IP header */
	__u8  family;		/* 4 or 6 */
	__u8  epoch;		/* key epoch, 0 = plaintext */
	__u16 dport;		/* host byte order */
	__u8  daddr[16];	/* like key.addr */
	__u64 ctrl_seq;		/* control packet under a key whose trailer
				 * is in the frame: its ctrl_seq, else 0
				 */
};

struct sdp_vlan_tag {
	__be16 tci;
	__be16 proto;
};

/* Returns the L3 header and its EtherType (host order), or NULL. */
static __always_inline void *sdp_parse_eth(void *data, void *data_end,
					   __u16 *proto)
{
	struct ethhdr *eth = data;
	struct sdp_vlan_tag *vlan;
	void *l3;

	if ((void *)(eth + 1) > data_end)
		return NULL;
	*proto = bpf_ntohs(eth->h_proto);
	l3 = eth + 1;
	if (*proto == ETH_P_8021Q || *proto == ETH_P_8021AD) {
		vlan = l3;
		if ((void *)(vlan + 1) > data_end)
			return NULL;
		*proto = bpf_ntohs(vlan->proto);
		l3 = vlan + 1;
	}
	return l3;
}

/*
 * Parses one frame. 'proto' is the IP protocol number SDP uses.
 * On SDP_PARSE_OK the common header lies entirely in the frame and
 * out->key, type, flags, hdr_len and l4_len are set.
 */
static __always_inline int sdp_parse(void *data, void *data_end, __u8 proto,
				     struct sdp_parsed *out)
{
	struct sdp_common_hdr *sh;
	__u32 l4_len, hlen;
	__u16 eth_proto;
	void *l3, *l4;

	__builtin_memset(out, 0, sizeof(*out));
	l3 = sdp_parse_eth(data, data_end, &eth_proto);
	if (!l3)
		return SDP_PARSE_NOT_SDP;

	if (eth_proto == ETH_P_IP) {
		struct iphdr *ip = l3;
		__u32 ihl, tot_len;

		if ((void *)(ip + 1) > data_end)
			return SDP_PARSE_NOT_SDP;
		if (ip->version != 4 || ip->protocol != proto)
			return SDP_PARSE_NOT_SDP;
		ihl = ip->ihl * 4;
		if (ihl < sizeof(*ip))
			return SDP_PARSE_NOT_SDP;
		if (ip->frag_off & bpf_htons(SDP_IP_MF | SDP_IP_OFFSET))
			return SDP_PARSE_FRAGMENT;
		/*
		 * Compare lengths as numbers: the 6.1 verifier does not
		 * bound the result of a byte swap, so l3 + tot_len would be
		 * pointer math with an unbounded value.
		 */
		tot_len = bpf_ntohs(ip->tot_len);
		if (tot_len < ihl || tot_len > (__u64)(data_end - l3))
			return SDP_PARSE_MALFORMED;
		l4 = l3 + ihl;
		l4_len = tot_len - ihl;
		out->key.addr[10] = 0xff;
		out->key.addr[11] = 0xff;
		__builtin_memcpy(&out->key.addr[12], &ip->saddr, 4);
		out->daddr[10] = 0xff;
		out->daddr[11] = 0xff;
		__builtin_memcpy(&out->daddr[12], &ip->daddr, 4);
		out->family = 4;
	} else if (eth_proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > data_end)
			return SDP_PARSE_NOT_SDP;
		if (ip6->version != 6 || ip6->nexthdr != proto)
			return SDP_PARSE_NOT_SDP;
		l4 = ip6 + 1;
		l4_len = bpf_ntohs(ip6->payload_len);
		if (l4_len > (__u64)(data_end - l4))
			return SDP_PARSE_MALFORMED;
		__builtin_memcpy(out->key.addr, &ip6->saddr, 16);
		__builtin_memcpy(out->daddr, &ip6->daddr, 16);
		out->family = 6;
	} else {
		return SDP_PARSE_NOT_SDP;
	}

	sh = l4;
	if (l4_len < sizeof(*sh) || (void *)(sh + 1) > data_end)
		return SDP_PARSE_MALFORMED;
	hlen = sdp_hdr_len(sh->type);
	if (!hlen || l4_len < hlen)
		return SDP_PARSE_MALFORMED;
	if ((sh->vflags >> 4) != SDP_VERSION || (sh->vflags & 0x0f))
		return SDP_PARSE_MALFORMED;
	if (sh->doff != (hlen / 4) << 4)
		return SDP_PARSE_MALFORMED;

	out->type = sh->type;
	out->flags = sh->flags;
	out->hdr_len = hlen;
	out->l4_len = l4_len;
	out->key.rpc_id = bpf_be64_to_cpu(sh->rpc_id);
	out->key.sport = bpf_ntohs(sh->sport);
	out->key.from_server = !!(sh->flags & SDP_F_FROM_SERVER);
	out->epoch = sh->epoch;
	out->dport = bpf_ntohs(sh->dport);
	if (sh->epoch && sh->type != SDP_PKT_DATA &&
	    l4_len >= hlen + SDP_CTRL_TRAILER_LEN) {
		/* hlen is one of the header lengths: at most 48 bytes. */
		__u8 *t = (__u8 *)sh + (hlen & 0x3f);
		__be64 seq;

		if ((void *)(t + SDP_CTRL_SEQ_LEN) > data_end)
			return SDP_PARSE_OK;	/* not in the linear part */
		__builtin_memcpy(&seq, t, sizeof(seq));
		out->ctrl_seq = bpf_be64_to_cpu(seq);
	}
	return SDP_PARSE_OK;
}

#endif /* SDP_PARSE_H */
