/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Lets the BPF programs include kmod/sdp_wire.h, the single definition of
 * SDP's wire structures, instead of restating its offsets.
 *
 * kmod/sdp_compat.h knows two worlds: the kernel (__KERNEL__) and the
 * host (libc: stdint.h, endian.h, string.h). Neither fits `clang -target
 * bpf`: glibc's headers look for gnu/stubs-32.h there. So this header
 * supplies what sdp_wire.h needs (the UAPI fixed-width and big-endian
 * types, __packed) and claims sdp_compat.h's include guard so the libc
 * branch is never read. Include it before sdp_wire.h.
 */
#ifndef SDP_BPF_COMPAT_H
#define SDP_BPF_COMPAT_H

#ifndef __bpf__
#error "sdp_bpf_compat.h is for BPF programs (clang -target bpf) only"
#endif

#ifdef SDP_COMPAT_H
#error "include sdp_bpf_compat.h before sdp_wire.h / sdp_compat.h"
#endif
#define SDP_COMPAT_H

#include <linux/types.h>

#ifndef __packed
#define __packed __attribute__((packed))
#endif

#endif /* SDP_BPF_COMPAT_H */
