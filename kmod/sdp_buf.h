/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A message's wire bytes (sdp_buf.c): in pages, allocated lazily on the
 * receive side, or, for a small message, in one piece of a page_frag cache.
 */
#ifndef SDP_BUF_H
#define SDP_BUF_H

#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/mm_types.h>
#include <linux/scatterlist.h>
#include <linux/skbuff.h>
#include <linux/uio.h>

#include "sdp_limits.h"

struct sdp_pagebuf {
	u32 len;
	u32 npages;
	bool frag;		/* fragment buffer: pages[0] is its head page */
	u32 frag_off;		/* ... and byte 0 is at this offset in it */
	struct page *pages[];
};

struct sdp_pagebuf *sdp_pagebuf_alloc(u32 len, gfp_t gfp, bool populate);
bool sdp_pagebuf_fits_frag(u32 len);
struct sdp_pagebuf *sdp_pagebuf_alloc_frag(struct page_frag_cache *nc,
					   u32 len, gfp_t gfp);
struct sdp_pagebuf *sdp_pagebuf_grow(struct sdp_pagebuf *b, u32 len,
				     gfp_t gfp);
void sdp_pagebuf_free(struct sdp_pagebuf *b);
u32 sdp_pagebuf_release(struct sdp_pagebuf *b);
int sdp_pagebuf_rw(struct sdp_pagebuf *b, u32 off, void *mem, u32 len,
		   bool write);
int sdp_pagebuf_sg(struct sdp_pagebuf *b, u32 off, u32 len,
		   struct scatterlist *sg, int max);
int sdp_pagebuf_from_iter(struct sdp_pagebuf *b, struct iov_iter *from);
int sdp_pagebuf_from_iter_at(struct sdp_pagebuf *b, u32 off, u32 len,
			     struct iov_iter *from);
int sdp_pagebuf_from_skb(struct sdp_pagebuf *b, u32 off,
			 const struct sk_buff *skb, int skb_off, u32 len,
			 u32 *new_pages);
int sdp_pagebuf_to_iter(const struct sdp_pagebuf *b, u32 off, u32 len,
			struct iov_iter *to);
int sdp_pagebuf_attach(const struct sdp_pagebuf *b, u32 off, u32 len,
		       struct sk_buff *skb);

#endif /* SDP_BUF_H */
