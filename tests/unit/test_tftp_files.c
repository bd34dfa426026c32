/* test_tftp_files: the files the TFTP role builds from a real store — a
 * phone's configuration in non-secure and mixed mode, signed with the
 * node's TFTP key, encrypted to the phone's LSC with the stub beside it —
 * checked with trustlist/'s reader and the device's private key, and the
 * cache signing once per change, not per request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/hex.h"
#include "node/tftp/tftp.h"
#include "node/tftp/tftp_files.h"
#include "pki/pki.h"
#include "store/prov.h"
#include "store/store.h"
#include "trustlist/sgn.h"

/* test_store_fixture.c */
char *fixture_tmpdir(void);
void fixture_rmdir(char *dir);
struct store *fixture_store_open(const char *dir);

#define DEV "SEP0011223344AA"
#define UUID "00000000-0000-4000-8000-000000000001"

struct fx {
	char *dir, pki[600];
	struct store *s;
	uint64_t index;
	EVP_PKEY *tftp_key, *dev_key;
	X509 *tftp_cert, *dev_cert;
	uint8_t *tftp_der, *dev_der;
	size_t tftp_der_len, dev_der_len;
};

static void apply(struct fx *f, struct store_cmd *c)
{
	void *buf;
	size_t len;
	int rcs[1];
	unsigned n;

	assert_int_equal(store_cmd_finish(c, &buf, &len), 0);
	store_cmd_free(c);
	assert_int_equal(store_apply(f->s, ++f->index, buf, len, rcs, 1, &n),
			 0);
	free(buf);
	assert_int_equal(rcs[0], 0);
}

static struct store_cmd *cmd(void)
{
	struct store_cmd *c;

	assert_int_equal(store_cmd_new(&c, 1, 1000, "test"), 0);
	return c;
}

static void set_mode(struct fx *f, enum store_security_mode m)
{
	struct store_read *r;
	struct store_cluster old, next;
	struct store_cmd *c = cmd();

	assert_int_equal(store_read_begin(f->s, &r), 0);
	assert_int_equal(store_cluster_get(r, &old), 0);
	store_read_end(r);
	next = old;
	next.security_mode = m;
	assert_int_equal(store_cmd_update_cluster(c, &old, &next), 0);
	apply(f, c);
}

static void set_lines(struct fx *f, const char *line)
{
	struct store_read *r;
	struct store_device old, next;
	struct store_cmd *c = cmd();

	assert_int_equal(store_read_begin(f->s, &r), 0);
	assert_int_equal(store_device_get(r, DEV, &old), 0);
	store_read_end(r);
	next = old;
	snprintf(next.lines[0], sizeof next.lines[0], "%s", line);
	assert_int_equal(store_cmd_put_device(c, &old, &next), 0);
	apply(f, c);
}

