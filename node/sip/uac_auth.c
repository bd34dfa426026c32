/* uac_auth: answering digest challenges as a client (uac_auth.h). */
#include "node/sip/uac_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sofia-sip/msg_header.h>

#include "common/hex.h"

#define CHOOSE_MAX 8

static const char *const md_names[SIP_DIGEST_NALG] = {
    [SIP_DIGEST_SHA512_256] = "SHA512-256",
    [SIP_DIGEST_SHA256] = "SHA256",
    [SIP_DIGEST_MD5] = "MD5",
};

/* A nonce answered: its realm and nonce (hashed) and the last count. */
struct nc_slot {
	uint64_t key; /* 0: free */
	uint64_t used;
	uint32_t nc;
};

struct sip_uac_auth {
	struct nc_slot *slot; /* owned: n */
	size_t n;
	uint64_t clock; /* answers given: the age of a slot */
};

/* "auth" among the comma-separated tokens of LIST. */
static int has_token(const char *list, const char *tok)
{
	size_t tl = strlen(tok);

	while (*list) {
		size_t n;
		list += strspn(list, " \t,");
		n = strcspn(list, " \t,");
		if (n == tl && strncasecmp(list, tok, n) == 0)
			return 1;
		list += n;
	}
	return 0;
}

int sip_uac_challenge_parse(const char *const *params,
			    struct sip_uac_challenge *out)
{
	char alg[32], qop[64], stale[16];
	int r;

	memset(out, 0, sizeof *out);
	if (sip_digest_param(params, "realm", out->realm, sizeof out->realm) ||
	    sip_digest_param(params, "nonce", out->nonce, sizeof out->nonce) ||
	    !out->nonce[0])
		return -1;
	r = sip_digest_param(params, "algorithm", alg, sizeof alg);
	if (r < 0)
		return -1;
	if (r == 1)
		out->alg = SIP_DIGEST_MD5; /* RFC 7616 3.3: MD5 if absent */
	else if (sip_digest_alg_parse(alg, &out->alg) != 0)
		return -1; /* unknown, or a -sess variant */
	r = sip_digest_param(params, "qop", qop, sizeof qop);
	if (r < 0 || (r == 0 && !has_token(qop, "auth")))
		return -1;
	out->qop_auth = r == 0;
	r = sip_digest_param(params, "opaque", out->opaque, sizeof out->opaque);
	if (r < 0)
		return -1;
	out->has_opaque = r == 0;
	r = sip_digest_param(params, "stale", stale, sizeof stale);
	if (r < 0)
		return -1;
	out->stale = r == 0 && strcasecmp(stale, "true") == 0;
	return 0;
}

int sip_uac_choose(const msg_auth_t *list, struct sip_uac_challenge *out)
{
	struct sip_uac_challenge c;
	int found = 0;
	unsigned n = 0;

	for (; list && n < CHOOSE_MAX; list = list->au_next, n++) {
		if (!list->au_scheme || strcasecmp(list->au_scheme, "Digest"))
			continue;
		if (sip_uac_challenge_parse(list->au_params, &c) != 0)
			continue;
		if (!found || c.alg < out->alg) /* strongest first */
			*out = c;
		found = 1;
	}
	return found ? 0 : -1;
}

int sip_uac_auth_new(size_t slots, struct sip_uac_auth **out)
{
	struct sip_uac_auth *a = calloc(1, sizeof *a);

	if (!a)
		return -1;
	a->n = slots < 16 ? 16 : slots;
	a->slot = calloc(a->n, sizeof *a->slot);
	if (!a->slot) {
		free(a);
		return -1;
	}
	*out = a;
	return 0;
}

void sip_uac_auth_free(struct sip_uac_auth *a)
{
	if (!a)
		return;
	free(a->slot);
	free(a);
}

