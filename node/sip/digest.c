/* digest: nonces, challenges and response checks (RFC 7616, RFC 8760). */
#include "node/sip/digest.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/be.h"
#include "common/errmsg.h"
#include "common/hex.h"

#define NONCE_RAW 32 /* 8 issue time + 8 random + 16 MAC */
#define NONCE_MAC_OFF 16
#define BUCKET_WAYS 4

/* One nonce whose count we track: the nonce's MAC prefix names it. */
struct nc_entry {
	uint64_t id;
	uint64_t issued;
	uint64_t expiry; /* 0: free */
	uint32_t nc;
	uint32_t cseq;
	uint32_t callid_hash;
};

/* A set of entries, and the latest issue time of a live nonce it had to
 * forget: a nonce issued no later than that and not found may have been
 * forgotten, so it is answered as stale (a fresh challenge) rather than
 * trusted, and the table stays bounded without reopening replay. */
struct nc_bucket {
	struct nc_entry e[BUCKET_WAYS];
	uint64_t floor;
};

struct sip_digest {
	EVP_MAC *mac;	      /* owned */
	EVP_MAC_CTX *mac_ctx; /* owned: keyed once, re-initialised per use */
	const EVP_MD *md[SIP_DIGEST_NALG]; /* owned (fetched) */
	EVP_MD_CTX *md_ctx;		   /* owned */
	struct nc_bucket *nc;		   /* owned: nbuckets */
	size_t nbuckets;		   /* a power of two */
};

static const char *const alg_names[SIP_DIGEST_NALG] = {
    [SIP_DIGEST_SHA512_256] = "SHA-512-256",
    [SIP_DIGEST_SHA256] = "SHA-256",
    [SIP_DIGEST_MD5] = "MD5",
};
static const char *const alg_md[SIP_DIGEST_NALG] = {
    [SIP_DIGEST_SHA512_256] = "SHA512-256",
    [SIP_DIGEST_SHA256] = "SHA256",
    [SIP_DIGEST_MD5] = "MD5",
};

const char *sip_digest_alg_name(enum sip_digest_alg alg)
{
	return alg < SIP_DIGEST_NALG ? alg_names[alg] : "?";
}

int sip_digest_alg_parse(const char *name, enum sip_digest_alg *out)
{
	for (int a = 0; a < SIP_DIGEST_NALG; a++)
		if (strcasecmp(name, alg_names[a]) == 0) {
			*out = (enum sip_digest_alg)a;
			return 0;
		}
	return -1;
}

static int key_mac(struct sip_digest *d, const uint8_t *secret)
{
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(
				   OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
			       OSSL_PARAM_construct_end()};
	return EVP_MAC_init(d->mac_ctx, secret, SIP_DIGEST_SECRET_LEN,
			    params) == 1
		   ? 0
		   : -1;
}

int sip_digest_new(const uint8_t *secret, size_t nc_slots,
		   struct sip_digest **out, char *errmsg, size_t errcap)
{
	struct sip_digest *d = calloc(1, sizeof *d);
	size_t n = 1024;

	if (!d) {
		errmsg_set(errmsg, errcap, "out of memory");
		return -1;
	}
	while (n < nc_slots && n < ((size_t)1 << 26))
		n <<= 1;
	d->nbuckets = n / BUCKET_WAYS;
	d->nc = calloc(d->nbuckets, sizeof *d->nc);
	d->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	d->mac_ctx = d->mac ? EVP_MAC_CTX_new(d->mac) : NULL;
	d->md_ctx = EVP_MD_CTX_new();
	if (!d->nc || !d->mac_ctx || !d->md_ctx) {
		errmsg_set(errmsg, errcap, "digest: out of memory");
		goto err_after_alloc;
	}
	for (int a = 0; a < SIP_DIGEST_NALG; a++) {
		d->md[a] = EVP_MD_fetch(NULL, alg_md[a], NULL);
		if (!d->md[a]) {
			errmsg_set(errmsg, errcap, "digest: no %s in OpenSSL",
				   alg_md[a]);
			goto err_after_alloc;
		}
	}
	if (key_mac(d, secret) != 0) {
		errmsg_set(errmsg, errcap, "digest: cannot key HMAC");
		goto err_after_alloc;
	}
	*out = d;
	return 0;

err_after_alloc:
	sip_digest_free(d);
	return -1;
}

