/* sdes: the SDP security descriptions of RFC 4568 (a=crypto) for SRTP —
 * one attribute value parsed into a suite, a key and a salt, an offer's
 * lines checked as a whole, a suite chosen by policy, and a value written.
 *
 * What is refused (the signaling role answers 488): a suite that is weak
 * (NULL cipher or NULL auth, F8) or that ward does not implement; a key
 * parameter that is not "inline:" base64 of exactly the suite's key + salt
 * length; more than one key parameter; a lifetime below 2^31 packets
 * (ward does not re-key inside a call) or above the suite's 2^48; any MKI
 * (the relay does not carry MKIs); any session parameter other than a
 * window size hint (UNENCRYPTED_SRTP and friends would weaken the stream);
 * a tag that is not 1–9 digits; two lines of one m-line with the same tag.
 *
 * Every struct sdes_crypto holds key material: wipe it with
 * sdes_crypto_wipe() when done. Error texts never include line content. */
#ifndef WARD_SDP_SDES_H
#define WARD_SDP_SDES_H

#include <stddef.h>
#include <stdint.h>

#define SDES_ERRORS(X)                                                         \
	X(SDES_OK, "ok")                                                       \
	X(SDES_ESYNTAX, "malformed crypto attribute")                          \
	X(SDES_EWEAK, "weak crypto suite")                                     \
	X(SDES_EUNKNOWN, "crypto suite not supported")                         \
	X(SDES_EKEY, "malformed key parameter")                                \
	X(SDES_EKEYLEN, "wrong key or salt length")                            \
	X(SDES_ELIFETIME, "key lifetime refused")                              \
	X(SDES_EMKI, "MKI refused")                                            \
	X(SDES_EPARAM, "session parameter refused")                            \
	X(SDES_EDUPTAG, "duplicate crypto tag")                                \
	X(SDES_ENOMATCH, "no acceptable crypto suite")                         \
	X(SDES_ESPACE, "output buffer too small")

enum sdes_error {
#define X(code, text) code,
	SDES_ERRORS(X)
#undef X
};

const char *sdes_strerror(int code);

enum sdes_suite {
	SDES_SUITE_NONE = 0,
	SDES_AEAD_AES_256_GCM,
	SDES_AEAD_AES_128_GCM,
	SDES_AES_CM_128_HMAC_SHA1_80,
	SDES_AES_CM_128_HMAC_SHA1_32,
	SDES_SUITE_COUNT
};

#define SDES_KEY_MAX 32
#define SDES_SALT_MAX 14
/* Longest value sdes_format writes: tag, suite, "inline:" + base64 of 46
 * bytes, NUL. */
#define SDES_VALUE_MAX 128

/* The RFC name of SUITE ("AES_CM_128_HMAC_SHA1_80"), NULL for NONE. */
const char *sdes_suite_name(enum sdes_suite suite);
/* SDES_SUITE_NONE when NAME (NUL-terminated) is none of ours. */
enum sdes_suite sdes_suite_from_name(const char *name);
/* Master key and salt lengths of SUITE in bytes (0 for NONE):
 * AES_CM 16 + 14, AEAD_AES_128_GCM 16 + 12, AEAD_AES_256_GCM 32 + 12. */
size_t sdes_suite_key_len(enum sdes_suite suite);
size_t sdes_suite_salt_len(enum sdes_suite suite);

struct sdes_crypto {
	unsigned tag; /* 0..999999999 */
	enum sdes_suite suite;
	uint8_t key[SDES_KEY_MAX]; /* secret */
	size_t key_len;
	uint8_t salt[SDES_SALT_MAX]; /* secret */
	size_t salt_len;
};

void sdes_crypto_wipe(struct sdes_crypto *c);

/* Parses one a=crypto value (without "a=crypto:"), TEXT NUL-terminated and
 * borrowed, into OUT (caller's; wiped on failure). */
int sdes_parse(const char *text, struct sdes_crypto *out);

/* An ordered preference list of suites, best first. */
struct sdes_policy {
	enum sdes_suite prefer[SDES_SUITE_COUNT];
	size_t n;
};

/* The default: AEAD_AES_256_GCM, AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80
 * (AES_CM_128_HMAC_SHA1_32 only where a policy names it). */
void sdes_policy_default(struct sdes_policy *p);

/* Parses a comma-separated list of suite names into P. -1 for an unknown
 * name, a repeat, or an empty list. */
int sdes_policy_parse(const char *text, struct sdes_policy *p);

/* Picks from the N crypto values of one m-line (LINES, borrowed) the one
 * whose suite comes first in POLICY, into *OUT (caller's). A line that
 * does not parse or a repeated tag refuses the whole offer (it is broken
 * or hostile); a line with a weak or unknown suite is passed over, since
 * the choice is ours. SDES_ENOMATCH when nothing acceptable is left. */
int sdes_choose(const struct sdes_policy *policy, const char *const *lines,
		size_t n, struct sdes_crypto *out);

/* Writes C as an a=crypto value "TAG SUITE inline:BASE64" into BUF
 * (caller's, CAP bytes; holds key material: wipe it after use). */
int sdes_format(const struct sdes_crypto *c, char *buf, size_t cap);

#endif
