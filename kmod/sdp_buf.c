// SPDX-License-Identifier: GPL-2.0
/*
 * Message buffers: a message's wire bytes held in pages.
 *
 * The send side fills the pages from the user's iov at sendmsg() time and
 * transmits TSO segments whose fragments point into them, so a
 * retransmission never copies. The receive side allocates a page the
 * first time a packet lands in it and copies packet payload to its offset;
 * recvmsg() copies out.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/skbuff.h>

#include "sdp_impl.h"

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

void sdp_pagebuf_free(struct sdp_pagebuf *b)
{
	u32 i;

	if (!b)
		return;
	for (i = 0; i < b->npages; i++)
		if (b->pages[i])
			put_page(b->pages[i]);
	kvfree(b);
}

int sdp_pagebuf_from_iter(struct sdp_pagebuf *b, struct iov_iter *from)
{
	u32 off = 0;

	while (off < b->len) {
		u32 n = min_t(u32, PAGE_SIZE, b->len - off);

		if (copy_page_from_iter(b->pages[off >> PAGE_SHIFT], 0, n,
					from) != n)
			return -EFAULT;
		off += n;
	}
	return 0;
}

/* Copy len bytes from the iterator to [off, off + len) of the buffer. */
int sdp_pagebuf_from_iter_at(struct sdp_pagebuf *b, u32 off, u32 len,
			     struct iov_iter *from)
{
	if (off > b->len || len > b->len - off)
		return -EINVAL;
	while (len) {
		u32 poff = off & ~PAGE_MASK;
		u32 n = min_t(u32, len, PAGE_SIZE - poff);

		if (copy_page_from_iter(b->pages[off >> PAGE_SHIFT], poff, n,
					from) != n)
			return -EFAULT;
		off += n;
		len -= n;
	}
	return 0;
}

int sdp_pagebuf_from_skb(struct sdp_pagebuf *b, u32 off,
			 const struct sk_buff *skb, int skb_off, u32 len,
			 u32 *new_pages)
{
	*new_pages = 0;
	if (off > b->len || len > b->len - off)
		return -EINVAL;
	while (len) {
		u32 idx = off >> PAGE_SHIFT, poff = off & ~PAGE_MASK;
		u32 n = min_t(u32, len, PAGE_SIZE - poff);
		int err;

		if (!b->pages[idx]) {
			b->pages[idx] = alloc_page(GFP_ATOMIC);
			if (!b->pages[idx])
				return -ENOMEM;
			(*new_pages)++;
		}
		err = skb_copy_bits(skb, skb_off,
				    page_address(b->pages[idx]) + poff, n);
		if (err)
			return err;
		off += n;
		skb_off += n;
		len -= n;
	}
	return 0;
}

int sdp_pagebuf_to_iter(const struct sdp_pagebuf *b, u32 off, u32 len,
			struct iov_iter *to)
{
	while (len && iov_iter_count(to)) {
		u32 idx = off >> PAGE_SHIFT, poff = off & ~PAGE_MASK;
		u32 n = min_t(u32, len, PAGE_SIZE - poff);

		if (WARN_ON_ONCE(!b->pages[idx]))
			return -EFAULT;
		n = min_t(size_t, n, iov_iter_count(to));
		if (copy_page_to_iter(b->pages[idx], poff, n, to) != n)
			return -EFAULT;
		off += n;
		len -= n;
	}
	return 0;
}

/* Attach [off, off + len) of the buffer to skb as page fragments. */
int sdp_pagebuf_attach(const struct sdp_pagebuf *b, u32 off, u32 len,
		       struct sk_buff *skb)
{
	int frag = skb_shinfo(skb)->nr_frags;

	while (len) {
		u32 idx = off >> PAGE_SHIFT, poff = off & ~PAGE_MASK;
		u32 n = min_t(u32, len, PAGE_SIZE - poff);

		if (frag >= MAX_SKB_FRAGS)
			return -EMSGSIZE;
		get_page(b->pages[idx]);
		skb_fill_page_desc(skb, frag++, b->pages[idx], poff, n);
		skb->len += n;
		skb->data_len += n;
		skb->truesize += n;
		off += n;
		len -= n;
	}
	return 0;
}
