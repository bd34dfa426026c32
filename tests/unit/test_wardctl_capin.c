/* wardctl --ca-fingerprint against a fake node: a TLS server on loopback
 * whose certificate is issued by a cluster CA and which sends that CA in
 * its chain, as a member's admin API does. The pin names the CA; the
 * server is accepted only if its chain leads to exactly that CA. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tools/wardctl/pin.h"
#include "tools/wardctl/wardctl.h"

struct fake {
	SSL_CTX *ssl;
	int lfd;
	pthread_t thread;
	atomic_int stop; /* set by teardown, read by the server thread */
	pthread_mutex_t lock;
	int requests; /* under lock */
	char url[64];
	char ca_fp[PIN_TEXT_LEN], other_ca_fp[PIN_TEXT_LEN];
	char leaf_fp[PIN_TEXT_LEN];

	struct wardctl ctx;
	char *out, *err;
	size_t out_len, err_len;
};

static void ext_add(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* A certificate for KEY named CN, signed by ISSUER/ISSUER_KEY (NULL: by
 * itself, a CA). Its "sha256:HEX" goes to FP_TEXT. */
static X509 *cert_make(EVP_PKEY *key, const char *cn, X509 *issuer,
		       EVP_PKEY *issuer_key, char fp_text[PIN_TEXT_LEN])
{
	X509 *x = X509_new();
	uint8_t fp[32];
	unsigned int n = 0;
	static long serial;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), ++serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x));
	ext_add(x, x, NID_subject_key_identifier, "hash");
	if (issuer) {
		ext_add(x, issuer, NID_authority_key_identifier,
			"keyid:always");
		ext_add(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
		ext_add(x, issuer, NID_key_usage, "critical,digitalSignature");
		ext_add(x, issuer, NID_ext_key_usage, "serverAuth");
	} else {
		ext_add(x, x, NID_authority_key_identifier, "keyid:always");
		ext_add(x, x, NID_basic_constraints, "critical,CA:TRUE");
		ext_add(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	}
	assert_true(X509_sign(x, issuer ? issuer_key : key, EVP_sha256()) > 0);
	assert_true(X509_digest(x, EVP_sha256(), fp, &n) && n == 32);
	pin_format(fp, fp_text);
	return x;
}

/* The cluster CA, the node's certificate it issued (served with the CA in
 * the chain), and an unrelated CA whose fingerprint no server presents. */
static void pki_make(struct fake *f)
{
	EVP_PKEY *ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *other_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *ca, *other, *leaf;

	assert_non_null(ca_key);
	assert_non_null(other_key);
	assert_non_null(key);
	ca = cert_make(ca_key, "cluster-ca", NULL, NULL, f->ca_fp);
	other = cert_make(other_key, "cluster-ca", NULL, NULL, f->other_ca_fp);
	leaf = cert_make(key, "n1", ca, ca_key, f->leaf_fp);
	f->ssl = SSL_CTX_new(TLS_server_method());
	assert_non_null(f->ssl);
	assert_int_equal(SSL_CTX_use_certificate(f->ssl, leaf), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(f->ssl, key), 1);
	assert_int_equal(SSL_CTX_add1_chain_cert(f->ssl, ca), 1);
	X509_free(ca);
	X509_free(other);
	X509_free(leaf);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(other_key);
	EVP_PKEY_free(key);
}

/* Answers every request that gets through the handshake with an empty
 * node list, counting it. */
static void *fake_main(void *arg)
{
	static const char resp[] = "HTTP/1.1 200 OK\r\n"
				   "Content-Type: application/json\r\n"
				   "Content-Length: 13\r\n"
				   "Connection: close\r\n\r\n"
				   "{\"nodes\": []}";
	struct fake *f = arg;
	struct timeval tv = {.tv_sec = 5};
	char buf[4096];

	while (!atomic_load(&f->stop)) {
		int fd = accept(f->lfd, NULL, NULL);
		SSL *s;

		if (fd < 0)
			continue; /* woken by shutdown() when stopping */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		s = SSL_new(f->ssl);
		SSL_set_fd(s, fd);
		if (SSL_accept(s) == 1 && SSL_read(s, buf, sizeof buf) > 0) {
			pthread_mutex_lock(&f->lock);
			f->requests++;
			pthread_mutex_unlock(&f->lock);
			SSL_write(s, resp, (int)strlen(resp));
			SSL_shutdown(s);
		}
		SSL_free(s);
		close(fd);
	}
	return NULL;
}

static void env_clear(void)
{
	unsetenv("WARD_URL");
	unsetenv("WARD_CACERT");
	unsetenv("WARD_FINGERPRINT");
	unsetenv("WARD_CA_FINGERPRINT");
	unsetenv("WARD_PASSWORD_FILE");
}

static int no_prompt(void *arg, const char *prompt, char *buf, size_t cap)
{
	errno = ENXIO;
	return -1;
}

static int setup(void **state)
{
	struct fake *f = calloc(1, sizeof *f);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t salen = sizeof sa;

	assert_non_null(f);
	env_clear();
	setenv("WARD_PASSWORD", "pw", 1);
	pki_make(f);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(f->lfd, 8), 0);
	getsockname(f->lfd, (struct sockaddr *)&sa, &salen);
	snprintf(f->url, sizeof f->url, "https://127.0.0.1:%d",
		 ntohs(sa.sin_port));
	pthread_mutex_init(&f->lock, NULL);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
	wardctl_init(&f->ctx);
	f->ctx.out = open_memstream(&f->out, &f->out_len);
	f->ctx.err = open_memstream(&f->err, &f->err_len);
	f->ctx.prompt = no_prompt;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;

	atomic_store(&f->stop, 1);
	shutdown(f->lfd, SHUT_RDWR);
	pthread_join(f->thread, NULL);
	close(f->lfd);
	SSL_CTX_free(f->ssl);
	pthread_mutex_destroy(&f->lock);
	fclose(f->ctx.out);
	fclose(f->ctx.err);
	free(f->out);
	free(f->err);
	wardctl_close(&f->ctx);
	free(f);
	env_clear();
	unsetenv("WARD_PASSWORD");
	return 0;
}

