// SPDX-License-Identifier: GPL-2.0
/*
 * Message buffers: a message's wire bytes held in pages.
 *
 * The send side fills the buffer from the user's iov at sendmsg() time and
 * transmits TSO segments whose fragments point into it, so a
 * retransmission never copies. The receive side copies packet payload to
 * its offset; recvmsg() copies out.
 *
 * Two layouts:
 *  - page buffers: one order-0 page per PAGE_SIZE bytes of the message,
 *    on the receive side allocated the first time a packet lands in it;
 *  - fragment buffers, for messages of at most SDP_PAGEBUF_FRAG_MAX wire
 *    bytes: header and bytes in one piece of the socket's page_frag cache
 *    (contiguous, in a compound page that is recycled once all its pieces
 *    are freed). A 64-byte RPC then neither allocates nor clears a whole
 *    page per message on each side (init_on_alloc clears every new page).
 *
 * Every accessor walks its range with sdp_pagebuf_for_each_chunk(), whose
 * sdp_pagebuf_at() knows both layouts.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/skbuff.h>
#include <linux/gfp.h>

#include "sdp_buf.h"

#define SDP_PAGEBUF_FRAG_HDR	ALIGN(struct_size((struct sdp_pagebuf *)NULL, \
						  pages, 1), 8)

struct sdp_pagebuf *sdp_pagebuf_alloc(u32 len, gfp_t gfp, bool populate)
{
	u32 npages = DIV_ROUND_UP(len, PAGE_SIZE);
	struct sdp_pagebuf *b;
	u32 i;

	b = kvzalloc(struct_size(b, pages, npages), gfp);
	if (!b)
		return NULL;
	b->len = len;
	b->npages = npages;
	if (!populate)
		return b;
	for (i = 0; i < npages; i++) {
		b->pages[i] = alloc_page(gfp);
		if (!b->pages[i]) {
			sdp_pagebuf_free(b);
			return NULL;
		}
	}
	return b;
}

bool sdp_pagebuf_fits_frag(u32 len)
{
	return len <= SDP_PAGEBUF_FRAG_MAX;
}

/*
 * A fragment buffer of len (<= SDP_PAGEBUF_FRAG_MAX) bytes from cache nc,
 * which the caller serialises (the socket lock). Its bytes are not
 * cleared: every byte is written before it is sent or copied out.
 */
struct sdp_pagebuf *sdp_pagebuf_alloc_frag(struct page_frag_cache *nc,
					   u32 len, gfp_t gfp)
{
	struct sdp_pagebuf *b;
	struct page *head;

	if (WARN_ON_ONCE(!sdp_pagebuf_fits_frag(len)))
		return NULL;
	b = page_frag_alloc_align(nc, SDP_PAGEBUF_FRAG_HDR + len, gfp, ~7u);
	if (!b)
		return NULL;
	head = virt_to_head_page(b);
	b->len = len;
	b->npages = 1;
	b->frag = true;
	b->frag_off = (u8 *)b + SDP_PAGEBUF_FRAG_HDR - (u8 *)page_address(head);
	b->pages[0] = head;
	return b;
}

/*
 * The same page buffer, longer: a new page table for len bytes that keeps
 * the pages already there; b is freed. NULL (and b unchanged) if the
 * table cannot be allocated. Fragment buffers never grow.
 */
struct sdp_pagebuf *sdp_pagebuf_grow(struct sdp_pagebuf *b, u32 len,
				     gfp_t gfp)
{
	u32 npages = DIV_ROUND_UP(len, PAGE_SIZE);
	struct sdp_pagebuf *nb;

	if (b->frag || len <= b->len)
		return b;
	nb = kvzalloc(struct_size(nb, pages, npages), gfp);
	if (!nb)
		return NULL;
	memcpy(nb->pages, b->pages, b->npages * sizeof(b->pages[0]));
	nb->len = len;
	nb->npages = npages;
	kvfree(b);
	return nb;
}

