/* parse: certificates from bytes an operator hands in — PEM or DER only,
 * and when it is anything else, say what it is (the seed: "PEM and DER
 * certificates only").
 *
 * A file that holds a private key is refused as a whole even if it also
 * holds certificates: the trust store is replicated to every node and
 * shown to every administrator, and a key has no business there.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "pki/internal.h"

#define PEM_BEGIN "-----BEGIN "
#define PKI_INPUT_MAX (1u << 20) /* a bundle of a few hundred roots */

/* What a PEM block of type NAME is, when it is not a certificate. */
static const char *pem_what(const char *name)
{
	if (strstr(name, "PRIVATE KEY"))
		return "a private key, not a certificate: never put a private "
		       "key in the trust store";
	if (strstr(name, "PUBLIC KEY"))
		return "a public key, not a certificate";
	if (strstr(name, "CERTIFICATE REQUEST"))
		return "a certificate request (CSR), not a certificate: have "
		       "it signed first";
	if (strcmp(name, "PKCS7") == 0 || strcmp(name, "CMS") == 0)
		return "a PKCS#7 bundle: take the certificates out of it "
		       "(openssl pkcs7 -print_certs)";
	if (strcmp(name, "X509 CRL") == 0)
		return "a certificate revocation list, not a certificate";
	if (strcmp(name, "TRUSTED CERTIFICATE") == 0)
		return "an OpenSSL \"trusted certificate\" with trust "
		       "settings: convert it to a plain certificate "
		       "(openssl x509 -in IN -out OUT)";
	return NULL;
}

/* One DER certificate of exactly LEN bytes, or NULL. */
static X509 *der_cert(const unsigned char *p, long len, long *used)
{
	const unsigned char *q = p;
	X509 *x = d2i_X509(NULL, &q, len);

	*used = x ? (long)(q - p) : 0;
	return x;
}

/* Appends X to SK (consumed). */
static int certs_push(STACK_OF(X509) * sk, X509 *x)
{
	if (!sk_X509_push(sk, x)) {
		X509_free(x);
		return PKI_ENOMEM;
	}
	return PKI_OK;
}

