/* test_admin_pki_fixture: a cluster with its PKI, raw answers, base64 and
 * CTLs signed with the committed test keys (see the header). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <event2/thread.h>
#include <openssl/evp.h>

#include "consensus/consensus.h"
#include "pki/pki.h"
#include "store/store.h"
#include "tests/unit/test_admin_harness.h"
#include "tests/unit/test_admin_pki_fixture.h"
#include "tests/unit/test_trustlist_fixture.h"
#include "trustlist/trustlist.h"

void apki_global_init(void)
{
	evthread_use_pthreads();
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

int apki_setup(void **state)
{
	setup(state);
	init_cluster();
	apki_cluster_pki();
	return 0;
}

int apki_teardown(void **state)
{
	return teardown(state);
}

/* ---- proposing from the test thread ------------------------------------ */

struct wait {
	int done, rc;
};

static void on_applied(void *arg, int rc)
{
	struct wait *w = arg;

	w->rc = rc;
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
}

int apki_propose(struct store_cmd *cmd)
{
	struct wait w = {0};
	void *buf = NULL;
	size_t len = 0;

	assert_int_equal(store_cmd_finish(cmd, &buf, &len), 0);
	/* N1 just won its election; a proposal may come a step early. */
	for (int tries = 0;; tries++) {
		int rc =
		    consensus_propose(N1->consensus, buf, len, on_applied, &w);

		if (rc == 0)
			break;
		assert_true(tries < 100);
		usleep(20000);
	}
	free(buf);
	for (int i = 0; !__atomic_load_n(&w.done, __ATOMIC_ACQUIRE); i++) {
		assert_true(i < 1000);
		usleep(5000);
	}
	return w.rc;
}

/* ---- the PKI of cluster init ------------------------------------------- */

static void add_cert(struct store_cmd *cmd, X509 *x, uint64_t owner,
		     enum pki_role role)
{
	struct pki_cert_info info;
	struct store_cert c = {0};
	uint8_t *der = NULL;

	assert_int_equal(pki_cert_info(x, &info, NULL, 0), 0);
	assert_int_equal(pki_cert_to_der(x, &der, &c.der_len), 0);
	c.owner = owner;
	c.role = role;
	c.der = der;
	memcpy(c.sha256, info.sha256, 32);
	memcpy(c.sha1, info.sha1, 20);
	snprintf(c.subject, sizeof c.subject, "%s", info.subject);
	snprintf(c.issuer, sizeof c.issuer, "%s", info.issuer);
	c.not_before_s = info.not_before_s;
	c.not_after_s = info.not_after_s;
	c.key_type = (uint32_t)info.key_type;
	snprintf(c.serial, sizeof c.serial, "%s", info.serial);
	c.created_ms = 1;
	c.generation = 1;
	assert_int_equal(store_cmd_put_cert(cmd, STORE_OP_PUT_NEW, &c), 0);
	free(der);
}

static void add_key(struct store_cmd *cmd, const uint8_t *kek,
		    const uint8_t *kek_id, EVP_PKEY *key, uint64_t owner,
		    enum pki_role role)
{
	uint8_t k[STORE_CERT_KEY_LEN], aad[64];
	size_t aad_len;
	struct store_key rec = {.owner = owner, .role = role};
	uint8_t *wrapped = NULL;

	store_key_cert(owner, (enum store_cert_role)role, k);
	assert_int_equal(
	    pki_aad("keys", k, sizeof k, aad, sizeof aad, &aad_len), 0);
	assert_int_equal(
	    pki_key_wrap(kek, aad, aad_len, key, &wrapped, &rec.wrapped_len),
	    0);
	rec.wrapped = wrapped;
	memcpy(rec.kek_id, kek_id, 8);
	assert_int_equal(store_cmd_put_key(cmd, &rec), 0);
	free(wrapped);
}