static void write_pem(const char *path, X509 *x, EVP_PKEY *k)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	if (x)
		assert_true(PEM_write_X509(fp, x));
	if (k)
		assert_true(
		    PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL, NULL));
	fclose(fp);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct store_cluster cl = {.schema_version = STORE_SCHEMA_VERSION};
	struct store_node n = {.id = 1,
			       .name = "n1",
			       .admin_addr = "127.0.0.9:8443",
			       .state = STORE_NODE_VOTER,
			       .roles = STORE_ROLE_TFTP | STORE_ROLE_CAPF};
	struct store_phone_profile p;
	struct store_device d = {.name = DEV,
				 .kind = STORE_DEVICE_PHONE,
				 .model = "8841",
				 .n_lines = 1,
				 .digest_user = "",
				 .node_group = "g1",
				 .caps = STORE_CAP_TLS | STORE_CAP_SRTP |
					 STORE_CAP_ENC_CONFIG};
	struct store_node_group g = {.name = "g1", .n_nodes = 1, .nodes = {1}};
	struct pki_subject subj = {.common_name = "phone"};
	struct store_cmd *c;
	char path[700], err[256];
	X509 *ca;

	f->dir = fixture_tmpdir();
	f->s = f->dir ? fixture_store_open(f->dir) : NULL;
	if (!f->s)
		return -1;
	snprintf(cl.id, sizeof cl.id, UUID);
	snprintf(cl.name, sizeof cl.name, "t");
	c = cmd();
	assert_int_equal(store_cmd_put_cluster(c, &cl), 0);
	assert_int_equal(store_cmd_put_node(c, STORE_OP_PUT, &n), 0);
	assert_int_equal(
	    store_phone_profile_default(STORE_DEVMODE_ENCRYPTED, &p), 0);
	p.flags |= STORE_PP_TFTP_ENCRYPTED;
	assert_int_equal(store_cmd_put_phone_profile(c, STORE_OP_PUT, &p), 0);
	assert_int_equal(store_cmd_put_node_group(c, STORE_OP_PUT, &g), 0);
	snprintf(d.profile, sizeof d.profile, "%s", p.name);
	snprintf(d.lines[0], sizeof d.lines[0], "1001");
	assert_int_equal(store_cmd_put_device(c, NULL, &d), 0);
	apply(f, c);

	/* The node's TFTP key and certificate, where wardd keeps them; the
	 * phone's key and an LSC for it. */
	assert_int_equal(pki_key_generate(PKI_KEY_RSA2048, &f->tftp_key), 0);
	assert_int_equal(pki_ca_create(f->tftp_key, UUID, "t", 0, &f->tftp_cert,
				       err, sizeof err),
			 0);
	snprintf(f->pki, sizeof f->pki, "%s/pki", f->dir);
	mkdir(f->pki, 0700);
	snprintf(path, sizeof path, "%s/tftp.pem", f->pki);
	write_pem(path, f->tftp_cert, NULL);
	snprintf(path, sizeof path, "%s/tftp.key", f->pki);
	write_pem(path, NULL, f->tftp_key);
	assert_int_equal(
	    pki_cert_to_der(f->tftp_cert, &f->tftp_der, &f->tftp_der_len), 0);
	assert_int_equal(pki_key_generate(PKI_KEY_RSA2048, &f->dev_key), 0);
	ca = f->tftp_cert;
	assert_int_equal(pki_issue(ca, f->tftp_key, f->dev_key, PKI_ROLE_TFTP,
				   &subj, 0, &f->dev_cert, err, sizeof err),
			 0);
	assert_int_equal(
	    pki_cert_to_der(f->dev_cert, &f->dev_der, &f->dev_der_len), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->s);
	fixture_rmdir(f->dir);
	EVP_PKEY_free(f->tftp_key);
	EVP_PKEY_free(f->dev_key);
	X509_free(f->tftp_cert);
	X509_free(f->dev_cert);
	free(f->tftp_der);
	free(f->dev_der);
	free(f);
	return 0;
}

/* Stores DER as the phone's LSC (MIC 0) or MIC (MIC 1). */
static void put_cert(struct fx *f, int mic, const uint8_t *der, size_t len)
{
	struct store_device_lsc l = {.device = DEV,
				     .der = der,
				     .der_len = len,
				     .serial = "01",
				     .not_after_s = 1};
	struct store_cmd *c = cmd();

	EVP_Digest(der, len, l.sha256, NULL, EVP_sha256(), NULL);
	assert_int_equal(mic ? store_cmd_put_device_mic(c, &l)
			     : store_cmd_put_device_lsc(c, &l),
			 0);
	apply(f, c);
}

static void put_lsc(struct fx *f)
{
	put_cert(f, 0, f->dev_der, f->dev_der_len);
}

/* tftp_file_build's result; *out malloc'ed. */
static int build(struct fx *f, const char *name, uint8_t **out, size_t *len)
{
	char why[256];

	return tftp_file_build(f->s, NULL, f->pki, 1, name, out, len, why,
			       sizeof why);
}

