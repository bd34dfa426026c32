/* capf_msg: the wire format of the phones' CAPF protocol (TCP 3804 over
 * TLS) — framing, parsing and building messages, and the layouts inside
 * the certificate (4) and SHA-2 signed data (20) elements.
 *
 * A message is an 8-byte header — protocol id 85 (u8), command (u8),
 * session id (u32), body length (u16), all big-endian — then a body of
 * elements, each tag (u8), length (u16, big-endian), value. The layout
 * comes from public, tested descriptions of what phones of this family
 * speak (docs/capf.md), not from a vendor specification.
 *
 * Everything parsed here comes from an unauthenticated peer: every length
 * is checked against what remains, an unknown tag, a repeated tag, a
 * value of the wrong size for a fixed-size element or a body longer than
 * CAPF_BODY_MAX is refused with a code (the server then ends the session
 * with reason 7), never a crash. Fuzzed by tests/fuzz/fuzz_capf_msg.c.
 *
 * Pure functions: no allocation, no I/O, no global state. Parsed elements
 * point into the caller's buffer (borrowed: valid as long as it is).
 */
#ifndef WARD_CAPF_MSG_H
#define WARD_CAPF_MSG_H

#include <stddef.h>
#include <stdint.h>

#define CAPF_PROTOCOL_ID 85
#define CAPF_HEADER_LEN 8
#define CAPF_BODY_MAX                                                          \
	16384 /* larger bodies are refused: an RSA 4096 LSC                    \
		 and its chain fit in a quarter of it */
#define CAPF_MSG_MAX (CAPF_HEADER_LEN + CAPF_BODY_MAX)
#define CAPF_ELEMS_MAX 24 /* distinct tags a message may carry */

enum capf_cmd {
	CAPF_CMD_AUTH_REQ = 1,
	CAPF_CMD_AUTH_RESP = 2,
	CAPF_CMD_KEYGEN_REQ = 3,
	CAPF_CMD_KEYGEN_RESP = 4,
	CAPF_CMD_STORE_CERT_REQ = 9,
	CAPF_CMD_STORE_CERT_RESP = 10,
	CAPF_CMD_FETCH_CERT_REQ = 11,
	CAPF_CMD_FETCH_CERT_RESP = 12,
	CAPF_CMD_DELETE_CERT_REQ = 13,
	CAPF_CMD_DELETE_CERT_RESP = 14,
	CAPF_CMD_END_SESSION = 15,
	CAPF_CMD_RETRY_LATER = 16,
	CAPF_CMD_IN_PROGRESS = 17,
	CAPF_CMD_STATUS_REQ = 18,
	CAPF_CMD_STATUS_RESP = 19,
	CAPF_CMD_ABORT_REQ = 20,
	CAPF_CMD_ABORT_RESP = 21,
};

enum capf_tag {
	CAPF_TAG_REASON = 1,	   /* u8, enum capf_reason */
	CAPF_TAG_REASON_INFO = 2,  /* text */
	CAPF_TAG_CERT_TYPE = 3,	   /* u8, enum capf_cert_type */
	CAPF_TAG_CERT = 4,	   /* 5-byte inner prefix + DER */
	CAPF_TAG_SIGNED_DATA = 6,  /* SHA-1 signature */
	CAPF_TAG_VERSION = 7,	   /* u8 */
	CAPF_TAG_AUTH_TYPE = 8,	   /* u8, enum capf_auth_type */
	CAPF_TAG_PUBLIC_KEY = 9,   /* DER SubjectPublicKeyInfo */
	CAPF_TAG_KEY_SIZE = 10,	   /* u16, bits */
	CAPF_TAG_PASSWORD = 11,	   /* string with NUL */
	CAPF_TAG_DEVICE_NAME = 13, /* string with NUL */
	CAPF_TAG_SUDI_DATA = 16,   /* opaque */
	CAPF_TAG_KEY_TYPE = 17,	   /* u8, enum capf_key_type */
	CAPF_TAG_CURVE = 18,	   /* u8, enum capf_curve */
	CAPF_TAG_DIGEST_TYPE = 19, /* u8 */
	CAPF_TAG_SHA2_SIGNED = 20, /* digest code u8, length u16, sig */
};

enum capf_reason {
	CAPF_REASON_NO_ACTION = 0,
	CAPF_REASON_UPDATE_CERT = 1,
	CAPF_REASON_INVALID_ELEMENT = 7,
	CAPF_REASON_UNKNOWN_DEVICE = 9,
};

enum capf_cert_type {
	CAPF_CERT_LSC = 1,
	CAPF_CERT_MIC = 2,
};

enum capf_auth_type {
	CAPF_AUTH_NONE = 0,
	CAPF_AUTH_PASSWORD = 1,
	CAPF_AUTH_NO_PASSWORD = 2,
	CAPF_AUTH_LSC = 3,
	CAPF_AUTH_MIC = 4,
};

enum capf_key_type {
	CAPF_KEY_RSA = 0,
	CAPF_KEY_EC = 1,
};

enum capf_curve {
	CAPF_CURVE_P256 = 0,
	CAPF_CURVE_P384 = 1,
	CAPF_CURVE_P521 = 2,
};

#define CAPF_DIGEST_SHA512 3 /* the digest code inside element 20 */
#define CAPF_VERSION 3	     /* the protocol version we speak */

