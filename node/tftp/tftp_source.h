/* tftp_source: where each served name comes from — the store's CTL, this
 * node's ITL, uploaded static files, generated configuration — and how the
 * served bytes are built from it. Used by the cache (files.c) only.
 *
 * A source is read in two steps so that an unchanged file costs a hash
 * comparison, not a rebuild: tftp_source_read() finds the source and its
 * SHA-256; tftp_source_build() makes the served blob from it. Both run
 * inside the caller's read transaction R.
 */
#ifndef WARD_TFTP_SOURCE_H
#define WARD_TFTP_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "node/tftp/tftp_files.h"

#include <openssl/evp.h>

struct store_read;

/* The node's TFTP certificate (DER) and key. */
struct keystore;

/* The node's TFTP certificate and the key that signs with it: the key held
 * by the keystore (KS, OWNER; what wardd does), or, without a keystore,
 * the key file in DATA/pki (tests, tools). */
struct tftp_signer {
	uint8_t *der; /* owned */
	size_t der_len;
	EVP_PKEY *key;	     /* owned; NULL: sign through KS */
	uint8_t sha256[32];  /* of the DER */
	struct keystore *ks; /* borrowed */
	uint64_t owner;
};

/* The signer of node NODE_ID from KS (borrowed): its TFTP certificate as
 * the store holds it and the key KS holds for it. NULL if KS holds none. */
struct tftp_signer *tftp_signer_from_keystore(struct keystore *ks,
					      struct store_read *r,
					      uint64_t node_id);

/* Builds BASE.sgn of CONTENT (ENC_CERT NULL) or BASE.enc.sgn encrypted to
 * ENC_CERT (DER), signed by S: trustlist_sgn_build/trustlist_encsgn_build
 * with the key lent by the keystore or loaded from the file. */
int tftp_signer_sign(const struct tftp_signer *s, const char *base,
		     const uint8_t *content, size_t len,
		     const uint8_t *enc_cert, size_t enc_cert_len,
		     uint32_t timestamp, uint8_t **out, size_t *out_len,
		     char *err, size_t errcap);

/* Loads PKI_DIR/tftp.pem and tftp.key; NULL with *why if absent or
 * mismatched. Free with tftp_signer_free (accepts NULL). */
struct tftp_signer *tftp_signer_load(const char *pki_dir, const char **why);
void tftp_signer_free(struct tftp_signer *s);

/* The cluster KEK from the file beside PKI_DIR (DATA/kek) into KEK (a
 * SECRET: wipe it). 0, or -1 (KEK wiped). */
int tftp_kek_load(const char *pki_dir, uint8_t kek[32]);

/* The certificate a device's configuration is encrypted to: its LSC when
 * that has an RSA key, else its MIC when that has one (the .enc.sgn
 * format wraps the file key with RSA only). 0 with *OUT (der borrowed
 * from R) and *WHICH "LSC" or "MIC", or -1 when it has neither. */
struct store_device_lsc;
int tftp_source_device_cert(struct store_read *r, const char *device,
			    struct store_device_lsc *out, const char **which);

enum tftp_source_kind {
	TFTP_SRC_STORED = 0, /* a file the store holds as served */
	TFTP_SRC_UPLOAD,     /* an uploaded file (bytes read by build) */
	TFTP_SRC_CONFIG,     /* generated configuration, unsigned */
	TFTP_SRC_SGN,	     /* generated configuration, signed */
	TFTP_SRC_ENC,	     /* generated configuration, encrypted */
	TFTP_SRC_UPLOAD_SGN, /* an uploaded file, signed (mixed mode) */
};

struct tftp_source {
	uint64_t node_id;		  /* in: the serving node */
	const struct tftp_signer *signer; /* in: NULL if none (borrowed) */
	const uint8_t *kek;   /* in: the cluster KEK (32 bytes), NULL: none */
	struct keystore *ks;  /* in: borrowed; when set, credentials are
				 unwrapped through it, not with KEK */
	uint8_t sha256[32];   /* out: identifies the source bytes */
	const uint8_t *bytes; /* out: borrowed from R, or = owned */
	size_t len;
	uint8_t *owned; /* out: malloc'ed source, freed by clear */
	int upload;	/* out: an uploaded file (bytes read by build) */
	enum tftp_source_kind kind; /* out */
	char base[256];		    /* out: NAME without .sgn/.enc.sgn */
	uint8_t *device_cert;	    /* out, ENC: owned copy of the LSC */
	uint32_t timestamp;	    /* out: of the signed header (0: now) */
	size_t device_cert_len;
};

/* Finds NAME's source. TFTP_FILES_NOT_FOUND if this node serves no such
 * name; REFUSED with *why if it exists but not under this name (an
 * unsigned name in mixed mode). */
enum tftp_files_result tftp_source_read(struct store_read *r, const char *name,
					struct tftp_source *src,
					const char **why);

/* Builds the served blob from SRC (read by tftp_source_read in the same
 * transaction). *out: a new blob with one reference, transferred. */
enum tftp_files_result tftp_source_build(struct store_read *r, const char *name,
					 const struct tftp_source *src,
					 struct tftp_blob **out,
					 const char **why);

/* Frees what SRC owns (wiping the generated text: an encrypted
 * configuration may hold credentials). */
void tftp_source_clear(struct tftp_source *src);

/* A new blob holding a copy of DATA (LEN bytes), one reference; NULL when
 * out of memory. */
struct tftp_blob *tftp_blob_new(const uint8_t *data, size_t len);

#endif
