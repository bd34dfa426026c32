/* trustlist: the signed trust-list files phones download — the Certificate
 * Trust List (CTL), the Initial Trust List (ITL) and signed files (.sgn) —
 * their tag-length-value codec, the builder that signs them with an RSA
 * EVP_PKEY (software or inside a PKCS#11 token), and their verification,
 * including the key-continuity rule for replacing a CTL. Signed files
 * (.sgn, .enc.sgn) have their own header, trustlist/sgn.h.
 *
 * Written as phones of the family read them; read liberally, as other
 * builders write them: fields in any order, optional record fields,
 * names never compared (the certificate identifies a signer or record).
 *
 * The byte layout is documented in docs/ctl.md; DESIGN.md section 5 gives
 * its origin (public reverse-engineering notes, not a vendor spec).
 *
 * Ownership: every function that returns memory says who frees it. A parsed
 * `struct trustlist` owns private copies of the file; every pointer inside
 * it (strings, byte spans, records) points into those copies or into arrays
 * it owns and stays valid until trustlist_free(). Inputs are borrowed for
 * the duration of the call only. Every function is reentrant; none logs.
 *
 * Errors: functions return 0 or a TRUSTLIST_E* code and, when ERRMSG is
 * not NULL, write a one-line reason (NUL-terminated, truncated to ERRCAP)
 * that names what was wrong and where; text taken from a file is printed
 * with non-printable bytes replaced, so the message is safe to log.
 */
#ifndef WARD_TRUSTLIST_H
#define WARD_TRUSTLIST_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* Largest CTL or ITL file, and largest header of any file: phones of this
 * family refuse bigger trust lists. */
#define TRUSTLIST_MAX 65536
/* Largest .sgn file (header + content) the parser accepts. */
#define TRUSTLIST_SGN_MAX (64u << 20)

#define TRUSTLIST_ERRORS(X)                                                    \
	X(TRUSTLIST_ENOMEM, "out of memory")                                   \
	X(TRUSTLIST_EINVAL, "invalid argument")                                \
	X(TRUSTLIST_EMALFORMED, "malformed trust-list file")                   \
	X(TRUSTLIST_ETOOBIG, "file exceeds the size limit")                    \
	X(TRUSTLIST_EUNSUPPORTED, "unsupported version, algorithm or key")     \
	X(TRUSTLIST_ECERT, "certificate unusable or inconsistent")             \
	X(TRUSTLIST_ESIGNER, "signer not found among the records")             \
	X(TRUSTLIST_ESIGNATURE, "signature does not verify")                   \
	X(TRUSTLIST_EUNTRUSTED, "signer is not trusted")                       \
	X(TRUSTLIST_ECRYPTO, "cryptographic operation failed")                 \
	X(TRUSTLIST_ETOKEN, "security token error")                            \
	X(TRUSTLIST_ENOTFOUND, "not found")                                    \
	X(TRUSTLIST_EPIN, "PIN refused by the token")

enum {
	TRUSTLIST_OK = 0,
#define TRUSTLIST_X_ENUM(code, msg) code,
	TRUSTLIST_ERRORS(TRUSTLIST_X_ENUM)
#undef TRUSTLIST_X_ENUM
};

/* Static string for a code; never NULL. */
const char *trustlist_strerror(int rc);

/* ---- values carried by the files (docs/ctl.md, "Codes") -------------- */

/* Record function (tag 4). Values are wire values: never renumber. */
enum trustlist_function {
	TRUSTLIST_FN_SAST = 0,	   /* security token allowed to sign the CTL */
	TRUSTLIST_FN_CCM = 1,	   /* call control (SIP TLS) */
	TRUSTLIST_FN_CCM_TFTP = 2, /* call control that also signs files */
	TRUSTLIST_FN_TFTP = 3,	   /* file server: signs .sgn files, the ITL */
	TRUSTLIST_FN_CAPF = 4,	   /* certificate authority proxy */
	TRUSTLIST_FN_HTTPS = 7,	   /* admin/web server */
	TRUSTLIST_FN_TVS = 21,	   /* trust verification service */
};

/* Digest algorithm codes (header tag 8, record tag 12, .enc.sgn tag 26).
 * SHA-256 is read, never written: phones take SHA-1 or SHA-512. */
enum trustlist_digest {
	TRUSTLIST_DIGEST_SHA1 = 1,
	TRUSTLIST_DIGEST_SHA256 = 2,
	TRUSTLIST_DIGEST_SHA512 = 3,
};

/* Signature algorithm code (header tag 10): RSASSA-PKCS1-v1_5 is written
 * as 0; 1 is read as RSA too (other builders write it). Nothing else. */
