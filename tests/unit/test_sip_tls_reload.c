/* test_sip_tls_reload: a listener's context, made as sofia makes it from a
 * directory's files, takes new files in place — the next handshake shows
 * the new certificate, verifies clients against the new CAs and asks for
 * their names; unusable files change nothing. Handshakes over memory BIOs, both
 * ends in this thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "node/sip/tls_peer.h"
#include "node/sip/tls_reload.h"
#include "pki/pki.h"
#include "test_pki_fixture.h"

struct set {
	EVP_PKEY *ca_key, *key, *client_key;
	X509 *ca, *cert, *client;
};

static void set_make(struct set *s, const char *name)
{
	char err[256];

	assert_int_equal(pki_key_generate(PKI_KEY_ECDSA_P256, &s->ca_key), 0);
	assert_int_equal(pki_ca_create(s->ca_key, PKI_FX_CLUSTER, name, 0,
				       &s->ca, err, sizeof err),
			 0);
	assert_int_equal(pki_key_generate(PKI_KEY_ECDSA_P256, &s->key), 0);
	assert_int_equal(pki_key_generate(PKI_KEY_ECDSA_P256, &s->client_key),
			 0);
	s->cert =
	    pki_fx_issue(s->ca, s->ca_key, s->key, PKI_ROLE_CALLMANAGER, 0);
	s->client = pki_fx_issue(s->ca, s->ca_key, s->client_key,
				 PKI_ROLE_CALLMANAGER, 0);
	assert_non_null(s->cert);
	assert_non_null(s->client);
}

static void set_free(struct set *s)
{
	EVP_PKEY_free(s->ca_key);
	EVP_PKEY_free(s->key);
	EVP_PKEY_free(s->client_key);
	X509_free(s->ca);
	X509_free(s->cert);
	X509_free(s->client);
}

static void append_pem(FILE *f, X509 *x, EVP_PKEY *k)
{
	if (x)
		assert_int_equal(PEM_write_X509(f, x), 1);
	if (k)
		assert_int_equal(
		    PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
}

/* DIR/agent.pem = CERT, CA, KEY; DIR/cafile.pem = CA (none if NULL). */
static void write_dir(const char *dir, X509 *cert, X509 *ca, EVP_PKEY *key)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/agent.pem", dir);
	assert_non_null(f = fopen(path, "w"));
	append_pem(f, cert, NULL);
	append_pem(f, ca, key);
	fclose(f);
	snprintf(path, sizeof path, "%s/cafile.pem", dir);
	if (!ca) {
		remove(path);
		return;
	}
	assert_non_null(f = fopen(path, "w"));
	append_pem(f, ca, NULL);
	fclose(f);
}

/* A server context as sofia's TLS transport builds one from DIR. */
static SSL_CTX *sofia_like_ctx(const char *dir)
{
	char agent[512], ca[512];
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());

	assert_non_null(ctx);
	snprintf(agent, sizeof agent, "%s/agent.pem", dir);
	snprintf(ca, sizeof ca, "%s/cafile.pem", dir);
	assert_int_equal(
	    SSL_CTX_use_certificate_file(ctx, agent, SSL_FILETYPE_PEM), 1);
	assert_int_equal(
	    SSL_CTX_use_PrivateKey_file(ctx, agent, SSL_FILETYPE_PEM), 1);
	assert_int_equal(SSL_CTX_load_verify_locations(ctx, ca, NULL), 1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL); /* tls_peer's */
	assert_int_equal(SSL_CTX_set_session_id_context(
			     ctx, (const unsigned char *)"sofia/tls", 9),
			 1);
	SSL_CTX_set_client_CA_list(ctx, SSL_load_client_CA_file(ca));
	return ctx;
}

struct seen {
	X509 *server_cert;   /* the server's leaf, a reference */
	long client_verdict; /* the server's verdict on the client */
	X509_NAME *asked;    /* the first CA name asked of the client */
	int asked_n;
};

/* The client, asked for its certificate: the CA names the server sent. */
static int asked_cb(SSL *ssl, void *arg)
{
	struct seen *s = SSL_get_app_data(ssl);
	STACK_OF(X509_NAME) *names = SSL_get_client_CA_list(ssl);

	(void)arg;
	if (SSL_is_server(ssl))
		return 1;
	s->asked_n = names ? sk_X509_NAME_num(names) : 0;
	if (s->asked_n > 0 && !s->asked)
		s->asked = X509_NAME_dup(sk_X509_NAME_value(names, 0));
	return 1; /* the certificate set on the SSL is sent */
}

/* One handshake of a client presenting CLIENT (key CKEY) to a server on
 * SCTX; what each side saw in OUT. */
static void handshake(SSL_CTX *sctx, X509 *client, EVP_PKEY *ckey,
		      struct seen *out)
{
	SSL_CTX *cctx = SSL_CTX_new(TLS_method());
	SSL *c, *s;
	BIO *cb, *sb;
	int cdone = 0, sdone = 0;
	char buf[8];

	memset(out, 0, sizeof *out);
	assert_non_null(cctx);
	SSL_CTX_set_cert_cb(cctx, asked_cb, NULL);

