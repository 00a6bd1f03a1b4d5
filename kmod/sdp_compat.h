/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The small shim that lets SDP's kernel-free protocol logic
 * (wire codec, reassembly, windows, grant scheduling) compile inside the
 * kernel module, in the host unit tests and fuzzers, and (sdp_wire.h only)
 * in the BPF programs.
 */
#ifndef SDP_COMPAT_H
#define SDP_COMPAT_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <asm/byteorder.h>
#elif defined(__bpf__)
/*
 * clang -target bpf: no libc (glibc's headers look for gnu/stubs-32.h), so
 * only what sdp_wire.h needs: the UAPI fixed-width and big-endian types.
 */
#include <linux/types.h>
#ifndef __packed
#define __packed __attribute__((packed))
#endif
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <endian.h>
#include <linux/types.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

#define cpu_to_be16(x) ((__be16)htobe16(x))
#define cpu_to_be32(x) ((__be32)htobe32(x))
#define cpu_to_be64(x) ((__be64)htobe64(x))
#define be16_to_cpu(x) be16toh((uint16_t)(x))
#define be32_to_cpu(x) be32toh((uint32_t)(x))
#define be64_to_cpu(x) be64toh((uint64_t)(x))

#ifndef __packed
#define __packed __attribute__((packed))
#endif
#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif
#endif /* __KERNEL__, __bpf__, libc */

#endif /* SDP_COMPAT_H */
