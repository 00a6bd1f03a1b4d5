/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module's side of SDP's XDP program (sdp_xdp.c): the early replay
 * drop kfunc, uapi/linux/sdp_xdp.h.
 */
#ifndef SDP_XDP_H
#define SDP_XDP_H

#include "uapi/linux/sdp_xdp.h"

int sdp_xdp_kfunc_register(void);

#endif /* SDP_XDP_H */