static int contains(const uint8_t *p, size_t n, const char *s)
{
	return memmem(p, n, s, strlen(s)) != NULL;
}

static void test_non_secure_serves_the_plain_config_only(void **state)
{
	struct fx *f = *state;
	uint8_t *x;
	size_t n;

	assert_int_equal(build(f, DEV ".cnf.xml", &x, &n), 0);
	assert_true(contains(x, n, "<name>" DEV "</name>"));
	assert_true(contains(x, n, "<processNodeName>127.0.0.9<"));
	assert_true(contains(x, n, "<deviceSecurityMode>3<"));
	assert_true(contains(x, n, "<featureLabel>1001<"));
	free(x);
	assert_int_equal(build(f, DEV ".cnf.xml.sgn", &x, &n), 1);
	assert_int_equal(build(f, "SEP001122334499.cnf.xml", &x, &n), 1);
	assert_int_equal(build(f, "XMLDefault.cnf.xml", &x, &n), 0);
	assert_true(contains(x, n, "<Default>"));
	free(x);
}

static void test_mixed_mode_signs_and_refuses_the_unsigned_name(void **state)
{
	struct fx *f = *state;
	struct trustlist *tl;
	uint8_t *x, *plain;
	size_t n, plain_len;
	char err[256];

	assert_int_equal(build(f, DEV ".cnf.xml", &plain, &plain_len), 0);
	set_mode(f, STORE_SECURITY_MIXED);
	assert_int_equal(build(f, DEV ".cnf.xml", &x, &n), 2);
	/* no LSC: the full config, signed, and no encrypted file */
	assert_int_equal(build(f, DEV ".cnf.xml.enc.sgn", &x, &n), 1);
	assert_int_equal(build(f, DEV ".cnf.xml.sgn", &x, &n), 0);
	assert_int_equal(trustlist_sgn_parse(x, n, &tl, err, sizeof err), 0);
	assert_int_equal(trustlist_verify_cert(tl, f->tftp_der, f->tftp_der_len,
					       err, sizeof err),
			 0);
	assert_true(contains(x, n, DEV ".cnf.xml.sgn"));
	/* what follows the header is the plain config */
	assert_true(n > plain_len);
	assert_memory_equal(x + n - plain_len, plain, plain_len);
	trustlist_free(tl);
	/* a flipped byte of the content fails verification */
	x[n - 10] ^= 1;
	assert_int_equal(trustlist_sgn_parse(x, n, &tl, err, sizeof err), 0);
	assert_int_not_equal(trustlist_verify_cert(tl, f->tftp_der,
						   f->tftp_der_len, err,
						   sizeof err),
			     0);
	trustlist_free(tl);
	free(x);
	free(plain);
}

/* The independent checker (python3-cryptography, written from the format
 * facts, not from ward's code) decrypts the file with the device's key and
 * checks its digest: its plaintext must be PLAIN. */
static void indep_decrypt_matches(struct fx *f, const uint8_t *file, size_t n,
				  const uint8_t *plain, size_t plain_len)
{
	char in[700], key[700], out[700], cmdline[2400];
	uint8_t *got = malloc(plain_len + 16);
	FILE *fp;
	size_t got_len;

	snprintf(in, sizeof in, "%s/cfg.enc.sgn", f->dir);
	snprintf(key, sizeof key, "%s/device.key", f->dir);
	snprintf(out, sizeof out, "%s/cfg.plain", f->dir);
	fp = fopen(in, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(file, 1, n, fp), n);
	fclose(fp);
	write_pem(key, NULL, f->dev_key);
	snprintf(cmdline, sizeof cmdline,
		 "/usr/bin/python3 %s decrypt %s %s %s", TFTP_INDEP_PY, in, key,
		 out);
	assert_int_equal(system(cmdline), 0);
	fp = fopen(out, "rb");
	assert_non_null(fp);
	got_len = fread(got, 1, plain_len + 16, fp);
	fclose(fp);
	assert_int_equal(got_len, plain_len);
	assert_memory_equal(got, plain, plain_len);
	free(got);
}