enum trustlist_sigalg {
	TRUSTLIST_SIGALG_RSA = 0,
	TRUSTLIST_SIGALG_RSA_ALT = 1,
};

/* What a builder signs with: always RSA (2048 or 4096 bits), over SHA-1
 * (DEFAULT, what every phone of the family reads) or SHA-512. */
enum trustlist_sig {
	TRUSTLIST_SIG_DEFAULT = 0,
	TRUSTLIST_SIG_RSA_SHA1,
	TRUSTLIST_SIG_RSA_SHA512,
};

/* Which list a file is: decides the default file name and which record
 * must have signed it (CTL: a SAST; ITL: a TFTP or CCM+TFTP record). */
enum trustlist_kind {
	TRUSTLIST_CTL,
	TRUSTLIST_ITL,
};

/* "SAST", "CCM+TFTP", ...; "unknown" for values this code does not know. */
const char *trustlist_function_name(unsigned function);

/* ---- parsed files ----------------------------------------------------- */

/* A byte range inside a parsed file (borrowed from it). */
struct trustlist_bytes {
	const uint8_t *data;
	size_t len;
};

/* A record: only the record length and the function are always there.
 * Names are shown to people and never compared: a record is identified
 * by its certificate (tag 9), which a record may lack (non-secure CTLs
 * list servers by name and address only). Absent strings are NULL,
 * absent byte fields have len 0. */
struct trustlist_record {
	size_t offset; /* of the record (its tag 1) from the start of file */
	size_t length; /* record length (tag 1 value), bytes */
	unsigned function;	       /* tag 4; may be a value not listed */
	const char *dns_name;	       /* tag 2 */
	const char *subject;	       /* tag 3, as the writer rendered it */
	const char *issuer;	       /* tag 5, as the writer rendered it */
	struct trustlist_bytes serial; /* tag 6, big-endian magnitude */
	struct trustlist_bytes public_key;     /* tag 7 */
	struct trustlist_bytes cert_signature; /* tag 8 */
	struct trustlist_bytes cert;	       /* tag 9, X.509 DER */
	struct trustlist_bytes ip;	       /* tag 10; len 0, 4 or 16 */
	struct trustlist_bytes cert_hash;      /* tag 11 */
	unsigned hash_alg; /* tag 12, enum trustlist_digest; 0 if absent */
};

struct trustlist {
	uint8_t *data; /* owned: a copy of the whole file */
	size_t len;
	/* owned: a second copy of the file (of the header for .sgn), where
	 * each string is NUL-terminated in place, whether or not its writer
	 * terminated it; the strings below point into it. */
	char *text;
	unsigned version_major, version_minor; /* tag 1 */
	size_t header_len;		       /* tag 2 */
	/* tag 28 (signer version, major.minor) if present, else 0.0 */
	unsigned signer_version_major, signer_version_minor;
	const char *signer_name;	      /* tag 4 (in 3) */
	struct trustlist_bytes signer_serial; /* tag 5 (in 3) */
	const char *signer_ca;		      /* tag 6 (in 3) */
	unsigned digest_alg;		      /* tag 8 (in 7) */
	unsigned sig_alg;		      /* tag 10 (in 9, in 7): 0 or 1 */
	unsigned modulus_index; /* tag 11 (in 9, in 7): 1024 << (i - 1) bits */
	struct trustlist_bytes signature; /* tag 12 value */
	/* The signature TLV (tag byte, length, value): the one range of the
	 * file the signature does not cover. */
	size_t sig_tlv_offset, sig_tlv_len;
	const char *filename;		  /* tag 14 */
	uint32_t timestamp;		  /* tag 15, seconds since 1970 (UTC) */
	struct trustlist_record *records; /* owned array; lists only */
	size_t n_records;
	struct trustlist_bytes content; /* .sgn only: the file after header */
	/* .enc.sgn only: the encryption block (tag 16), borrowed */
	struct trustlist_bytes enc_block;
	unsigned enc_digest_alg;	   /* tag 26 */
	struct trustlist_bytes enc_digest; /* tag 27 */
};

/* Parses a CTL or ITL (header + one or more records) of LEN bytes from BUF
 * (borrowed). Checks structure only — no signature, no certificate.
 * On success *OUT is a new trustlist (free with trustlist_free()).
 * TRUSTLIST_ETOOBIG if LEN > TRUSTLIST_MAX, TRUSTLIST_EMALFORMED for any
 * structural fault, TRUSTLIST_EUNSUPPORTED for a header version other
 * than 1.x. */
int trustlist_parse(const uint8_t *buf, size_t len, struct trustlist **out,
		    char *errmsg, size_t errcap);

/* .sgn and .enc.sgn files: trustlist/sgn.h. */

/* Accepts NULL. */
void trustlist_free(struct trustlist *tl);