void sdp_pagebuf_free(struct sdp_pagebuf *b)
{
	u32 i;

	if (!b)
		return;
	if (b->frag) {
		page_frag_free(b);
		return;
	}
	for (i = 0; i < b->npages; i++)
		if (b->pages[i])
			put_page(b->pages[i]);
	kvfree(b);
}

/* Release what arrived so far (page buffers): it will be received again. */
u32 sdp_pagebuf_release(struct sdp_pagebuf *b)
{
	u32 i, n = 0;

	if (b->frag)
		return 0;
	for (i = 0; i < b->npages; i++) {
		if (b->pages[i]) {
			put_page(b->pages[i]);
			b->pages[i] = NULL;
			n++;
		}
	}
	return n;
}

/*
 * Byte off of the buffer: its page (NULL if not allocated yet), the offset
 * in that page (beyond PAGE_SIZE in the compound page of a fragment
 * buffer) and how many bytes from there are contiguous.
 */
static struct page *sdp_pagebuf_at(const struct sdp_pagebuf *b, u32 off,
				   u32 *poff, u32 *avail)
{
	if (b->frag) {
		*poff = b->frag_off + off;
		*avail = b->len - off;
		return b->pages[0];
	}
	*poff = off & ~PAGE_MASK;
	*avail = PAGE_SIZE - *poff;
	return b->pages[off >> PAGE_SHIFT];
}

static bool sdp_pagebuf_range_ok(const struct sdp_pagebuf *b, u32 off,
				 u32 len)
{
	return off <= b->len && len <= b->len - off;
}

/* A piece of a range of a buffer that is contiguous in one page. */
struct sdp_pagebuf_chunk {
	struct page *page;	/* NULL: not allocated yet */
	u32 poff;		/* its offset in the page */
	u32 len;		/* its bytes */
	u32 done;		/* bytes of the range before it */
};

static bool sdp_pagebuf_next_chunk(const struct sdp_pagebuf *b, u32 off,
				   u32 len, struct sdp_pagebuf_chunk *c)
{
	u32 avail;

	if (c->done >= len)
		return false;
	c->page = sdp_pagebuf_at(b, off + c->done, &c->poff, &avail);
	c->len = min(avail, len - c->done);
	return true;
}

/* Walk [off, off + len) of buffer b (range checked by the caller). */
#define sdp_pagebuf_for_each_chunk(b, off, len, c)			\
	for ((c)->done = 0; sdp_pagebuf_next_chunk(b, off, len, c);	\
	     (c)->done += (c)->len)

static void *sdp_chunk_va(const struct sdp_pagebuf_chunk *c)
{
	return (u8 *)page_address(c->page) + c->poff;
}

/* Copy len bytes between mem and [off, off + len) of the buffer. */
int sdp_pagebuf_rw(struct sdp_pagebuf *b, u32 off, void *mem, u32 len,
		   bool write)
{
	struct sdp_pagebuf_chunk c;
	u8 *p = mem;

	if (!sdp_pagebuf_range_ok(b, off, len))
		return -EINVAL;
	sdp_pagebuf_for_each_chunk(b, off, len, &c) {
		if (WARN_ON_ONCE(!c.page))
			return -EFAULT;
		if (write)
			memcpy(sdp_chunk_va(&c), p + c.done, c.len);
		else
			memcpy(p + c.done, sdp_chunk_va(&c), c.len);
	}
	return 0;
}

/* Scatterlist over [off, off + len) of the buffer; returns entries used. */
int sdp_pagebuf_sg(struct sdp_pagebuf *b, u32 off, u32 len,
		   struct scatterlist *sg, int max)
{
	struct sdp_pagebuf_chunk c;
	int n = 0;