static void test_encrypted_config_decrypts_with_the_device_key(void **state)
{
	struct fx *f = *state;
	struct trustlist *tl;
	struct trustlist_enc enc;
	uint8_t *x, *plain = NULL, md5[16];
	size_t n, plain_len;
	char err[256], hex[33], want[64];

	set_mode(f, STORE_SECURITY_MIXED);
	put_lsc(f);
	assert_int_equal(build(f, DEV ".cnf.xml.enc.sgn", &x, &n), 0);
	assert_int_equal(
	    trustlist_encsgn_parse(x, n, &tl, &enc, err, sizeof err), 0);
	assert_int_equal(trustlist_verify_cert(tl, f->tftp_der, f->tftp_der_len,
					       err, sizeof err),
			 0);
	assert_int_equal(trustlist_encsgn_decrypt(tl, &enc, f->dev_key, &plain,
						  &plain_len, err, sizeof err),
			 0);
	indep_decrypt_matches(f, x, n, plain, plain_len);
	assert_true(contains(plain, plain_len, "<fullConfig>true<"));
	assert_true(contains(plain, plain_len, "<encrConfig>true<"));
	assert_true(contains(plain, plain_len, "<featureLabel>1001<"));
	/* the body is not the plain text */
	assert_false(contains(x, n, "<featureLabel>"));
	trustlist_free(tl);
	free(plain);
	free(x);

	/* the .sgn beside it is the stub */
	assert_int_equal(build(f, DEV ".cnf.xml.sgn", &x, &n), 0);
	EVP_Digest(f->dev_der, f->dev_der_len, md5, NULL, EVP_md5(), NULL);
	hex_encode(md5, 16, hex);
	snprintf(want, sizeof want, "<certHash>%s</certHash>", hex);
	assert_true(contains(x, n, want));
	assert_true(contains(x, n, "<fullConfig>false<"));
	assert_false(contains(x, n, "<featureLabel>"));
	free(x);
}

/* A user "alice" with credentials wrapped under a KEK in DATA/kek, and
 * the phone's digest user set to her; HA1 (MD5) as hex into HEX. */
static void add_digest_user(struct fx *f, char hex[33])
{
	struct store_user u = {
	    .name = "alice", .kind = STORE_USER_END, .realm = "t"};
	uint8_t kek[PKI_KEK_LEN], set[STORE_HA1_SET_LEN], aad[128];
	struct store_read *r;
	struct store_device old, next;
	struct store_cmd *c = cmd();
	char path[700], err[256];
	size_t aad_len, n;

	assert_int_equal(pki_kek_generate(kek), 0);
	snprintf(path, sizeof path, "%s/kek", f->dir);
	assert_int_equal(pki_kek_save(path, kek, err, sizeof err), 0);
	assert_int_equal(store_ha1_compute("alice", "t", "s3cret", set), 0);
	hex_encode(set + STORE_HA1_MD5_OFF, 16, hex);
	assert_int_equal(
	    pki_aad("users", "alice", 5, aad, sizeof aad, &aad_len), 0);
	assert_int_equal(pki_wrap(kek, aad, aad_len, set, sizeof set,
				  u.ha1_wrapped, sizeof u.ha1_wrapped, &n),
			 0);
	u.ha1_len = (uint32_t)n;
	assert_int_equal(pki_kek_id(kek, u.kek_id), 0);
	assert_int_equal(store_cmd_put_user(c, STORE_OP_PUT, &u), 0);
	apply(f, c);
	assert_int_equal(store_read_begin(f->s, &r), 0);
	assert_int_equal(store_device_get(r, DEV, &old), 0);
	store_read_end(r);
	next = old;
	snprintf(next.digest_user, sizeof next.digest_user, "alice");
	c = cmd();
	assert_int_equal(store_cmd_put_device(c, &old, &next), 0);
	apply(f, c);
}