/* The two ranges the signature covers: the file before the signature TLV,
 * and the file after it (borrowed from TL). Their concatenation is what
 * `openssl dgst -verify` must be given. */
void trustlist_signed_parts(const struct trustlist *tl,
			    struct trustlist_bytes parts[2]);

/* ---- building --------------------------------------------------------- */

/* One record to list. CERT_DER is borrowed for the call. DNS_NAME and IP
 * are optional (NULL): IP is text, IPv4 or IPv6. */
struct trustlist_entry {
	unsigned function; /* enum trustlist_function */
	const uint8_t *cert_der;
	size_t cert_len;
	const char *dns_name;
	const char *ip;
};

/* Who signs: a certificate and its private key, both borrowed for the
 * call. KEY may be a token key (trustlist_token_key()): it is only ever
 * used through EVP_DigestSign*. RSA of 2048 or 4096 bits: phones verify
 * nothing else, so an EC signer is refused (TRUSTLIST_EUNSUPPORTED). */
struct trustlist_signer {
	const uint8_t *cert_der;
	size_t cert_len;
	EVP_PKEY *key;
};

struct trustlist_options {
	enum trustlist_sig sig;
	uint32_t timestamp;   /* 0: the current time */
	const char *filename; /* borrowed; NULL: "CTLFile.tlv"/"ITLFile.tlv"
				 (lists only) */
	/* Lists: write signer version (tag 28) 1.1 instead of 1.0. */
	int signer_version_1_1;
};

/* Builds and signs a CTL or ITL listing ENTRIES (N >= 1), in that order.
 * Subject, issuer, serial, public key, the certificate's signature and
 * its hash are taken from each certificate (EC certificates may be
 * listed). The signer's certificate must be one of the entries, with
 * function SAST for a CTL and TFTP or CCM+TFTP for an ITL; an ITL also
 * lists its signer as a SAST record, written first (unless ENTRIES
 * already has that SAST record), so a phone can check the ITL from the
 * ITL alone. OPTS may be NULL (defaults).
 *
 * On success *OUT (malloc'd, caller frees with free()) holds *OUT_LEN
 * bytes. TRUSTLIST_ETOOBIG if the file would exceed TRUSTLIST_MAX: then
 * *OUT is NULL, *OUT_LEN is the size it would have had, ERRMSG says both
 * numbers, and the key has not been asked to sign. The new signature is
 * checked against the signer's certificate before returning, so a token
 * whose key does not match its certificate gives TRUSTLIST_ECERT. */
int trustlist_build(enum trustlist_kind kind,
		    const struct trustlist_entry *entries, size_t n,
		    const struct trustlist_signer *signer,
		    const struct trustlist_options *opts, uint8_t **out,
		    size_t *out_len, char *errmsg, size_t errcap);

/* ---- verifying -------------------------------------------------------- */

/* Verifies a parsed CTL or ITL. The signer is the record of the kind's
 * signing function (SAST for a CTL; SAST, TFTP or CCM+TFTP for an ITL)
 * whose certificate carries the header's serial and whose key verifies
 * the signature with the digest the header names — matched by the
 * certificate, never by comparing names, which builders render
 * differently. Then every record that carries a certificate must agree
 * with it (serial, public key, certificate signature, hash when present).
 * On success *SIGNER (if not NULL) points to the signer record (borrowed
 * from TL). Certificate validity dates are not checked: a phone cannot
 * know the time before it trusts a server. */
int trustlist_verify(const struct trustlist *tl, enum trustlist_kind kind,
		     const struct trustlist_record **signer, char *errmsg,
		     size_t errcap);

/* Verifies any parsed file (list, .sgn or .enc.sgn) against one
 * certificate (CERT_DER, borrowed): its serial must be the header's
 * signer serial and its key must verify the signature. */
int trustlist_verify_cert(const struct trustlist *tl, const uint8_t *cert_der,
			  size_t cert_len, char *errmsg, size_t errcap);

/* Key continuity: whether CANDIDATE may replace CURRENT as the cluster's
 * CTL. CANDIDATE must verify as a CTL, and its signer's certificate must
 * be byte-for-byte the certificate of a SAST record of CURRENT — or, when
 * CURRENT is NULL (first CTL), one of the N_REGISTERED registered token
 * certificates (DER, borrowed). CURRENT is trusted as given (it was
 * accepted before). TRUSTLIST_EUNTRUSTED when the signer is not allowed;
 * any trustlist_verify() error otherwise. */
int trustlist_ctl_accepts(const struct trustlist *current,
			  const struct trustlist *candidate,
			  const struct trustlist_bytes *registered,
			  size_t n_registered, char *errmsg, size_t errcap);

#endif
