/* uac_auth: digest authentication as a client (RFC 7616 with the SIP
 * algorithms of RFC 8760) — ward answering a trunk's 401 or 407 with the
 * realm's credentials. Call-agnostic: it sees challenges and produces the
 * Authorization / Proxy-Authorization value for any request (the trunk
 * keepalive's OPTIONS, the B2BUA's INVITEs).
 *
 * Of several challenges the strongest usable one is chosen: SHA-512-256,
 * SHA-256, MD5 (RFC 8760 3: a client skips the algorithms it does not know,
 * the -sess variants included), qop "auth" when offered (a challenge that
 * offers only auth-int is skipped; one without qop is answered the RFC 2069
 * way). The nonce counts of the nonces answered are kept in a fixed table
 * (the oldest forgotten first): answering the same nonce again counts up.
 * cnonce: 16 bytes from RAND_bytes, hex.
 *
 * Threading: one sip_uac_auth per thread; nothing is shared. */
#ifndef WARD_SIP_UAC_AUTH_H
#define WARD_SIP_UAC_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include <sofia-sip/msg_types.h>

#include "node/sip/digest.h"

#define SIP_UAC_ANSWER_MAX 1024

/* One Digest challenge (WWW-Authenticate or Proxy-Authenticate),
 * unquoted. */
struct sip_uac_challenge {
	enum sip_digest_alg alg;
	char realm[SIP_DIGEST_FIELD_MAX];
	char nonce[SIP_DIGEST_FIELD_MAX];
	char opaque[SIP_DIGEST_FIELD_MAX]; /* "" when none */
	int has_opaque;
	int qop_auth; /* qop offered and includes "auth"; 0: no qop at all */
	int stale;    /* stale=true: the last answer was right, the nonce old */
};

/* Parses the PARAMS of one Digest challenge (NULL-terminated "name=value"
 * strings as sofia splits them, borrowed) into OUT. 0, or -1 when it is
 * unusable: a field missing or too long, broken quoting, an algorithm
 * this code does not know, a qop list without "auth". */
int sip_uac_challenge_parse(const char *const *params,
			    struct sip_uac_challenge *out);

/* The strongest usable Digest challenge of LIST (the WWW-Authenticate or
 * Proxy-Authenticate headers of one response, borrowed; at most 8 looked
 * at). 0 with OUT filled, or -1 when none is usable. */
int sip_uac_choose(const msg_auth_t *list, struct sip_uac_challenge *out);

struct sip_uac_auth;

/* A nonce-count table of about SLOTS entries (at least 16). 0 or -1. */
int sip_uac_auth_new(size_t slots, struct sip_uac_auth **out);
void sip_uac_auth_free(struct sip_uac_auth *a);

/* The value of the Authorization (after a 401) or Proxy-Authorization
 * (after a 407) header answering CH for METHOD and URI (the request's
 * Request-URI) with USER and PASSWORD (borrowed; the caller wipes the
 * password): "Digest username=..., response=..., ...". The nonce's count
 * goes up by one per answer. OUT (CAP bytes; SIP_UAC_ANSWER_MAX is
 * always enough) receives it. 0, or -1 when an argument cannot be
 * quoted (a '"', '\\' or control character) or does not fit. */
int sip_uac_auth_answer(struct sip_uac_auth *a,
			const struct sip_uac_challenge *ch, const char *method,
			const char *uri, const char *user, const char *password,
			char *out, size_t cap);

/* The same with the client nonce CNONCE (borrowed) and the nonce count NC
 * given, and no table: the arithmetic, for tests against RFC 7616's
 * examples. */
int sip_uac_auth_answer_with(const struct sip_uac_challenge *ch,
			     const char *method, const char *uri,
			     const char *user, const char *password,
			     const char *cnonce, uint32_t nc, char *out,
			     size_t cap);

#endif
