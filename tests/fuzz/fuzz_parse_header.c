// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target: sdp_parse_header() on arbitrary bytes.
 *
 * Input: 4 bytes of parameters, then the linear header bytes.
 *   byte 0, bit 0: record overhead 29 (keyed) instead of 0
 *   bytes 1..3:    extra L4 bytes beyond the linear part (big-endian), so
 *                  pkt_len = len + extra >= len
 * The header bytes are handed over in a buffer of exactly their size, so
 * AddressSanitizer catches any read past 'len'.
 *
 * On success every field must satisfy what the receive path relies on,
 * and rebuilding the common header from the parsed fields must give back
 * the input bytes (the parser accepts exactly one encoding).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sdp_codec.h"
#include "fuzz_check.h"

static void check_accepted(const u8 *buf, size_t len, size_t pkt_len,
			   u32 overhead, const struct sdp_pkt_info *pi)
{
	struct sdp_common_hdr rebuilt;
	u32 ctrl_payload;
	u64 wire;

	CHECK(pi->hdr_len == sdp_hdr_len(pi->type));
	CHECK(pi->hdr_len >= sizeof(struct sdp_common_hdr));
	CHECK(pi->hdr_len <= len);
	CHECK(pi->hdr_len <= pkt_len);
	CHECK(pi->payload_len == pkt_len - pi->hdr_len);
	CHECK(pi->type >= SDP_PKT_TYPE_MIN && pi->type <= SDP_PKT_TYPE_MAX);
	CHECK(!(pi->flags & ~SDP_F_FLAGS_KNOWN));
	CHECK(pi->rpc_id != 0);

	sdp_build_common(&rebuilt, pi->type, pi->sport, pi->dport, pi->rpc_id,
			 pi->flags, pi->epoch, pi->seq);
	rebuilt.check = ((const struct sdp_common_hdr *)buf)->check;
	CHECK(!memcmp(&rebuilt, buf, sizeof(rebuilt)));

	/* Control packets: the GMAC trailer exactly when keyed. */
	ctrl_payload = pi->epoch ? SDP_CTRL_TRAILER_LEN : 0;
	if (pi->type != SDP_PKT_DATA) {
		__be64 wire_seq = 0;

		CHECK(len >= sdp_linear_len(pi->type, pi->epoch));
		if (pi->epoch)
			memcpy(&wire_seq, buf + pi->hdr_len, sizeof(wire_seq));
		CHECK(pi->epoch ? (pi->ctrl_seq & SDP_CTRL_SEQ_BIT) &&
			 pi->ctrl_seq == be64_to_cpu(wire_seq) :
			 pi->ctrl_seq == 0);
	}

	switch (pi->type) {
	case SDP_PKT_DATA:
		CHECK(pi->msg_len <= SDP_MAX_MESSAGE_LEN);
		CHECK(!pi->epoch == !pi->rec_plain);
		CHECK(pi->rec_plain <= SDP_RECORD_PLAIN_MAX);
		wire = sdp_wire_len(pi->msg_len, pi->rec_plain, overhead);
		CHECK(wire >= pi->msg_len);
		CHECK((u64)pi->seq + pi->payload_len <= wire);
		CHECK(pi->payload_len > 0 || wire == 0);
		CHECK(pi->incoming <= wire);
		CHECK(pi->offset == 0 && pi->length == 0);
		break;
	case SDP_PKT_GRANT:
		CHECK(pi->seq == 0 && pi->payload_len == ctrl_payload);
		CHECK(pi->offset == be32_to_cpu(((const struct sdp_grant_hdr *)
						 buf)->offset));
		CHECK(pi->length == 0 && pi->msg_len == 0);
		break;
	case SDP_PKT_RESEND:
		CHECK(pi->seq == 0 && pi->payload_len == ctrl_payload);
		CHECK((u64)pi->offset + pi->length <= 2ULL * SDP_MAX_MESSAGE_LEN);
		CHECK(pi->msg_len == 0);
		break;
	default:
		CHECK(pi->seq == 0 && pi->payload_len == ctrl_payload);
		CHECK(pi->offset == 0 && pi->length == 0 && pi->msg_len == 0);
		break;
	}
}

/* The reasons a header alone can give; the rest need socket/RPC state. */
static int parser_reason(enum sdp_drop_reason r)
{
	switch (r) {
	case SDP_DROP_NONE:
	case SDP_DROP_TRUNCATED:
	case SDP_DROP_BAD_TYPE:
	case SDP_DROP_BAD_VERSION:
	case SDP_DROP_BAD_HEADER:
	case SDP_DROP_BAD_LENGTH:
	case SDP_DROP_BAD_OFFSET:
		return 1;
	default:
		return 0;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp_pkt_info pi, again;
	enum sdp_drop_reason r;
	size_t len, pkt_len;
	u32 overhead;
	u8 *buf;

	if (size < 4)
		return 0;
	overhead = (data[0] & 1) ? 29 : 0;
	len = size - 4;
	pkt_len = len + ((size_t)data[1] << 16 | (size_t)data[2] << 8 | data[3]);
	buf = malloc(len ? len : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 4, len);

	r = sdp_parse_header(buf, len, pkt_len, overhead, &pi);
	CHECK(parser_reason(r));
	if (r == SDP_DROP_NONE)
		check_accepted(buf, len, pkt_len, overhead, &pi);
	if (len < sizeof(struct sdp_common_hdr))
		CHECK(r == SDP_DROP_TRUNCATED);

	/* Same bytes, same verdict; more linear bytes change nothing. */
	CHECK(sdp_parse_header(buf, len, pkt_len, overhead, &again) == r);
	if (r == SDP_DROP_NONE) {
		CHECK(!memcmp(&pi, &again, sizeof(pi)));
		if (len > sdp_linear_len(pi.type, pi.epoch))
			CHECK(sdp_parse_header(buf,
					       sdp_linear_len(pi.type, pi.epoch),
					       pkt_len, overhead, &again) == r);
	}
	free(buf);
	return 0;
}
