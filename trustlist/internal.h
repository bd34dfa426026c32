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
	/* .enc.sgn (header version 2) */
	HDR_ENC = 16,
	HDR_ENC_CIPHER_INFO = 17,
	HDR_ENC_CIPHER = 18,
	HDR_ENC_IV = 19,
	HDR_ENC_PADDING = 20,
	HDR_ENC_KEY_INFO = 21,
	HDR_ENC_KEY_ALG = 22,
	HDR_ENC_KEY_BITS = 23,
	HDR_ENC_KEY_TYPE = 24,
	HDR_ENC_KEY = 25,
	HDR_ENC_DIGEST_ALG = 26,
	HDR_ENC_DIGEST = 27,
	HDR_SIGNER_VERSION = 28,
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

/* Header versions (tag 1): lists 1.2, .sgn 1.0, .enc.sgn 2.0. */
#define TL_LIST_VERSION_MAJOR 1
#define TL_LIST_VERSION_MINOR 2
#define TL_SGN_VERSION_MAJOR 1
#define TL_ENC_VERSION_MAJOR 2
/* Header offsets fixed by the layout: the version TLV (5 bytes) and the
 * header-length TLV (5 bytes, a 2-byte value) always open a file. */
#define TL_FIXED_PREFIX 10
/* Modulus index (tag 11): RSA 512 << index bits. Written: 2 and 3;
 * read: 1 too (1024-bit keys of old security tokens). */
#define TL_MODULUS_RSA_1024 1
#define TL_MODULUS_RSA_2048 2
#define TL_MODULUS_RSA_4096 3

/* What a file is, for the parser and the builder. */
enum tl_file {
	TL_FILE_LIST, /* CTL or ITL */
	TL_FILE_SGN,  /* .sgn */
	TL_FILE_ENC,  /* .enc.sgn */
};

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

/* Digest for a code (tag 8/12/26), NULL if unknown. */
const EVP_MD *tl_digest_md(unsigned code);
/* Digest code of a certificate hash by its length (tag 11 without 12). */
unsigned tl_digest_by_len(size_t len);

/* Checks that KEY is an RSA key the files may carry and gives its modulus
 * index: 2048 or 4096 bits; 1024 too when READING (old tokens). */
int tl_key_params(const EVP_PKEY *key, int reading, unsigned *modulus,
		  char *errmsg, size_t errcap);

/* ---- parsing and building (ctl.c, build.c) ---------------------------- */

/* Parses BUF as WHAT into a new trustlist (*OUT). */
int tl_parse(const uint8_t *buf, size_t len, enum tl_file what,
	     struct trustlist **out, char *errmsg, size_t errcap);

/* Builds a file of type WHAT: records from ENTRIES (lists), or CONTENT;
 * EXTRA (EXTRA_LEN bytes of header TLVs, .enc.sgn) goes after the
 * timestamp. FILENAME is the header's filename field. */
struct tl_build_args {
	enum tl_file what;
	enum trustlist_kind kind; /* lists */
	const struct trustlist_entry *entries;
	size_t n;
	const uint8_t *content;
	size_t content_len;
	const uint8_t *extra;
	size_t extra_len;
	const char *filename;
};
int tl_build_file(const struct tl_build_args *a,
		  const struct trustlist_signer *signer,
		  const struct trustlist_options *opts, uint8_t **out,
		  size_t *out_len, char *errmsg, size_t errcap);

/* Verifies SIG (SIGLEN bytes) over the concatenation of PARTS with KEY
 * and MD; TRUSTLIST_ESIGNATURE if it does not verify. */
int tl_verify_parts(EVP_PKEY *key, const EVP_MD *md,
		    const struct trustlist_bytes parts[2], const uint8_t *sig,
		    size_t siglen, char *errmsg, size_t errcap);

/* Finds the record among RECORDS (N) that signed TL: a record whose
 * function SIGNS_FOR accepts, whose certificate's serial is the header's
 * signer serial and whose key verifies the signature. *FOUND (may be
 * NULL) is set on success. TRUSTLIST_ESIGNER when no record has the
 * serial; the verification error of the last candidate otherwise. */
int tl_find_signer(const struct trustlist *tl,
		   const struct trustlist_record *records, size_t n,
		   int (*signs_for)(unsigned function),
		   const struct trustlist_record **found, char *errmsg,
		   size_t errcap);

#endif
