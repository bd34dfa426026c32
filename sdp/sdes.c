/* sdes: RFC 4568 crypto attributes, and RFC 7714 for the AEAD suites. */
#include "sdp/sdes.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

const char *sdes_strerror(int code)
{
	switch (code) {
#define X(c, text)                                                             \
	case c:                                                                \
		return text;
		SDES_ERRORS(X)
#undef X
	}
	return "unknown error";
}

static const struct {
	const char *name;
	size_t key_len, salt_len;
} suites[SDES_SUITE_COUNT] = {
    [SDES_AEAD_AES_256_GCM] = {"AEAD_AES_256_GCM", 32, 12},
    [SDES_AEAD_AES_128_GCM] = {"AEAD_AES_128_GCM", 16, 12},
    [SDES_AES_CM_128_HMAC_SHA1_80] = {"AES_CM_128_HMAC_SHA1_80", 16, 14},
    [SDES_AES_CM_128_HMAC_SHA1_32] = {"AES_CM_128_HMAC_SHA1_32", 16, 14},
};

const char *sdes_suite_name(enum sdes_suite suite)
{
	if (suite <= SDES_SUITE_NONE || suite >= SDES_SUITE_COUNT)
		return NULL;
	return suites[suite].name;
}

enum sdes_suite sdes_suite_from_name(const char *name)
{
	for (int s = SDES_SUITE_NONE + 1; s < SDES_SUITE_COUNT; s++)
		if (strcmp(name, suites[s].name) == 0)
			return (enum sdes_suite)s;
	return SDES_SUITE_NONE;
}

size_t sdes_suite_key_len(enum sdes_suite suite)
{
	return sdes_suite_name(suite) ? suites[suite].key_len : 0;
}

size_t sdes_suite_salt_len(enum sdes_suite suite)
{
	return sdes_suite_name(suite) ? suites[suite].salt_len : 0;
}