static void test_digest_credential_only_inside_the_encrypted_file(void **state)
{
	struct fx *f = *state;
	struct trustlist *tl;
	struct trustlist_enc enc;
	uint8_t *x, *plain = NULL;
	size_t n, plain_len;
	char err[256], hex[33], want[80];

	add_digest_user(f, hex);
	snprintf(want, sizeof want, "<authHash>%s</authHash>", hex);
	/* non-secure and signed files name the user, never a credential */
	assert_int_equal(build(f, DEV ".cnf.xml", &x, &n), 0);
	assert_true(contains(x, n, "<authName>alice</authName>"));
	assert_false(contains(x, n, "authHash"));
	assert_false(contains(x, n, hex));
	free(x);
	set_mode(f, STORE_SECURITY_MIXED);
	assert_int_equal(build(f, DEV ".cnf.xml.sgn", &x, &n), 0);
	assert_false(contains(x, n, hex));
	free(x);
	put_lsc(f);
	assert_int_equal(build(f, DEV ".cnf.xml.enc.sgn", &x, &n), 0);
	assert_false(contains(x, n, hex));
	assert_int_equal(
	    trustlist_encsgn_parse(x, n, &tl, &enc, err, sizeof err), 0);
	assert_int_equal(trustlist_encsgn_decrypt(tl, &enc, f->dev_key, &plain,
						  &plain_len, err, sizeof err),
			 0);
	assert_true(contains(plain, plain_len, want));
	trustlist_free(tl);
	free(plain);
	free(x);
}

static void test_cache_signs_once_per_change_not_per_request(void **state)
{
	struct fx *f = *state;
	struct tftp_files *files;
	struct tftp_files_stats st;
	struct tftp_blob *a, *b;
	const char *why;

	set_mode(f, STORE_SECURITY_MIXED);
	assert_int_equal(tftp_files_new(f->s, 1 << 20, &files), 0);
	tftp_files_set_pki_dir(files, f->pki);
	assert_int_equal(
	    tftp_files_get(files, 1, 1, DEV ".cnf.xml.sgn", &a, &why, NULL),
	    TFTP_FILES_OK);
	for (uint64_t gen = 1; gen < 100; gen++) {
		/* requests at the same and at newer generations (another
		 * record changed): the same bytes, no new signature */
		assert_int_equal(tftp_files_get(files, gen, 1,
						DEV ".cnf.xml.sgn", &b, &why,
						NULL),
				 TFTP_FILES_OK);
		assert_ptr_equal(a, b);
		tftp_blob_unref(b);
	}
	tftp_files_stats(files, &st);
	assert_int_equal(st.builds, 1);
	assert_int_equal(st.checks, 98);
	assert_int_equal(st.hits, 1);
	/* the device changes: signed again, once */
	set_lines(f, "2002");
	assert_int_equal(
	    tftp_files_get(files, 100, 1, DEV ".cnf.xml.sgn", &b, &why, NULL),
	    TFTP_FILES_OK);
	assert_ptr_not_equal(a, b);
	assert_true(contains(b->data, b->len, "<featureLabel>2002<"));
	/* the old blob is still whole for a transfer that holds it */
	assert_true(contains(a->data, a->len, "<featureLabel>1001<"));
	tftp_blob_unref(b);
	assert_int_equal(
	    tftp_files_get(files, 101, 1, DEV ".cnf.xml.sgn", &b, &why, NULL),
	    TFTP_FILES_OK);
	tftp_blob_unref(b);
	tftp_files_stats(files, &st);
	assert_int_equal(st.builds, 2);
	tftp_blob_unref(a);
	tftp_files_free(files);
}

struct waiter {
	struct tftp_files_wait w;
	int called;
	enum tftp_files_result res;
	struct tftp_blob *blob;
};

