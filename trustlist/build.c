/* build: writing and signing CTL, ITL, .sgn and .enc.sgn files.
 *
 * The file is written whole with a zero-filled signature of the final
 * length, then signed over everything but the signature TLV, and the
 * signature copied in. The header length is part of what is signed, so the
 * signature's length must be known before signing: files phones read are
 * signed with RSA, whose signature has the modulus size.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "trustlist/internal.h"
#include "trustlist/sgn.h"
#include "trustlist/tlv.h"

/* A cluster too big for one CTL is still built (up to this) so that the
 * error can say how big it would have been. */
#define BUILD_SCRATCH_MAX (16u << 20)
#define SIG_MAX 1024

struct sig_choice {
	unsigned digest;  /* enum trustlist_digest */
	unsigned modulus; /* tag 11 */
	size_t len;	  /* bytes reserved for the signature */
	const EVP_MD *md;
};

static int choose_sig(enum trustlist_sig sig, const struct tl_certinfo *ci,
		      EVP_PKEY *key, struct sig_choice *c, char *errmsg,
		      size_t errcap)
{
	EVP_PKEY *pub = X509_get0_pubkey(ci->cert);
	int size, rc;

	switch (sig) {
	case TRUSTLIST_SIG_DEFAULT:
	case TRUSTLIST_SIG_RSA_SHA1:
		*c = (struct sig_choice){.digest = TRUSTLIST_DIGEST_SHA1};
		break;
	case TRUSTLIST_SIG_RSA_SHA512:
		*c = (struct sig_choice){.digest = TRUSTLIST_DIGEST_SHA512};
		break;
	default:
		return tl_err(TRUSTLIST_EINVAL, errmsg, errcap,
			      "signature option %d unknown", (int)sig);
	}
	if ((rc = tl_key_params(pub, 0, &c->modulus, errmsg, errcap)))
		return rc;
	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA)
		return tl_err(TRUSTLIST_ECERT, errmsg, errcap,
			      "the signer's private key is not of the type of "
			      "its certificate's key");
	size = EVP_PKEY_get_size(pub);
	if (size <= 0 || size > SIG_MAX)
		return tl_err(TRUSTLIST_EUNSUPPORTED, errmsg, errcap,
			      "signature size %d", size);
	c->len = (size_t)size;
	c->md = tl_digest_md(c->digest);
	return 0;
}

static void put_header(struct tlv_buf *b, const struct tl_build_args *a,
		       const struct tl_certinfo *signer,
		       const struct sig_choice *c, uint32_t timestamp,
		       int signer_version_1_1, size_t *sig_at)
{
	static const uint8_t zeros[SIG_MAX];
	uint8_t version[2] = {TL_LIST_VERSION_MAJOR, TL_LIST_VERSION_MINOR};
	size_t hlen_at, signer_at, info_at, alg_at;

	if (a->what == TL_FILE_SGN)
		version[0] = TL_SGN_VERSION_MAJOR, version[1] = 0;
	else if (a->what == TL_FILE_ENC)
		version[0] = TL_ENC_VERSION_MAJOR, version[1] = 0;
	tlv_put(b, HDR_VERSION, version, sizeof version);
	hlen_at = b->len + 3;
	tlv_put_u16(b, HDR_HEADER_LEN, 0);
	if (a->what == TL_FILE_LIST) {
		uint8_t sv[2] = {1, signer_version_1_1 ? 1 : 0};

		tlv_put(b, HDR_SIGNER_VERSION, sv, sizeof sv);
	}
	signer_at = tlv_open(b, HDR_SIGNER_ID);
	tlv_put_str(b, HDR_SIGNER_NAME, signer->subject);
	tlv_put(b, HDR_SIGNER_SERIAL, signer->serial, signer->serial_len);
	tlv_put_str(b, HDR_CA_NAME, signer->issuer);
	tlv_close(b, signer_at);
	info_at = tlv_open(b, HDR_SIG_INFO);
	tlv_put_u8(b, HDR_DIGEST_ALG, (uint8_t)c->digest);
	alg_at = tlv_open(b, HDR_SIGALG_INFO);
	tlv_put_u8(b, HDR_SIGALG, TRUSTLIST_SIGALG_RSA);
	tlv_put_u8(b, HDR_MODULUS, (uint8_t)c->modulus);
	tlv_close(b, alg_at);
	tlv_close(b, info_at);
	*sig_at = b->len;
	tlv_put(b, HDR_SIGNATURE, zeros, c->len);
	tlv_put_str(b, HDR_FILENAME, a->filename);
	tlv_put_u32(b, HDR_TIMESTAMP, timestamp);
	if (a->extra_len)
		tlv_put_raw(b, a->extra, a->extra_len);
	tlv_pad(b, 4);
	if (!b->err && b->len > TLV_VALUE_MAX)
		b->err = TRUSTLIST_EINVAL;
	tlv_patch16(b, hlen_at, (uint16_t)b->len);
}

