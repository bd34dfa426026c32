/* keystore: the KEK and held private keys behind one mutex (see
 * keystore.h for the contract). */
#include "keystore/keystore.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/errmsg.h"
#include "common/hex.h"

/* The secret part: a page of its own, locked and kept out of core dumps. */
struct keystore_secret {
	uint8_t kek[PKI_KEK_LEN];
	uint8_t kek_id[PKI_KEK_ID_LEN];
};

struct keystore_slot {
	uint64_t owner;
	enum pki_role role;
	EVP_PKEY *key; /* owned */
};

struct keystore {
	pthread_mutex_t lock;
	char *kek_path;			/* owned */
	struct keystore_secret *secret; /* owned: mmap'ed page */
	size_t secret_size;
	unsigned kek_users;	     /* 0: no KEK held */
	struct keystore_slot *slots; /* owned */
	size_t n_slots, cap_slots;
};

const char *keystore_strerror(int code)
{
#define KEYSTORE_ERROR_TEXT(name, text) [name] = text,
	static const char *const texts[] = {
	    KEYSTORE_ERRORS(KEYSTORE_ERROR_TEXT)};
#undef KEYSTORE_ERROR_TEXT

	if (code < 0 || (size_t)code >= sizeof texts / sizeof *texts)
		return "unknown keystore error";
	return texts[code];
}