static int parse_pem(const unsigned char *buf, size_t len, STACK_OF(X509) * sk,
		     char *errmsg, size_t errcap)
{
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long dlen = 0, used;
	int rc = PKI_OK, blocks = 0;

	if (!bio)
		return PKI_ENOMEM;
	for (;;) {
		const char *what;
		X509 *x;

		ERR_clear_error();
		if (!PEM_read_bio(bio, &name, &header, &data, &dlen)) {
			unsigned long e = ERR_peek_last_error();

			/* No further BEGIN line: the end, if there was a
			 * block before. */
			if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
			    ERR_GET_REASON(e) == PEM_R_NO_START_LINE && blocks)
				break;
			rc = pki_fail_ssl(errmsg, errcap, PKI_EFORMAT,
					  "malformed PEM (truncated, bad "
					  "base64 or no END line)");
			break;
		}
		blocks++;
		what = pem_what(name);
		if (what) {
			rc = pki_fail(errmsg, errcap, PKI_EFORMAT,
				      "PEM block %d is %s", blocks, what);
		} else if (strcmp(name, "CERTIFICATE") != 0 &&
			   strcmp(name, "X509 CERTIFICATE") != 0) {
			rc = pki_fail(errmsg, errcap, PKI_EFORMAT,
				      "PEM block %d is of type \"%.40s\", not "
				      "a certificate",
				      blocks, name);
		} else if (!(x = der_cert(data, dlen, &used))) {
			rc = pki_fail_ssl(errmsg, errcap, PKI_EFORMAT,
					  "PEM block %d: malformed certificate",
					  blocks);
		} else if (used != dlen) {
			X509_free(x);
			rc = pki_fail(errmsg, errcap, PKI_EFORMAT,
				      "PEM block %d: extra bytes after the "
				      "certificate",
				      blocks);
		} else {
			rc = certs_push(sk, x);
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_clear_free(data, (size_t)dlen);
		name = header = NULL;
		data = NULL;
		if (rc)
			break;
	}
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

/* Length of the outer DER element (header + content) at P, or 0 if the
 * header itself is malformed or does not fit. */
static size_t der_outer_len(const unsigned char *p, size_t len)
{
	size_t n, hdr, v = 0;

	if (len < 2)
		return 0;
	if (p[1] < 0x80)
		return 2 + (size_t)p[1];
	n = p[1] & 0x7f;
	if (n == 0 || n > 4 || len < 2 + n)
		return 0;
	hdr = 2 + n;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[2 + i];
	return hdr + v;
}

/* Names what a DER blob that is not a certificate is. */
static int der_what(const unsigned char *buf, size_t len, char *errmsg,
		    size_t errcap)
{
	const unsigned char *q;
	size_t outer = der_outer_len(buf, len);
	void *obj;

#define DER_IS(d2i, freefn, msg)                                               \
	do {                                                                   \
		q = buf;                                                       \
		if ((obj = d2i(NULL, &q, (long)len))) {                        \
			freefn(obj);                                           \
			ERR_clear_error();                                     \
			return pki_fail(errmsg, errcap, PKI_EFORMAT, msg);     \
		}                                                              \
	} while (0)

	if (outer > len)
		return pki_fail(errmsg, errcap, PKI_EFORMAT,
				"truncated DER: it says %zu bytes, the input "
				"has %zu",
				outer, len);
	DER_IS(d2i_PKCS12, PKCS12_free,
	       "a PKCS#12 archive (.p12/.pfx), which may hold private keys: "
	       "export the certificate alone as PEM or DER "
	       "(openssl pkcs12 -nokeys -clcerts)");
	DER_IS(d2i_PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free,
	       "a private key (DER), not a certificate: never put a private "
	       "key in the trust store");
	DER_IS(d2i_AutoPrivateKey, EVP_PKEY_free,
	       "a private key (DER), not a certificate: never put a private "
	       "key in the trust store");
	DER_IS(d2i_PUBKEY, EVP_PKEY_free,
	       "a public key (DER), not a certificate");
	DER_IS(d2i_X509_REQ, X509_REQ_free,
	       "a certificate request (CSR), not a certificate");
	DER_IS(d2i_PKCS7, PKCS7_free,
	       "a PKCS#7 bundle: take the certificates out of it "
	       "(openssl pkcs7 -inform DER -print_certs)");
	DER_IS(d2i_X509_CRL, X509_CRL_free,
	       "a certificate revocation list, not a certificate");
#undef DER_IS
	q = buf;
	obj = d2i_X509(NULL, &q, (long)len);
	X509_free(obj);
	return pki_fail_ssl(errmsg, errcap, PKI_EFORMAT,
			    "malformed DER certificate");
}

static int parse_der(const unsigned char *buf, size_t len, STACK_OF(X509) * sk,
		     char *errmsg, size_t errcap)
{
	long used;
	X509 *x = der_cert(buf, (long)len, &used);

	if (!x)
		return der_what(buf, len, errmsg, errcap);
	if ((size_t)used != len) {
		X509_free(x);
		ERR_clear_error();
		return pki_fail(errmsg, errcap, PKI_EFORMAT,
				"a DER certificate followed by %zu more "
				"bytes: one certificate per DER file",
				len - (size_t)used);
	}
	ERR_clear_error();
	return certs_push(sk, x);
}

static int certs_parse(const void *buf, size_t len, int many,
		       STACK_OF(X509) * *out, char *errmsg, size_t errcap)
{
	const unsigned char *p = buf;
	STACK_OF(X509) * sk;
	int rc, n;

	*out = NULL;
	if (!buf || len == 0)
		return pki_fail(errmsg, errcap, PKI_EFORMAT, "empty input");
	if (len > PKI_INPUT_MAX)
		return pki_fail(errmsg, errcap, PKI_EFORMAT,
				"%zu bytes is too large for certificates", len);
	sk = sk_X509_new_null();
	if (!sk)
		return PKI_ENOMEM;
	if (memmem(p, len, PEM_BEGIN, strlen(PEM_BEGIN)))
		rc = parse_pem(p, len, sk, errmsg, errcap);
	else if (p[0] == 0x30) /* a DER SEQUENCE */
		rc = parse_der(p, len, sk, errmsg, errcap);
	else
		rc = pki_fail(errmsg, errcap, PKI_EFORMAT,
			      "not a certificate: neither PEM (no \"%s\" "
			      "line) nor DER",
			      "-----BEGIN CERTIFICATE-----");
	n = sk_X509_num(sk);
	if (rc == PKI_OK && n > 1 && !many)
		rc = pki_fail(errmsg, errcap, PKI_EFORMAT,
			      "%d certificates (a bundle): give one at a time",
			      n);
	for (int i = 0; rc == PKI_OK && i < n; i++) {
		if (i2d_X509(sk_X509_value(sk, i), NULL) > PKI_CERT_DER_MAX)
			rc = pki_fail(errmsg, errcap, PKI_EFORMAT,
				      "certificate %d is larger than %d "
				      "bytes",
				      i + 1, PKI_CERT_DER_MAX);
	}
	if (rc) {
		sk_X509_pop_free(sk, X509_free);
		return rc;
	}
	*out = sk;
	return PKI_OK;
}

int pki_cert_parse(const void *buf, size_t len, X509 **out, char *errmsg,
		   size_t errcap)
{
	STACK_OF(X509) * sk;
	int rc = certs_parse(buf, len, 0, &sk, errmsg, errcap);

	*out = NULL;
	if (rc)
		return rc;
	*out = sk_X509_shift(sk);
	sk_X509_free(sk);
	return PKI_OK;
}

int pki_certs_parse(const void *buf, size_t len, STACK_OF(X509) * *out,
		    char *errmsg, size_t errcap)
{
	return certs_parse(buf, len, 1, out, errmsg, errcap);
}

/* ---- export ----------------------------------------------------------- */

int pki_cert_to_der(X509 *cert, uint8_t **der, size_t *len)
{
	unsigned char *q;
	int n = i2d_X509(cert, NULL);

	*der = NULL;
	*len = 0;
	if (n <= 0) {
		ERR_clear_error();
		return PKI_EINVAL;
	}
	*der = malloc((size_t)n);
	if (!*der)
		return PKI_ENOMEM;
	q = *der;
	if (i2d_X509(cert, &q) != n) {
		free(*der);
		*der = NULL;
		ERR_clear_error();
		return PKI_ECRYPTO;
	}
	*len = (size_t)n;
	return PKI_OK;
}

int pki_bio_text(BIO *bio, char **text, size_t *len)
{
	BUF_MEM *mem;

	*text = NULL;
	*len = 0;
	if (BIO_get_mem_ptr(bio, &mem) != 1 || !mem || mem->length == 0)
		return PKI_ECRYPTO;
	*text = malloc(mem->length + 1);
	if (!*text)
		return PKI_ENOMEM;
	memcpy(*text, mem->data, mem->length);
	(*text)[mem->length] = '\0';
	*len = mem->length;
	return PKI_OK;
}

int pki_cert_to_pem(X509 *cert, char **pem, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int rc = PKI_ECRYPTO;

	*pem = NULL;
	*len = 0;
	if (!bio)
		return PKI_ENOMEM;
	if (PEM_write_bio_X509(bio, cert))
		rc = pki_bio_text(bio, pem, len);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}