	if (!sdp_pagebuf_range_ok(b, off, len))
		return -EINVAL;
	sg_init_table(sg, max);
	sdp_pagebuf_for_each_chunk(b, off, len, &c) {
		if (n == max)
			return -EMSGSIZE;
		if (WARN_ON_ONCE(!c.page))
			return -EFAULT;
		sg_set_page(&sg[n++], c.page, c.len, c.poff);
	}
	if (n)
		sg_mark_end(&sg[n - 1]);
	return n;
}

int sdp_pagebuf_from_iter(struct sdp_pagebuf *b, struct iov_iter *from)
{
	return sdp_pagebuf_from_iter_at(b, 0, b->len, from);
}

/* Copy len bytes from the iterator to [off, off + len) of the buffer. */
int sdp_pagebuf_from_iter_at(struct sdp_pagebuf *b, u32 off, u32 len,
			     struct iov_iter *from)
{
	struct sdp_pagebuf_chunk c;

	if (!sdp_pagebuf_range_ok(b, off, len))
		return -EINVAL;
	sdp_pagebuf_for_each_chunk(b, off, len, &c) {
		if (WARN_ON_ONCE(!c.page))
			return -EFAULT;
		if (copy_from_iter(sdp_chunk_va(&c), c.len, from) != c.len)
			return -EFAULT;
	}
	return 0;
}

/*
 * Copy len bytes of skb from skb_off to [off, off + len) of the buffer,
 * allocating the pages that are not there yet (*new_pages of them).
 */
int sdp_pagebuf_from_skb(struct sdp_pagebuf *b, u32 off,
			 const struct sk_buff *skb, int skb_off, u32 len,
			 u32 *new_pages)
{
	struct sdp_pagebuf_chunk c;
	int err;

	*new_pages = 0;
	if (!sdp_pagebuf_range_ok(b, off, len))
		return -EINVAL;
	sdp_pagebuf_for_each_chunk(b, off, len, &c) {
		if (!c.page) {
			c.page = alloc_page(GFP_ATOMIC);
			if (!c.page)
				return -ENOMEM;
			b->pages[(off + c.done) >> PAGE_SHIFT] = c.page;
			(*new_pages)++;
		}
		err = skb_copy_bits(skb, skb_off + c.done, sdp_chunk_va(&c),
				    c.len);
		if (err)
			return err;
	}
	return 0;
}

/* Copy [off, off + len) of the buffer out, as much as the iterator takes. */
int sdp_pagebuf_to_iter(const struct sdp_pagebuf *b, u32 off, u32 len,
			struct iov_iter *to)
{
	struct sdp_pagebuf_chunk c;

	if (!sdp_pagebuf_range_ok(b, off, len))
		return -EINVAL;
	sdp_pagebuf_for_each_chunk(b, off, len, &c) {
		size_t n = min_t(size_t, c.len, iov_iter_count(to));

		if (!n)
			break;
		if (WARN_ON_ONCE(!c.page))
			return -EFAULT;
		if (copy_to_iter(sdp_chunk_va(&c), n, to) != n)
			return -EFAULT;
		if (n < c.len)
			break;
	}
	return 0;
}

/* Attach [off, off + len) of the buffer to skb as page fragments. */
int sdp_pagebuf_attach(const struct sdp_pagebuf *b, u32 off, u32 len,
		       struct sk_buff *skb)
{
	int frag = skb_shinfo(skb)->nr_frags;
	struct sdp_pagebuf_chunk c;

	if (!sdp_pagebuf_range_ok(b, off, len))
		return -EINVAL;
	sdp_pagebuf_for_each_chunk(b, off, len, &c) {
		if (frag >= MAX_SKB_FRAGS)
			return -EMSGSIZE;
		if (WARN_ON_ONCE(!c.page))
			return -EFAULT;
		get_page(c.page);
		skb_fill_page_desc(skb, frag++, c.page, c.poff, c.len);
		skb->len += c.len;
		skb->data_len += c.len;
		skb->truesize += c.len;
	}
	return 0;
}
