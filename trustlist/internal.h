/* internal: helpers shared by the files of trustlist/ (not installed). */
#ifndef WARD_TRUSTLIST_INTERNAL_H
#define WARD_TRUSTLIST_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "trustlist/trustlist.h"

/* ---- tags (docs/ctl.md) ----------------------------------------------- */

enum {
	HDR_VERSION = 1,
	HDR_HEADER_LEN = 2,
	HDR_SIGNER_ID = 3,
	HDR_SIGNER_NAME = 4,
	HDR_SIGNER_SERIAL = 5,
	HDR_CA_NAME = 6,
	HDR_SIG_INFO = 7,
	HDR_DIGEST_ALG = 8,
	HDR_SIGALG_INFO = 9,
	HDR_SIGALG = 10,
	HDR_MODULUS = 11,
	HDR_SIGNATURE = 12,
	HDR_PADDING = 13,
	HDR_FILENAME = 14,
	HDR_TIMESTAMP = 15,
};

enum {
	REC_LENGTH = 1,
	REC_DNS_NAME = 2,
	REC_SUBJECT = 3,
	REC_FUNCTION = 4,
	REC_ISSUER = 5,
	REC_SERIAL = 6,
	REC_PUBLIC_KEY = 7,
	REC_SIGNATURE = 8,
	REC_CERT = 9,
	REC_IP = 10,
	REC_CERT_HASH = 11,
	REC_HASH_ALG = 12,
};

#define TL_VERSION_MAJOR 1
#define TL_VERSION_MINOR 2
/* Header offsets fixed by the layout: the version TLV (5 bytes) and the
 * header-length TLV (7 bytes) always open a file. */
#define TL_FIXED_PREFIX 12
/* Modulus index (tag 11) for RSA; for ECDSA it names the curve. */
#define TL_MODULUS_RSA_2048 2
#define TL_MODULUS_RSA_4096 3
#define TL_CURVE_P256 1

/* ---- errors ----------------------------------------------------------- */

/* Formats into ERRMSG (may be NULL) and returns RC. */
int tl_err(int rc, char *errmsg, size_t errcap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Copies S into OUT (CAP bytes) with non-printable bytes replaced by '?'
 * and an ellipsis if cut: for text from files inside error messages. */
const char *tl_printable(const char *s, char *out, size_t cap);

/* ---- certificates ----------------------------------------------------- */

/* The fields a record derives from a certificate. Strings and buffers are
 * owned (tl_certinfo_close() frees them); CERT is owned. */
struct tl_certinfo {
	X509 *cert;
	char *subject;
	char *issuer;
	const uint8_t *serial; /* borrowed from CERT */
	size_t serial_len;
	uint8_t *public_key; /* i2d_PublicKey form */
	size_t public_key_len;
	const uint8_t *signature; /* borrowed from CERT */
	size_t signature_len;
};

/* Decodes DER (exactly LEN bytes, no trailing data) and extracts the
 * record fields. TRUSTLIST_ECERT with a reason on failure. */
int tl_certinfo_init(struct tl_certinfo *ci, const uint8_t *der, size_t len,
		     char *errmsg, size_t errcap);
void tl_certinfo_close(struct tl_certinfo *ci);

/* A name as text: RDNs most specific first, separated by ';', multi-valued
 * RDNs joined by '+', values escaped as RFC 2253 (so ';' in a value is
 * "\;"), UTF-8 kept. Returns a malloc'd string or NULL. */
char *tl_name_text(const X509_NAME *name);

/* Digest for a code (tag 8/12), NULL if unknown. */
const EVP_MD *tl_digest_md(unsigned code);

/* Checks that KEY can sign or verify with SIG_ALG and gives the modulus
 * index the header carries. */
int tl_key_params(const EVP_PKEY *key, unsigned sig_alg, unsigned *modulus,
		  char *errmsg, size_t errcap);

/* Verifies SIG (SIGLEN bytes) over the concatenation of PARTS with KEY
 * and MD; TRUSTLIST_ESIGNATURE if it does not verify. */
int tl_verify_parts(EVP_PKEY *key, const EVP_MD *md,
		    const struct trustlist_bytes parts[2], const uint8_t *sig,
		    size_t siglen, char *errmsg, size_t errcap);

/* Whether record R's identity equals the header's signer. */
int tl_record_is_signer(const struct trustlist *tl,
			const struct trustlist_record *r);

#endif
