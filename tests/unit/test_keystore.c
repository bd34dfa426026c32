/* test_keystore: the one holder of the cluster KEK and of unwrapped
 * private keys — the KEK's file, id check and reference count, wrapping
 * bound to a place in the store, held and lent keys, signing, delivery of
 * the KEK to a joiner, wiping, and use from several threads at once. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "keystore/keystore.h"

struct fx {
	char dir[64];
	char kek_path[96];
	uint8_t kek[PKI_KEK_LEN];
	uint8_t kek_id[PKI_KEK_ID_LEN];
	struct keystore *ks;
};

static int rm_dir(struct fx *f)
{
	unlink(f->kek_path);
	return rmdir(f->dir);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/ward-keystore.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->kek_path, sizeof f->kek_path, "%s/kek", f->dir);
	assert_int_equal(pki_kek_generate(f->kek), 0);
	assert_int_equal(pki_kek_id(f->kek, f->kek_id), 0);
	assert_int_equal(pki_kek_save(f->kek_path, f->kek, NULL, 0), 0);
	assert_int_equal(keystore_new(f->kek_path, &f->ks), KEYSTORE_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	keystore_free(f->ks);
	rm_dir(f);
	OPENSSL_cleanse(f->kek, sizeof f->kek);
	free(f);
	return 0;
}

/* A certificate-less stand-in: the public half of KEY, for EVP checks. */
static EVP_PKEY *make_key(void)
{
	EVP_PKEY *k = NULL;

	assert_int_equal(pki_key_generate(PKI_KEY_ECDSA_P256, &k), 0);
	return k;
}