/* Lower-case hex of H(parts joined by ':') into HEX (129 bytes). */
static int hash_hex(enum sip_digest_alg alg, const char *const *parts,
		    size_t nparts, char *hex)
{
	EVP_MD *md = EVP_MD_fetch(NULL, md_names[alg], NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t out[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	int ok = md && ctx && EVP_DigestInit_ex(ctx, md, NULL) == 1;

	for (size_t i = 0; ok && i < nparts; i++)
		ok = (!i || EVP_DigestUpdate(ctx, ":", 1) == 1) &&
		     EVP_DigestUpdate(ctx, parts[i], strlen(parts[i])) == 1;
	ok = ok && EVP_DigestFinal_ex(ctx, out, &len) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	if (!ok)
		return -1;
	hex_encode(out, len, hex);
	OPENSSL_cleanse(out, sizeof out);
	return 0;
}

/* Text that goes between quotes as it is (RFC 7616 3.4 quoted-string
 * without escapes). */
static int quotable(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20 ||
		    *s == 0x7f)
			return 0;
	return 1;
}

int sip_uac_auth_answer_with(const struct sip_uac_challenge *ch,
			     const char *method, const char *uri,
			     const char *user, const char *password,
			     const char *cnonce, uint32_t nc, char *out,
			     size_t cap)
{
	char ha1[129], ha2[129], resp[129], nc_text[9];
	const char *p1[] = {user, ch->realm, password};
	const char *p2[] = {method, uri};
	const char *p3[] = {ha1, ch->nonce, nc_text, cnonce, "auth", ha2};
	const char *p3_2069[] = {ha1, ch->nonce, ha2};
	int n, rc = -1;

	if (ch->alg >= SIP_DIGEST_NALG || !quotable(user) || !quotable(uri) ||
	    !quotable(ch->realm) || !quotable(ch->nonce) ||
	    !quotable(ch->opaque) || !quotable(cnonce) || !quotable(method))
		return -1;
	snprintf(nc_text, sizeof nc_text, "%08x", nc);
	if (hash_hex(ch->alg, p1, 3, ha1) != 0 ||
	    hash_hex(ch->alg, p2, 2, ha2) != 0 ||
	    (ch->qop_auth ? hash_hex(ch->alg, p3, 6, resp)
			  : hash_hex(ch->alg, p3_2069, 3, resp)) != 0)
		goto out;
	n = snprintf(
	    out, cap,
	    "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
	    "uri=\"%s\", response=\"%s\", algorithm=%s%s%s%s",
	    user, ch->realm, ch->nonce, uri, resp, sip_digest_alg_name(ch->alg),
	    ch->has_opaque ? ", opaque=\"" : "",
	    ch->has_opaque ? ch->opaque : "", ch->has_opaque ? "\"" : "");
	if (n < 0 || (size_t)n >= cap)
		goto out;
	if (ch->qop_auth) {
		int m = snprintf(out + n, cap - (size_t)n,
				 ", qop=auth, nc=%s, cnonce=\"%s\"", nc_text,
				 cnonce);
		if (m < 0 || (size_t)m >= cap - (size_t)n)
			goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(ha1, sizeof ha1);
	if (rc != 0 && cap)
		out[0] = '\0';
	return rc;
}

static uint64_t nonce_key(const struct sip_uac_challenge *ch)
{
	uint64_t h = 1469598103934665603ull;

	for (const char *p = ch->realm; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (const char *p = ch->nonce; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	return h ? h : 1;
}

/* The next count for CH's nonce: 1 for a nonce not answered yet (taking
 * the free or least recently used slot). */
static uint32_t next_nc(struct sip_uac_auth *a,
			const struct sip_uac_challenge *ch)
{
	uint64_t key = nonce_key(ch);
	struct nc_slot *victim = &a->slot[0];

	a->clock++;
	for (size_t i = 0; i < a->n; i++) {
		struct nc_slot *s = &a->slot[i];
		if (s->key == key) {
			s->used = a->clock;
			return ++s->nc;
		}
		if (!s->key || s->used < victim->used)
			victim = s;
	}
	*victim = (struct nc_slot){.key = key, .used = a->clock, .nc = 1};
	return 1;
}

int sip_uac_auth_answer(struct sip_uac_auth *a,
			const struct sip_uac_challenge *ch, const char *method,
			const char *uri, const char *user, const char *password,
			char *out, size_t cap)
{
	uint8_t raw[16];
	char cnonce[33];

	if (RAND_bytes(raw, sizeof raw) != 1)
		return -1;
	hex_encode(raw, sizeof raw, cnonce);
	return sip_uac_auth_answer_with(ch, method, uri, user, password, cnonce,
					ch->qop_auth ? next_nc(a, ch) : 1, out,
					cap);
}