#define CAPF_MSG_ERRORS(X)                                                     \
	X(CAPF_MSG_OK, "ok")                                                   \
	X(CAPF_MSG_EAGAIN, "incomplete message")                               \
	X(CAPF_MSG_EPROTO, "not a CAPF message (protocol id)")                 \
	X(CAPF_MSG_ETOOBIG, "message too large")                               \
	X(CAPF_MSG_ETRUNC, "element runs past the body")                       \
	X(CAPF_MSG_ETAG, "unknown element tag")                                \
	X(CAPF_MSG_EDUP, "element repeated")                                   \
	X(CAPF_MSG_ESIZE, "element of the wrong size")                         \
	X(CAPF_MSG_EVALUE, "element value not acceptable")                     \
	X(CAPF_MSG_ENOSPACE, "output buffer too small")

#define CAPF_MSG_ERROR_ENUM(name, text) name,
enum capf_msg_error { CAPF_MSG_ERRORS(CAPF_MSG_ERROR_ENUM) };
#undef CAPF_MSG_ERROR_ENUM

/* Static text of CODE; never NULL. */
const char *capf_msg_strerror(int code);

/* One element: VAL points into the parsed buffer (borrowed). */
struct capf_elem {
	uint8_t tag;
	uint16_t len;
	const uint8_t *val;
};

struct capf_msg {
	uint8_t cmd;	   /* enum capf_cmd (any value is parsed) */
	uint32_t session;  /* chosen by the server */
	uint16_t body_len; /* from the header */
	size_t n;	   /* elements, in the order received */
	struct capf_elem elem[CAPF_ELEMS_MAX];
};

/* Framing: how long the message starting at BUF (LEN bytes so far) is.
 * CAPF_MSG_EAGAIN (with *total 0) while fewer than CAPF_HEADER_LEN bytes
 * have arrived; CAPF_MSG_EPROTO if the protocol id is not 85;
 * CAPF_MSG_ETOOBIG if the body length exceeds CAPF_BODY_MAX; else
 * CAPF_MSG_OK and *total = header + body. */
int capf_msg_frame(const uint8_t *buf, size_t len, size_t *total);

/* Parses exactly one whole message of LEN bytes (header + body; LEN must
 * equal what the header says, else CAPF_MSG_ETRUNC or, if short of a
 * header, CAPF_MSG_EAGAIN). Known tags only, each at most once; fixed-size
 * elements (reason, cert type, version, auth type, key type, curve,
 * digest type: 1 byte; key size: 2) must have their size. OUT borrows
 * from BUF. */
int capf_msg_parse(const uint8_t *buf, size_t len, struct capf_msg *out);

/* The element TAG of MSG, or NULL. */
const struct capf_elem *capf_msg_find(const struct capf_msg *msg, uint8_t tag);
/* Values of fixed-size elements: 0, or CAPF_MSG_EVALUE if absent (the
 * parser already checked sizes). */
int capf_msg_get_u8(const struct capf_msg *msg, uint8_t tag, uint8_t *out);
int capf_msg_get_u16(const struct capf_msg *msg, uint8_t tag, uint16_t *out);
/* A string element (device name, password, reason info): the value must
 * be 1..CAP-1 bytes of printable ASCII, optionally followed by one NUL as
 * the last byte, and is copied NUL-terminated into OUT (CAP bytes).
 * CAPF_MSG_EVALUE if absent or not so. */
int capf_msg_get_str(const struct capf_msg *msg, uint8_t tag, char *out,
		     size_t cap);

/* The certificate element's value: 0x01, u16 (DER length + 2), 0x00,
 * the certificate type, the DER. *der borrows from VAL. CAPF_MSG_EVALUE
 * if the prefix is wrong or its length disagrees with LEN. */
#define CAPF_CERT_PREFIX_LEN 5
int capf_cert_elem_parse(const uint8_t *val, size_t len, uint8_t *type,
			 const uint8_t **der, size_t *der_len);
/* Element 20's value: digest code u8, u16 signature length, signature
 * (which must fill the rest exactly). *sig borrows from VAL. */
int capf_sha2_sig_parse(const uint8_t *val, size_t len, uint8_t *digest,
			const uint8_t **sig, size_t *sig_len);

/* ---- building ---------------------------------------------------------- *
 * A message is built in place in BUF (the caller's, CAP bytes): begin,
 * add elements, end. The first failure (CAPF_MSG_ENOSPACE once BUF or
 * CAPF_BODY_MAX would be exceeded) sticks in b->err and later calls do
 * nothing, so a builder checks once, at capf_build_end. */
struct capf_build {
	uint8_t *buf; /* borrowed */
	size_t cap;
	size_t len;
	int err;
};

void capf_build_begin(struct capf_build *b, uint8_t *buf, size_t cap,
		      uint8_t cmd, uint32_t session);
void capf_build_add(struct capf_build *b, uint8_t tag, const void *val,
		    size_t len);
void capf_build_u8(struct capf_build *b, uint8_t tag, uint8_t v);
void capf_build_u16(struct capf_build *b, uint8_t tag, uint16_t v);
/* S and its NUL. */
void capf_build_str(struct capf_build *b, uint8_t tag, const char *s);
/* A certificate element: the 5-byte prefix for TYPE, then DER. */
void capf_build_cert(struct capf_build *b, uint8_t type, const uint8_t *der,
		     size_t der_len);
/* Element 20: DIGEST, the signature's length and the signature. */
void capf_build_sha2_sig(struct capf_build *b, uint8_t digest,
			 const uint8_t *sig, size_t sig_len);
/* Writes the body length into the header: 0 and *len = the whole message
 * (one write), or b->err. */
int capf_build_end(struct capf_build *b, size_t *len);

/* Name of a command for logs ("auth-request", ...); "unknown" otherwise. */
const char *capf_cmd_name(uint8_t cmd);

#endif