static int verify(EVP_PKEY *key, const void *data, size_t len,
		  const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	assert_non_null(ctx);
	ok = EVP_DigestVerifyInit_ex(ctx, NULL, "SHA256", NULL, NULL, key,
				     NULL) == 1 &&
	     EVP_DigestVerify(ctx, sig, sig_len, data, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

static void test_kek_is_read_checked_and_counted(void **state)
{
	struct fx *f = *state;
	uint8_t id[PKI_KEK_ID_LEN], other[PKI_KEK_ID_LEN];
	char errmsg[256] = "";

	/* Nothing is held before the first acquire. */
	assert_int_equal(keystore_kek_id(f->ks, id), KEYSTORE_ENOKEK);
	assert_int_equal(
	    keystore_kek_acquire(f->ks, f->kek_id, errmsg, sizeof errmsg),
	    KEYSTORE_OK);
	assert_int_equal(keystore_kek_id(f->ks, id), KEYSTORE_OK);
	assert_memory_equal(id, f->kek_id, sizeof id);
	/* A second user; the KEK stays until both have released it. */
	assert_int_equal(keystore_kek_acquire(f->ks, NULL, NULL, 0),
			 KEYSTORE_OK);
	keystore_kek_release(f->ks);
	assert_int_equal(keystore_kek_id(f->ks, id), KEYSTORE_OK);
	keystore_kek_release(f->ks);
	assert_int_equal(keystore_kek_id(f->ks, id), KEYSTORE_ENOKEK);
	/* An extra release is harmless. */
	keystore_kek_release(f->ks);

	/* The file is read again at the next use: another id is refused. */
	memcpy(other, f->kek_id, sizeof other);
	other[0] ^= 1;
	assert_int_equal(
	    keystore_kek_acquire(f->ks, other, errmsg, sizeof errmsg),
	    KEYSTORE_EWRONGKEK);
	assert_non_null(strstr(errmsg, "is not the key-encryption key"));
	assert_int_equal(keystore_kek_id(f->ks, id), KEYSTORE_ENOKEK);
	unlink(f->kek_path);
	assert_int_equal(
	    keystore_kek_acquire(f->ks, f->kek_id, errmsg, sizeof errmsg),
	    KEYSTORE_EKEKFILE);
	assert_non_null(strstr(errmsg, f->kek_path));
}

static void test_kek_file_must_be_private(void **state)
{
	struct fx *f = *state;
	char errmsg[256] = "";

	assert_int_equal(chmod(f->kek_path, 0644), 0);
	assert_int_equal(
	    keystore_kek_acquire(f->ks, NULL, errmsg, sizeof errmsg),
	    KEYSTORE_EKEKFILE);
	assert_true(errmsg[0] != '\0');
}

static void test_generated_kek_is_saved_and_read_back(void **state)
{
	struct fx *f = *state;
	uint8_t id[PKI_KEK_ID_LEN], id2[PKI_KEK_ID_LEN], pt[5] = "hello";
	uint8_t *w = NULL, back[16];
	size_t wlen = 0, blen = 0;
	struct stat st;

	unlink(f->kek_path);
	assert_int_equal(keystore_kek_generate(f->ks, id), KEYSTORE_OK);
	/* Only one KEK at a time. */
	assert_int_equal(keystore_kek_generate(f->ks, id2), KEYSTORE_EINVAL);
	assert_int_equal(keystore_kek_save(f->ks, NULL, 0), KEYSTORE_OK);
	assert_int_equal(stat(f->kek_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(
	    keystore_wrap(f->ks, "users", "bob", 3, pt, sizeof pt, &w, &wlen),
	    KEYSTORE_OK);
	keystore_kek_release(f->ks);
	assert_int_equal(keystore_kek_id(f->ks, id2), KEYSTORE_ENOKEK);
	/* What was wrapped before opens with the KEK read from the file. */
	assert_int_equal(keystore_kek_acquire(f->ks, id, NULL, 0), KEYSTORE_OK);
	assert_int_equal(keystore_unwrap(f->ks, "users", "bob", 3, w, wlen,
					 back, sizeof back, &blen),
			 KEYSTORE_OK);
	assert_int_equal(blen, sizeof pt);
	assert_memory_equal(back, pt, sizeof pt);
	keystore_kek_release(f->ks);
	free(w);
}

static void test_wrapped_secret_is_bound_to_its_place(void **state)
{
	struct fx *f = *state;
	uint8_t pt[16] = "HA1-of-bob-here", *w = NULL, back[32];
	size_t wlen = 0, blen = 0;

	/* Without the KEK nothing wraps. */
	assert_int_equal(
	    keystore_wrap(f->ks, "users", "bob", 3, pt, sizeof pt, &w, &wlen),
	    KEYSTORE_ENOKEK);
	assert_null(w);
	assert_int_equal(keystore_kek_acquire(f->ks, f->kek_id, NULL, 0),
			 KEYSTORE_OK);
	assert_int_equal(
	    keystore_wrap(f->ks, "users", "bob", 3, pt, sizeof pt, &w, &wlen),
	    KEYSTORE_OK);
	assert_int_equal(wlen, sizeof pt + PKI_WRAP_OVERHEAD);
	assert_int_equal(keystore_unwrap(f->ks, "users", "bob", 3, w, wlen,
					 back, sizeof back, &blen),
			 KEYSTORE_OK);
	assert_memory_equal(back, pt, sizeof pt);
	/* Another record, another table, an altered byte: refused. */
	assert_int_equal(keystore_unwrap(f->ks, "users", "eve", 3, w, wlen,
					 back, sizeof back, &blen),
			 KEYSTORE_EUNWRAP);
	assert_int_equal(keystore_unwrap(f->ks, "realms", "bob", 3, w, wlen,
					 back, sizeof back, &blen),
			 KEYSTORE_EUNWRAP);
	w[wlen - 1] ^= 1;
	assert_int_equal(keystore_unwrap(f->ks, "users", "bob", 3, w, wlen,
					 back, sizeof back, &blen),
			 KEYSTORE_EUNWRAP);
	w[wlen - 1] ^= 1;
	assert_int_equal(
	    keystore_unwrap(f->ks, "users", "bob", 3, w, wlen, back, 4, &blen),
	    KEYSTORE_ETOOSMALL);
	keystore_kek_release(f->ks);
	assert_int_equal(keystore_unwrap(f->ks, "users", "bob", 3, w, wlen,
					 back, sizeof back, &blen),
			 KEYSTORE_ENOKEK);
	free(w);
}

static void test_held_key_signs_and_is_dropped(void **state)
{
	struct fx *f = *state;
	EVP_PKEY *key = make_key();
	struct store_key rec;
	uint8_t *wrapped = NULL, sig[256], id[PKI_KEK_ID_LEN];
	size_t sig_len = 0;
	const char msg[] = "ITLFile.tlv contents";
	char errmsg[256] = "";

	assert_int_equal(keystore_kek_acquire(f->ks, f->kek_id, NULL, 0),
			 KEYSTORE_OK);
	assert_int_equal(
	    keystore_key_wrap(f->ks, 7, PKI_ROLE_TFTP, key, &rec, &wrapped),
	    KEYSTORE_OK);
	assert_int_equal(rec.owner, 7);
	assert_int_equal(rec.role, PKI_ROLE_TFTP);
	assert_int_equal(keystore_kek_id(f->ks, id), KEYSTORE_OK);
	assert_memory_equal(rec.kek_id, id, sizeof id);
	/* Bound to (owner, role): loading it as another's fails. */
	assert_int_equal(keystore_key_load(f->ks, 8, PKI_ROLE_TFTP, rec.wrapped,
					   rec.wrapped_len, errmsg,
					   sizeof errmsg),
			 KEYSTORE_EUNWRAP);
	assert_non_null(strstr(errmsg, "does not unwrap"));
	assert_int_equal(keystore_key_load(f->ks, 7, PKI_ROLE_CAPF, rec.wrapped,
					   rec.wrapped_len, NULL, 0),
			 KEYSTORE_EUNWRAP);
	assert_false(keystore_key_held(f->ks, 7, PKI_ROLE_TFTP));
	assert_int_equal(keystore_key_load(f->ks, 7, PKI_ROLE_TFTP, rec.wrapped,
					   rec.wrapped_len, NULL, 0),
			 KEYSTORE_OK);
	/* A held key outlives the KEK. */
	keystore_kek_release(f->ks);
	assert_true(keystore_key_held(f->ks, 7, PKI_ROLE_TFTP));
	assert_int_equal(keystore_sign(f->ks, 7, PKI_ROLE_TFTP, "SHA256", msg,
				       sizeof msg, sig, sizeof sig, &sig_len),
			 KEYSTORE_OK);
	assert_true(verify(key, msg, sizeof msg, sig, sig_len));
	assert_false(verify(key, "other", 5, sig, sig_len));
	assert_int_equal(keystore_sign(f->ks, 7, PKI_ROLE_TFTP, "SHA256", msg,
				       sizeof msg, sig, 8, &sig_len),
			 KEYSTORE_ETOOSMALL);
	keystore_key_drop(f->ks, 7, PKI_ROLE_TFTP);
	assert_false(keystore_key_held(f->ks, 7, PKI_ROLE_TFTP));
	assert_int_equal(keystore_sign(f->ks, 7, PKI_ROLE_TFTP, "SHA256", msg,
				       sizeof msg, sig, sizeof sig, &sig_len),
			 KEYSTORE_ENOKEY);
	free(wrapped);
	EVP_PKEY_free(key);
}

static int lend_sign(EVP_PKEY *key, void *arg)
{
	EVP_PKEY **seen = arg;

	/* The public half is compared after the call, not the pointer. */
	*seen = EVP_PKEY_dup(key);
	return 42;
}

static void test_wrapped_key_is_lent_for_one_call(void **state)
{
	struct fx *f = *state;
	EVP_PKEY *key = make_key(), *seen = NULL;
	struct store_key rec;
	uint8_t *wrapped = NULL;
	char errmsg[256] = "";

	assert_int_equal(keystore_kek_acquire(f->ks, f->kek_id, NULL, 0),
			 KEYSTORE_OK);
	assert_int_equal(
	    keystore_key_wrap(f->ks, 0, PKI_ROLE_CA, key, &rec, &wrapped),
	    KEYSTORE_OK);
	assert_int_equal(keystore_key_use_wrapped(f->ks, 0, PKI_ROLE_CA,
						  rec.wrapped, rec.wrapped_len,
						  lend_sign, &seen, errmsg,
						  sizeof errmsg),
			 42);
	assert_non_null(seen);
	assert_int_equal(EVP_PKEY_eq(seen, key), 1);
	EVP_PKEY_free(seen);
	seen = NULL;
	/* Nothing stays held. */
	assert_false(keystore_key_held(f->ks, 0, PKI_ROLE_CA));
	assert_int_equal(
	    keystore_key_use(f->ks, 0, PKI_ROLE_CA, lend_sign, &seen),
	    KEYSTORE_ENOKEY);
	assert_null(seen);
	/* Without the KEK it is not unwrapped, and FN is not called. */
	keystore_kek_release(f->ks);
	assert_int_equal(keystore_key_use_wrapped(f->ks, 0, PKI_ROLE_CA,
						  rec.wrapped, rec.wrapped_len,
						  lend_sign, &seen, errmsg,
						  sizeof errmsg),
			 KEYSTORE_ENOKEK);
	assert_null(seen);
	free(wrapped);
	EVP_PKEY_free(key);
}

static void test_key_check_and_match_compare_with_certificate(void **state)
{
	struct fx *f = *state;
	EVP_PKEY *key = make_key(), *other = make_key();
	struct store_key rec;
	uint8_t *wrapped = NULL;
	char errmsg[256] = "";
	X509 *cert = NULL;

	/* A self-signed CA certificate carries KEY's public half. */
	assert_int_equal(pki_ca_create(key,
				       "00000000-0000-4000-8000-"
				       "000000000001",
				       "c", 1, &cert, NULL, 0),
			 0);
	assert_int_equal(keystore_kek_acquire(f->ks, f->kek_id, NULL, 0),
			 KEYSTORE_OK);
	assert_int_equal(
	    keystore_key_wrap(f->ks, 3, PKI_ROLE_HTTPS, key, &rec, &wrapped),
	    KEYSTORE_OK);
	assert_int_equal(keystore_key_check(f->ks, 3, PKI_ROLE_HTTPS,
					    rec.wrapped, rec.wrapped_len, cert,
					    errmsg, sizeof errmsg),
			 KEYSTORE_OK);
	free(wrapped);
	assert_int_equal(
	    keystore_key_wrap(f->ks, 3, PKI_ROLE_HTTPS, other, &rec, &wrapped),
	    KEYSTORE_OK);
	assert_int_equal(keystore_key_check(f->ks, 3, PKI_ROLE_HTTPS,
					    rec.wrapped, rec.wrapped_len, cert,
					    errmsg, sizeof errmsg),
			 KEYSTORE_EMISMATCH);
	assert_non_null(strstr(errmsg, "not its certificate's"));
	assert_false(keystore_key_held(f->ks, 3, PKI_ROLE_HTTPS));
	/* Held keys: the same comparison. */
	assert_int_equal(keystore_key_matches(f->ks, 3, PKI_ROLE_HTTPS, cert),
			 KEYSTORE_ENOKEY);
	assert_int_equal(keystore_key_put(f->ks, 3, PKI_ROLE_HTTPS, other),
			 KEYSTORE_OK);
	other = NULL; /* transferred */
	assert_int_equal(keystore_key_matches(f->ks, 3, PKI_ROLE_HTTPS, cert),
			 KEYSTORE_EMISMATCH);
	assert_int_equal(EVP_PKEY_up_ref(key), 1);
	assert_int_equal(keystore_key_put(f->ks, 3, PKI_ROLE_HTTPS, key),
			 KEYSTORE_OK);
	assert_int_equal(keystore_key_matches(f->ks, 3, PKI_ROLE_HTTPS, cert),
			 KEYSTORE_OK);
	keystore_kek_release(f->ks);
	free(wrapped);
	X509_free(cert);
	EVP_PKEY_free(key);
}

static void test_kek_is_delivered_sealed_to_a_joiner(void **state)
{
	struct fx *f = *state;
	struct keystore *joiner;
	EVP_PKEY *priv = NULL;
	uint8_t pub[PKI_X25519_LEN], sealed[PKI_KEK_SEALED_LEN];
	uint8_t id[PKI_KEK_ID_LEN], wrong[PKI_KEK_ID_LEN];
	uint8_t *w = NULL, back[8];
	size_t wlen = 0, blen = 0;
	char path[128], errmsg[256] = "";
	const char *cid = "00000000-0000-4000-8000-000000000001";

	snprintf(path, sizeof path, "%s/joiner.kek", f->dir);
	assert_int_equal(keystore_new(path, &joiner), KEYSTORE_OK);
	assert_int_equal(pki_kex_keygen(&priv, pub), 0);
	/* The member seals only what it holds. */
	assert_int_equal(keystore_kek_seal(f->ks, pub, cid, 2, sealed),
			 KEYSTORE_ENOKEK);
	assert_int_equal(keystore_kek_acquire(f->ks, f->kek_id, NULL, 0),
			 KEYSTORE_OK);
	assert_int_equal(keystore_kek_seal(f->ks, pub, cid, 2, sealed),
			 KEYSTORE_OK);
	assert_int_equal(
	    keystore_wrap(f->ks, "t", "k", 1, "secret", 6, &w, &wlen),
	    KEYSTORE_OK);
	keystore_kek_release(f->ks);
	/* For another node, or with another id expected: refused. */
	assert_int_equal(keystore_kek_open(joiner, priv, cid, 3, sealed,
					   sizeof sealed, NULL, errmsg,
					   sizeof errmsg),
			 KEYSTORE_EUNWRAP);
	memcpy(wrong, f->kek_id, sizeof wrong);
	wrong[7] ^= 0x80;
	assert_int_equal(keystore_kek_open(joiner, priv, cid, 2, sealed,
					   sizeof sealed, wrong, errmsg,
					   sizeof errmsg),
			 KEYSTORE_EWRONGKEK);
	assert_int_equal(keystore_kek_id(joiner, id), KEYSTORE_ENOKEK);
	assert_int_equal(keystore_kek_open(joiner, priv, cid, 2, sealed,
					   sizeof sealed, f->kek_id, errmsg,
					   sizeof errmsg),
			 KEYSTORE_OK);
	assert_int_equal(keystore_kek_id(joiner, id), KEYSTORE_OK);
	assert_memory_equal(id, f->kek_id, sizeof id);
	assert_int_equal(keystore_unwrap(joiner, "t", "k", 1, w, wlen, back,
					 sizeof back, &blen),
			 KEYSTORE_OK);
	assert_memory_equal(back, "secret", 6);
	assert_int_equal(keystore_kek_save(joiner, NULL, 0), KEYSTORE_OK);
	keystore_kek_release(joiner);
	keystore_free(joiner);
	unlink(path);
	EVP_PKEY_free(priv);
	free(w);
}

static void test_wipe_forgets_kek_and_keys(void **state)
{
	struct fx *f = *state;
	uint8_t id[PKI_KEK_ID_LEN];

	assert_int_equal(keystore_kek_acquire(f->ks, f->kek_id, NULL, 0),
			 KEYSTORE_OK);
	assert_int_equal(keystore_kek_acquire(f->ks, f->kek_id, NULL, 0),
			 KEYSTORE_OK);
	assert_int_equal(keystore_key_put(f->ks, 1, PKI_ROLE_NODE, make_key()),
			 KEYSTORE_OK);
	assert_int_equal(keystore_key_put(f->ks, 1, PKI_ROLE_TFTP, make_key()),
			 KEYSTORE_OK);
	keystore_wipe(f->ks);
	assert_int_equal(keystore_kek_id(f->ks, id), KEYSTORE_ENOKEK);
	assert_false(keystore_key_held(f->ks, 1, PKI_ROLE_NODE));
	assert_false(keystore_key_held(f->ks, 1, PKI_ROLE_TFTP));
	/* The releases still owed after a wipe do no harm. */
	keystore_kek_release(f->ks);
	keystore_kek_release(f->ks);
	assert_int_equal(keystore_kek_acquire(f->ks, f->kek_id, NULL, 0),
			 KEYSTORE_OK);
	keystore_kek_release(f->ks);
	assert_int_equal(keystore_kek_id(f->ks, id), KEYSTORE_ENOKEK);
}

/* Role threads sign while another reloads and drops the key and a third
 * takes and gives back the KEK: every signature made verifies. */
struct race {
	struct fx *f;
	EVP_PKEY *key;
	const struct store_key *rec;
	int signed_ok, refused, bad;
};

static void *race_signer(void *arg)
{
	struct race *r = arg;
	uint8_t sig[128];
	size_t n;

	/* 400 tries, then on until one succeeds: the loader ends with the
	 * key held, and on a busy machine it may be preempted with the key
	 * dropped for all of the 400. */
	for (int i = 0, mine = 0; i < 400 || (!mine && i < 10400); i++) {
		int rc = keystore_sign(r->f->ks, 1, PKI_ROLE_TFTP, "SHA256",
				       "data", 4, sig, sizeof sig, &n);

		if (rc == KEYSTORE_OK && verify(r->key, "data", 4, sig, n)) {
			__atomic_add_fetch(&r->signed_ok, 1, __ATOMIC_RELAXED);
			mine++;
		} else if (rc == KEYSTORE_ENOKEY) {
			__atomic_add_fetch(&r->refused, 1, __ATOMIC_RELAXED);
			if (i >= 400)
				usleep(1000);
		} else {
			__atomic_add_fetch(&r->bad, 1, __ATOMIC_RELAXED);
			break;
		}
	}
	return NULL;
}

static void *race_loader(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < 200; i++) {
		if (i % 3 == 0)
			keystore_key_drop(r->f->ks, 1, PKI_ROLE_TFTP);
		if (keystore_kek_acquire(r->f->ks, r->f->kek_id, NULL, 0) !=
			KEYSTORE_OK ||
		    keystore_key_load(r->f->ks, 1, PKI_ROLE_TFTP,
				      r->rec->wrapped, r->rec->wrapped_len,
				      NULL, 0) != KEYSTORE_OK)
			__atomic_add_fetch(&r->bad, 1, __ATOMIC_RELAXED);
		keystore_kek_release(r->f->ks);
	}
	return NULL;
}

static void test_threads_sign_while_keys_come_and_go(void **state)
{
	struct fx *f = *state;
	struct store_key rec;
	uint8_t *wrapped = NULL;
	struct race r = {.f = f, .rec = &rec};
	pthread_t t[4];

	r.key = make_key();
	assert_int_equal(keystore_kek_acquire(f->ks, f->kek_id, NULL, 0),
			 KEYSTORE_OK);
	assert_int_equal(
	    keystore_key_wrap(f->ks, 1, PKI_ROLE_TFTP, r.key, &rec, &wrapped),
	    KEYSTORE_OK);
	/* Held from the start: the signers begin with a key to use. */
	assert_int_equal(keystore_key_load(f->ks, 1, PKI_ROLE_TFTP, rec.wrapped,
					   rec.wrapped_len, NULL, 0),
			 KEYSTORE_OK);
	keystore_kek_release(f->ks);
	assert_int_equal(pthread_create(&t[0], NULL, race_loader, &r), 0);
	for (int i = 1; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race_signer, &r),
				 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(r.bad, 0);
	assert_true(r.signed_ok + r.refused >= 3 * 400);
	assert_true(r.signed_ok >= 3);
	free(wrapped);
	EVP_PKEY_free(r.key);
}

static void test_errors_have_text(void **state)
{
	(void)state;
	assert_string_equal(keystore_strerror(KEYSTORE_ENOKEK),
			    "no key-encryption key is held");
	assert_string_equal(keystore_strerror(-1), "unknown keystore error");
	assert_string_equal(keystore_strerror(999), "unknown keystore error");
	assert_int_equal(keystore_new(NULL, &(struct keystore *){NULL}),
			 KEYSTORE_EINVAL);
	keystore_free(NULL);
	keystore_kek_release(NULL);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_kek_is_read_checked_and_counted),
	    T(test_kek_file_must_be_private),
	    T(test_generated_kek_is_saved_and_read_back),
	    T(test_wrapped_secret_is_bound_to_its_place),
	    T(test_held_key_signs_and_is_dropped),
	    T(test_wrapped_key_is_lent_for_one_call),
	    T(test_key_check_and_match_compare_with_certificate),
	    T(test_kek_is_delivered_sealed_to_a_joiner),
	    T(test_wipe_forgets_kek_and_keys),
	    T(test_threads_sign_while_keys_come_and_go),
	    cmocka_unit_test(test_errors_have_text),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
