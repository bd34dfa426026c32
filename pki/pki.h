/* pki: the cluster's certificates and keys — key generation, the cluster CA
 * and the role certificates it issues, chain and node-identity checks, the
 * cluster key-encryption key (KEK) that wraps every private key the store
 * replicates, its delivery to a joining node, and the trust-store helpers
 * (strict PEM/DER parsing, c_rehash names, fingerprints).
 *
 * Pure functions: no global state, no I/O except the files a function is
 * told to read or write (pki_kek_save/pki_kek_load), no logging. Thread-safe
 * as long as callers do not share one OpenSSL object between threads.
 * OpenSSL 3 EVP only.
 *
 * Ownership:
 *  - OpenSSL objects passed in (X509 *, EVP_PKEY *, X509_STORE *) are
 *    borrowed for the call; none is kept or freed.
 *  - OpenSSL objects handed out (X509 **out, EVP_PKEY **out, ...) are
 *    transferred: free with X509_free / EVP_PKEY_free / X509_STORE_free /
 *    sk_X509_pop_free(sk, X509_free).
 *  - Byte buffers handed out (uint8_t **out) are malloc'ed and transferred:
 *    free with free(), or with pki_secret_free() where a function says the
 *    buffer holds a secret.
 *  - On error every out pointer is set to NULL and nothing is transferred.
 *
 * Errors: 0 or a code of PKI_ERRORS. Functions taking (errmsg, errcap)
 * also write a one-line reason there, meant for an operator (errmsg may be
 * NULL); the reason never contains key material.
 */
#ifndef WARD_PKI_H
#define WARD_PKI_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define PKI_ERRORS(X)                                                          \
	X(PKI_ENOMEM, "out of memory")                                         \
	X(PKI_EINVAL, "invalid argument")                                      \
	X(PKI_ECRYPTO, "cryptographic library error")                          \
	X(PKI_EFORMAT, "not an acceptable certificate or key")                 \
	X(PKI_EVERIFY, "certificate verification failed")                      \
	X(PKI_EAUTH, "authentication failed: wrong key or altered data")       \
	X(PKI_EIO, "file error")                                               \
	X(PKI_EPERM, "file permissions are too open")                          \
	X(PKI_EFULL, "no free name left")                                      \
	X(PKI_ETOOBIG, "output does not fit")

enum {
	PKI_OK = 0,
	/* Above the store's and consensus's codes, so that a code passed
	 * through a callback is unambiguous. */
	PKI__BASE = 200,
#define PKI_X_ENUM(code, msg) code,
	PKI_ERRORS(PKI_X_ENUM)
#undef PKI_X_ENUM
};

/* Static string for a code; never NULL. */
const char *pki_strerror(int rc);

/* ---- keys ------------------------------------------------------------- */

/* Values equal store/'s enum store_key_type (checked at build time). */
enum pki_key_type {
	PKI_KEY_RSA2048 = 1,
	PKI_KEY_ECDSA_P256 = 2,
};

/* "rsa2048", "ecdsa-p256" (the spellings of the cluster parameter
 * cert_key_type); "unknown" otherwise. */
const char *pki_key_type_name(enum pki_key_type t);
/* Inverse of pki_key_type_name (any case); PKI_EINVAL if unknown. */
int pki_key_type_parse(const char *name, enum pki_key_type *out);
/* A fresh key pair of type T. */
int pki_key_generate(enum pki_key_type t, EVP_PKEY **out);
/* The type of KEY (public or private), or 0 if it is neither RSA of
 * exactly 2048 bits nor EC on P-256. */
int pki_key_type_of(const EVP_PKEY *key);

/* The public key as DER SubjectPublicKeyInfo: what a joining node sends so
 * the CA can sign it. *der malloc'ed, transferred. */
int pki_pubkey_to_der(const EVP_PKEY *key, uint8_t **der, size_t *len);
/* Parses DER SubjectPublicKeyInfo: exactly LEN bytes, a key of a supported
 * type (PKI_EFORMAT otherwise, with the reason). */