static int put_record(struct tlv_buf *b, const struct trustlist_entry *e,
		      const struct sig_choice *c, size_t index, char *errmsg,
		      size_t errcap)
{
	struct tl_certinfo ci;
	unsigned char hash[EVP_MAX_MD_SIZE];
	unsigned int hash_len;
	uint8_t ip[16];
	char why[200];
	size_t at = b->len, ip_len = 0, len;
	int rc;

	if (e->function > 0xffff)
		return tl_err(TRUSTLIST_EINVAL, errmsg, errcap,
			      "entry %zu: function %u out of range", index,
			      e->function);
	if (e->dns_name &&
	    (strlen(e->dns_name) == 0 || strlen(e->dns_name) > 255))
		return tl_err(TRUSTLIST_EINVAL, errmsg, errcap,
			      "entry %zu: DNS name of %zu bytes (1..255)",
			      index, strlen(e->dns_name));
	if (e->ip) {
		if (inet_pton(AF_INET, e->ip, ip) == 1)
			ip_len = 4;
		else if (inet_pton(AF_INET6, e->ip, ip) == 1)
			ip_len = 16;
		else
			return tl_err(TRUSTLIST_EINVAL, errmsg, errcap,
				      "entry %zu: \"%s\" is not an IP address",
				      index, e->ip);
	}
	if ((rc = tl_certinfo_init(&ci, e->cert_der, e->cert_len, why,
				   sizeof why)))
		return tl_err(rc, errmsg, errcap, "entry %zu (%s): %s", index,
			      trustlist_function_name(e->function), why);
	if (!EVP_Digest(e->cert_der, e->cert_len, hash, &hash_len, c->md,
			NULL)) {
		tl_certinfo_close(&ci);
		return tl_err(TRUSTLIST_ECRYPTO, errmsg, errcap,
			      "entry %zu: cannot hash the certificate", index);
	}
	tlv_put_u16(b, REC_LENGTH, 0);
	if (e->dns_name)
		tlv_put_str(b, REC_DNS_NAME, e->dns_name);
	tlv_put_str(b, REC_SUBJECT, ci.subject);
	tlv_put_u16(b, REC_FUNCTION, (uint16_t)e->function);
	tlv_put_str(b, REC_ISSUER, ci.issuer);
	tlv_put(b, REC_SERIAL, ci.serial, ci.serial_len);
	tlv_put(b, REC_PUBLIC_KEY, ci.public_key, ci.public_key_len);
	tlv_put(b, REC_SIGNATURE, ci.signature, ci.signature_len);
	tlv_put(b, REC_CERT, e->cert_der, e->cert_len);
	if (ip_len)
		tlv_put(b, REC_IP, ip, ip_len);
	tlv_put(b, REC_CERT_HASH, hash, hash_len);
	tlv_put_u8(b, REC_HASH_ALG, (uint8_t)c->digest);
	tl_certinfo_close(&ci);
	len = b->len - at;
	if (!b->err && len > 0xffff)
		return tl_err(TRUSTLIST_EINVAL, errmsg, errcap,
			      "entry %zu: record of %zu bytes exceeds 65535",
			      index, len);
	tlv_patch16(b, at + 3, (uint16_t)len);
	return 0;
}

/* Signs B (everything but the signature TLV at SIG_AT) with KEY and writes
 * the signature into its slot. */
static int sign_into(struct tlv_buf *b, size_t sig_at,
		     const struct sig_choice *c, EVP_PKEY *key, char *errmsg,
		     size_t errcap)
{
	size_t after = sig_at + 3 + c->len, n;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t sig[SIG_MAX];
	int ok;

	if (ctx == NULL)
		return tl_err(TRUSTLIST_ENOMEM, errmsg, errcap,
			      "out of memory");
	n = sizeof sig;
	ok = EVP_DigestSignInit(ctx, NULL, c->md, NULL, key) == 1 &&
	     EVP_DigestSignUpdate(ctx, b->p, sig_at) == 1 &&
	     EVP_DigestSignUpdate(ctx, b->p + after, b->len - after) == 1 &&
	     EVP_DigestSignFinal(ctx, sig, &n) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		unsigned long e = ERR_peek_last_error();
		char why[160] = "";

		if (e)
			ERR_error_string_n(e, why, sizeof why);
		ERR_clear_error();
		return tl_err(TRUSTLIST_ECRYPTO, errmsg, errcap,
			      "signing failed%s%s", why[0] ? ": " : "", why);
	}
	if (n != c->len)
		return tl_err(TRUSTLIST_ECRYPTO, errmsg, errcap,
			      "the key gave a %zu-byte signature, not %zu", n,
			      c->len);
	memcpy(b->p + sig_at + 3, sig, n);
	return 0;
}

