/* tftp_packet: the TFTP wire format — parsing read/write requests, ACKs and
 * ERRORs from the network, building DATA, OACK and ERROR — and the send
 * side of one read transfer as a pure state machine (no sockets, no clock).
 *
 * RFC 1350 (the protocol), RFC 2347 (option extension), RFC 2348 (blksize),
 * RFC 2349 (timeout, tsize), RFC 7440 (windowsize). Everything here takes
 * bytes from an unauthenticated peer: every parser is bounds-checked, never
 * reads past LEN, and reports a malformed packet with an error code (and the
 * TFTP error to answer with) instead of failing hard. Fuzzed by
 * tests/fuzz/fuzz_tftp_packet.c.
 */
#ifndef WARD_TFTP_PACKET_H
#define WARD_TFTP_PACKET_H

#include <stddef.h>
#include <stdint.h>

enum tftp_opcode {
	TFTP_OP_RRQ = 1,
	TFTP_OP_WRQ = 2,
	TFTP_OP_DATA = 3,
	TFTP_OP_ACK = 4,
	TFTP_OP_ERROR = 5,
	TFTP_OP_OACK = 6,
};

/* TFTP error codes (RFC 1350 section 5, RFC 2347 for 8). */
enum tftp_error {
	TFTP_ERR_UNDEF = 0,
	TFTP_ERR_NOT_FOUND = 1,
	TFTP_ERR_ACCESS = 2,
	TFTP_ERR_DISK_FULL = 3,
	TFTP_ERR_ILLEGAL_OP = 4,
	TFTP_ERR_UNKNOWN_TID = 5,
	TFTP_ERR_EXISTS = 6,
	TFTP_ERR_NO_USER = 7,
	TFTP_ERR_OPTION = 8,
};

#define TFTP_NAME_MAX 255 /* longest file name accepted */
#define TFTP_BLKSIZE_DEFAULT 512
#define TFTP_BLKSIZE_MIN 8     /* RFC 2348 */
#define TFTP_BLKSIZE_MAX 65464 /* RFC 2348 */
#define TFTP_WINDOW_MAX                                                        \
	64		   /* we answer at most this (RFC 7440 allows          \
			      65535; a smaller window keeps a 16-bit           \
			      block number unambiguous and bounds what         \
			      one unanswered request makes us send) */
#define TFTP_TIMEOUT_MIN 1 /* seconds, RFC 2349 */
#define TFTP_TIMEOUT_MAX 255
#define TFTP_PACKET_MAX (4 + TFTP_BLKSIZE_MAX) /* largest DATA */
#define TFTP_REQUEST_MAX 1024
#define TFTP_FIRST_RETRIES                                                     \
	3   /* timeouts before a client that never
				  acknowledged anything is given up */ /* a request longer than this is refused */

/* Options a request asked for (RFC 2347): a flag per option that was
 * present and acceptable, and its value. Options we do not know are
 * ignored, as RFC 2347 says; an option we know with an invalid value is
 * ignored too (it is then not acknowledged, which is the RFC's way of
 * refusing it), except where noted. */
#define TFTP_OPT_BLKSIZE (1u << 0)
#define TFTP_OPT_TSIZE (1u << 1)
#define TFTP_OPT_TIMEOUT (1u << 2)
#define TFTP_OPT_WINDOWSIZE (1u << 3)

struct tftp_request {
	uint16_t opcode;	      /* TFTP_OP_RRQ or TFTP_OP_WRQ */
	char name[TFTP_NAME_MAX + 1]; /* as sent, NUL-terminated */
	int netascii;		      /* mode "netascii" (else "octet") */
	unsigned opts;		      /* TFTP_OPT_* present and valid */
	unsigned blksize;	      /* clamped to what we serve */
	unsigned timeout_s;
	unsigned windowsize; /* clamped to TFTP_WINDOW_MAX */
	uint64_t tsize;	     /* as sent (0 in a read request) */
};

/* Result of parsing a request. On TFTP_PARSE_REFUSE the caller answers with
 * an ERROR carrying *err and the static text *why; on TFTP_PARSE_DROP it
 * sends nothing (not a request, or too broken to deserve an answer). */
enum tftp_parse {
	TFTP_PARSE_OK = 0,
	TFTP_PARSE_REFUSE,
	TFTP_PARSE_DROP,
};

/* Parses a packet that arrived on the server port. BUF is borrowed for the
 * call; REQ is filled on TFTP_PARSE_OK (and holds the opcode otherwise, when
 * one was read). A WRQ parses as OK with opcode TFTP_OP_WRQ: refusing it is
 * the server's policy, not the parser's. */