int pki_pubkey_from_der(const void *der, size_t len, EVP_PKEY **out,
			char *errmsg, size_t errcap);

/* The private key as unencrypted PKCS#8 DER. *der is a SECRET: free it
 * with pki_secret_free(*der, *len). */
int pki_key_to_pkcs8(const EVP_PKEY *key, uint8_t **der, size_t *len);
/* Parses PKCS#8 DER of a supported type, exactly LEN bytes. */
int pki_key_from_pkcs8(const void *der, size_t len, EVP_PKEY **out);
/* The private key as unencrypted PKCS#8 PEM text (NUL-terminated; *len
 * without the NUL), for services that load a key file. A SECRET: free
 * with pki_secret_free(*pem, *len). */
int pki_key_to_pem(const EVP_PKEY *key, char **pem, size_t *len);
/* Wipes LEN bytes at P and frees P. Accepts NULL. */
void pki_secret_free(void *p, size_t len);

/* ---- the cluster CA and role certificates ----------------------------- */

/* Values equal store/'s enum store_cert_role (checked at build time). */
enum pki_role {
	PKI_ROLE_CA = 1,      /* the cluster CA = CAPF CA (seed: CAPF_cert) */
	PKI_ROLE_HTTPS,       /* admin API, serverAuth (seed: tomcat_cert) */
	PKI_ROLE_CALLMANAGER, /* SIP TLS, server and client (ccmnode_cert) */
	PKI_ROLE_TFTP,        /* signs TFTP files and the ITL */
	PKI_ROLE_CAPF,        /* CAPF service TLS */
	PKI_ROLE_IPSEC,       /* IPsec to gateways (seed: ipsec_cert) */
	PKI_ROLE_NODE,        /* Raft mutual TLS and member-to-member calls */
};
#define PKI_ROLE_LAST PKI_ROLE_NODE
/* "ca", "https", "callmanager", "tftp", "capf", "ipsec", "node";
 * "unknown" otherwise. */
const char *pki_role_name(enum pki_role role);

#define PKI_CA_DAYS 3650   /* the cluster CA: 10 years */
#define PKI_ROLE_DAYS 1825 /* role certificates: 5 years */
#define PKI_UUID_LEN 36    /* cluster id, canonical UUID text */

/* Makes the self-signed cluster CA for KEY (transferred nothing; the key
 * stays the caller's): subject "O=ward, OU=<cluster_name>, CN=ward CA
 * <cluster_id>", basicConstraints critical CA:TRUE pathlen:0, keyUsage
 * critical keyCertSign+cRLSign, subjectKeyIdentifier, SHA-256, a random
 * 127-bit serial, valid from an hour ago (clock skew) for DAYS days
 * (0: PKI_CA_DAYS). CLUSTER_ID is the canonical UUID text; CLUSTER_NAME
 * 1..64 bytes. */
int pki_ca_create(EVP_PKEY *key, const char *cluster_id,
		  const char *cluster_name, unsigned days, X509 **out,
		  char *errmsg, size_t errcap);

/* Who a role certificate is for. All strings borrowed for the call. */
struct pki_subject {
	const char *common_name; /* required: the node name, 1..64 bytes */
	const char *dns;         /* optional DNS SAN: letters, digits, '-',
				    '.', '*' only, <= 253 bytes */
	const char *ip;          /* optional IP SAN: IPv4 or IPv6 text */
	const char *cluster_id;  /* PKI_ROLE_NODE: required UUID text */
	uint64_t node_id;        /* PKI_ROLE_NODE: required, >= 1 */
};

/* Issues a certificate for PUBKEY (a public or private key of a supported
 * type; only its public half is used) in ROLE (not PKI_ROLE_CA), signed by
 * the CA (CA_CERT, CA_KEY, which must match and be a CA), valid for DAYS
 * (0: PKI_ROLE_DAYS, capped at the CA's notAfter). Subject "O=ward,
 * OU=<role name>, CN=<common_name>"; SANs: the DNS name and IP given, and
 * for PKI_ROLE_NODE the URIs ward://node/<node_id> and
 * ward://cluster/<cluster_id>. Extended key usage by role: HTTPS
 * serverAuth; CALLMANAGER, NODE serverAuth+clientAuth; TFTP codeSigning;
 * CAPF serverAuth; IPSEC ipsecIKE+serverAuth+clientAuth. keyUsage critical
 * digitalSignature (+keyEncipherment for RSA). */
