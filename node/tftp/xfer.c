/* xfer: the send side of one read transfer (tftp_packet.h).
 *
 * Blocks are counted from 1 in 64 bits; the wire carries the low 16 bits,
 * so files larger than 65535 blocks roll the number over to 0 as tftp-hpa
 * and atftp expect. With at most TFTP_WINDOW_MAX blocks in flight, an ACK's
 * 16-bit number names exactly one block of the window. */
#include <string.h>

#include "node/tftp/tftp_packet.h"

void tftp_xfer_init(struct tftp_xfer *x, const struct tftp_request *req,
		    const uint8_t *data, size_t len,
		    unsigned default_timeout_ms, unsigned max_retries)
{
	memset(x, 0, sizeof *x);
	x->req = *req;
	x->data = data;
	x->len = len;
	x->blksize =
	    req->opts & TFTP_OPT_BLKSIZE ? req->blksize : TFTP_BLKSIZE_DEFAULT;
	x->windowsize = req->opts & TFTP_OPT_WINDOWSIZE ? req->windowsize : 1;
	x->timeout_ms = req->opts & TFTP_OPT_TIMEOUT ? req->timeout_s * 1000u
						     : default_timeout_ms;
	if (x->timeout_ms == 0)
		x->timeout_ms = 1000;
	x->max_retries = max_retries;
	x->nblocks = (uint64_t)len / x->blksize + 1;
	x->oack = req->opts != 0;
	x->oack_opts = req->opts;
	x->tsize = len;
	x->next = x->oack ? 0 : 1;
	x->state = TFTP_XFER_SENDING;
}

size_t tftp_xfer_next(struct tftp_xfer *x, uint8_t *buf, size_t cap)
{
	uint64_t off;
	size_t n;

	if (x->state != TFTP_XFER_SENDING)
		return 0;
	if (x->next == 0) {
		/* The OACK is a window of its own: data waits for ACK 0. */
		x->next = 1;
		return tftp_build_oack(buf, cap, &x->req, x->oack_opts,
				       x->tsize);
	}
	if (x->oack && !x->acked_oack)
		return 0;
	if (x->next > x->nblocks || x->next > x->acked + x->windowsize)
		return 0;
	off = (x->next - 1) * x->blksize;
	n = x->len - off < x->blksize ? x->len - off : x->blksize;
	n = tftp_build_data(buf, cap, (uint16_t)x->next, x->data + off, n);
	if (n)
		x->next++;
	return n;
}

enum tftp_xfer_state tftp_xfer_on_reply(struct tftp_xfer *x,
					const struct tftp_reply *r,
					int *progress)
{
	uint64_t k;

	*progress = 0;
	if (x->state != TFTP_XFER_SENDING)
		return x->state;
	if (r->opcode == TFTP_OP_ERROR) {
		x->state = TFTP_XFER_FAILED;
		return x->state;
	}
	if (r->opcode != TFTP_OP_ACK)
		return x->state;
	if (x->oack && !x->acked_oack) {
		if (r->block != 0)
			return x->state; /* not for the OACK: ignore */
		x->acked_oack = 1;
		x->retries = 0;
		*progress = 1;
		return x->state;
	}
	/* The block of the window this ACK names: acked < k < next. */
	k = x->acked + (uint16_t)(r->block - (uint16_t)x->acked);
	if (k == x->acked || k >= x->next)
		return x->state; /* duplicate, old, or never sent */
	x->acked = k;
	x->retries = 0;
	*progress = 1;
	if (x->acked == x->nblocks) {
		x->state = TFTP_XFER_DONE;
		return x->state;
	}
	/* RFC 7440: an ACK inside the window says the rest was lost; go
	 * back and resend from the block after it. */
	if (x->next - 1 > x->acked)
		x->next = x->acked + 1;
	return x->state;
}

enum tftp_xfer_state tftp_xfer_on_timeout(struct tftp_xfer *x)
{
	if (x->state != TFTP_XFER_SENDING)
		return x->state;
	/* A client that never answered may not exist (a spoofed source):
	 * give up on it sooner, and send it less. */
	unsigned limit = x->acked == 0 && !x->acked_oack &&
				 x->max_retries > TFTP_FIRST_RETRIES
			     ? TFTP_FIRST_RETRIES
			     : x->max_retries;

	if (++x->retries > limit) {
		x->state = TFTP_XFER_FAILED;
		return x->state;
	}
	x->next = x->oack && !x->acked_oack ? 0 : x->acked + 1;
	return x->state;
}

unsigned tftp_xfer_wait_ms(const struct tftp_xfer *x)
{
	unsigned shift = x->retries > 3 ? 3 : x->retries;

	return x->timeout_ms << shift;
}