static void waiter_ready(struct tftp_files_wait *w, enum tftp_files_result res,
			 struct tftp_blob *blob, const char *why)
{
	struct waiter *x = (struct waiter *)w;

	x->called++;
	x->res = res;
	x->blob = res == TFTP_FILES_OK ? tftp_blob_ref(blob) : NULL;
}

static void run_until(struct event_base *base, const int *flag)
{
	for (int i = 0; i < 1000 && !*flag; i++)
		event_base_loop(base, EVLOOP_ONCE);
	assert_true(*flag);
}

static void test_signing_threads_sign_once_while_requests_wait(void **state)
{
	struct fx *f = *state;
	struct event_base *base = event_base_new();
	struct tftp_files *files;
	struct tftp_files_stats st;
	struct waiter w1 = {.w.ready = waiter_ready},
		      w2 = {.w.ready = waiter_ready},
		      w3 = {.w.ready = waiter_ready};
	struct tftp_blob *b;
	const char *why;

	assert_non_null(base);
	set_mode(f, STORE_SECURITY_MIXED);
	assert_int_equal(tftp_files_new(f->s, 1 << 20, &files), 0);
	tftp_files_set_pki_dir(files, f->pki);
	assert_int_equal(tftp_files_start_signers(files, base, 2), 0);
	/* the serving thread does not sign: both requests wait on one job */
	assert_int_equal(
	    tftp_files_get(files, 1, 1, DEV ".cnf.xml.sgn", &b, &why, &w1.w),
	    TFTP_FILES_PENDING);
	assert_int_equal(
	    tftp_files_get(files, 1, 1, DEV ".cnf.xml.sgn", &b, &why, &w2.w),
	    TFTP_FILES_PENDING);
	assert_int_equal(
	    tftp_files_get(files, 1, 1, DEV ".cnf.xml.sgn", &b, &why, &w3.w),
	    TFTP_FILES_PENDING);
	tftp_files_wait_cancel(&w3.w);
	/* meanwhile other names are answered at once */
	assert_int_equal(
	    tftp_files_get(files, 1, 1, DEV ".cnf.xml", &b, &why, &w3.w),
	    TFTP_FILES_REFUSED);
	run_until(base, &w2.called);
	assert_int_equal(w1.called, 1);
	assert_int_equal(w3.called, 0);
	assert_int_equal(w1.res, TFTP_FILES_OK);
	assert_ptr_equal(w1.blob, w2.blob);
	assert_true(
	    contains(w1.blob->data, w1.blob->len, "<featureLabel>1001<"));
	tftp_files_stats(files, &st);
	assert_int_equal(st.builds, 1);
	assert_int_equal(st.waits, 3);
	/* now cached: served without waiting */
	assert_int_equal(
	    tftp_files_get(files, 1, 1, DEV ".cnf.xml.sgn", &b, &why, &w3.w),
	    TFTP_FILES_OK);
	assert_ptr_equal(b, w1.blob);
	tftp_blob_unref(b);
	/* a change: signed again once, the old blob still whole */
	tftp_blob_unref(w2.blob);
	set_lines(f, "2002");
	w2.called = 0;
	assert_int_equal(
	    tftp_files_get(files, 2, 1, DEV ".cnf.xml.sgn", &b, &why, &w2.w),
	    TFTP_FILES_PENDING);
	run_until(base, &w2.called);
	assert_int_equal(w2.res, TFTP_FILES_OK);
	assert_true(
	    contains(w2.blob->data, w2.blob->len, "<featureLabel>2002<"));
	assert_true(
	    contains(w1.blob->data, w1.blob->len, "<featureLabel>1001<"));
	tftp_files_stats(files, &st);
	assert_int_equal(st.builds, 2);
	tftp_blob_unref(w1.blob);
	tftp_blob_unref(w2.blob);
	/* a job still queued when the cache goes is freed with it */
	set_lines(f, "3003");
	assert_int_equal(
	    tftp_files_get(files, 3, 1, DEV ".cnf.xml.sgn", &b, &why, &w3.w),
	    TFTP_FILES_PENDING);
	tftp_files_free(files);
	assert_int_equal(w3.called, 0);
	event_base_free(base);
}

