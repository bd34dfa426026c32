/* test_pki_wrap: the cluster key-encryption key — its id, wrapping and
 * unwrapping with AES-256-GCM, private keys under it, its delivery to a
 * joining node over X25519, and its file. */
#include <dirent.h>
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

#include "store/store.h"
#include "test_pki_fixture.h"

static const uint8_t kek_a[PKI_KEK_LEN] = {
    1,	2,  3,	4,  5,	6,  7,	8,  9,	10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static void kek_b(uint8_t out[PKI_KEK_LEN])
{
	memcpy(out, kek_a, PKI_KEK_LEN);
	out[31] ^= 1;
}

/* The AAD of the keys record of (OWNER, ROLE). */
static size_t aad_keys(uint64_t owner, enum pki_role role, uint8_t *out)
{
	uint8_t key[STORE_CERT_KEY_LEN];
	size_t n;

	store_key_cert(owner, (enum store_cert_role)role, key);
	assert_int_equal(pki_aad("keys", key, sizeof key, out, 64, &n), 0);
	return n;
}

/* ---- wrapping --------------------------------------------------------- */

static void test_wrap_round_trips_any_length(void **state)
{
	static const size_t sizes[] = {0, 1, 32, 1218};
	uint8_t pt[1218], w1[1218 + PKI_WRAP_OVERHEAD],
	    w2[1218 + PKI_WRAP_OVERHEAD], back[1218];
	size_t n1, n2, nb;

	for (size_t i = 0; i < sizeof pt; i++)
		pt[i] = (uint8_t)(i * 31);
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		size_t len = sizes[i];

		assert_int_equal(
		    pki_wrap(kek_a, "aad", 3, pt, len, w1, sizeof w1, &n1), 0);
		assert_int_equal(n1, len + PKI_WRAP_OVERHEAD);
		assert_int_equal(w1[0], PKI_WRAP_VERSION);
		assert_int_equal(
		    pki_unwrap(kek_a, "aad", 3, w1, n1, back, sizeof back, &nb),
		    0);
		assert_int_equal(nb, len);
		if (len)
			assert_memory_equal(back, pt, len);
		/* A fresh nonce every time. */
		assert_int_equal(
		    pki_wrap(kek_a, "aad", 3, pt, len, w2, sizeof w2, &n2), 0);
		assert_memory_not_equal(w1 + 1, w2 + 1, PKI_WRAP_NONCE_LEN);
	}
	/* Output buffers too small. */
	assert_int_equal(pki_wrap(kek_a, NULL, 0, pt, 32, w1,
				  32 + PKI_WRAP_OVERHEAD - 1, &n1),
			 PKI_ETOOBIG);
	assert_int_equal(pki_wrap(kek_a, NULL, 0, pt, 32, w1, sizeof w1, &n1),
			 0);
	assert_int_equal(pki_unwrap(kek_a, NULL, 0, w1, n1, back, 31, &nb),
			 PKI_ETOOBIG);
}

static void test_wrong_kek_aad_or_any_altered_byte_is_refused(void **state)
{
	uint8_t pt[48], w[48 + PKI_WRAP_OVERHEAD], back[48], other[32];
	size_t n, nb;

	memset(pt, 0x5a, sizeof pt);
	kek_b(other);
	assert_int_equal(
	    pki_wrap(kek_a, "where", 5, pt, sizeof pt, w, sizeof w, &n), 0);
	assert_int_equal(
	    pki_unwrap(other, "where", 5, w, n, back, sizeof back, &nb),
	    PKI_EAUTH);
	assert_int_equal(
	    pki_unwrap(kek_a, "elsewhere", 9, w, n, back, sizeof back, &nb),
	    PKI_EAUTH);
	assert_int_equal(
	    pki_unwrap(kek_a, NULL, 0, w, n, back, sizeof back, &nb),
	    PKI_EAUTH);
	/* Every byte after the version: nonce, ciphertext, tag. And the
	 * output never holds unauthenticated plaintext. */
	for (size_t i = 1; i < n; i++) {
		w[i] ^= 0x01;
		memset(back, 0xee, sizeof back);
		assert_int_equal(
		    pki_unwrap(kek_a, "where", 5, w, n, back, sizeof back, &nb),
		    PKI_EAUTH);
		for (size_t j = 0; j < sizeof back; j++)
			assert_int_equal(back[j], 0);
		w[i] ^= 0x01;
	}
	w[0] = 2;
	assert_int_equal(
	    pki_unwrap(kek_a, "where", 5, w, n, back, sizeof back, &nb),
	    PKI_EFORMAT);
	w[0] = PKI_WRAP_VERSION;
	/* Shortened: by one byte it fails the tag, below the overhead it is
	 * not a wrapped value at all. */
	assert_int_equal(
	    pki_unwrap(kek_a, "where", 5, w, n - 1, back, sizeof back, &nb),
	    PKI_EAUTH);
	assert_int_equal(pki_unwrap(kek_a, "where", 5, w, PKI_WRAP_OVERHEAD - 1,
				    back, sizeof back, &nb),
			 PKI_EFORMAT);
	assert_int_equal(
	    pki_unwrap(kek_a, "where", 5, w, n, back, sizeof back, &nb), 0);
}