int pki_issue(X509 *ca_cert, EVP_PKEY *ca_key, EVP_PKEY *pubkey,
	      enum pki_role role, const struct pki_subject *subj,
	      unsigned days, X509 **out, char *errmsg, size_t errcap);

/* ---- verification and node identity ----------------------------------- */

/* A trust store holding the N certificates CAS (each borrowed; the store
 * takes its own references), with X509_V_FLAG_X509_STRICT. */
int pki_trust_new(X509 *const *cas, size_t n, X509_STORE **out);

/* Checks that CERT chains to a certificate in TRUST (UNTRUSTED, may be
 * NULL, supplies intermediates) and is valid at time AT (0: now).
 * PKI_EVERIFY with OpenSSL's reason in errmsg otherwise. */
int pki_verify(X509_STORE *trust, X509 *cert, STACK_OF(X509) *untrusted,
	       time_t at, char *errmsg, size_t errcap);

/* Reads the identity a NODE certificate carries: exactly one URI SAN
 * ward://node/<id> (decimal, 1..2^64-1, no leading zeros) and exactly one
 * ward://cluster/<uuid>. CLUSTER_ID receives the UUID text (PKI_UUID_LEN
 * + 1 bytes). PKI_EFORMAT if the certificate has not exactly those. It does
 * NOT verify the certificate: call pki_verify (or let TLS do it) first. */
int pki_node_identity(X509 *cert, char cluster_id[PKI_UUID_LEN + 1],
		      uint64_t *node_id, char *errmsg, size_t errcap);

/* pki_verify, then pki_node_identity, then checks the identity: the
 * cluster must be CLUSTER_ID and, unless NODE_ID is 0, the node NODE_ID
 * (the id the peer claims). PKI_EVERIFY with the reason otherwise. The
 * mutual-TLS Raft transport calls this on every peer certificate. */
int pki_verify_node(X509_STORE *trust, X509 *cert, const char *cluster_id,
		    uint64_t node_id, char *errmsg, size_t errcap);

/* ---- the key-encryption key (KEK) and wrapping ------------------------ */

#define PKI_KEK_LEN 32
#define PKI_KEK_ID_LEN 8

/* A fresh random KEK. A SECRET: wipe it with OPENSSL_cleanse. */
int pki_kek_generate(uint8_t kek[PKI_KEK_LEN]);
/* Its id: the first 8 bytes of HMAC-SHA256(kek, "ward kek id"). Not
 * secret: the cluster record holds it, so a node can check it holds the
 * cluster's KEK before using it. */
int pki_kek_id(const uint8_t kek[PKI_KEK_LEN], uint8_t id[PKI_KEK_ID_LEN]);

/* Writes KEK to PATH atomically (a temporary file in the same directory,
 * mode 0600, fsync, rename, fsync of the directory): the file is the 32
 * raw bytes. */
int pki_kek_save(const char *path, const uint8_t kek[PKI_KEK_LEN],
		 char *errmsg, size_t errcap);
/* Reads it back. Refuses (PKI_EPERM) a file that group or others may read
 * or write, or that another user owns, and (PKI_EFORMAT) one that is not a
 * regular file of exactly 32 bytes. KEK is wiped on error. */
int pki_kek_load(const char *path, uint8_t kek[PKI_KEK_LEN], char *errmsg,
		 size_t errcap);

/* Wrapped format: version (1) | nonce (12) | ciphertext | tag (16), with
 * AES-256-GCM under the KEK and a random nonce. AAD is authenticated, not
 * stored: it binds the value to where it lives (see pki_aad), so a wrapped
 * value moved elsewhere does not unwrap. */