void sip_digest_free(struct sip_digest *d)
{
	if (!d)
		return;
	for (int a = 0; a < SIP_DIGEST_NALG; a++)
		EVP_MD_free((EVP_MD *)d->md[a]);
	EVP_MD_CTX_free(d->md_ctx);
	EVP_MAC_CTX_free(d->mac_ctx);
	EVP_MAC_free(d->mac);
	free(d->nc);
	free(d);
}

int sip_digest_set_secret(struct sip_digest *d, const uint8_t *secret)
{
	memset(d->nc, 0, d->nbuckets * sizeof *d->nc);
	return key_mac(d, secret);
}

static int nonce_mac(struct sip_digest *d, const uint8_t in[16],
		     uint8_t mac[16])
{
	uint8_t full[32];
	size_t len = 0;

	/* NULL key: HMAC keeps the key set by key_mac(). */
	if (EVP_MAC_init(d->mac_ctx, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(d->mac_ctx, in, 16) != 1 ||
	    EVP_MAC_final(d->mac_ctx, full, &len, sizeof full) != 1 ||
	    len != 32)
		return -1;
	memcpy(mac, full, 16);
	return 0;
}

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void b64url_encode(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0, i;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
			     in[i + 2];
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
		out[o++] = b64url[v & 63];
	}
	if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
	} else if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
	}
	out[o] = '\0';
}

static int b64url_val(char c)
{
	const char *p = c ? strchr(b64url, c) : NULL;
	return p ? (int)(p - b64url) : -1;
}

/* Exactly the 43 characters a 32-byte nonce encodes to. */
static int nonce_decode(const char *text, uint8_t out[NONCE_RAW])
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	if (strlen(text) != 43)
		return -1;
	for (const char *p = text; *p; p++) {
		int v = b64url_val(*p);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o < NONCE_RAW)
				out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o == NONCE_RAW ? 0 : -1;
}

int sip_digest_nonce(struct sip_digest *d, uint64_t now_ms,
		     char out[SIP_DIGEST_NONCE_TEXT])
{
	uint8_t raw[NONCE_RAW];
	uint64_t exp = now_ms;

	be64_put(raw, exp);
	if (RAND_bytes(raw + 8, 8) != 1 ||
	    nonce_mac(d, raw, raw + NONCE_MAC_OFF) != 0)
		return -1;
	b64url_encode(raw, sizeof raw, out);
	return 0;
}

int sip_digest_challenge(struct sip_digest *d, enum sip_digest_alg alg,
			 const char *realm, const char *nonce, int stale,
			 char out[SIP_DIGEST_CHALLENGE_MAX])
{
	int n;

	(void)d;
	if (alg >= SIP_DIGEST_NALG || strchr(realm, '"'))
		return -1;
	n = snprintf(out, SIP_DIGEST_CHALLENGE_MAX,
		     "Digest realm=\"%s\", nonce=\"%s\", algorithm=%s, "
		     "qop=\"auth\"%s",
		     realm, nonce, alg_names[alg], stale ? ", stale=true" : "");
	return n > 0 && n < SIP_DIGEST_CHALLENGE_MAX ? 0 : -1;
}

int sip_digest_param(const char *const *params, const char *name, char *out,
		     size_t cap)
{
	size_t nl = strlen(name);

	for (; params && *params; params++) {
		const char *p = *params, *v;
		size_t o = 0;

		if (strncasecmp(p, name, nl) != 0 || p[nl] != '=')
			continue;
		v = p + nl + 1;
		if (*v != '"') {
			if (strlen(v) >= cap)
				return -1;
			strcpy(out, v);
			return 0;
		}
		for (v++; *v && *v != '"'; v++) {
			if (*v == '\\' && v[1])
				v++;
			if (o + 1 >= cap)
				return -1;
			out[o++] = *v;
		}
		if (*v != '"' || v[1])
			return -1;
		out[o] = '\0';
		return 0;
	}
	return 1;
}