int keystore_new(const char *kek_path, struct keystore **out)
{
	struct keystore *ks;
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	*out = NULL;
	if (!kek_path)
		return KEYSTORE_EINVAL;
	ks = calloc(1, sizeof *ks);
	if (!ks)
		return KEYSTORE_ENOMEM;
	ks->secret_size = page > 0 ? (size_t)page : 4096;
	p = mmap(NULL, ks->secret_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ks->kek_path = strdup(kek_path);
	if (p == MAP_FAILED || !ks->kek_path) {
		if (p != MAP_FAILED)
			munmap(p, ks->secret_size);
		free(ks->kek_path);
		free(ks);
		return KEYSTORE_ENOMEM;
	}
	/* Best effort: without CAP_IPC_LOCK a small RLIMIT_MEMLOCK may refuse
	 * it, and the KEK is still wiped after its last use. */
	(void)mlock(p, ks->secret_size);
#ifdef MADV_DONTDUMP
	(void)madvise(p, ks->secret_size, MADV_DONTDUMP);
#endif
	ks->secret = p;
	pthread_mutex_init(&ks->lock, NULL);
	*out = ks;
	return KEYSTORE_OK;
}

static void kek_wipe_locked(struct keystore *ks)
{
	OPENSSL_cleanse(ks->secret, sizeof *ks->secret);
	ks->kek_users = 0;
}

static void slots_clear_locked(struct keystore *ks)
{
	for (size_t i = 0; i < ks->n_slots; i++)
		EVP_PKEY_free(ks->slots[i].key);
	ks->n_slots = 0;
}

void keystore_wipe(struct keystore *ks)
{
	if (!ks)
		return;
	pthread_mutex_lock(&ks->lock);
	kek_wipe_locked(ks);
	slots_clear_locked(ks);
	pthread_mutex_unlock(&ks->lock);
}

void keystore_free(struct keystore *ks)
{
	if (!ks)
		return;
	keystore_wipe(ks);
	free(ks->slots);
	munlock(ks->secret, ks->secret_size);
	munmap(ks->secret, ks->secret_size);
	free(ks->kek_path);
	pthread_mutex_destroy(&ks->lock);
	free(ks);
}

/* ---- the KEK ---------------------------------------------------------- */

int keystore_kek_generate(struct keystore *ks, uint8_t id[PKI_KEK_ID_LEN])
{
	int rc = KEYSTORE_OK;

	pthread_mutex_lock(&ks->lock);
	if (ks->kek_users > 0) {
		rc = KEYSTORE_EINVAL;
	} else if (pki_kek_generate(ks->secret->kek) != 0 ||
		   pki_kek_id(ks->secret->kek, ks->secret->kek_id) != 0) {
		kek_wipe_locked(ks);
		rc = KEYSTORE_ECRYPTO;
	} else {
		ks->kek_users = 1;
		memcpy(id, ks->secret->kek_id, PKI_KEK_ID_LEN);
	}
	pthread_mutex_unlock(&ks->lock);
	return rc;
}

static int kek_id_check(const uint8_t have[PKI_KEK_ID_LEN],
			const uint8_t want[PKI_KEK_ID_LEN], const char *what,
			char *errmsg, size_t errcap)
{
	char h[2 * PKI_KEK_ID_LEN + 1], w[2 * PKI_KEK_ID_LEN + 1];

	if (!want || CRYPTO_memcmp(have, want, PKI_KEK_ID_LEN) == 0)
		return KEYSTORE_OK;
	hex_encode(have, PKI_KEK_ID_LEN, h);
	hex_encode(want, PKI_KEK_ID_LEN, w);
	errmsg_set(errmsg, errcap,
		   "%s is not the key-encryption key of the cluster (its id is "
		   "%s, the cluster's is %s)",
		   what, h, w);
	return KEYSTORE_EWRONGKEK;
}

int keystore_kek_acquire(struct keystore *ks,
			 const uint8_t want_id[PKI_KEK_ID_LEN], char *errmsg,
			 size_t errcap)
{
	char why[512] = "";
	int rc;

	pthread_mutex_lock(&ks->lock);
	if (ks->kek_users == 0) {
		if (pki_kek_load(ks->kek_path, ks->secret->kek, why,
				 sizeof why) != 0) {
			kek_wipe_locked(ks);
			errmsg_set(errmsg, errcap, "%s",
				   why[0] ? why
					  : "the KEK file cannot be read");
			rc = KEYSTORE_EKEKFILE;
			goto out;
		}
		if (pki_kek_id(ks->secret->kek, ks->secret->kek_id) != 0) {
			kek_wipe_locked(ks);
			rc = KEYSTORE_ECRYPTO;
			goto out;
		}
	}
	rc = kek_id_check(ks->secret->kek_id, want_id, ks->kek_path, errmsg,
			  errcap);
	if (rc == KEYSTORE_OK)
		ks->kek_users++;
	else if (ks->kek_users == 0)
		kek_wipe_locked(ks);
out:
	pthread_mutex_unlock(&ks->lock);
	return rc;
}

void keystore_kek_release(struct keystore *ks)
{
	if (!ks)
		return;
	pthread_mutex_lock(&ks->lock);
	if (ks->kek_users > 0 && --ks->kek_users == 0)
		kek_wipe_locked(ks);
	pthread_mutex_unlock(&ks->lock);
}

int keystore_kek_id(struct keystore *ks, uint8_t id[PKI_KEK_ID_LEN])
{
	int rc = KEYSTORE_ENOKEK;

	pthread_mutex_lock(&ks->lock);
	if (ks->kek_users > 0) {
		memcpy(id, ks->secret->kek_id, PKI_KEK_ID_LEN);
		rc = KEYSTORE_OK;
	}
	pthread_mutex_unlock(&ks->lock);
	return rc;
}

int keystore_kek_save(struct keystore *ks, char *errmsg, size_t errcap)
{
	int rc = KEYSTORE_ENOKEK;

	pthread_mutex_lock(&ks->lock);
	if (ks->kek_users > 0)
		rc = pki_kek_save(ks->kek_path, ks->secret->kek, errmsg,
				  errcap) == 0
			 ? KEYSTORE_OK
			 : KEYSTORE_EKEKFILE;
	else
		errmsg_set(errmsg, errcap, "no key-encryption key to save");
	pthread_mutex_unlock(&ks->lock);
	return rc;
}

int keystore_kek_seal(struct keystore *ks,
		      const uint8_t joiner_pub[PKI_X25519_LEN],
		      const char *cluster_id, uint64_t node_id,
		      uint8_t out[PKI_KEK_SEALED_LEN])
{
	int rc = KEYSTORE_ENOKEK;

	pthread_mutex_lock(&ks->lock);
	if (ks->kek_users > 0)
		rc = pki_kek_seal(ks->secret->kek, joiner_pub, cluster_id,
				  node_id, out) == 0
			 ? KEYSTORE_OK
			 : KEYSTORE_ECRYPTO;
	pthread_mutex_unlock(&ks->lock);
	return rc;
}

int keystore_kek_open(struct keystore *ks, EVP_PKEY *joiner_priv,
		      const char *cluster_id, uint64_t node_id,
		      const void *sealed, size_t sealed_len,
		      const uint8_t want_id[PKI_KEK_ID_LEN], char *errmsg,
		      size_t errcap)
{
	int rc;

	pthread_mutex_lock(&ks->lock);
	if (ks->kek_users > 0) {
		rc = KEYSTORE_EINVAL;
		goto out;
	}
	if (pki_kek_open(joiner_priv, cluster_id, node_id, sealed, sealed_len,
			 ks->secret->kek) != 0) {
		kek_wipe_locked(ks);
		errmsg_set(errmsg, errcap,
			   "the cluster key-encryption key does not open with "
			   "this node's X25519 key");
		rc = KEYSTORE_EUNWRAP;
		goto out;
	}
	if (pki_kek_id(ks->secret->kek, ks->secret->kek_id) != 0) {
		kek_wipe_locked(ks);
		rc = KEYSTORE_ECRYPTO;
		goto out;
	}
	rc = KEYSTORE_OK;
	if (want_id &&
	    CRYPTO_memcmp(ks->secret->kek_id, want_id, PKI_KEK_ID_LEN) != 0) {
		char h[2 * PKI_KEK_ID_LEN + 1], w[2 * PKI_KEK_ID_LEN + 1];

		hex_encode(ks->secret->kek_id, PKI_KEK_ID_LEN, h);
		hex_encode(want_id, PKI_KEK_ID_LEN, w);
		errmsg_set(errmsg, errcap,
			   "the key-encryption key delivered has id %s, the "
			   "cluster's is %s",
			   h, w);
		rc = KEYSTORE_EWRONGKEK;
	}
	if (rc == KEYSTORE_OK)
		ks->kek_users = 1;
	else
		kek_wipe_locked(ks);
out:
	pthread_mutex_unlock(&ks->lock);
	return rc;
}

/* ---- secrets bound to a place in the store ----------------------------- */

int keystore_wrap(struct keystore *ks, const char *table, const void *key,
		  size_t key_len, const void *pt, size_t pt_len, uint8_t **out,
		  size_t *out_len)
{
	uint8_t aad[300];
	size_t aad_len = 0, cap = pt_len + PKI_WRAP_OVERHEAD;
	int rc = KEYSTORE_ENOKEK;

	*out = NULL;
	*out_len = 0;
	if (pki_aad(table, key, key_len, aad, sizeof aad, &aad_len) != 0)
		return KEYSTORE_EINVAL;
	*out = malloc(cap);
	if (!*out)
		return KEYSTORE_ENOMEM;
	pthread_mutex_lock(&ks->lock);
	if (ks->kek_users > 0)
		rc = pki_wrap(ks->secret->kek, aad, aad_len, pt, pt_len, *out,
			      cap, out_len) == 0
			 ? KEYSTORE_OK
			 : KEYSTORE_ECRYPTO;
	pthread_mutex_unlock(&ks->lock);
	if (rc != KEYSTORE_OK) {
		free(*out);
		*out = NULL;
		*out_len = 0;
	}
	return rc;
}

int keystore_unwrap(struct keystore *ks, const char *table, const void *key,
		    size_t key_len, const void *in, size_t in_len, uint8_t *out,
		    size_t cap, size_t *out_len)
{
	uint8_t aad[300];
	size_t aad_len = 0;
	int rc = KEYSTORE_ENOKEK;

	*out_len = 0;
	if (pki_aad(table, key, key_len, aad, sizeof aad, &aad_len) != 0)
		return KEYSTORE_EINVAL;
	if (in_len >= PKI_WRAP_OVERHEAD && cap < in_len - PKI_WRAP_OVERHEAD)
		return KEYSTORE_ETOOSMALL;
	pthread_mutex_lock(&ks->lock);
	if (ks->kek_users > 0)
		rc = pki_unwrap(ks->secret->kek, aad, aad_len, in, in_len, out,
				cap, out_len) == 0
			 ? KEYSTORE_OK
			 : KEYSTORE_EUNWRAP;
	pthread_mutex_unlock(&ks->lock);
	return rc;
}

/* ---- private keys ------------------------------------------------------ */

/* The AAD of the keys record of (OWNER, ROLE). */
static int key_aad(uint64_t owner, enum pki_role role, uint8_t *aad, size_t cap,
		   size_t *len)
{
	uint8_t key[STORE_CERT_KEY_LEN];

	store_key_cert(owner, (enum store_cert_role)role, key);
	return pki_aad(store_table_name(STORE_T_KEYS), key, sizeof key, aad,
		       cap, len);
}

int keystore_key_wrap(struct keystore *ks, uint64_t owner, enum pki_role role,
		      const EVP_PKEY *key, struct store_key *out,
		      uint8_t **wrapped)
{
	uint8_t aad[64];
	size_t aad_len = 0, len = 0;
	int rc = KEYSTORE_ENOKEK;

	*wrapped = NULL;
	memset(out, 0, sizeof *out);
	if (!key || key_aad(owner, role, aad, sizeof aad, &aad_len) != 0)
		return KEYSTORE_EINVAL;
	pthread_mutex_lock(&ks->lock);
	if (ks->kek_users > 0) {
		rc = pki_key_wrap(ks->secret->kek, aad, aad_len, key, wrapped,
				  &len) == 0
			 ? KEYSTORE_OK
			 : KEYSTORE_ECRYPTO;
		memcpy(out->kek_id, ks->secret->kek_id, PKI_KEK_ID_LEN);
	}
	pthread_mutex_unlock(&ks->lock);
	if (rc != KEYSTORE_OK)
		return rc;
	out->owner = owner;
	out->role = (uint32_t)role;
	out->wrapped = *wrapped;
	out->wrapped_len = len;
	return KEYSTORE_OK;
}

/* Unwraps a keys record into *OUT (transferred). */
static int key_unwrap(struct keystore *ks, uint64_t owner, enum pki_role role,
		      const void *wrapped, size_t len, EVP_PKEY **out,
		      char *errmsg, size_t errcap)
{
	uint8_t aad[64];
	size_t aad_len = 0;
	int rc = KEYSTORE_ENOKEK;

	*out = NULL;
	if (key_aad(owner, role, aad, sizeof aad, &aad_len) != 0)
		return KEYSTORE_EINVAL;
	pthread_mutex_lock(&ks->lock);
	if (ks->kek_users > 0)
		rc = pki_key_unwrap(ks->secret->kek, aad, aad_len, wrapped, len,
				    out) == 0
			 ? KEYSTORE_OK
			 : KEYSTORE_EUNWRAP;
	pthread_mutex_unlock(&ks->lock);
	if (rc == KEYSTORE_EUNWRAP)
		errmsg_set(errmsg, errcap,
			   "the %s key of node %llu does not unwrap with this "
			   "KEK",
			   pki_role_name(role), (unsigned long long)owner);
	else if (rc != KEYSTORE_OK)
		errmsg_set(errmsg, errcap, "the %s key of node %llu: %s",
			   pki_role_name(role), (unsigned long long)owner,
			   keystore_strerror(rc));
	return rc;
}

static struct keystore_slot *
slot_find_locked(struct keystore *ks, uint64_t owner, enum pki_role role)
{
	for (size_t i = 0; i < ks->n_slots; i++)
		if (ks->slots[i].owner == owner && ks->slots[i].role == role)
			return &ks->slots[i];
	return NULL;
}

int keystore_key_put(struct keystore *ks, uint64_t owner, enum pki_role role,
		     EVP_PKEY *key)
{
	struct keystore_slot *s;
	int rc = KEYSTORE_OK;

	if (!key)
		return KEYSTORE_EINVAL;
	pthread_mutex_lock(&ks->lock);
	s = slot_find_locked(ks, owner, role);
	if (s) {
		EVP_PKEY_free(s->key);
		s->key = key;
		goto out;
	}
	if (ks->n_slots == ks->cap_slots) {
		size_t cap = ks->cap_slots ? 2 * ks->cap_slots : 8;
		struct keystore_slot *v = realloc(ks->slots, cap * sizeof *v);

		if (!v) {
			EVP_PKEY_free(key);
			rc = KEYSTORE_ENOMEM;
			goto out;
		}
		ks->slots = v;
		ks->cap_slots = cap;
	}
	ks->slots[ks->n_slots++] =
	    (struct keystore_slot){.owner = owner, .role = role, .key = key};
out:
	pthread_mutex_unlock(&ks->lock);
	return rc;
}

int keystore_key_load(struct keystore *ks, uint64_t owner, enum pki_role role,
		      const void *wrapped, size_t len, char *errmsg,
		      size_t errcap)
{
	EVP_PKEY *key;
	int rc =
	    key_unwrap(ks, owner, role, wrapped, len, &key, errmsg, errcap);

	return rc == KEYSTORE_OK ? keystore_key_put(ks, owner, role, key) : rc;
}

int keystore_key_held(struct keystore *ks, uint64_t owner, enum pki_role role)
{
	int held;

	pthread_mutex_lock(&ks->lock);
	held = slot_find_locked(ks, owner, role) != NULL;
	pthread_mutex_unlock(&ks->lock);
	return held;
}

void keystore_key_drop(struct keystore *ks, uint64_t owner, enum pki_role role)
{
	struct keystore_slot *s;

	pthread_mutex_lock(&ks->lock);
	s = slot_find_locked(ks, owner, role);
	if (s) {
		EVP_PKEY_free(s->key);
		*s = ks->slots[--ks->n_slots];
	}
	pthread_mutex_unlock(&ks->lock);
}

/* A reference to the held key (key_unref it), or NULL. */
static EVP_PKEY *key_ref(struct keystore *ks, uint64_t owner,
			 enum pki_role role)
{
	struct keystore_slot *s;
	EVP_PKEY *key = NULL;

	pthread_mutex_lock(&ks->lock);
	s = slot_find_locked(ks, owner, role);
	if (s && EVP_PKEY_up_ref(s->key) == 1)
		key = s->key;
	pthread_mutex_unlock(&ks->lock);
	return key;
}

/* Drops a reference key_ref gave. Under the lock: the last reference may
 * be this one, and the lock orders every user's reads of the key before
 * the free for tools that cannot see OpenSSL's atomic reference count
 * (ThreadSanitizer). */
static void key_unref(struct keystore *ks, EVP_PKEY *key)
{
	pthread_mutex_lock(&ks->lock);
	EVP_PKEY_free(key);
	pthread_mutex_unlock(&ks->lock);
}

int keystore_key_matches(struct keystore *ks, uint64_t owner,
			 enum pki_role role, X509 *cert)
{
	EVP_PKEY *key = key_ref(ks, owner, role);
	int rc;

	if (!key)
		return KEYSTORE_ENOKEY;
	rc = cert && EVP_PKEY_eq(X509_get0_pubkey(cert), key) == 1
		 ? KEYSTORE_OK
		 : KEYSTORE_EMISMATCH;
	key_unref(ks, key);
	return rc;
}

int keystore_key_use(struct keystore *ks, uint64_t owner, enum pki_role role,
		     keystore_key_fn fn, void *arg)
{
	EVP_PKEY *key = key_ref(ks, owner, role);
	int rc;

	if (!key)
		return KEYSTORE_ENOKEY;
	rc = fn(key, arg);
	key_unref(ks, key);
	return rc;
}

int keystore_key_use_wrapped(struct keystore *ks, uint64_t owner,
			     enum pki_role role, const void *wrapped,
			     size_t len, keystore_key_fn fn, void *arg,
			     char *errmsg, size_t errcap)
{
	EVP_PKEY *key;
	int rc =
	    key_unwrap(ks, owner, role, wrapped, len, &key, errmsg, errcap);

	if (rc != KEYSTORE_OK)
		return rc;
	rc = fn(key, arg);
	EVP_PKEY_free(key);
	return rc;
}

int keystore_key_check(struct keystore *ks, uint64_t owner, enum pki_role role,
		       const void *wrapped, size_t len, X509 *cert,
		       char *errmsg, size_t errcap)
{
	EVP_PKEY *key;
	int rc =
	    key_unwrap(ks, owner, role, wrapped, len, &key, errmsg, errcap);

	if (rc != KEYSTORE_OK)
		return rc;
	if (!cert || EVP_PKEY_eq(X509_get0_pubkey(cert), key) != 1) {
		errmsg_set(errmsg, errcap,
			   "the %s key is not its certificate's",
			   pki_role_name(role));
		rc = KEYSTORE_EMISMATCH;
	}
	EVP_PKEY_free(key);
	return rc;
}

int keystore_sign(struct keystore *ks, uint64_t owner, enum pki_role role,
		  const char *digest, const void *data, size_t len,
		  uint8_t *sig, size_t cap, size_t *sig_len)
{
	EVP_PKEY *key = key_ref(ks, owner, role);
	EVP_MD_CTX *ctx = NULL;
	size_t need = 0;
	int rc = KEYSTORE_ECRYPTO;

	*sig_len = 0;
	if (!key)
		return KEYSTORE_ENOKEY;
	ctx = EVP_MD_CTX_new();
	if (!ctx ||
	    EVP_DigestSignInit_ex(ctx, NULL, digest, NULL, NULL, key, NULL) !=
		1 ||
	    EVP_DigestSign(ctx, NULL, &need, data, len) != 1)
		goto out;
	if (cap < need) {
		rc = KEYSTORE_ETOOSMALL;
		goto out;
	}
	*sig_len = cap;
	if (EVP_DigestSign(ctx, sig, sig_len, data, len) != 1) {
		*sig_len = 0;
		goto out;
	}
	rc = KEYSTORE_OK;
out:
	EVP_MD_CTX_free(ctx);
	key_unref(ks, key);
	return rc;
}
