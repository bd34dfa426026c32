/* verify: signature checks, the signer lookup, and the key-continuity rule
 * for replacing a CTL. */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "trustlist/internal.h"
#include "trustlist/sgn.h"

int tl_verify_parts(EVP_PKEY *key, const EVP_MD *md,
		    const struct trustlist_bytes parts[2], const uint8_t *sig,
		    size_t siglen, char *errmsg, size_t errcap)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	if (ctx == NULL)
		return tl_err(TRUSTLIST_ENOMEM, errmsg, errcap,
			      "out of memory");
	ok = EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
	     EVP_DigestVerifyUpdate(ctx, parts[0].data, parts[0].len) == 1 &&
	     EVP_DigestVerifyUpdate(ctx, parts[1].data, parts[1].len) == 1 &&
	     EVP_DigestVerifyFinal(ctx, sig, siglen) == 1;
	EVP_MD_CTX_free(ctx);
	/* A bad signature leaves decoding errors on the queue: they are
	 * this verdict, not something for the next caller to find. */
	ERR_clear_error();
	if (!ok)
		return tl_err(TRUSTLIST_ESIGNATURE, errmsg, errcap,
			      "signature does not verify");
	return 0;
}

static void hex(const struct trustlist_bytes *b, char *out, size_t cap)
{
	size_t i, o = 0;

	out[0] = 0;
	for (i = 0; i < b->len && o + 3 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%02x", b->data[i]);
}

static int bytes_eq(const struct trustlist_bytes *a, const void *p, size_t len)
{
	return a->len == len && memcmp(a->data, p, len) == 0;
}

/* Checks the header's algorithms against the signer's certificate, then
 * the signature. */
static int verify_with(const struct trustlist *tl, const struct tl_certinfo *ci,
		       char *errmsg, size_t errcap)
{
	const EVP_MD *md = tl_digest_md(tl->digest_alg);
	EVP_PKEY *pub = X509_get0_pubkey(ci->cert);
	struct trustlist_bytes parts[2];
	unsigned modulus;
	int rc;

	if (md == NULL)
		return tl_err(TRUSTLIST_EUNSUPPORTED, errmsg, errcap,
			      "digest algorithm code %u unknown (1 SHA-1, "
			      "2 SHA-256, 3 SHA-512)",
			      tl->digest_alg);
	if (tl->sig_alg != TRUSTLIST_SIGALG_RSA &&
	    tl->sig_alg != TRUSTLIST_SIGALG_RSA_ALT)
		return tl_err(TRUSTLIST_EUNSUPPORTED, errmsg, errcap,
			      "signature algorithm code %u unknown (0 or 1: "
			      "RSA)",
			      tl->sig_alg);
	if ((rc = tl_key_params(pub, 1, &modulus, errmsg, errcap)))
		return rc;
	if (modulus != tl->modulus_index)
		return tl_err(TRUSTLIST_EMALFORMED, errmsg, errcap,
			      "modulus index %u does not match the signer's "
			      "key (%u)",
			      tl->modulus_index, modulus);
	trustlist_signed_parts(tl, parts);
	return tl_verify_parts(pub, md, parts, tl->signature.data,
			       tl->signature.len, errmsg, errcap);
}

/* A record that carries a certificate must say what it says: a reader
 * may act on the fields without decoding the certificate. Names are not
 * compared: builders render them differently (separators, RDN order). */
static int check_record(const struct trustlist_record *r, size_t index,
			char *errmsg, size_t errcap)
{
	unsigned alg =
	    r->hash_alg ? r->hash_alg : tl_digest_by_len(r->cert_hash.len);
	unsigned char hash[EVP_MAX_MD_SIZE], *spki = NULL;
	unsigned int hash_len;
	struct tl_certinfo ci;
	const char *bad = NULL;
	char why[200];
	int rc, spki_len;

	if (r->cert.len == 0)
		return 0;
	if (r->cert_hash.len && tl_digest_md(alg) == NULL)
		return tl_err(TRUSTLIST_EUNSUPPORTED, errmsg, errcap,
			      "record %zu: hash algorithm code %u unknown",
			      index, r->hash_alg);
	if ((rc = tl_certinfo_init(&ci, r->cert.data, r->cert.len, why,
				   sizeof why)))
		return tl_err(rc, errmsg, errcap, "record %zu: %s", index, why);
	spki_len = i2d_PUBKEY(X509_get0_pubkey(ci.cert), &spki);
	if (r->cert_hash.len && !EVP_Digest(r->cert.data, r->cert.len, hash,
					    &hash_len, tl_digest_md(alg), NULL))
		bad = "hash (cannot compute)";
	else if (r->cert_hash.len && !bytes_eq(&r->cert_hash, hash, hash_len))
		bad = "certificate hash";
	else if (r->serial.len &&
		 !bytes_eq(&r->serial, ci.serial, ci.serial_len))
		bad = "serial";
	/* The key as PKCS#1 / EC point (ward) or as SubjectPublicKeyInfo. */
	else if (r->public_key.len &&
		 !bytes_eq(&r->public_key, ci.public_key, ci.public_key_len) &&
		 !(spki_len > 0 &&
		   bytes_eq(&r->public_key, spki, (size_t)spki_len)))
		bad = "public key";
	else if (r->cert_signature.len &&
		 !bytes_eq(&r->cert_signature, ci.signature, ci.signature_len))
		bad = "certificate signature";
	OPENSSL_free(spki);
	tl_certinfo_close(&ci);
	if (bad)
		return tl_err(TRUSTLIST_ECERT, errmsg, errcap,
			      "record %zu (%s): %s does not match its "
			      "certificate",
			      index, trustlist_function_name(r->function), bad);
	return 0;
}

static int signs_ctl(unsigned function)
{
	return function == TRUSTLIST_FN_SAST;
}

/* An ITL is signed by the TFTP key, listed as TFTP or CCM+TFTP and, as
 * phones look for it, as SAST. */
static int signs_itl(unsigned function)
{
	return function == TRUSTLIST_FN_SAST || function == TRUSTLIST_FN_TFTP ||
	       function == TRUSTLIST_FN_CCM_TFTP;
}

/* Files signed by the TFTP key: .sgn, .enc.sgn. */
static int signs_files(unsigned function)
{
	return signs_itl(function);
}

int tl_find_signer(const struct trustlist *tl,
		   const struct trustlist_record *records, size_t n,
		   int (*signs_for)(unsigned function),
		   const struct trustlist_record **found, char *errmsg,
		   size_t errcap)
{
	char serial[64], name[128];
	int rc = TRUSTLIST_ESIGNER;

	/* Identify the signer by its certificate: the serial the header
	 * names, then the key that verifies. Serials of different CAs can
	 * collide, so every candidate is tried. */
	for (size_t i = 0; i < n; i++) {
		const struct trustlist_record *r = &records[i];
		struct tl_certinfo ci;

		if (!signs_for(r->function) || r->cert.len == 0 ||
		    tl_certinfo_init(&ci, r->cert.data, r->cert.len, NULL, 0))
			continue;
		if (bytes_eq(&tl->signer_serial, ci.serial, ci.serial_len))
			rc = verify_with(tl, &ci, errmsg, errcap);
		tl_certinfo_close(&ci);
		if (rc == 0) {
			if (found)
				*found = r;
			return 0;
		}
	}
	if (rc == TRUSTLIST_ESIGNER) {
		hex(&tl->signer_serial, serial, sizeof serial);
		return tl_err(TRUSTLIST_ESIGNER, errmsg, errcap,
			      "no signing record has the certificate of the "
			      "signer \"%s\" (serial %s)",
			      tl_printable(tl->signer_name, name, sizeof name),
			      serial);
	}
	return rc;
}

int trustlist_verify(const struct trustlist *tl, enum trustlist_kind kind,
		     const struct trustlist_record **signer, char *errmsg,
		     size_t errcap)
{
	const struct trustlist_record *found = NULL;
	int rc;

	if (signer)
		*signer = NULL;
	if (tl == NULL || tl->records == NULL ||
	    (kind != TRUSTLIST_CTL && kind != TRUSTLIST_ITL))
		return tl_err(TRUSTLIST_EINVAL, errmsg, errcap,
			      "not a parsed trust list");
	/* The signature first: what a forged file says about its
	 * certificates is not worth decoding. */
	if ((rc = tl_find_signer(tl, tl->records, tl->n_records,
				 kind == TRUSTLIST_CTL ? signs_ctl : signs_itl,
				 &found, errmsg, errcap)))
		return rc;
	for (size_t i = 0; i < tl->n_records; i++)
		if ((rc = check_record(&tl->records[i], i, errmsg, errcap)))
			return rc;
	if (signer)
		*signer = found;
	return 0;
}

int trustlist_verify_cert(const struct trustlist *tl, const uint8_t *cert_der,
			  size_t cert_len, char *errmsg, size_t errcap)
{
	struct tl_certinfo ci;
	int rc;

	if (tl == NULL)
		return tl_err(TRUSTLIST_EINVAL, errmsg, errcap,
			      "no trust list");
	if ((rc = tl_certinfo_init(&ci, cert_der, cert_len, errmsg, errcap)))
		return rc;
	if (!bytes_eq(&tl->signer_serial, ci.serial, ci.serial_len))
		rc = tl_err(TRUSTLIST_ESIGNER, errmsg, errcap,
			    "the certificate's serial is not the signer's "
			    "the header names");
	else
		rc = verify_with(tl, &ci, errmsg, errcap);
	tl_certinfo_close(&ci);
	return rc;
}

int trustlist_sgn_verify(const struct trustlist *sgn,
			 const struct trustlist *trust, char *errmsg,
			 size_t errcap)
{
	char name[128];
	int rc;

	if (sgn == NULL || trust == NULL || trust->records == NULL)
		return tl_err(TRUSTLIST_EINVAL, errmsg, errcap,
			      "needs a signed file and a parsed trust list");
	rc = tl_find_signer(sgn, trust->records, trust->n_records, signs_files,
			    NULL, errmsg, errcap);
	if (rc == TRUSTLIST_ESIGNER)
		return tl_err(
		    TRUSTLIST_EUNTRUSTED, errmsg, errcap,
		    "signer \"%s\" is not a TFTP record of the "
		    "trust list",
		    tl_printable(sgn->signer_name, name, sizeof name));
	return rc;
}

int trustlist_ctl_accepts(const struct trustlist *current,
			  const struct trustlist *candidate,
			  const struct trustlist_bytes *registered,
			  size_t n_registered, char *errmsg, size_t errcap)
{
	const struct trustlist_record *signer;
	char name[128], serial[64];
	int rc;

	if (current && current->records == NULL)
		return tl_err(TRUSTLIST_EINVAL, errmsg, errcap,
			      "the current CTL is not a parsed trust list");
	if ((rc = trustlist_verify(candidate, TRUSTLIST_CTL, &signer, errmsg,
				   errcap)))
		return rc;
	if (current) {
		for (size_t i = 0; i < current->n_records; i++) {
			const struct trustlist_record *r = &current->records[i];

			if (r->function == TRUSTLIST_FN_SAST &&
			    bytes_eq(&r->cert, signer->cert.data,
				     signer->cert.len))
				return 0;
		}
	} else {
		for (size_t i = 0; i < n_registered; i++)
			if (registered &&
			    bytes_eq(&signer->cert, registered[i].data,
				     registered[i].len))
				return 0;
	}
	hex(&signer->serial, serial, sizeof serial);
	return tl_err(TRUSTLIST_EUNTRUSTED, errmsg, errcap,
		      current ? "signed by \"%s\" (serial %s), which is not "
				"a SAST of the CTL it replaces"
			      : "signed by \"%s\" (serial %s), which is not a "
				"registered token: a first CTL must be signed "
				"by one",
		      tl_printable(signer->subject, name, sizeof name), serial);
}
