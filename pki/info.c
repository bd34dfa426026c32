/* info: what the trust store and the operator see of a certificate —
 * c_rehash name, fingerprints, names, dates, serial. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "pki/internal.h"

int pki_subject_hash(X509 *cert, uint32_t *hash)
{
	int ok = 0;
	unsigned long h;

	*hash = 0;
	/* The hash of the canonical subject, as c_rehash and
	 * `openssl x509 -hash` (OpenSSL >= 1.0) compute it. */
	h = X509_NAME_hash_ex(X509_get_subject_name(cert), NULL, NULL, &ok);
	if (!ok) {
		ERR_clear_error();
		return PKI_ECRYPTO;
	}
	*hash = (uint32_t)h;
	return PKI_OK;
}

int pki_rehash_name(X509 *cert, pki_name_used_fn used, void *arg,
		    char out[PKI_REHASH_NAME_MAX])
{
	uint32_t h;
	int rc;

	out[0] = '\0';
	if ((rc = pki_subject_hash(cert, &h)))
		return rc;
	/* c_rehash: the first free suffix, .0 then .1 ... */
	for (unsigned n = 0; n < 1000; n++) {
		snprintf(out, PKI_REHASH_NAME_MAX, "%08x.%u", h, n);
		if (!used || !used(arg, out))
			return PKI_OK;
	}
	out[0] = '\0';
	return PKI_EFULL;
}

void pki_fingerprint_text(const uint8_t *digest, size_t n, char *out,
			  size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (cap == 0)
		return;
	for (size_t i = 0; i < n && o + 3 <= cap; i++) {
		if (i) {
			if (o + 4 > cap)
				break;
			out[o++] = ':';
		}
		out[o++] = hex[digest[i] >> 4];
		out[o++] = hex[digest[i] & 15];
	}
	out[o] = '\0';
}

/* One line, "CN = x, O = y", UTF-8, control characters escaped (so the
 * text never holds a NUL); cut at a character boundary with "..." if it
 * does not fit. */
static int pki_name_text(const X509_NAME *name, char *out, size_t cap)
{
	const unsigned long flags = (XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) |
				    ASN1_STRFLGS_UTF8_CONVERT;
	BIO *bio = BIO_new(BIO_s_mem());
	BUF_MEM *mem;
	size_t n;

	out[0] = '\0';
	if (!bio)
		return PKI_ENOMEM;
	if (X509_NAME_print_ex(bio, name, 0, flags) < 0 ||
	    BIO_get_mem_ptr(bio, &mem) != 1) {
		BIO_free(bio);
		ERR_clear_error();
		return PKI_ECRYPTO;
	}
	n = mem->length;
	if (n < cap) {
		memcpy(out, mem->data, n);
		out[n] = '\0';
	} else {
		n = cap - 4;
		/* Back to the first byte of a UTF-8 character. */
		while (n > 0 && ((unsigned char)mem->data[n] & 0xc0) == 0x80)
			n--;
		memcpy(out, mem->data, n);
		memcpy(out + n, "...", 4);
	}
	BIO_free(bio);
	return PKI_OK;
}

/* Unix seconds of T; dates before 1970 give 0. */
static int pki_time(const ASN1_TIME *t, uint64_t *out)
{
	struct tm tm;
	time_t s;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	s = timegm(&tm);
	*out = s > 0 ? (uint64_t)s : 0;
	return 1;
}

static int pki_serial_text(X509 *cert, char *out, size_t cap)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex;
	int ok = 0;

	if (!bn)
		return 0;
	if (!BN_is_negative(bn) && BN_num_bytes(bn) <= 32 &&
	    (hex = BN_bn2hex(bn))) {
		ok = strlen(hex) < cap;
		if (ok)
			strcpy(out, hex);
		OPENSSL_free(hex);
	}
	BN_free(bn);
	return ok;
}

int pki_cert_info(X509 *cert, struct pki_cert_info *info, char *errmsg,
		  size_t errcap)
{
	unsigned int n256 = 32, n1 = 20;
	int rc;

	memset(info, 0, sizeof *info);
	if (X509_digest(cert, EVP_sha256(), info->sha256, &n256) != 1 ||
	    X509_digest(cert, EVP_sha1(), info->sha1, &n1) != 1 || n256 != 32 ||
	    n1 != 20)
		return pki_fail_ssl(errmsg, errcap, PKI_ECRYPTO, "fingerprint");
	if ((rc = pki_name_text(X509_get_subject_name(cert), info->subject,
				sizeof info->subject)) ||
	    (rc = pki_name_text(X509_get_issuer_name(cert), info->issuer,
				sizeof info->issuer)))
		return pki_fail(errmsg, errcap, rc, "certificate names");
	if (!pki_time(X509_get0_notBefore(cert), &info->not_before_s) ||
	    !pki_time(X509_get0_notAfter(cert), &info->not_after_s))
		return pki_fail(errmsg, errcap, PKI_EFORMAT,
				"unreadable validity dates");
	if (!pki_serial_text(cert, info->serial, sizeof info->serial)) {
		ERR_clear_error();
		return pki_fail(errmsg, errcap, PKI_EFORMAT,
				"serial number negative or longer than 32 "
				"bytes");
	}
	if ((rc = pki_subject_hash(cert, &info->subject_hash)))
		return pki_fail(errmsg, errcap, rc, "subject hash");
	info->key_type = pki_key_type_of(X509_get0_pubkey(cert));
	info->is_ca = (X509_get_extension_flags(cert) & EXFLAG_CA) != 0;
	ERR_clear_error();
	return PKI_OK;
}
