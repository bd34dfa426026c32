/* keystore: the one holder of the cluster key-encryption key (KEK) and of
 * unwrapped private keys in a ward process. Everything that wraps, unwraps
 * or signs with a secret of the cluster goes through it — cluster init and
 * join, certificate issuing and regeneration, the certificate watcher and
 * ITL signing today; the key manager, CAPF, TFTP (file signatures) and SIP
 * (HA1 for digest) roles later — so that no route handler or role ever
 * holds the KEK, and unwrapped keys live in one place that wipes them.
 * The cryptography itself is pki/ (pki_wrap, pki_aad, pki_kek_*): this
 * module holds, binds and lends.
 *
 * The KEK. Held only while someone uses it: keystore_kek_acquire reads
 * KEK_PATH (or keeps the copy already held) and checks it against the id
 * the cluster record names; every acquire is paired with one
 * keystore_kek_release, and the last release wipes it. A node therefore
 * holds the KEK for as long as an operation needs it, not for its life,
 * and a KEK file removed or replaced is noticed at the next use. The KEK
 * sits in a page of its own, locked in memory where the system allows it
 * (mlock) and left out of core dumps (MADV_DONTDUMP).
 *
 * Private keys. Keys of (OWNER, ROLE) — owner 0 is the cluster CA, any
 * other owner a node id; ROLE a pki_role — are either
 *   - held: keystore_key_load (a wrapped store record) or keystore_key_put
 *     (a key just made) keep one in the store until keystore_key_drop,
 *     keystore_wipe or keystore_free; keystore_sign and keystore_key_use
 *     work with held keys (a node's own role keys: what TFTP, SIP and
 *     CAPF sign with), or
 *   - transient: keystore_key_use_wrapped unwraps a record, lends the key
 *     to a callback and frees it (the CA key for one issuance, another
 *     node's TFTP key for its ITL).
 * A lent key (keystore_key_use*) is borrowed for the callback only: the
 * callback must not keep it, free it or hand it to another thread. Key
 * memory is OpenSSL's (EVP_PKEY); freeing it clears the private parts.
 *
 * Wrapping. A wrapped value is bound to its place in the store — TABLE and
 * the record KEY there (pki_aad) — so a value copied to another record,
 * table or cluster does not unwrap: that place is the purpose. The keys
 * table's records are built by keystore_key_wrap; other secrets (HA1 of a
 * user, the digest nonce secret) by keystore_wrap/keystore_unwrap.
 *
 * Threads: every function may be called from any thread; one mutex guards
 * the KEK and the held keys. A callback of keystore_key_use* runs without
 * that lock (it may call keystore_* itself) on the caller's thread; the key
 * it is lent stays valid even if another thread drops it meanwhile.
 *
 * Errors: 0 or a KEYSTORE_E* code; functions taking ERRMSG put a reason
 * for an operator there (never key material). */
#ifndef WARD_KEYSTORE_KEYSTORE_H
#define WARD_KEYSTORE_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pki/pki.h"
#include "store/store.h"

#define KEYSTORE_ERRORS(X)                                                     \
	X(KEYSTORE_OK, "ok")                                                   \
	X(KEYSTORE_ENOMEM, "out of memory")                                    \
	X(KEYSTORE_EINVAL, "invalid argument")                                 \
	X(KEYSTORE_ENOKEK, "no key-encryption key is held")                    \
	X(KEYSTORE_EKEKFILE, "the key-encryption key file cannot be used")     \
	X(KEYSTORE_EWRONGKEK, "not the cluster's key-encryption key")          \
	X(KEYSTORE_ENOKEY, "no such key is held")                              \
	X(KEYSTORE_EUNWRAP, "does not unwrap with this key-encryption key")    \
	X(KEYSTORE_EMISMATCH, "the key is not the certificate's")              \
	X(KEYSTORE_ECRYPTO, "a cryptographic operation failed")                \
	X(KEYSTORE_ETOOSMALL, "the output buffer is too small")