/* A certificate for a new key of type TYPE (DER into *DER), issued by the
 * test's CA; *KEY the key. */
static void new_cert(struct fx *f, int type, EVP_PKEY **key, uint8_t **der,
		     size_t *len)
{
	struct pki_subject subj = {.common_name = "phone"};
	X509 *x;
	char err[256];

	assert_int_equal(pki_key_generate(type, key), 0);
	assert_int_equal(pki_issue(f->tftp_cert, f->tftp_key, *key,
				   PKI_ROLE_TFTP, &subj, 0, &x, err,
				   sizeof err),
			 0);
	assert_int_equal(pki_cert_to_der(x, der, len), 0);
	X509_free(x);
}

/* Decrypts DEV's .enc.sgn with KEY: 0, or -1 if KEY does not open it. */
static int open_with(struct fx *f, EVP_PKEY *key, const uint8_t *der,
		     size_t der_len)
{
	struct trustlist *tl;
	struct trustlist_enc enc;
	uint8_t *x, *plain = NULL, md5[16];
	size_t n, plain_len;
	char err[256], hex[33], want[64];
	int rc;

	assert_int_equal(build(f, DEV ".cnf.xml.enc.sgn", &x, &n), 0);
	assert_int_equal(
	    trustlist_encsgn_parse(x, n, &tl, &enc, err, sizeof err), 0);
	rc = trustlist_encsgn_decrypt(tl, &enc, key, &plain, &plain_len, err,
				      sizeof err);
	if (rc == 0)
		assert_true(contains(plain, plain_len, "<featureLabel>1001<"));
	trustlist_free(tl);
	free(plain);
	free(x);
	/* the stub names the certificate encrypted to */
	assert_int_equal(build(f, DEV ".cnf.xml.sgn", &x, &n), 0);
	EVP_Digest(der, der_len, md5, NULL, EVP_md5(), NULL);
	hex_encode(md5, 16, hex);
	snprintf(want, sizeof want, "<certHash>%s</certHash>", hex);
	assert_true(contains(x, n, want));
	free(x);
	return rc == 0 ? 0 : -1;
}

static void test_encrypted_to_the_lsc_else_the_mic(void **state)
{
	struct fx *f = *state;
	EVP_PKEY *mic_key, *ec_key;
	uint8_t *mic, *ec, *x;
	size_t mic_len, ec_len, n;

	new_cert(f, PKI_KEY_RSA2048, &mic_key, &mic, &mic_len);
	new_cert(f, PKI_KEY_ECDSA_P256, &ec_key, &ec, &ec_len);
	set_mode(f, STORE_SECURITY_MIXED);
	/* neither: no encrypted file */
	assert_int_equal(build(f, DEV ".cnf.xml.enc.sgn", &x, &n), 1);
	/* a MIC only: encrypted to the MIC */
	put_cert(f, 1, mic, mic_len);
	assert_int_equal(open_with(f, mic_key, mic, mic_len), 0);
	/* an LSC without an RSA key: still the MIC */
	put_cert(f, 0, ec, ec_len);
	assert_int_equal(open_with(f, mic_key, mic, mic_len), 0);
	/* an RSA LSC: the LSC, and the MIC's key no longer opens it */
	put_lsc(f);
	assert_int_equal(open_with(f, f->dev_key, f->dev_der, f->dev_der_len),
			 0);
	assert_int_equal(open_with(f, mic_key, f->dev_der, f->dev_der_len),
			 -1);
	EVP_PKEY_free(mic_key);
	EVP_PKEY_free(ec_key);
	free(mic);
	free(ec);
}