	c = SSL_new(cctx);
	s = SSL_new(sctx);
	assert_non_null(c);
	assert_non_null(s);
	assert_int_equal(SSL_use_certificate(c, client), 1);
	assert_int_equal(SSL_use_PrivateKey(c, ckey), 1);
	SSL_set_app_data(c, out);
	assert_int_equal(BIO_new_bio_pair(&cb, 0, &sb, 0), 1);
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	for (int i = 0; i < 100 && !(cdone && sdone); i++) {
		if (!cdone)
			cdone = SSL_do_handshake(c) == 1;
		if (!sdone)
			sdone = SSL_do_handshake(s) == 1;
	}
	assert_true(cdone && sdone);
	assert_int_equal(SSL_write(s, "x", 1), 1);
	assert_int_equal(SSL_read(c, buf, sizeof buf), 1);
	out->server_cert = SSL_get1_peer_certificate(c);
	out->client_verdict = SSL_get_verify_result(s);

	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
}

static void seen_free(struct seen *s)
{
	X509_free(s->server_cert);
	X509_NAME_free(s->asked);
}

static void test_reload_in_place(void **state)
{
	struct set one, two;
	struct seen a, b, d;
	char *dir = pki_fx_tmpdir();
	char err[256] = "";
	SSL_CTX *ctx;

	(void)state;
	set_make(&one, "lab-one");
	set_make(&two, "lab-two");
	write_dir(dir, one.cert, one.ca, one.key);
	assert_int_equal(sip_tls_peer_thread_begin(16), 0);
	sip_tls_reload_begin(dir);
	ctx = sofia_like_ctx(dir);
	sip_tls_reload_end();
	assert_int_equal(sip_tls_reload_count(), 1);
	/* A context made outside begin/end is not kept. */
	SSL_CTX_free(sofia_like_ctx(dir));
	assert_int_equal(sip_tls_reload_count(), 1);

	/* The first files: set one's certificate, its CA asked for and
	 * trusted; two's client is not. */
	handshake(ctx, two.client, two.client_key, &a);
	assert_int_equal(X509_cmp(a.server_cert, one.cert), 0);
	assert_int_not_equal(a.client_verdict, X509_V_OK);
	assert_int_equal(a.asked_n, 1);
	assert_int_equal(X509_NAME_cmp(a.asked, X509_get_subject_name(one.ca)),
			 0);

	/* New files, read in place. */
	write_dir(dir, two.cert, two.ca, two.key);
	assert_int_equal(sip_tls_reload(err, sizeof err), 0);
	handshake(ctx, two.client, two.client_key, &b);
	assert_int_equal(X509_cmp(b.server_cert, two.cert), 0);
	assert_int_equal(b.client_verdict, X509_V_OK);
	assert_int_equal(b.asked_n, 1);
	assert_int_equal(X509_NAME_cmp(b.asked, X509_get_subject_name(two.ca)),
			 0);

	/* A key that is not the certificate's, then no CA file: refused,
	 * the context as it was. */
	write_dir(dir, one.cert, two.ca, two.key);
	assert_int_equal(sip_tls_reload(err, sizeof err), -1);
	assert_non_null(strstr(err, "is not the certificate's"));
	write_dir(dir, one.cert, NULL, one.key);
	assert_int_equal(sip_tls_reload(err, sizeof err), -1);
	assert_non_null(strstr(err, "cafile.pem"));
	handshake(ctx, two.client, two.client_key, &d);
	assert_int_equal(X509_cmp(d.server_cert, two.cert), 0);
	assert_int_equal(d.client_verdict, X509_V_OK);

	seen_free(&a);
	seen_free(&b);
	seen_free(&d);
	SSL_CTX_free(ctx); /* the kept reference holds it */
	sip_tls_reload_thread_end();
	assert_int_equal(sip_tls_reload_count(), 0);
	sip_tls_peer_thread_end();
	set_free(&one);
	set_free(&two);
	pki_fx_rmdir(dir);
}

/* Without a context kept, or one too many: nothing to reload, -1. */
static void test_nothing_known(void **state)
{
	char err[256] = "";
	char *dir = pki_fx_tmpdir();
	struct set one;
	SSL_CTX *ctx[SIP_TLS_RELOAD_MAX + 1];

	(void)state;
	assert_int_equal(sip_tls_reload(err, sizeof err), -1);
	assert_non_null(strstr(err, "not known"));
	set_make(&one, "lab-one");
	write_dir(dir, one.cert, one.ca, one.key);
	assert_int_equal(sip_tls_peer_thread_begin(16), 0);
	sip_tls_reload_begin(dir);
	for (int i = 0; i < SIP_TLS_RELOAD_MAX + 1; i++)
		ctx[i] = sofia_like_ctx(dir);
	sip_tls_reload_end();
	assert_int_equal(sip_tls_reload_count(), SIP_TLS_RELOAD_MAX);
	assert_int_equal(sip_tls_reload(err, sizeof err), -1);
	for (int i = 0; i < SIP_TLS_RELOAD_MAX + 1; i++)
		SSL_CTX_free(ctx[i]);
	sip_tls_reload_thread_end();
	sip_tls_peer_thread_end();
	set_free(&one);
	pki_fx_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reload_in_place),
	    cmocka_unit_test(test_nothing_known),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