#define KEYSTORE_ERROR_ENUM(name, text) name,
enum keystore_error { KEYSTORE_ERRORS(KEYSTORE_ERROR_ENUM) };
#undef KEYSTORE_ERROR_ENUM

struct keystore; /* opaque */

/* A keystore whose KEK lives in KEK_PATH (copied; DATA/kek). No I/O.
 * *out transferred: free with keystore_free. */
int keystore_new(const char *kek_path, struct keystore **out);
/* Wipes the KEK and every held key, then frees KS. Accepts NULL. No other
 * thread may use KS any more. */
void keystore_free(struct keystore *ks);
/* Wipes the KEK (whatever the acquires) and drops every held key: for a
 * node leaving its cluster. */
void keystore_wipe(struct keystore *ks);
/* Static text of CODE; never NULL. */
const char *keystore_strerror(int code);

/* ---- the KEK ---------------------------------------------------------- */

/* Makes a fresh random KEK (a new cluster), held as by one acquire; its id
 * into ID. KEYSTORE_EINVAL if a KEK is held already. */
int keystore_kek_generate(struct keystore *ks, uint8_t id[PKI_KEK_ID_LEN]);
/* Reads the KEK file (unless a KEK is held) and counts one more user. If
 * WANT_ID is not NULL the KEK must have that id (pki_kek_id), else
 * KEYSTORE_EWRONGKEK and nothing is held. KEYSTORE_EKEKFILE if the file is
 * missing, unsafe (see pki_kek_load) or malformed. */
int keystore_kek_acquire(struct keystore *ks,
			 const uint8_t want_id[PKI_KEK_ID_LEN], char *errmsg,
			 size_t errcap);
/* One user fewer; the last one wipes the KEK. Accepts NULL; a release
 * without an acquire is ignored. */
void keystore_kek_release(struct keystore *ks);
/* The held KEK's id. KEYSTORE_ENOKEK if none is held. */
int keystore_kek_id(struct keystore *ks, uint8_t id[PKI_KEK_ID_LEN]);
/* Writes the held KEK to KEK_PATH (0600, atomically: pki_kek_save). */
int keystore_kek_save(struct keystore *ks, char *errmsg, size_t errcap);
/* Member: seals the held KEK to a joiner (pki_kek_seal). */
int keystore_kek_seal(struct keystore *ks,
		      const uint8_t joiner_pub[PKI_X25519_LEN],
		      const char *cluster_id, uint64_t node_id,
		      uint8_t out[PKI_KEK_SEALED_LEN]);
/* Joiner: opens a sealed KEK with JOINER_PRIV (borrowed; pki_kek_open) and
 * holds it as by one acquire, if its id is WANT_ID. KEYSTORE_EUNWRAP if it
 * does not open, KEYSTORE_EWRONGKEK for another id, KEYSTORE_EINVAL if a
 * KEK is held already. */
int keystore_kek_open(struct keystore *ks, EVP_PKEY *joiner_priv,
		      const char *cluster_id, uint64_t node_id,
		      const void *sealed, size_t sealed_len,
		      const uint8_t want_id[PKI_KEK_ID_LEN], char *errmsg,
		      size_t errcap);

/* ---- secrets bound to a place in the store ----------------------------- */

/* PT (PT_LEN bytes, borrowed) wrapped under the held KEK for record KEY of
 * TABLE: *out malloc'ed, transferred (free()); not a secret. */
int keystore_wrap(struct keystore *ks, const char *table, const void *key,
		  size_t key_len, const void *pt, size_t pt_len, uint8_t **out,
		  size_t *out_len);
/* The inverse, into OUT (caller's, CAP bytes): KEYSTORE_EUNWRAP if IN was
 * not wrapped by this KEK for that place or was altered. OUT then holds a
 * secret: wipe it (OPENSSL_cleanse) as soon as it is used. */