/* "wardctl --url URL --ca-fingerprint PIN node list". */
static int run_pinned(struct fake *f, const char *pin)
{
	char *argv[] = {"wardctl",   "--url", f->url, "--ca-fingerprint",
			(char *)pin, "node",  "list"};
	int rc = wardctl_run(&f->ctx, sizeof argv / sizeof *argv, argv);

	fflush(f->ctx.out);
	fflush(f->ctx.err);
	return rc;
}

static int requests(struct fake *f)
{
	int n;

	pthread_mutex_lock(&f->lock);
	n = f->requests;
	pthread_mutex_unlock(&f->lock);
	return n;
}

static void test_ca_pin_reaches_a_node_issued_by_that_ca(void **state)
{
	struct fake *f = *state;

	/* No host name check either: the certificate names no address. */
	assert_int_equal(run_pinned(f, f->ca_fp), WARDCTL_OK);
	assert_int_equal(requests(f), 1);
	assert_non_null(strstr(f->out, "NAME  ID  STATE"));
	assert_int_equal(f->err_len, 0);
}

static void test_ca_pin_of_another_ca_fails_before_any_request(void **state)
{
	struct fake *f = *state;

	assert_int_equal(run_pinned(f, f->other_ca_fp), WARDCTL_EUNREACHABLE);
	assert_int_equal(requests(f), 0);
	assert_non_null(strstr(f->err, "not issued by the CA"));
	/* The operator is told which certificate was refused. */
	assert_non_null(strstr(f->err, f->leaf_fp));
}

static void test_leaf_fingerprint_given_as_ca_pin_is_refused(void **state)
{
	struct fake *f = *state;

	assert_int_equal(run_pinned(f, f->leaf_fp), WARDCTL_EUNREACHABLE);
	assert_int_equal(requests(f), 0);
	assert_non_null(strstr(f->err, "not issued by the CA"));
}

static void test_ca_pin_is_read_from_the_environment(void **state)
{
	struct fake *f = *state;
	char *argv[] = {"wardctl", "--url", f->url, "node", "list"};

	setenv("WARD_CA_FINGERPRINT", f->other_ca_fp, 1);
	assert_int_equal(wardctl_run(&f->ctx, 5, argv), WARDCTL_EUNREACHABLE);
	setenv("WARD_CA_FINGERPRINT", f->ca_fp, 1);
	assert_int_equal(wardctl_run(&f->ctx, 5, argv), WARDCTL_OK);
	assert_int_equal(requests(f), 1);
}

static void test_ca_pin_and_leaf_pin_together_are_a_usage_error(void **state)
{
	struct fake *f = *state;

	setenv("WARD_FINGERPRINT", f->leaf_fp, 1);
	assert_int_equal(run_pinned(f, f->ca_fp), WARDCTL_EUSAGE);
	assert_int_equal(requests(f), 0);
}

static void test_ca_pin_rejects_a_malformed_fingerprint(void **state)
{
	struct fake *f = *state;

	assert_int_equal(run_pinned(f, "sha256:0011"), WARDCTL_EUSAGE);
	assert_int_equal(requests(f), 0);
	assert_non_null(strstr(f->err, "bad CA fingerprint"));
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_ca_pin_reaches_a_node_issued_by_that_ca),
	    T(test_ca_pin_of_another_ca_fails_before_any_request),
	    T(test_leaf_fingerprint_given_as_ca_pin_is_refused),
	    T(test_ca_pin_is_read_from_the_environment),
	    T(test_ca_pin_and_leaf_pin_together_are_a_usage_error),
	    T(test_ca_pin_rejects_a_malformed_fingerprint),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