#define PKI_WRAP_VERSION 1
#define PKI_WRAP_NONCE_LEN 12
#define PKI_WRAP_TAG_LEN 16
#define PKI_WRAP_OVERHEAD (1 + PKI_WRAP_NONCE_LEN + PKI_WRAP_TAG_LEN)

/* Wraps PT (PT_LEN bytes, may be 0) into OUT (CAP >= PT_LEN +
 * PKI_WRAP_OVERHEAD, else PKI_ETOOBIG); *out_len the length written. */
int pki_wrap(const uint8_t kek[PKI_KEK_LEN], const void *aad, size_t aad_len,
	     const void *pt, size_t pt_len, uint8_t *out, size_t cap,
	     size_t *out_len);
/* Unwraps IN into OUT (CAP >= IN_LEN - PKI_WRAP_OVERHEAD). PKI_EAUTH if
 * the KEK or AAD is wrong or a byte was altered, PKI_EFORMAT if IN is too
 * short or of another version; OUT is wiped on every error. OUT holds a
 * secret: wipe it after use. */
int pki_unwrap(const uint8_t kek[PKI_KEK_LEN], const void *aad,
	       size_t aad_len, const void *in, size_t in_len, uint8_t *out,
	       size_t cap, size_t *out_len);

/* The AAD naming a place in the store: u8 length | TABLE | u16 length |
 * KEY, into OUT (CAP bytes); e.g. pki_aad("keys", key bytes of (owner,
 * role)). PKI_ETOOBIG if it does not fit. */
int pki_aad(const char *table, const void *key, size_t key_len, uint8_t *out,
	    size_t cap, size_t *out_len);

/* KEY as PKCS#8 DER, wrapped: *out malloc'ed, transferred (free()); not a
 * secret. The plaintext DER is wiped before returning. */
int pki_key_wrap(const uint8_t kek[PKI_KEK_LEN], const void *aad,
		 size_t aad_len, const EVP_PKEY *key, uint8_t **out,
		 size_t *out_len);
/* The inverse; PKI_EAUTH / PKI_EFORMAT as pki_unwrap. */
int pki_key_unwrap(const uint8_t kek[PKI_KEK_LEN], const void *aad,
		   size_t aad_len, const void *in, size_t in_len,
		   EVP_PKEY **out);

/* ---- delivering the KEK to a joining node ----------------------------- *
 *
 * The joiner makes an ephemeral X25519 key and sends the public half with
 * its join request (over TLS, pinned to the cluster CA). A member seals the
 * KEK to it: its own ephemeral X25519 key, ECDH, HKDF-SHA256 (salt = both
 * public keys, info = "ward kek delivery v1" | cluster id | node id u64 BE)
 * to an AES-256 key, and pki_wrap with that info as AAD. Sealed format:
 * version (1) | member public key (32) | wrapped KEK (61). The joiner opens
 * it with its private key and must then compare pki_kek_id() with the
 * cluster record's kek_id.
 */
#define PKI_X25519_LEN 32
#define PKI_KEK_SEALED_LEN                                                     \
	(1 + PKI_X25519_LEN + PKI_WRAP_OVERHEAD + PKI_KEK_LEN)

/* Joiner: a fresh X25519 key pair; *priv transferred (EVP_PKEY_free after
 * pki_kek_open), PUB its public half. */
int pki_kex_keygen(EVP_PKEY **priv, uint8_t pub[PKI_X25519_LEN]);
/* Member: seals KEK to JOINER_PUB for node NODE_ID (>= 1) of cluster
 * CLUSTER_ID. */
int pki_kek_seal(const uint8_t kek[PKI_KEK_LEN],
		 const uint8_t joiner_pub[PKI_X25519_LEN],
		 const char *cluster_id, uint64_t node_id,
		 uint8_t out[PKI_KEK_SEALED_LEN]);
/* Joiner: opens what a member sealed (IN_LEN must be PKI_KEK_SEALED_LEN).
 * PKI_EAUTH for another key, cluster, node or an altered byte; KEK wiped on
 * error. */
