/* fuzz_tftp_packet: feeds arbitrary bytes to the TFTP request parser, and
 * drives a transfer with the rest of the input as the client's replies.
 * Both take packets from anyone on the network: they must never crash,
 * read out of bounds, or send past the file or the window. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/tftp/tftp_packet.h"

static uint8_t file[5000];
static uint8_t out[TFTP_PACKET_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tftp_request req;
	struct tftp_reply r;
	struct tftp_xfer x;
	enum tftp_error err;
	const char *why;
	size_t split, pos;
	uint64_t sent_max = 0;

	if (size < 2)
		return 0;
	/* The first byte says where the request ends and replies begin. */
	split = 1 + data[0] % (size - 1 < 255 ? size - 1 : 255);
	if (tftp_request_parse(data + 1, split - 1, &req, &err, &why) !=
	    TFTP_PARSE_OK) {
		if (why == NULL)
			abort();
		return 0;
	}
	if (req.name[TFTP_NAME_MAX] != '\0')
		abort();
	(void)tftp_name_valid(req.name);
	tftp_xfer_init(&x, &req, file, (data[1] * 37u) % sizeof file, 1000, 3);
	for (pos = split; pos + 4 <= size; pos += 4) {
		size_t n;
		int p;

		while ((n = tftp_xfer_next(&x, out, sizeof out)) > 0) {
			if (n > 4 + x.blksize && out[1] == TFTP_OP_DATA)
				abort();
			if (x.next - 1 > x.acked + x.windowsize)
				abort();
			if (x.next > sent_max)
				sent_max = x.next;
		}
		if (data[pos] == 0xff) {
			(void)tftp_xfer_on_timeout(&x);
			continue;
		}
		if (tftp_reply_parse(data + pos, 4, &r) == 0)
			(void)tftp_xfer_on_reply(&x, &r, &p);
		if (x.acked > x.nblocks || x.acked >= sent_max + 1)
			abort();
	}
	return 0;
}