void apki_cluster_pki(void)
{
	struct store_cluster cl, next;
	struct store_cert have;
	struct store_read *r;
	struct store_cmd *cmd = NULL;
	struct store_trust t = {0};
	struct pki_cert_info info;
	struct pki_subject subj = {0};
	uint8_t kek[PKI_KEK_LEN], *ca_der = NULL;
	char path[256], errmsg[256];
	EVP_PKEY *ca_key = NULL;
	X509 *ca = NULL;
	int has;

	assert_int_equal(store_read_begin(N1->store, &r), 0);
	assert_int_equal(store_cluster_get(r, &cl), 0);
	has = store_cert_get(r, 0, STORE_CERT_CA, &have) == 0;
	store_read_end(r);
	if (has)
		return; /* cluster init made it */
	next = cl;
	assert_int_equal(pki_kek_generate(kek), 0);
	assert_int_equal(pki_kek_id(kek, next.kek_id), 0);
	snprintf(path, sizeof path, "%s/kek", N1->dir);
	assert_int_equal(pki_kek_save(path, kek, errmsg, sizeof errmsg), 0);
	assert_int_equal(pki_key_generate(PKI_KEY_ECDSA_P256, &ca_key), 0);
	assert_int_equal(pki_ca_create(ca_key, cl.id, cl.name, 0, &ca, NULL, 0),
			 0);
	assert_int_equal(pki_cert_info(ca, &info, NULL, 0), 0);
	memcpy(next.ca_sha256, info.sha256, 32);
	assert_int_equal(store_cmd_new(&cmd, 1, 1, "test"), 0);
	assert_int_equal(store_cmd_update_cluster(cmd, &cl, &next), 0);
	add_cert(cmd, ca, 0, PKI_ROLE_CA);
	add_key(cmd, kek, next.kek_id, ca_key, 0, PKI_ROLE_CA);
	subj.common_name = "n1";
	subj.dns = "n1";
	subj.ip = "127.0.0.1";
	subj.cluster_id = cl.id;
	subj.node_id = 1;
	for (int role = PKI_ROLE_HTTPS; role <= PKI_ROLE_LAST; role++) {
		EVP_PKEY *key = NULL;
		X509 *x = NULL;

		assert_int_equal(pki_key_generate(PKI_KEY_ECDSA_P256, &key), 0);
		if (pki_issue(ca, ca_key, key, (enum pki_role)role, &subj, 0,
			      &x, errmsg, sizeof errmsg) != 0)
			fail_msg("issue: %s", errmsg);
		add_cert(cmd, x, 1, (enum pki_role)role);
		add_key(cmd, kek, next.kek_id, key, 1, (enum pki_role)role);
		X509_free(x);
		EVP_PKEY_free(key);
	}
	assert_int_equal(pki_rehash_name(ca, NULL, NULL, t.name), 0);
	t.category = STORE_TRUST_CA_ROOT;
	assert_int_equal(pki_cert_to_der(ca, &ca_der, &t.der_len), 0);
	t.der = ca_der;
	memcpy(t.sha256, info.sha256, 32);
	memcpy(t.sha1, info.sha1, 20);
	snprintf(t.subject, sizeof t.subject, "%s", info.subject);
	snprintf(t.issuer, sizeof t.issuer, "%s", info.issuer);
	t.not_after_s = info.not_after_s;
	snprintf(t.added_by, sizeof t.added_by, "test");
	assert_int_equal(store_cmd_put_trust(cmd, STORE_OP_PUT_NEW, &t), 0);
	assert_int_equal(apki_propose(cmd), 0);
	store_cmd_free(cmd);
	free(ca_der);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	OPENSSL_cleanse(kek, sizeof kek);
}

/* ---- raw answers ------------------------------------------------------- */

struct raw {
	uint8_t *data;
	size_t len;
};

static size_t on_raw(char *p, size_t size, size_t n, void *arg)
{
	struct raw *r = arg;
	uint8_t *grown = realloc(r->data, r->len + size * n + 1);

	if (!grown)
		return 0;
	memcpy(grown + r->len, p, size * n);
	r->data = grown;
	r->len += size * n;
	r->data[r->len] = 0;
	return size * n;
}

uint8_t *apki_get_raw(const char *path, long *status, size_t *len, char *ctype,
		      size_t cap)
{
	struct raw r = {0};
	char url[512];
	char *ct = NULL;
	CURL *c = curl_easy_init();

	assert_non_null(c);
	snprintf(url, sizeof url, "%s%s", N1->url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, N1->cert);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_raw);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
	curl_easy_setopt(c, CURLOPT_USERPWD, "root:root-password-1");
	if (curl_easy_perform(c) != CURLE_OK)
		fail_msg("GET %s failed", path);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	snprintf(ctype, cap, "%s", ct ? ct : "");
	curl_easy_cleanup(c);
	if (!r.data)
		r.data = calloc(1, 1);
	*len = r.len;
	return r.data;
}