int pki_kek_open(EVP_PKEY *joiner_priv, const char *cluster_id,
		 uint64_t node_id, const void *in, size_t in_len,
		 uint8_t kek[PKI_KEK_LEN]);

/* ---- trust-store helpers ---------------------------------------------- */

#define PKI_CERT_DER_MAX 16384 /* = STORE_DER_MAX */

/* Parses exactly one certificate from BUF, which must be PEM (one
 * CERTIFICATE block; text around it is allowed, as in RFC 7468) or DER
 * (one X.509 certificate, exactly LEN bytes), of at most
 * PKI_CERT_DER_MAX bytes of DER. Anything else is refused with
 * PKI_EFORMAT and errmsg saying what it is: a PKCS#12 archive, a
 * private or public key, a certificate request, a PKCS#7 bundle, a CRL,
 * several certificates, truncated or malformed DER, bad PEM, or not a
 * certificate at all. */
int pki_cert_parse(const void *buf, size_t len, X509 **out, char *errmsg,
		   size_t errcap);
/* The same, accepting a PEM bundle of one or more certificates (DER is
 * always one). *out transferred: sk_X509_pop_free(*out, X509_free). */
int pki_certs_parse(const void *buf, size_t len, STACK_OF(X509) **out,
		    char *errmsg, size_t errcap);

/* DER of CERT: *der malloc'ed, transferred. */
int pki_cert_to_der(X509 *cert, uint8_t **der, size_t *len);
/* PEM text of CERT, NUL-terminated (*len without the NUL): malloc'ed,
 * transferred. */
int pki_cert_to_pem(X509 *cert, char **pem, size_t *len);

/* c_rehash name: X509_NAME_hash_ex of the subject (what
 * `openssl x509 -hash -noout` prints), 8 lower-case hex digits, '.', and
 * the lowest N in 0..999 such that USED(ARG, name) returns 0. USED says
 * whether a name is taken (e.g. by looking it up in the trust table).
 * PKI_EFULL if all 1000 are taken. */
#define PKI_REHASH_NAME_MAX 16
typedef int (*pki_name_used_fn)(void *arg, const char *name);
int pki_rehash_name(X509 *cert, pki_name_used_fn used, void *arg,
		    char out[PKI_REHASH_NAME_MAX]);
/* The hash alone. */
int pki_subject_hash(X509 *cert, uint32_t *hash);

/* DIGEST (N bytes) as upper-case hex pairs joined by ':'
 * ("AB:CD:..."); truncated (always NUL-terminated) if CAP is short.
 * PKI_FP_TEXT_MAX holds a SHA-256 one. */
#define PKI_FP_TEXT_MAX (32 * 3)
void pki_fingerprint_text(const uint8_t *digest, size_t n, char *out,
			  size_t cap);

#define PKI_TEXT_MAX 512   /* = STORE_TEXT_MAX */
#define PKI_SERIAL_MAX 65  /* = STORE_SERIAL_MAX: 64 hex digits + NUL */

/* What the store and the operator need to know about a certificate. */
struct pki_cert_info {
	uint8_t sha256[32];          /* of the DER */
	uint8_t sha1[20];
	char subject[PKI_TEXT_MAX];  /* one line, "CN = x, O = y" as
					`openssl x509 -subject` prints it,
					UTF-8, cut with "..." if longer */
	char issuer[PKI_TEXT_MAX];
	uint64_t not_before_s;       /* unix seconds; 0 for dates before
					1970 */
	uint64_t not_after_s;
	char serial[PKI_SERIAL_MAX]; /* upper-case hex, BN_bn2hex */
	int key_type;                /* enum pki_key_type, 0 for others */
	int is_ca;                   /* basicConstraints CA:TRUE */
	uint32_t subject_hash;       /* the c_rehash hash */
};
/* Fills INFO. PKI_EFORMAT (with the reason) for a certificate the store
 * cannot describe: a negative serial or one longer than 32 bytes, or
 * unreadable dates. */
int pki_cert_info(X509 *cert, struct pki_cert_info *info, char *errmsg,
		  size_t errcap);

#endif