int sip_digest_parse(const char *const *params, struct sip_digest_creds *out)
{
	char alg[32];
	char *end;
	unsigned long nc;
	int r;

	memset(out, 0, sizeof *out);
	if (sip_digest_param(params, "username", out->username,
		      sizeof out->username) ||
	    sip_digest_param(params, "realm", out->realm, sizeof out->realm) ||
	    sip_digest_param(params, "nonce", out->nonce, sizeof out->nonce) ||
	    sip_digest_param(params, "uri", out->uri, sizeof out->uri) ||
	    sip_digest_param(params, "response", out->response, sizeof out->response))
		return -1;
	/* qop is mandatory here: without it there is no nonce count. */
	if (sip_digest_param(params, "qop", out->qop, sizeof out->qop) ||
	    strcasecmp(out->qop, "auth") != 0 ||
	    sip_digest_param(params, "cnonce", out->cnonce, sizeof out->cnonce) ||
	    sip_digest_param(params, "nc", out->nc_text, sizeof out->nc_text))
		return -1;
	if (strlen(out->nc_text) != 8)
		return -1;
	for (const char *p = out->nc_text; *p; p++)
		if (!isxdigit((unsigned char)*p))
			return -1;
	nc = strtoul(out->nc_text, &end, 16);
	if (*end || nc == 0)
		return -1;
	out->nc = (uint32_t)nc;
	r = sip_digest_param(params, "algorithm", alg, sizeof alg);
	if (r < 0)
		return -1;
	if (r == 1)
		out->alg = SIP_DIGEST_MD5; /* RFC 7616 3.4: MD5 if absent */
	else if (sip_digest_alg_parse(alg, &out->alg) != 0)
		return -1;
	return 0;
}

/* Lower-case hex of H(parts joined by ':') into HEX. */
static int hash_hex(struct sip_digest *d, enum sip_digest_alg alg,
		    const char *const *parts, size_t nparts, char *hex)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	if (EVP_DigestInit_ex(d->md_ctx, d->md[alg], NULL) != 1)
		return -1;
	for (size_t i = 0; i < nparts; i++)
		if ((i && EVP_DigestUpdate(d->md_ctx, ":", 1) != 1) ||
		    EVP_DigestUpdate(d->md_ctx, parts[i], strlen(parts[i])) !=
			1)
			return -1;
	if (EVP_DigestFinal_ex(d->md_ctx, md, &len) != 1)
		return -1;
	hex_encode(md, len, hex);
	return (int)len;
}

static size_t ha1_len_of(enum sip_digest_alg alg)
{
	return alg == SIP_DIGEST_MD5 ? 16 : 32;
}

/* The nonce-count rule: strictly rising counts, or a repeat of the very
 * request that used the highest one (a stateless retransmission). */
static enum sip_digest_verdict nc_check(struct sip_digest *d, uint64_t id,
					uint64_t issued, uint64_t expiry,
					uint64_t now, uint32_t nc,
					uint32_t cseq, uint32_t callid_hash)
{
	struct nc_bucket *b = d->nc + (id & (d->nbuckets - 1));
	struct nc_entry *slot = NULL;

	for (int i = 0; i < BUCKET_WAYS; i++) {
		struct nc_entry *e = &b->e[i];
		if (e->expiry > now && e->id == id) {
			if (nc > e->nc) {
				e->nc = nc;
				e->cseq = cseq;
				e->callid_hash = callid_hash;
				return SIP_DIGEST_OK;
			}
			if (nc == e->nc && cseq == e->cseq &&
			    callid_hash == e->callid_hash)
				return SIP_DIGEST_OK;
			return SIP_DIGEST_REPLAY;
		}
	}
	if (issued <= b->floor)
		return SIP_DIGEST_STALE; /* maybe forgotten: not trusted */
	for (int i = 0; i < BUCKET_WAYS; i++) {
		struct nc_entry *e = &b->e[i];
		if (e->expiry <= now) {
			slot = e;
			break;
		}
		if (!slot || e->issued < slot->issued)
			slot = e;
	}
	if (slot->expiry > now && slot->issued > b->floor)
		b->floor = slot->issued;
	*slot = (struct nc_entry){.id = id,
				  .issued = issued,
				  .expiry = expiry,
				  .nc = nc,
				  .cseq = cseq,
				  .callid_hash = callid_hash};
	return SIP_DIGEST_OK;
}

