/* cert: the fields a record takes from an X.509 certificate, and the key
 * and algorithm checks shared by the builder and the verifier. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "trustlist/internal.h"

char *tl_name_text(const X509_NAME *name)
{
	/* RFC 2253 escaping without escaping UTF-8: a ';' or '+' inside a
	 * value is escaped, so the separators below stay unambiguous. */
	const unsigned long flags =
	    ASN1_STRFLGS_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
	int n = X509_NAME_entry_count(name), prev_set = -1;
	char *text = NULL, *p;
	BIO *bio;
	long len;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	/* Most specific RDN first, as the phones' files print names. */
	for (int i = n - 1; i >= 0; i--) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
		int set = X509_NAME_ENTRY_set(e), nid = OBJ_obj2nid(obj);
		char oid[80];
		const char *sn;

		if (prev_set >= 0 &&
		    BIO_puts(bio, set == prev_set ? "+" : ";") < 0)
			goto err_after_bio;
		prev_set = set;
		sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
		if (sn == NULL) {
			if (OBJ_obj2txt(oid, sizeof oid, obj, 1) <= 0)
				goto err_after_bio;
			sn = oid;
		}
		if (BIO_printf(bio, "%s=", sn) < 0 ||
		    ASN1_STRING_print_ex(bio, X509_NAME_ENTRY_get_data(e),
					 flags) < 0)
			goto err_after_bio;
	}
	len = BIO_get_mem_data(bio, &p);
	if (len < 0 || (text = malloc((size_t)len + 1)) == NULL)
		goto err_after_bio;
	memcpy(text, p, (size_t)len);
	text[len] = 0;
	/* A value holding a NUL would cut the name short on the wire. */
	if (strlen(text) != (size_t)len) {
		free(text);
		text = NULL;
	}
err_after_bio:
	BIO_free(bio);
	return text;
}

int tl_certinfo_init(struct tl_certinfo *ci, const uint8_t *der, size_t len,
		     char *errmsg, size_t errcap)
{
	const unsigned char *p = der;
	const ASN1_INTEGER *serial;
	const ASN1_BIT_STRING *sig;
	unsigned char *pk = NULL;
	EVP_PKEY *key;
	int n;

	*ci = (struct tl_certinfo){0};
	if (der == NULL || len == 0 || len > TRUSTLIST_MAX)
		return tl_err(TRUSTLIST_ECERT, errmsg, errcap,
			      "certificate of %zu bytes", len);
	ci->cert = d2i_X509(NULL, &p, (long)len);
	if (ci->cert == NULL || p != der + len) {
		tl_certinfo_close(ci);
		return tl_err(TRUSTLIST_ECERT, errmsg, errcap,
			      "not a DER certificate (or trailing bytes)");
	}
	ci->subject = tl_name_text(X509_get_subject_name(ci->cert));
	ci->issuer = tl_name_text(X509_get_issuer_name(ci->cert));
	if (ci->subject == NULL || ci->issuer == NULL)
		goto err_after_decode;
	serial = X509_get0_serialNumber(ci->cert);
	ci->serial = ASN1_STRING_get0_data(serial);
	ci->serial_len = (size_t)ASN1_STRING_length(serial);
	if (ci->serial_len == 0 || ci->serial_len > 64)
		goto err_after_decode;
	if ((key = X509_get0_pubkey(ci->cert)) == NULL ||
	    (n = i2d_PublicKey(key, &pk)) <= 0)
		goto err_after_decode;
	ci->public_key = pk;
	ci->public_key_len = (size_t)n;
	X509_get0_signature(&sig, NULL, ci->cert);
	ci->signature = ASN1_STRING_get0_data(sig);
	ci->signature_len = (size_t)ASN1_STRING_length(sig);
	if (ci->signature_len == 0 || ci->signature_len > 1024)
		goto err_after_decode;
	return 0;

err_after_decode:
	tl_certinfo_close(ci);
	return tl_err(TRUSTLIST_ECERT, errmsg, errcap,
		      "certificate unusable: its names, serial (1..64 "
		      "bytes), public key (RSA or EC) or signature cannot be "
		      "listed");
}

void tl_certinfo_close(struct tl_certinfo *ci)
{
	if (ci == NULL)
		return;
	X509_free(ci->cert);
	free(ci->subject);
	free(ci->issuer);
	OPENSSL_free(ci->public_key);
	*ci = (struct tl_certinfo){0};
}

const EVP_MD *tl_digest_md(unsigned code)
{
	switch (code) {
	case TRUSTLIST_DIGEST_SHA1:
		return EVP_sha1();
	case TRUSTLIST_DIGEST_SHA256:
		return EVP_sha256();
	case TRUSTLIST_DIGEST_SHA512:
		return EVP_sha512();
	}
	return NULL;
}

unsigned tl_digest_by_len(size_t len)
{
	return len == 20   ? TRUSTLIST_DIGEST_SHA1
	       : len == 32 ? TRUSTLIST_DIGEST_SHA256
	       : len == 64 ? TRUSTLIST_DIGEST_SHA512
			   : 0;
}

int tl_key_params(const EVP_PKEY *key, int reading, unsigned *modulus,
		  char *errmsg, size_t errcap)
{
	int bits = EVP_PKEY_get_bits(key);

	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA)
		return tl_err(TRUSTLIST_EUNSUPPORTED, errmsg, errcap,
			      "a %s key cannot sign files phones read: RSA "
			      "only (an EC certificate may be listed, never "
			      "sign)",
			      EVP_PKEY_get0_type_name(key)
				  ? EVP_PKEY_get0_type_name(key)
				  : "non-RSA");
	if (bits == 2048)
		*modulus = TL_MODULUS_RSA_2048;
	else if (bits == 4096)
		*modulus = TL_MODULUS_RSA_4096;
	else if (bits == 1024 && reading)
		*modulus = TL_MODULUS_RSA_1024;
	else
		return tl_err(TRUSTLIST_EUNSUPPORTED, errmsg, errcap,
			      "RSA key of %d bits: files are signed with "
			      "2048 or 4096 bits%s",
			      bits, reading ? " (1024 read)" : "");
	return 0;
}