/* ---- base64 ------------------------------------------------------------ */

char *apki_b64(const uint8_t *p, size_t n)
{
	char *out = malloc((n + 2) / 3 * 4 + 1);

	assert_non_null(out);
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

uint8_t *apki_unb64(const char *text, size_t *len)
{
	size_t n = strlen(text), pad = 0;
	uint8_t *out = malloc(n / 4 * 3 + 1);
	int got;

	assert_non_null(out);
	assert_int_equal(n % 4, 0);
	while (pad < 2 && n > pad && text[n - 1 - pad] == '=')
		pad++;
	got = EVP_DecodeBlock(out, (const unsigned char *)text, (int)n);
	assert_true(got >= (int)pad);
	*len = (size_t)got - pad;
	return out;
}

/* ---- tokens and CTLs --------------------------------------------------- */

uint8_t *apki_cert_der(const char *name, size_t *len)
{
	struct tlf_cert c;

	tlf_cert_load(name, &c);
	*len = c.len;
	return c.der;
}

long apki_token_register(const char *name, const char *label)
{
	size_t len;
	uint8_t *der = apki_cert_der(name, &len);
	char *b64 = apki_b64(der, len);
	json_t *body = json_pack("{s:s, s:s}", "label", label, "cert", b64);
	char *text = json_dumps(body, JSON_COMPACT);
	long status;
	json_t *j = call("POST", "/v1/tokens", text, ADMIN, &status);

	json_decref(j);
	free(text);
	json_decref(body);
	free(b64);
	free(der);
	return status;
}

uint8_t *apki_ctl_sign(const char *signer, const char *const *extra,
		       size_t *len)
{
	struct trustlist_entry e[64];
	uint8_t *ders[64];
	struct trustlist_signer s = {0};
	struct tlf_cert sc;
	char err[512];
	uint8_t *out = NULL;
	size_t n = 0, i;
	long status;
	json_t *j = call("GET", "/v1/ctl/entries", NULL, ADMIN, &status), *x;

	assert_int_equal(status, 200);
	json_array_foreach(json_object_get(j, "entries"), i, x)
	{
		size_t dl;

		assert_true(n < 60);
		ders[n] = apki_unb64(str(x, "cert"), &dl);
		e[n] = (struct trustlist_entry){
		    .function = (unsigned)json_integer_value(
			json_object_get(x, "function")),
		    .cert_der = ders[n],
		    .cert_len = dl,
		    .dns_name =
			json_string_value(json_object_get(x, "dns_name")),
		    .ip = json_string_value(json_object_get(x, "ip")),
		};
		n++;
	}
	for (; extra && *extra; extra++) {
		size_t dl;

		ders[n] = apki_cert_der(*extra, &dl);
		e[n] = (struct trustlist_entry){.function = TRUSTLIST_FN_SAST,
						.cert_der = ders[n],
						.cert_len = dl};
		n++;
	}
	tlf_cert_load(signer, &sc);
	s.cert_der = sc.der;
	s.cert_len = sc.len;
	s.key = tlf_key_load(signer);
	if (trustlist_build(TRUSTLIST_CTL, e, n, &s, NULL, &out, len, err,
			    sizeof err) != 0)
		fail_msg("build: %s", err);
	EVP_PKEY_free(s.key);
	tlf_cert_free(&sc);
	for (i = 0; i < n; i++)
		free(ders[i]);
	json_decref(j);
	return out;
}

long apki_ctl_upload(const uint8_t *file, size_t len, json_t **ans)
{
	char *b64 = apki_b64(file, len);
	json_t *body = json_pack("{s:s}", "file", b64), *j;
	char *text = json_dumps(body, JSON_COMPACT);
	long status;

	j = call("POST", "/v1/ctl", text, ADMIN, &status);
	if (ans)
		*ans = j;
	else
		json_decref(j);
	free(text);
	json_decref(body);
	free(b64);
	return status;
}

long apki_regenerate(const char *node, const char *role)
{
	char path[256];
	long status;
	json_t *j;

	snprintf(path, sizeof path, "/v1/certs/%s/%s/regenerate", node, role);
	j = call("POST", path, NULL, ADMIN, &status);
	json_decref(j);
	return status;
}