static void test_node_group_lists_each_node_with_its_sip_ports(void **state)
{
	struct fx *f = *state;
	struct store_node n2 = {.id = 2,
				.name = "n2",
				.admin_addr = "127.0.0.8:8443",
				.state = STORE_NODE_VOTER,
				.roles = STORE_ROLE_TFTP,
				.sip_host = "10.0.0.2",
				.sip_port = 15060,
				.sip_tls_port = 15061},
			  n1;
	struct store_node_group g = {
	    .name = "g1", .n_nodes = 2, .nodes = {2, 1}};
	struct store_read *r;
	struct store_cmd *c = cmd();
	uint8_t *x;
	size_t n;
	const char *m2, *m1;

	assert_int_equal(store_cmd_put_node(c, STORE_OP_PUT, &n2), 0);
	assert_int_equal(store_cmd_put_node_group(c, STORE_OP_PUT, &g), 0);
	apply(f, c);
	/* n1 has not published its SIP address: admin host, defaults */
	assert_int_equal(build(f, DEV ".cnf.xml", &x, &n), 0);
	x = realloc(x, n + 1);
	x[n] = 0;
	m2 = strstr((char *)x, "<name>n2</name>");
	m1 = strstr((char *)x, "<name>n1</name>");
	assert_non_null(m2);
	assert_non_null(m1);
	assert_true(m2 < m1); /* the group's order */
	assert_non_null(strstr(m2, "<sipPort>15060</sipPort>\n"
				   "            <securedSipPort>15061<"));
	assert_non_null(strstr(m2, "<processNodeName>10.0.0.2<"));
	assert_non_null(strstr(m1, "<sipPort>5060</sipPort>"));
	assert_non_null(strstr(m1, "<processNodeName>127.0.0.9<"));
	free(x);
	/* n1 publishes UDP/TCP only: its TLS port is left out */
	assert_int_equal(store_read_begin(f->s, &r), 0);
	assert_int_equal(store_node_get(r, 1, &n1), 0);
	store_read_end(r);
	snprintf(n1.sip_host, sizeof n1.sip_host, "10.0.0.1");
	n1.sip_port = 5070;
	n1.sip_tls_port = 0;
	c = cmd();
	assert_int_equal(store_cmd_put_node(c, STORE_OP_PUT, &n1), 0);
	apply(f, c);
	assert_int_equal(build(f, DEV ".cnf.xml", &x, &n), 0);
	x = realloc(x, n + 1);
	x[n] = 0;
	m1 = strstr((char *)x, "<name>n1</name>");
	assert_non_null(m1);
	assert_non_null(strstr(m1, "<sipPort>5070</sipPort>\n"
				   "          </ports>\n"
				   "          <processNodeName>10.0.0.1<"));
	free(x);
}

static void test_without_a_signing_key_signed_files_fail_closed(void **state)
{
	struct fx *f = *state;
	char path[700], why[256];
	uint8_t *x;
	size_t n;

	set_mode(f, STORE_SECURITY_MIXED);
	snprintf(path, sizeof path, "%s/tftp.key", f->pki);
	remove(path);
	assert_int_equal(tftp_file_build(f->s, NULL, f->pki, 1,
					 DEV ".cnf.xml.sgn", &x, &n, why,
					 sizeof why),
			 -1);
	assert_int_equal(tftp_file_build(f->s, NULL, f->pki, 1, DEV ".cnf.xml",
					 &x, &n, why, sizeof why),
			 2);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_non_secure_serves_the_plain_config_only),
	    T(test_mixed_mode_signs_and_refuses_the_unsigned_name),
	    T(test_encrypted_config_decrypts_with_the_device_key),
	    T(test_digest_credential_only_inside_the_encrypted_file),
	    T(test_encrypted_to_the_lsc_else_the_mic),
	    T(test_node_group_lists_each_node_with_its_sip_ports),
	    T(test_cache_signs_once_per_change_not_per_request),
	    T(test_signing_threads_sign_once_while_requests_wait),
	    T(test_without_a_signing_key_signed_files_fail_closed),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
