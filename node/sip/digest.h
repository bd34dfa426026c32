/* digest: SIP digest authentication as a server (RFC 7616 with the SIP
 * algorithms of RFC 8760) — stateless nonces that any node can verify,
 * challenges, response checks and nonce-count replay protection.
 *
 * Nonces are base64url(issued_ms || random || HMAC-SHA256(secret, issued_ms
 * || random)[0..15]) over the cluster's replicated nonce secret, so a nonce one
 * node issued is accepted by every other node until it expires. Memory is
 * bounded: the nonce-count table has a fixed size set at creation.
 *
 * Threading: one sip_digest per signaling thread; nothing is shared. */
#ifndef WARD_SIP_DIGEST_H
#define WARD_SIP_DIGEST_H

#include <stddef.h>
#include <stdint.h>

enum sip_digest_alg {
	SIP_DIGEST_SHA512_256 = 0, /* challenge order: strongest first */
	SIP_DIGEST_SHA256,
	SIP_DIGEST_MD5,
	SIP_DIGEST_NALG
};

#define SIP_DIGEST_SECRET_LEN 32
#define SIP_DIGEST_HA1_MAX 32 /* raw bytes: 16 for MD5, 32 otherwise */
#define SIP_DIGEST_NONCE_TEXT 48
#define SIP_DIGEST_CHALLENGE_MAX 384
#define SIP_DIGEST_FIELD_MAX 256

/* What a verification concluded. Only SIP_DIGEST_OK authenticates. */
enum sip_digest_verdict {
	SIP_DIGEST_OK = 0,
	SIP_DIGEST_BAD,	      /* wrong response, unknown user, foreign nonce */
	SIP_DIGEST_STALE,     /* right response, but the nonce expired */
	SIP_DIGEST_REPLAY,    /* nonce count not above the last one seen */
	SIP_DIGEST_MALFORMED, /* missing or unusable fields, wrong qop */
};

/* One Authorization / Proxy-Authorization header, unquoted. */
struct sip_digest_creds {
	char username[SIP_DIGEST_FIELD_MAX];
	char realm[SIP_DIGEST_FIELD_MAX];
	char nonce[SIP_DIGEST_FIELD_MAX];
	char uri[SIP_DIGEST_FIELD_MAX];
	char response[SIP_DIGEST_FIELD_MAX];
	char cnonce[SIP_DIGEST_FIELD_MAX];
	char qop[16];
	char nc_text[16];
	uint32_t nc;
	enum sip_digest_alg alg;
};

struct sip_digest;

/* Creates the verifier with SECRET (borrowed, copied, SECRET_LEN bytes) and
 * a nonce-count table of about NC_SLOTS entries (rounded up to a power of
 * two, at least 1024). Returns 0 or -1 with ERRMSG. */
int sip_digest_new(const uint8_t *secret, size_t nc_slots,
		   struct sip_digest **out, char *errmsg, size_t errcap);
void sip_digest_free(struct sip_digest *d);

/* Replaces the nonce secret (SECRET_LEN bytes, copied): nonces issued under
 * the old one stop verifying. Returns 0 or -1. */
int sip_digest_set_secret(struct sip_digest *d, const uint8_t *secret);

/* A fresh nonce issued at NOW_MS (wall clock, ms) into OUT. The
 * nonce carries its issue time, not its validity, so that nothing in it
 * tells a prober which profile (hence which device) it was issued for; the
 * verifier applies the validity of the authenticated device's profile. */
int sip_digest_nonce(struct sip_digest *d, uint64_t now_ms,
		     char out[SIP_DIGEST_NONCE_TEXT]);

/* The value of one WWW-Authenticate / Proxy-Authenticate header for ALG
 * (everything after the header name), with a fresh nonce, qop="auth" and
 * stale=true when STALE. REALM is borrowed and must hold no quote. */
int sip_digest_challenge(struct sip_digest *d, enum sip_digest_alg alg,
			 const char *realm, const char *nonce, int stale,
			 char out[SIP_DIGEST_CHALLENGE_MAX]);

/* Copies the value of parameter NAME from sofia's PARAMS of a digest
 * header (Authorization or a challenge), unquoting it (backslash escapes
 * taken). 0; 1 if absent; -1 if it does not fit CAP or its quoting is
 * broken. */
int sip_digest_param(const char *const *params, const char *name, char *out,
		     size_t cap);

/* Parses the PARAMS of one Digest credentials header (NULL-terminated
 * "name=value" strings as sofia-sip splits them, borrowed) into OUT.
 * Returns 0, or -1 when a field is missing, too long, or unknown in value
 * (algorithm). */
int sip_digest_parse(const char *const *params, struct sip_digest_creds *out);

/* Verifies C (parsed) for METHOD against HA1 (raw, HA1_LEN bytes for
 * C->alg; NULL when the user is unknown: then a dummy HA1 is used so the
 * work and the answer are those of a wrong password). CSEQ and CALLID_HASH
 * identify the request so that a retransmission of the request that used
 * the highest nonce count is accepted again. Checks the response in
 * constant time; records the nonce count only when the response is right. */
enum sip_digest_verdict sip_digest_verify(struct sip_digest *d,
					  const struct sip_digest_creds *c,
					  const char *method,
					  const uint8_t *ha1, size_t ha1_len,
					  uint64_t now, unsigned validity_s,
					  uint32_t cseq, uint32_t callid_hash);

/* The response a client holding HA1 (raw, HA1_LEN bytes) must send for C's
 * nonce, nc, cnonce, qop and uri with METHOD: lower-case hex into OUT.
 * Returns 0 or -1. (verify's arithmetic; tests check it against RFC 7616's
 * examples.) */
int sip_digest_response(struct sip_digest *d, const struct sip_digest_creds *c,
			const char *method, const uint8_t *ha1, size_t ha1_len,
			char out[129]);

/* HA1 = H(user ":" realm ":" password) as raw bytes into OUT; returns its
 * length (16 or 32) or -1. For tests and tools that provision users. */
int sip_digest_ha1(enum sip_digest_alg alg, const char *user, const char *realm,
		   const char *password, uint8_t out[SIP_DIGEST_HA1_MAX]);

/* "MD5", "SHA-256", "SHA-512-256". */
const char *sip_digest_alg_name(enum sip_digest_alg alg);
/* Case-insensitive parse of the names above; -1 if unknown. */
int sip_digest_alg_parse(const char *name, enum sip_digest_alg *out);

#endif
