/* sgn: signed files phones download — `NAME.sgn` (a configuration file,
 * ring list, ... behind a signed header) and `NAME.enc.sgn` (a
 * configuration file encrypted to one device) — built, parsed and
 * verified. Part of trustlist/ (library ward_trustlist); the byte layout
 * is docs/ctl.md sections 4 and 4a.
 *
 * Ownership as in trustlist.h: inputs are borrowed for the call; a parsed
 * file (struct trustlist) owns a copy of the bytes and everything it
 * points to stays valid until trustlist_free(); built files are malloc'd
 * and handed to the caller (free()). Reentrant, no logging, no global
 * state: the TFTP role calls these from its worker threads.
 *
 * Errors: 0 or a TRUSTLIST_E* code with a one-line reason in ERRMSG (safe
 * to log: no key material, file text made printable).
 */
#ifndef WARD_TRUSTLIST_SGN_H
#define WARD_TRUSTLIST_SGN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "trustlist/trustlist.h"

/* Longest signed file name (NAME, without ".sgn"). */
#define TRUSTLIST_SGN_NAME_MAX 250

/* Builds NAME.sgn: header version 1.0 whose filename field is NAME with
 * ".sgn" appended (NAME "SEP001122334455.cnf.xml" gives the field
 * "SEP001122334455.cnf.xml.sgn"), signed by SIGNER (RSA 2048 or 4096 —
 * an EC key is refused with TRUSTLIST_EUNSUPPORTED), followed by CONTENT
 * (LEN bytes, may be 0) unchanged. OPTS may be NULL: SHA-1 and the
 * current time; OPTS->sig = TRUSTLIST_SIG_RSA_SHA512 for SHA-512,
 * OPTS->timestamp for a fixed time; OPTS->filename is ignored.
 * On success *OUT (malloc'd, caller frees) holds *OUT_LEN bytes. The
 * signature is checked against SIGNER's certificate before returning
 * (TRUSTLIST_ECERT if key and certificate do not match). */
int trustlist_sgn_build(const char *name, const uint8_t *content, size_t len,
			const struct trustlist_signer *signer,
			const struct trustlist_options *opts, uint8_t **out,
			size_t *out_len, char *errmsg, size_t errcap);

/* Parses a .sgn of LEN bytes (at most TRUSTLIST_SGN_MAX) from BUF
 * (borrowed): header version 1.x; the content after the header is
 * `content`, `records` is NULL. Structure only, no signature check. */
int trustlist_sgn_parse(const uint8_t *buf, size_t len, struct trustlist **out,
			char *errmsg, size_t errcap);

/* Verifies a parsed .sgn or .enc.sgn against TRUST, a CTL or ITL the
 * caller has already verified: the signer is the TFTP, CCM+TFTP or (ITL)
 * SAST record of TRUST whose certificate has the header's serial and whose
 * key verifies the signature. TRUSTLIST_EUNTRUSTED if none does. */
int trustlist_sgn_verify(const struct trustlist *sgn,
			 const struct trustlist *trust, char *errmsg,
			 size_t errcap);

/* ---- .enc.sgn: a configuration file encrypted to one device ---------- */

/* The encryption block of an .enc.sgn header (tags 16-27), borrowed from
 * the parsed file. */
struct trustlist_enc {
	unsigned cipher;	   /* tag 18: 0 = AES-128-CBC */
	struct trustlist_bytes iv; /* tag 19: 16 bytes */
	unsigned padding;	   /* tag 20: '\r' bytes appended */
	unsigned key_alg;	   /* tag 22: 0 = RSA PKCS#1 v1.5 */
	unsigned key_bits;	   /* tag 23: size of the wrapped key */
	unsigned key_type;	   /* tag 24: 1 */
	struct trustlist_bytes wrapped_key; /* tag 25 */
	unsigned digest_alg;	       /* tag 26: digest of the plaintext */
	struct trustlist_bytes digest; /* tag 27 */
};

/* Builds NAME.enc.sgn: header version 2.0 (filename field NAME +
 * ".enc.sgn"), a fresh AES-128 key and IV, the key wrapped with RSA
 * PKCS#1 v1.5 to DEVICE_CERT's public key (DER, borrowed; RSA only), the
 * digest of PLAIN (SHA-1, or SHA-512 with OPTS->sig), then PLAIN padded
 * with '\r' to 16 bytes and encrypted with AES-128-CBC. Signed by SIGNER
 * as trustlist_sgn_build(). The AES key is wiped before returning. */
int trustlist_encsgn_build(const char *name, const uint8_t *plain, size_t len,
			   const uint8_t *device_cert, size_t device_cert_len,
			   const struct trustlist_signer *signer,
			   const struct trustlist_options *opts, uint8_t **out,
			   size_t *out_len, char *errmsg, size_t errcap);

/* Parses an .enc.sgn (header version 2.x): as trustlist_sgn_parse(), and
 * *ENC (not NULL) receives the encryption block, borrowed from *OUT. */
int trustlist_encsgn_parse(const uint8_t *buf, size_t len,
			   struct trustlist **out, struct trustlist_enc *enc,
			   char *errmsg, size_t errcap);

/* Decrypts a parsed .enc.sgn with the device's private key DEVICE_KEY
 * (borrowed): unwraps the AES key, decrypts the content, strips the
 * padding the header counts and checks the plaintext digest.
 * *PLAIN (malloc'd, caller frees) receives *PLAIN_LEN bytes. The
 * signature is NOT checked here: call trustlist_sgn_verify() first. */
int trustlist_encsgn_decrypt(const struct trustlist *tl,
			     const struct trustlist_enc *enc,
			     EVP_PKEY *device_key, uint8_t **plain,
			     size_t *plain_len, char *errmsg, size_t errcap);

#endif
