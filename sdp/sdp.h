/* sdp: the subset of SDP (RFC 4566) that phones and trunks send, parsed
 * into fixed-size structs and written back, for the signaling role (offer/
 * answer through the B2BUA) and the key manager (media relay addresses,
 * a=crypto lines). A library under the roles: either may include it.
 *
 * Strict where a mistake would mislead the media path: v=0 first, then o=,
 * s=, and t= before any m=; every line "x=value" with a lower-case type;
 * a connection address for every media line (session or media level);
 * ports, payload types and counts in range; no NUL or other control bytes.
 * Liberal where it costs nothing: LF or CRLF line ends, unknown line types
 * (i, u, e, p, b, z, k, r) and unknown attributes are skipped.
 *
 * Bounded: at most SDP_MAX_LEN bytes, SDP_MAX_MEDIA m-lines, and fixed
 * counts of formats, rtpmaps and crypto lines per m-line; anything beyond
 * is refused, never truncated silently. */
#ifndef WARD_SDP_SDP_H
#define WARD_SDP_SDP_H

#include <stddef.h>
#include <stdint.h>

#define SDP_MAX_LEN 16384
#define SDP_MAX_MEDIA 8
#define SDP_MAX_FMT 32
#define SDP_MAX_RTPMAP 32
#define SDP_MAX_CRYPTO 8
#define SDP_TOKEN_MAX 64   /* user names, media types, protos, encodings */
#define SDP_ADDR_MAX 64	   /* IPv4/IPv6 literal or host name, + NUL */
#define SDP_CRYPTO_MAX 256 /* one a=crypto value, + NUL */

#define SDP_ERRORS(X)                                                          \
	X(SDP_OK, "ok")                                                        \
	X(SDP_ETOOBIG, "description too large")                                \
	X(SDP_ESYNTAX, "malformed line")                                       \
	X(SDP_EORDER, "line out of order or missing")                          \
	X(SDP_ERANGE, "value out of range")                                    \
	X(SDP_ETOOMANY, "too many items")                                      \
	X(SDP_ENOCONN, "media without a connection address")                   \
	X(SDP_ESPACE, "output buffer too small")

enum sdp_error {
#define X(code, text) code,
	SDP_ERRORS(X)
#undef X
};

/* Text of CODE (static), "unknown error" for anything else. */
const char *sdp_strerror(int code);

enum sdp_dir {
	SDP_DIR_SENDRECV = 0, /* the default when no attribute says */
	SDP_DIR_SENDONLY,
	SDP_DIR_RECVONLY,
	SDP_DIR_INACTIVE,
};

/* The attribute name of DIR ("sendrecv", ...), static. */
const char *sdp_dir_name(enum sdp_dir dir);

enum sdp_addrtype { SDP_ADDR_IP4 = 4, SDP_ADDR_IP6 = 6 };

struct sdp_conn {
	enum sdp_addrtype type;
	char addr[SDP_ADDR_MAX];
};

struct sdp_rtpmap {
	unsigned pt; /* 0..127 */
	char encoding[SDP_TOKEN_MAX];
	unsigned clock;	   /* Hz, > 0 */
	unsigned channels; /* 0 when absent */
};

struct sdp_media {
	char type[SDP_TOKEN_MAX];  /* "audio", "video", ... */
	unsigned port;		   /* 0..65535; 0 = stream refused */
	unsigned nports;	   /* 1 unless "port/n" */
	char proto[SDP_TOKEN_MAX]; /* "RTP/AVP", "RTP/SAVP", ... */
	unsigned fmt[SDP_MAX_FMT]; /* RTP payload types, 0..127 */
	size_t nfmt;
	int has_conn;
	struct sdp_conn conn; /* when has_conn */
	struct sdp_rtpmap rtpmap[SDP_MAX_RTPMAP];
	size_t nrtpmap;
	int has_dir;	  /* a direction attribute at this level */
	enum sdp_dir dir; /* effective: media, else session level */
	int rtcp_mux;
	unsigned ptime; /* ms, 0 when absent */
	/* The values of a=crypto lines ("1 AES_CM_128_HMAC_SHA1_80 inline:...")
	 * as received: key material — sdp_session_wipe() clears it. Parse them
	 * with sdes_parse(). */
	char crypto[SDP_MAX_CRYPTO][SDP_CRYPTO_MAX];
	size_t ncrypto;
};

struct sdp_session {
	char origin_user[SDP_TOKEN_MAX];
	uint64_t sess_id;
	uint64_t sess_version;
	struct sdp_conn origin;
	char name[SDP_TOKEN_MAX]; /* s=; "-" when the sender had none */
	int has_conn;
	struct sdp_conn conn; /* session-level c= when has_conn */
	uint64_t t_start, t_stop;
	enum sdp_dir dir; /* session-level direction */
	struct sdp_media media[SDP_MAX_MEDIA];
	size_t nmedia;
};

/* Parses TEXT (LEN bytes, borrowed, need not be NUL-terminated) into OUT
 * (caller's; overwritten, filled only on success). Returns SDP_OK or a code
 * above, with the line number in ERRMSG (never line content: it may hold
 * keys). On failure OUT is wiped. */
int sdp_parse(const char *text, size_t len, struct sdp_session *out,
	      char *errmsg, size_t errcap);

/* Writes S (borrowed) as SDP with CRLF line ends into BUF (caller's, CAP
 * bytes), NUL-terminated; *OUT_LEN gets the length without the NUL. Lines:
 * v o s [c] t, then per m-line: m [c] a=rtpmap... [a=ptime] a=DIR
 * [a=rtcp-mux] a=crypto... Returns SDP_OK or SDP_ESPACE (BUF then wiped)
 * or SDP_ERANGE for a value the writer would not parse back. */
int sdp_write(const struct sdp_session *s, char *buf, size_t cap,
	      size_t *out_len);

/* The effective connection address of media I of S: its own c=, else the
 * session's; NULL when neither (never after a successful sdp_parse). */
const struct sdp_conn *sdp_media_conn(const struct sdp_session *s, size_t i);

/* Clears the crypto lines of S (the m-lines in use and the next one)
 * with OPENSSL_cleanse and empties it (no m-line). The rest, which holds
 * no secret, stays. */
void sdp_session_wipe(struct sdp_session *s);

#endif