static void test_kek_id_is_a_truncated_hmac(void **state)
{
	uint8_t id[PKI_KEK_ID_LEN], id2[PKI_KEK_ID_LEN], other[32], fresh[32];
	char hex[65], want[17], *out;

	assert_int_equal(pki_kek_id(kek_a, id), 0);
	assert_int_equal(pki_kek_id(kek_a, id2), 0);
	assert_memory_equal(id, id2, sizeof id);
	kek_b(other);
	assert_int_equal(pki_kek_id(other, id2), 0);
	assert_memory_not_equal(id, id2, sizeof id);
	/* The same value from the openssl tool. */
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", kek_a[i]);
	out = pki_fx_run("printf 'ward kek id' | openssl dgst -sha256 -mac "
			 "HMAC -macopt hexkey:%s -r",
			 hex);
	assert_non_null(out);
	for (int i = 0; i < 8; i++)
		snprintf(want + 2 * i, 3, "%02x", id[i]);
	assert_memory_equal(out, want, 16);
	free(out);
	assert_int_equal(pki_kek_generate(fresh), 0);
	assert_int_equal(pki_kek_generate(other), 0);
	assert_memory_not_equal(fresh, other, 32);
}

static void test_aad_names_the_table_and_key(void **state)
{
	uint8_t out[64], a1[64], a2[64];
	size_t n, n1, n2;
	EVP_PKEY *key, *back;
	uint8_t *w;
	size_t wl;

	assert_int_equal(pki_aad("keys", "\x01\x02", 2, out, sizeof out, &n),
			 0);
	assert_int_equal(n, 1 + 4 + 2 + 2);
	assert_memory_equal(out, "\x04keys\x00\x02\x01\x02", n);
	assert_int_equal(pki_aad("keys", "\x01\x02", 2, out, 8, &n),
			 PKI_ETOOBIG);

	/* A node's key moved under another node's entry does not open. */
	n1 = aad_keys(1, PKI_ROLE_HTTPS, a1);
	n2 = aad_keys(2, PKI_ROLE_HTTPS, a2);
	for (int t = PKI_KEY_RSA2048; t <= PKI_KEY_ECDSA_P256; t++) {
		assert_int_equal(pki_key_generate(t, &key), 0);
		assert_int_equal(pki_key_wrap(kek_a, a1, n1, key, &w, &wl), 0);
		assert_true(wl <= STORE_WRAPPED_MAX);
		assert_int_equal(pki_key_unwrap(kek_a, a1, n1, w, wl, &back),
				 0);
		assert_int_equal(EVP_PKEY_eq(key, back), 1);
		EVP_PKEY_free(back);
		assert_int_equal(pki_key_unwrap(kek_a, a2, n2, w, wl, &back),
				 PKI_EAUTH);
		assert_null(back);
		n = aad_keys(1, PKI_ROLE_TFTP, out);
		assert_int_equal(pki_key_unwrap(kek_a, out, n, w, wl, &back),
				 PKI_EAUTH);
		free(w);
		EVP_PKEY_free(key);
	}
}

/* ---- delivery to a joining node --------------------------------------- */