/* Checks the new signature with the signer's certificate: catches a token
 * whose key is not the one its certificate names. */
static int check_own(const struct tlv_buf *b, size_t sig_at,
		     const struct sig_choice *c, const struct tl_certinfo *ci,
		     char *errmsg, size_t errcap)
{
	size_t after = sig_at + 3 + c->len;
	struct trustlist_bytes parts[2] = {{b->p, sig_at},
					   {b->p + after, b->len - after}};

	if (tl_verify_parts(X509_get0_pubkey(ci->cert), c->md, parts,
			    b->p + sig_at + 3, c->len, NULL, 0))
		return tl_err(TRUSTLIST_ECERT, errmsg, errcap,
			      "the signature does not verify with the "
			      "signer's certificate: key and certificate do "
			      "not match");
	return 0;
}

static int same_cert(const struct trustlist_entry *e,
		     const struct trustlist_signer *signer)
{
	return e->cert_len == signer->cert_len &&
	       memcmp(e->cert_der, signer->cert_der, signer->cert_len) == 0;
}

static int signer_listed(enum trustlist_kind kind,
			 const struct trustlist_entry *entries, size_t n,
			 const struct trustlist_signer *signer, unsigned fn)
{
	for (size_t i = 0; i < n; i++) {
		unsigned f = entries[i].function;
		int fits =
		    fn != (unsigned)-1 ? f == fn
		    : kind == TRUSTLIST_CTL
			? f == TRUSTLIST_FN_SAST
			: f == TRUSTLIST_FN_TFTP || f == TRUSTLIST_FN_CCM_TFTP;

		if (fits && same_cert(&entries[i], signer))
			return 1;
	}
	return 0;
}

static int put_records(struct tlv_buf *b, const struct tl_build_args *a,
		       const struct trustlist_signer *signer,
		       const struct sig_choice *c, char *errmsg, size_t errcap)
{
	int rc;

	/* The ITL's signer, first, as the SAST record phones check the ITL
	 * with (the name and address of its TFTP record go with it). */
	if (a->kind == TRUSTLIST_ITL &&
	    !signer_listed(a->kind, a->entries, a->n, signer,
			   TRUSTLIST_FN_SAST)) {
		struct trustlist_entry sast = {.function = TRUSTLIST_FN_SAST,
					       .cert_der = signer->cert_der,
					       .cert_len = signer->cert_len};

		for (size_t i = 0; i < a->n; i++)
			if (same_cert(&a->entries[i], signer)) {
				sast.dns_name = a->entries[i].dns_name;
				sast.ip = a->entries[i].ip;
				break;
			}
		if ((rc = put_record(b, &sast, c, 0, errmsg, errcap)))
			return rc;
	}
	for (size_t i = 0; i < a->n && !b->err; i++)
		if ((rc = put_record(b, &a->entries[i], c, i, errmsg, errcap)))
			return rc;
	return 0;
}