enum sip_digest_verdict sip_digest_verify(struct sip_digest *d,
					  const struct sip_digest_creds *c,
					  const char *method,
					  const uint8_t *ha1, size_t ha1_len,
					  uint64_t now, unsigned validity_s,
					  uint32_t cseq, uint32_t callid_hash)
{
	uint8_t raw[NONCE_RAW], mac[16], dummy[32];
	char want[129];
	uint64_t expiry = 0, issued, id = 0;
	size_t want_len, got_len;
	int known = ha1 != NULL, right;

	if (c->alg >= SIP_DIGEST_NALG)
		return SIP_DIGEST_MALFORMED;
	if (nonce_decode(c->nonce, raw) != 0 || nonce_mac(d, raw, mac) != 0 ||
	    CRYPTO_memcmp(mac, raw + NONCE_MAC_OFF, 16) != 0)
		return SIP_DIGEST_BAD;
	expiry = be64_get(raw);
	id = be64_get(raw + NONCE_MAC_OFF);
	issued = expiry;
	expiry += (uint64_t)validity_s * 1000; /* it carries its issue time */
	if (!known || ha1_len != ha1_len_of(c->alg)) {
		/* The same work as a real user, against a key nobody has. */
		const char *parts[] = {"ward-dummy", c->username};
		char tmp[129];
		if (hash_hex(d, SIP_DIGEST_SHA256, parts, 2, tmp) < 0 ||
		    hex_decode(tmp, dummy, 32) != 0)
			return SIP_DIGEST_BAD;
		ha1 = dummy;
		ha1_len = ha1_len_of(c->alg);
		known = 0;
	}
	if (sip_digest_response(d, c, method, ha1, ha1_len, want) != 0)
		return SIP_DIGEST_BAD;
	want_len = strlen(want);
	got_len = strlen(c->response);
	{
		char got[129] = {0};
		for (size_t i = 0; i < got_len && i < 128; i++)
			got[i] = (char)tolower((unsigned char)c->response[i]);
		right = got_len == want_len &&
			CRYPTO_memcmp(got, want, want_len) == 0;
	}
	if (!right || !known)
		return SIP_DIGEST_BAD;
	if (expiry <= now)
		return SIP_DIGEST_STALE;
	return nc_check(d, id, issued, expiry, now, c->nc, cseq, callid_hash);
}

int sip_digest_response(struct sip_digest *d, const struct sip_digest_creds *c,
			const char *method, const uint8_t *ha1, size_t ha1_len,
			char out[129])
{
	char ha1_hex[65], ha2_hex[129];
	const char *p2[] = {method, c->uri};
	const char *p3[] = {ha1_hex,   c->nonce, c->nc_text,
			    c->cnonce, c->qop,	 ha2_hex};
	int r = 0;

	if (c->alg >= SIP_DIGEST_NALG || ha1_len > 32)
		return -1;
	hex_encode(ha1, ha1_len, ha1_hex);
	if (hash_hex(d, c->alg, p2, 2, ha2_hex) < 0 ||
	    hash_hex(d, c->alg, p3, 6, out) < 0)
		r = -1;
	OPENSSL_cleanse(ha1_hex, sizeof ha1_hex);
	return r;
}

int sip_digest_ha1(enum sip_digest_alg alg, const char *user, const char *realm,
		   const char *password, uint8_t out[SIP_DIGEST_HA1_MAX])
{
	EVP_MD *md;
	EVP_MD_CTX *ctx;
	unsigned len = 0;
	uint8_t buf[EVP_MAX_MD_SIZE];
	int ok;

	if (alg >= SIP_DIGEST_NALG)
		return -1;
	md = EVP_MD_fetch(NULL, alg_md[alg], NULL);
	ctx = EVP_MD_CTX_new();
	ok = md && ctx && EVP_DigestInit_ex(ctx, md, NULL) == 1 &&
	     EVP_DigestUpdate(ctx, user, strlen(user)) == 1 &&
	     EVP_DigestUpdate(ctx, ":", 1) == 1 &&
	     EVP_DigestUpdate(ctx, realm, strlen(realm)) == 1 &&
	     EVP_DigestUpdate(ctx, ":", 1) == 1 &&
	     EVP_DigestUpdate(ctx, password, strlen(password)) == 1 &&
	     EVP_DigestFinal_ex(ctx, buf, &len) == 1 &&
	     len <= SIP_DIGEST_HA1_MAX;
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	if (!ok)
		return -1;
	memcpy(out, buf, len);
	OPENSSL_cleanse(buf, sizeof buf);
	return (int)len;
}