static void test_kek_delivery_round_trips(void **state)
{
	uint8_t pub[PKI_X25519_LEN], s1[PKI_KEK_SEALED_LEN],
	    s2[PKI_KEK_SEALED_LEN], kek[PKI_KEK_LEN];
	EVP_PKEY *priv;

	assert_int_equal(pki_kex_keygen(&priv, pub), 0);
	assert_int_equal(pki_kek_seal(kek_a, pub, PKI_FX_CLUSTER, 4, s1), 0);
	assert_int_equal(
	    pki_kek_open(priv, PKI_FX_CLUSTER, 4, s1, sizeof s1, kek), 0);
	assert_memory_equal(kek, kek_a, PKI_KEK_LEN);
	/* The cluster id in either case is the same cluster. */
	assert_int_equal(pki_kek_open(priv,
				      "0B1C5A9E-8F43-4D2A-9C1E-2F7E8A6B5D10", 4,
				      s1, sizeof s1, kek),
			 0);
	/* Each delivery has its own ephemeral key. */
	assert_int_equal(pki_kek_seal(kek_a, pub, PKI_FX_CLUSTER, 4, s2), 0);
	assert_memory_not_equal(s1, s2, sizeof s1);
	EVP_PKEY_free(priv);
}

static void
test_kek_delivery_to_the_wrong_key_node_or_cluster_fails(void **state)
{
	uint8_t pub[PKI_X25519_LEN], pub2[PKI_X25519_LEN],
	    sealed[PKI_KEK_SEALED_LEN], kek[PKI_KEK_LEN],
	    zero[PKI_X25519_LEN] = {0};
	EVP_PKEY *priv, *other;

	assert_int_equal(pki_kex_keygen(&priv, pub), 0);
	assert_int_equal(pki_kex_keygen(&other, pub2), 0);
	assert_int_equal(pki_kek_seal(kek_a, pub, PKI_FX_CLUSTER, 4, sealed),
			 0);
	assert_int_equal(
	    pki_kek_open(other, PKI_FX_CLUSTER, 4, sealed, sizeof sealed, kek),
	    PKI_EAUTH);
	for (int i = 0; i < PKI_KEK_LEN; i++)
		assert_int_equal(kek[i], 0);
	assert_int_equal(
	    pki_kek_open(priv, PKI_FX_CLUSTER, 5, sealed, sizeof sealed, kek),
	    PKI_EAUTH);
	assert_int_equal(pki_kek_open(priv,
				      "1b1c5a9e-8f43-4d2a-9c1e-2f7e8a6b5d10", 4,
				      sealed, sizeof sealed, kek),
			 PKI_EAUTH);
	for (size_t i = 1; i < sizeof sealed; i++) {
		sealed[i] ^= 0x80;
		assert_int_equal(pki_kek_open(priv, PKI_FX_CLUSTER, 4, sealed,
					      sizeof sealed, kek),
				 PKI_EAUTH);
		sealed[i] ^= 0x80;
	}
	sealed[0] = 9;
	assert_int_equal(
	    pki_kek_open(priv, PKI_FX_CLUSTER, 4, sealed, sizeof sealed, kek),
	    PKI_EFORMAT);
	sealed[0] = 1;
	assert_int_equal(pki_kek_open(priv, PKI_FX_CLUSTER, 4, sealed,
				      sizeof sealed - 1, kek),
			 PKI_EFORMAT);
	/* A member key of all zeros (a low-order point) in the message. */
	memcpy(sealed + 1, zero, sizeof zero);
	assert_int_equal(
	    pki_kek_open(priv, PKI_FX_CLUSTER, 4, sealed, sizeof sealed, kek),
	    PKI_EAUTH);
	/* Nor is anything sealed to one. */
	assert_int_equal(pki_kek_seal(kek_a, zero, PKI_FX_CLUSTER, 4, sealed),
			 PKI_EINVAL);
	assert_int_equal(pki_kek_seal(kek_a, pub, "lab", 4, sealed),
			 PKI_EINVAL);
	assert_int_equal(pki_kek_seal(kek_a, pub, PKI_FX_CLUSTER, 0, sealed),
			 PKI_EINVAL);
	/* An EC key is not an X25519 key. */
	{
		EVP_PKEY *ec;

		assert_int_equal(pki_key_generate(PKI_KEY_ECDSA_P256, &ec), 0);
		assert_int_equal(pki_kek_open(ec, PKI_FX_CLUSTER, 4, sealed,
					      sizeof sealed, kek),
				 PKI_EINVAL);
		EVP_PKEY_free(ec);
	}
	EVP_PKEY_free(priv);
	EVP_PKEY_free(other);
}