void sdes_crypto_wipe(struct sdes_crypto *c)
{
	if (c)
		OPENSSL_cleanse(c, sizeof *c);
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict base64 of N characters at IN into OUT (CAP bytes): padding only at
 * the end (and optional, as some senders drop it). Returns the byte count,
 * or -1. */
static long b64_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	size_t bits = 0, len = 0, pad = 0;

	while (pad < 2 && n && in[n - 1] == '=') {
		n--;
		pad++;
	}
	if (n == 0 || (pad && (n + pad) % 4) || n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value(in[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (len == cap)
				return -1;
			out[len++] = (uint8_t)(acc >> bits);
		}
	}
	OPENSSL_cleanse(&acc, sizeof acc);
	return (long)len;
}

static int is_weak_suite(const char *name)
{
	return strstr(name, "NULL") != NULL || strstr(name, "F8") != NULL ||
	       strncmp(name, "UNENCRYPTED", 11) == 0;
}

static int all_digits(const char *s, size_t n, size_t max_digits)
{
	if (n == 0 || n > max_digits)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* "2^N" or decimal packets; accepted between 2^31 and 2^48. */
static int check_lifetime(const char *s, size_t n)
{
	unsigned long long v = 0;

	if (n > 2 && s[0] == '2' && s[1] == '^') {
		if (!all_digits(s + 2, n - 2, 2))
			return SDES_EKEY;
		for (size_t i = 2; i < n; i++)
			v = v * 10 + (unsigned)(s[i] - '0');
		return v >= 31 && v <= 48 ? SDES_OK : SDES_ELIFETIME;
	}
	if (!all_digits(s, n, 15))
		return SDES_EKEY;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	return v >= (1ULL << 31) && v <= (1ULL << 48) ? SDES_OK
						      : SDES_ELIFETIME;
}

/* "inline:BASE64[|LIFETIME][|MKI:LEN]" */
static int parse_key_param(const char *p, size_t n, struct sdes_crypto *c)
{
	uint8_t raw[SDES_KEY_MAX + SDES_SALT_MAX + 3];
	const char *bar, *end = p + n;
	long got;
	int rc = SDES_OK;

	if (memchr(p, ';', n))
		return SDES_EKEY; /* several keys: ward uses one per stream */
	if (n < 7 || memcmp(p, "inline:", 7) != 0)
		return SDES_EKEY;
	p += 7;
	bar = memchr(p, '|', (size_t)(end - p));
	got = b64_decode(p, (size_t)((bar ? bar : end) - p), raw, sizeof raw);
	if (got < 0) {
		rc = SDES_EKEY;
		goto out;
	}
	if ((size_t)got != c->key_len + c->salt_len) {
		rc = SDES_EKEYLEN;
		goto out;
	}
	memcpy(c->key, raw, c->key_len);
	memcpy(c->salt, raw + c->key_len, c->salt_len);
	if (bar) {
		/* At most a lifetime, then nothing: an MKI is refused. */
		const char *f = bar + 1;
		const char *next = memchr(f, '|', (size_t)(end - f));
		size_t fn = (size_t)((next ? next : end) - f);

		if (memchr(f, ':', fn))
			rc = SDES_EMKI;
		else if ((rc = check_lifetime(f, fn)) == SDES_OK && next)
			rc = memchr(next, ':', (size_t)(end - next))
				 ? SDES_EMKI
				 : SDES_EKEY;
	}
out:
	OPENSSL_cleanse(raw, sizeof raw);
	return rc;
}

/* Session parameters: only "WSH=N" (N >= 64) is accepted. */
static int check_session_param(const char *p, size_t n)
{
	unsigned long v = 0;

	if (n > 4 && memcmp(p, "WSH=", 4) == 0 && all_digits(p + 4, n - 4, 9)) {
		for (size_t i = 4; i < n; i++)
			v = v * 10 + (unsigned)(p[i] - '0');
		return v >= 64 ? SDES_OK : SDES_EPARAM;
	}
	return SDES_EPARAM;
}

int sdes_parse(const char *text, struct sdes_crypto *out)
{
	const char *p = text, *tok;
	char name[48];
	size_t n;
	int rc;

	memset(out, 0, sizeof *out);
	if (!text)
		return SDES_ESYNTAX;
	/* tag */
	n = strcspn(p, " ");
	if (!all_digits(p, n, 9) || p[n] != ' ') {
		rc = SDES_ESYNTAX;
		goto err;
	}
	for (size_t i = 0; i < n; i++)
		out->tag = out->tag * 10 + (unsigned)(p[i] - '0');
	p += n + 1;
	/* suite */
	n = strcspn(p, " ");
	if (n == 0 || n >= sizeof name || p[n] != ' ') {
		rc = SDES_ESYNTAX;
		goto err;
	}
	memcpy(name, p, n);
	name[n] = '\0';
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (!(ch == '_' || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))) {
			rc = SDES_ESYNTAX;
			goto err;
		}
	}
	out->suite = sdes_suite_from_name(name);
	if (out->suite == SDES_SUITE_NONE) {
		rc = is_weak_suite(name) ? SDES_EWEAK : SDES_EUNKNOWN;
		goto err;
	}
	out->key_len = suites[out->suite].key_len;
	out->salt_len = suites[out->suite].salt_len;
	p += n + 1;
	/* key parameters */
	n = strcspn(p, " ");
	if ((rc = parse_key_param(p, n, out)) != SDES_OK)
		goto err;
	p += n;
	/* session parameters */
	while (*p == ' ') {
		tok = ++p;
		n = strcspn(tok, " ");
		if (n == 0) {
			rc = SDES_ESYNTAX;
			goto err;
		}
		if ((rc = check_session_param(tok, n)) != SDES_OK)
			goto err;
		p += n;
	}
	if (*p) {
		rc = SDES_ESYNTAX;
		goto err;
	}
	return SDES_OK;
err:
	sdes_crypto_wipe(out);
	return rc;
}

void sdes_policy_default(struct sdes_policy *p)
{
	p->prefer[0] = SDES_AEAD_AES_256_GCM;
	p->prefer[1] = SDES_AEAD_AES_128_GCM;
	p->prefer[2] = SDES_AES_CM_128_HMAC_SHA1_80;
	p->n = 3;
}