int keystore_unwrap(struct keystore *ks, const char *table, const void *key,
		    size_t key_len, const void *in, size_t in_len, uint8_t *out,
		    size_t cap, size_t *out_len);

/* ---- private keys ------------------------------------------------------ */

/* KEY (borrowed) wrapped under the held KEK as the keys table's record of
 * (OWNER, ROLE), with the KEK's id: OUT->wrapped points to *wrapped
 * (malloc'ed, transferred). */
int keystore_key_wrap(struct keystore *ks, uint64_t owner, enum pki_role role,
		      const EVP_PKEY *key, struct store_key *out,
		      uint8_t **wrapped);
/* Unwraps the keys record WRAPPED (LEN bytes) of (OWNER, ROLE) with the
 * held KEK and holds it, replacing a key held there. */
int keystore_key_load(struct keystore *ks, uint64_t owner, enum pki_role role,
		      const void *wrapped, size_t len, char *errmsg,
		      size_t errcap);
/* Holds KEY (transferred, even on error) as (OWNER, ROLE). */
int keystore_key_put(struct keystore *ks, uint64_t owner, enum pki_role role,
		     EVP_PKEY *key);
/* 1 if a key of (OWNER, ROLE) is held, else 0. */
int keystore_key_held(struct keystore *ks, uint64_t owner, enum pki_role role);
/* Forgets the key of (OWNER, ROLE), if held. */
void keystore_key_drop(struct keystore *ks, uint64_t owner, enum pki_role role);

/* KEYSTORE_OK if the held key of (OWNER, ROLE) is CERT's (borrowed) key,
 * KEYSTORE_EMISMATCH if not, KEYSTORE_ENOKEY if none is held. */
int keystore_key_matches(struct keystore *ks, uint64_t owner,
			 enum pki_role role, X509 *cert);

/* FN's result, after lending it the held key of (OWNER, ROLE); FN's ARG is
 * passed through. KEYSTORE_ENOKEY (FN not called) if none is held. */
typedef int (*keystore_key_fn)(EVP_PKEY *key, void *arg);
int keystore_key_use(struct keystore *ks, uint64_t owner, enum pki_role role,
		     keystore_key_fn fn, void *arg);
/* As keystore_key_use, for the keys record WRAPPED of (OWNER, ROLE),
 * unwrapped with the held KEK for the call only and freed after it.
 * KEYSTORE_EUNWRAP (FN not called) with the reason in ERRMSG if it does
 * not unwrap. */
int keystore_key_use_wrapped(struct keystore *ks, uint64_t owner,
			     enum pki_role role, const void *wrapped,
			     size_t len, keystore_key_fn fn, void *arg,
			     char *errmsg, size_t errcap);
/* Unwraps the keys record WRAPPED of (OWNER, ROLE) and checks that it is
 * CERT's key (a joiner's wrapped keys, before they are stored); nothing is
 * held. KEYSTORE_EUNWRAP or KEYSTORE_EMISMATCH with the reason. */
int keystore_key_check(struct keystore *ks, uint64_t owner, enum pki_role role,
		       const void *wrapped, size_t len, X509 *cert,
		       char *errmsg, size_t errcap);

/* Signs DATA (LEN bytes) with the held key of (OWNER, ROLE): DIGEST names
 * the hash ("SHA256", "SHA1", ...; NULL for keys that take none, such as
 * Ed25519); RSA keys sign PKCS#1 v1.5, EC keys DER-encoded ECDSA. SIG
 * (caller's, CAP bytes) receives *SIG_LEN bytes; KEYSTORE_ETOOSMALL if CAP
 * is less than the key's signature size. */
int keystore_sign(struct keystore *ks, uint64_t owner, enum pki_role role,
		  const char *digest, const void *data, size_t len,
		  uint8_t *sig, size_t cap, size_t *sig_len);

#endif