/* ---- the KEK file ----------------------------------------------------- */

static char *file_in(const char *dir, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	}
	closedir(d);
	return n;
}

static void test_kek_file_is_private_and_exact(void **state)
{
	char *dir = pki_fx_tmpdir(), *path = file_in(dir, "kek"), err[512];
	uint8_t kek[PKI_KEK_LEN], other[PKI_KEK_LEN];
	static const mode_t open_modes[] = {0640, 0604, 0644, 0620, 0602, 0660};
	struct stat st;

	assert_int_equal(pki_kek_save(path, kek_a, err, sizeof err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, PKI_KEK_LEN);
	assert_int_equal(pki_kek_load(path, kek, err, sizeof err), 0);
	assert_memory_equal(kek, kek_a, PKI_KEK_LEN);
	/* Replaced atomically, no temporary file left behind. */
	kek_b(other);
	assert_int_equal(pki_kek_save(path, other, err, sizeof err), 0);
	assert_int_equal(pki_kek_load(path, kek, err, sizeof err), 0);
	assert_memory_equal(kek, other, PKI_KEK_LEN);
	assert_int_equal(entries(dir), 1);

	for (size_t i = 0; i < sizeof open_modes / sizeof *open_modes; i++) {
		assert_int_equal(chmod(path, open_modes[i]), 0);
		memset(kek, 0xee, sizeof kek);
		assert_int_equal(pki_kek_load(path, kek, err, sizeof err),
				 PKI_EPERM);
		assert_non_null(strstr(err, "must be 0600"));
		for (int j = 0; j < PKI_KEK_LEN; j++)
			assert_int_equal(kek[j], 0);
	}
	assert_int_equal(chmod(path, 0400), 0); /* read-only is fine */
	assert_int_equal(pki_kek_load(path, kek, err, sizeof err), 0);
	free(path);

	/* Wrong sizes. */
	path = file_in(dir, "short");
	assert_int_equal(pki_fx_write(path, kek_a, 31), 0);
	chmod(path, 0600);
	assert_int_equal(pki_kek_load(path, kek, err, sizeof err), PKI_EFORMAT);
	assert_non_null(strstr(err, "31 bytes"));
	free(path);
	path = file_in(dir, "long");
	assert_int_equal(
	    pki_fx_write(path, "0123456789abcdef0123456789abcdefX", 33), 0);
	chmod(path, 0600);
	assert_int_equal(pki_kek_load(path, kek, err, sizeof err), PKI_EFORMAT);
	free(path);

	/* Not a regular file, a link, nothing at all. */
	assert_int_equal(pki_kek_load(dir, kek, err, sizeof err), PKI_EFORMAT);
	path = file_in(dir, "link");
	assert_int_equal(symlink("kek", path), 0);
	assert_int_equal(pki_kek_load(path, kek, err, sizeof err), PKI_EIO);
	assert_non_null(strstr(err, "symbolic link"));
	free(path);
	path = file_in(dir, "absent");
	assert_int_equal(pki_kek_load(path, kek, err, sizeof err), PKI_EIO);
	assert_non_null(strstr(err, "No such file"));
	free(path);
	path = file_in(dir, "no/such/dir/kek");
	assert_int_equal(pki_kek_save(path, kek_a, err, sizeof err), PKI_EIO);
	free(path);
	pki_fx_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wrap_round_trips_any_length),
	    cmocka_unit_test(test_wrong_kek_aad_or_any_altered_byte_is_refused),
	    cmocka_unit_test(test_kek_id_is_a_truncated_hmac),
	    cmocka_unit_test(test_aad_names_the_table_and_key),
	    cmocka_unit_test(test_kek_delivery_round_trips),
	    cmocka_unit_test(
		test_kek_delivery_to_the_wrong_key_node_or_cluster_fails),
	    cmocka_unit_test(test_kek_file_is_private_and_exact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