enum tftp_parse tftp_request_parse(const uint8_t *buf, size_t len,
				   struct tftp_request *req,
				   enum tftp_error *err, const char **why);

/* 1 if NAME is one the server may look up: 1..TFTP_NAME_MAX bytes of
 * [A-Za-z0-9._-] in '/'-separated components, none empty or starting
 * with '.', not starting with '/'. Nothing else can reach the file table,
 * so no "../", absolute path, backslash or control byte ever does. */
int tftp_name_valid(const char *name);

/* Builders: write into BUF (CAP bytes) and return the length, or 0 if CAP is
 * too small. */
size_t tftp_build_error(uint8_t *buf, size_t cap, enum tftp_error code,
			const char *msg);
size_t tftp_build_data(uint8_t *buf, size_t cap, uint16_t block,
		       const uint8_t *data, size_t len);
/* An OACK for the options in OPTS, with the values in REQ and TSIZE as the
 * file's size. */
size_t tftp_build_oack(uint8_t *buf, size_t cap, const struct tftp_request *req,
		       unsigned opts, uint64_t tsize);

/* A packet from the client during a transfer. */
struct tftp_reply {
	uint16_t opcode; /* TFTP_OP_ACK or TFTP_OP_ERROR */
	uint16_t block;	 /* ACK: the block number */
	uint16_t error;	 /* ERROR: the code */
};

/* Parses a packet that arrived on a transfer's port. Returns 0, or -1 if it
 * is neither a well-formed ACK nor an ERROR (the caller ignores it). */
int tftp_reply_parse(const uint8_t *buf, size_t len, struct tftp_reply *out);

/* ---- the send side of one read transfer -------------------------------- */

/* What the transfer wants next. */
enum tftp_xfer_state {
	TFTP_XFER_SENDING = 0, /* send tftp_xfer_next() packets, then wait */
	TFTP_XFER_DONE,	       /* the last block was acknowledged */
	TFTP_XFER_FAILED,      /* gave up (peer error, too many timeouts) */
};

struct tftp_xfer {
	const uint8_t *data; /* borrowed: the file, valid for the transfer */
	size_t len;
	unsigned blksize, windowsize;
	uint64_t nblocks;   /* len / blksize + 1 (the last one short) */
	int oack;	    /* 1: an OACK is block 0 and must be ACKed */
	int acked_oack;	    /* the client sent ACK 0 */
	unsigned oack_opts; /* options acknowledged */
	uint64_t tsize;	    /* size announced in the OACK */
	struct tftp_request req;
	uint64_t acked;	     /* highest block acknowledged (0: none) */
	uint64_t next;	     /* next block to send; 0 = the OACK */
	unsigned timeout_ms; /* base timeout */
	unsigned retries;    /* consecutive timeouts */
	unsigned max_retries;
	enum tftp_xfer_state state;
};

/* Starts the send side of a read of DATA (LEN bytes, borrowed until the
 * transfer ends) answering REQ: options in REQ are acknowledged with an
 * OACK (tsize with LEN), blksize/windowsize/timeout take their requested
 * values, or the defaults (512, 1, DEFAULT_TIMEOUT_MS) when absent. */
void tftp_xfer_init(struct tftp_xfer *x, const struct tftp_request *req,
		    const uint8_t *data, size_t len,
		    unsigned default_timeout_ms, unsigned max_retries);

/* The next packet to send now, written into BUF (CAP >= 4 + blksize, or
 * 512 for an OACK). Returns its length, or 0 when the window is full (or
 * the transfer is not SENDING): then wait for an ACK or the timeout. */
size_t tftp_xfer_next(struct tftp_xfer *x, uint8_t *buf, size_t cap);

/* Feeds a packet from the client. Returns the new state; on SENDING the
 * caller drains tftp_xfer_next() and re-arms its timer if the packet moved
 * the window (*progress = 1). Old or duplicate ACKs change nothing (no
 * Sorcerer's Apprentice). */
enum tftp_xfer_state tftp_xfer_on_reply(struct tftp_xfer *x,
					const struct tftp_reply *r,
					int *progress);

/* The timer fired without progress: rewinds to the first unacknowledged
 * block (go-back-N, RFC 7440) and returns the state; FAILED after
 * max_retries, or after TFTP_FIRST_RETRIES while nothing was ever
 * acknowledged. */
enum tftp_xfer_state tftp_xfer_on_timeout(struct tftp_xfer *x);

/* The wait before the next timeout, in ms: the base timeout doubled for
 * each consecutive timeout, up to 8 times the base (back-off). */
unsigned tftp_xfer_wait_ms(const struct tftp_xfer *x);

#endif