int tl_build_file(const struct tl_build_args *a,
		  const struct trustlist_signer *signer,
		  const struct trustlist_options *opts, uint8_t **out,
		  size_t *out_len, char *errmsg, size_t errcap)
{
	static const struct trustlist_options defaults = {0};
	const char *what = a->what == TL_FILE_SGN     ? ".sgn"
			   : a->what == TL_FILE_ENC   ? ".enc.sgn"
			   : a->kind == TRUSTLIST_CTL ? "CTL"
						      : "ITL";
	struct tl_certinfo signer_ci;
	struct sig_choice c;
	char why[200];
	struct tlv_buf b;
	size_t sig_at;
	uint32_t ts;
	int rc;

	if (out == NULL || out_len == NULL || signer == NULL ||
	    signer->key == NULL)
		return tl_err(TRUSTLIST_EINVAL, errmsg, errcap,
			      "missing argument");
	*out = NULL;
	*out_len = 0;
	if (opts == NULL)
		opts = &defaults;
	if (a->filename == NULL || strlen(a->filename) == 0 ||
	    strlen(a->filename) > 255)
		return tl_err(TRUSTLIST_EINVAL, errmsg, errcap,
			      "%s needs a file name of 1..255 bytes", what);
	ts = opts->timestamp ? opts->timestamp : (uint32_t)time(NULL);
	if ((rc = tl_certinfo_init(&signer_ci, signer->cert_der,
				   signer->cert_len, why, sizeof why)))
		return tl_err(rc, errmsg, errcap, "signer: %s", why);
	if ((rc = choose_sig(opts->sig, &signer_ci, signer->key, &c, errmsg,
			     errcap)))
		goto err_after_signer;
	if (a->what == TL_FILE_LIST &&
	    !signer_listed(a->kind, a->entries, a->n, signer, (unsigned)-1)) {
		rc = tl_err(TRUSTLIST_ESIGNER, errmsg, errcap,
			    "the signer's certificate must be listed as a %s "
			    "record",
			    a->kind == TRUSTLIST_CTL ? "SAST"
						     : "TFTP or CCM+TFTP");
		goto err_after_signer;
	}

	tlv_buf_init(&b, a->what == TL_FILE_LIST ? BUILD_SCRATCH_MAX
						 : TRUSTLIST_SGN_MAX);
	put_header(&b, a, &signer_ci, &c, ts, opts->signer_version_1_1,
		   &sig_at);
	if (a->what == TL_FILE_LIST &&
	    (rc = put_records(&b, a, signer, &c, errmsg, errcap)))
		goto err_after_buf;
	if (a->what != TL_FILE_LIST)
		tlv_put_raw(&b, a->content, a->content_len);
	if ((rc = tlv_buf_result(&b))) {
		tl_err(rc, errmsg, errcap, "%s: %s", what,
		       rc == TRUSTLIST_ETOOBIG	? "content too large"
		       : rc == TRUSTLIST_EINVAL ? "a field exceeds 65535 bytes"
						: trustlist_strerror(rc));
		goto err_after_buf;
	}
	if (a->what == TL_FILE_LIST && b.len > TRUSTLIST_MAX) {
		*out_len = b.len;
		rc = tl_err(TRUSTLIST_ETOOBIG, errmsg, errcap,
			    "%s of %zu records would be %zu bytes; the limit "
			    "is %d bytes",
			    what, a->n, b.len, TRUSTLIST_MAX);
		goto err_after_buf;
	}
	if ((rc = sign_into(&b, sig_at, &c, signer->key, errmsg, errcap)) ||
	    (rc = check_own(&b, sig_at, &c, &signer_ci, errmsg, errcap)))
		goto err_after_buf;
	*out = tlv_buf_take(&b, out_len);
	tl_certinfo_close(&signer_ci);
	return 0;

err_after_buf:
	tlv_buf_close(&b);
err_after_signer:
	tl_certinfo_close(&signer_ci);
	return rc;
}

int trustlist_build(enum trustlist_kind kind,
		    const struct trustlist_entry *entries, size_t n,
		    const struct trustlist_signer *signer,
		    const struct trustlist_options *opts, uint8_t **out,
		    size_t *out_len, char *errmsg, size_t errcap)
{
	struct tl_build_args a = {
	    .what = TL_FILE_LIST, .kind = kind, .entries = entries, .n = n};

	if (entries == NULL || n == 0 ||
	    (kind != TRUSTLIST_CTL && kind != TRUSTLIST_ITL))
		return tl_err(TRUSTLIST_EINVAL, errmsg, errcap,
			      "a trust list needs at least one entry");
	a.filename = opts && opts->filename  ? opts->filename
		     : kind == TRUSTLIST_CTL ? "CTLFile.tlv"
					     : "ITLFile.tlv";
	return tl_build_file(&a, signer, opts, out, out_len, errmsg, errcap);
}

int trustlist_sgn_build(const char *name, const uint8_t *content, size_t len,
			const struct trustlist_signer *signer,
			const struct trustlist_options *opts, uint8_t **out,
			size_t *out_len, char *errmsg, size_t errcap)
{
	static const uint8_t empty[1];
	char filename[TRUSTLIST_SGN_NAME_MAX + sizeof ".sgn"];
	struct tl_build_args a = {.what = TL_FILE_SGN,
				  .content = content ? content : empty,
				  .content_len = len,
				  .filename = filename};

	if (name == NULL || name[0] == 0 ||
	    strlen(name) > TRUSTLIST_SGN_NAME_MAX)
		return tl_err(TRUSTLIST_EINVAL, errmsg, errcap,
			      ".sgn needs the signed file's name (1..%d "
			      "bytes)",
			      TRUSTLIST_SGN_NAME_MAX);
	if (content == NULL && len)
		return tl_err(TRUSTLIST_EINVAL, errmsg, errcap, "no content");
	snprintf(filename, sizeof filename, "%s.sgn", name);
	return tl_build_file(&a, signer, opts, out, out_len, errmsg, errcap);
}