int sdes_policy_parse(const char *text, struct sdes_policy *p)
{
	char name[48];

	p->n = 0;
	while (text && *text) {
		size_t n = strcspn(text, ",");
		enum sdes_suite s;

		while (n && *text == ' ') {
			text++;
			n--;
		}
		while (n && text[n - 1] == ' ')
			n--;
		if (n == 0 || n >= sizeof name)
			return -1;
		memcpy(name, text, n);
		name[n] = '\0';
		s = sdes_suite_from_name(name);
		if (s == SDES_SUITE_NONE || p->n == SDES_SUITE_COUNT - 1)
			return -1;
		for (size_t i = 0; i < p->n; i++)
			if (p->prefer[i] == s)
				return -1;
		p->prefer[p->n++] = s;
		text += strcspn(text, ",");
		if (*text == ',' && !*++text)
			return -1;
	}
	return p->n ? 0 : -1;
}

int sdes_choose(const struct sdes_policy *policy, const char *const *lines,
		size_t n, struct sdes_crypto *out)
{
	struct sdes_crypto c = {0};
	size_t best_rank = SIZE_MAX;
	unsigned seen[64];
	int rc = SDES_ENOMATCH;

	memset(out, 0, sizeof *out);
	if (n > sizeof seen / sizeof *seen)
		return SDES_ESYNTAX;
	for (size_t i = 0; i < n; i++) {
		int prc = sdes_parse(lines[i], &c);

		if (prc != SDES_OK && prc != SDES_EWEAK &&
		    prc != SDES_EUNKNOWN) {
			rc = prc;
			goto err;
		}
		if (prc != SDES_OK) {
			/* Still needs a well-formed tag to count for dups. */
			const char *sp = strchr(lines[i], ' ');

			c.tag = 0;
			if (!sp ||
			    !all_digits(lines[i], (size_t)(sp - lines[i]), 9)) {
				rc = SDES_ESYNTAX;
				goto err;
			}
			for (const char *d = lines[i]; d < sp; d++)
				c.tag = c.tag * 10 + (unsigned)(*d - '0');
		}
		for (size_t j = 0; j < i; j++) {
			if (seen[j] == c.tag) {
				rc = SDES_EDUPTAG;
				goto err;
			}
		}
		seen[i] = c.tag;
		if (prc != SDES_OK)
			continue;
		for (size_t r = 0; r < policy->n && r < best_rank; r++) {
			if (policy->prefer[r] == c.suite) {
				best_rank = r;
				*out = c;
				rc = SDES_OK;
				break;
			}
		}
		sdes_crypto_wipe(&c);
	}
	if (rc != SDES_OK)
		goto err;
	return SDES_OK;
err:
	sdes_crypto_wipe(&c);
	sdes_crypto_wipe(out);
	return rc;
}

int sdes_format(const struct sdes_crypto *c, char *buf, size_t cap)
{
	uint8_t raw[SDES_KEY_MAX + SDES_SALT_MAX];
	char b64[4 * ((sizeof raw + 2) / 3) + 1];
	const char *name = sdes_suite_name(c->suite);
	int k;

	if (!name || c->key_len != suites[c->suite].key_len ||
	    c->salt_len != suites[c->suite].salt_len || c->tag > 999999999)
		return SDES_EKEYLEN;
	memcpy(raw, c->key, c->key_len);
	memcpy(raw + c->key_len, c->salt, c->salt_len);
	EVP_EncodeBlock((unsigned char *)b64, raw,
			(int)(c->key_len + c->salt_len));
	k = snprintf(buf, cap, "%u %s inline:%s", c->tag, name, b64);
	OPENSSL_cleanse(raw, sizeof raw);
	OPENSSL_cleanse(b64, sizeof b64);
	if (k < 0 || (size_t)k >= cap) {
		if (cap)
			OPENSSL_cleanse(buf, cap);
		return SDES_ESPACE;
	}
	return SDES_OK;
}
