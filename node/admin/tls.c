/* tls: the TLS contexts of the admin API. The server side resumes sessions
 * (cache and tickets: reconnecting clients skip the key exchange) and asks
 * for, but does not require, a client certificate — a member relaying a
 * request presents its own, which identifies it. The client side trusts
 * exactly one certificate per connection: the fingerprint the nodes table
 * holds for the member it calls. */
#include "node/admin/admin_int.h"

#include <stdio.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/hex.h"

static int pin_index = -1;
static pthread_once_t pin_once = PTHREAD_ONCE_INIT;

static void pin_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
		     long argl, void *argp)
{
	OPENSSL_free(ptr);
}

static void pin_index_make(void)
{
	pin_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, pin_free);
}

static void tls_err(char *errmsg, size_t errcap, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof buf);
	snprintf(errmsg, errcap, "%s: %s", what, e ? buf : "failed");
	ERR_clear_error();
}

/* The server accepts any client certificate: it is an identity claim that
 * only counts when its fingerprint is a member's (admin_tls_peer_fp). */
static int tls_accept_any(int ok, X509_STORE_CTX *ctx)
{
	return 1;
}

/* The whole chain check of the client is the pin. */
static int tls_check_pin(X509_STORE_CTX *ctx, void *arg)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(
	    ctx, SSL_get_ex_data_X509_STORE_CTX_idx());
	X509 *leaf = X509_STORE_CTX_get0_cert(ctx);
	const uint8_t *pin = ssl ? SSL_get_ex_data(ssl, pin_index) : NULL;
	uint8_t fp[32];
	unsigned int n = sizeof fp;

	if (!pin || !leaf || !X509_digest(leaf, EVP_sha256(), fp, &n))
		return 0;
	if (!hex_sha256_equal(fp, pin)) {
		X509_STORE_CTX_set_error(ctx, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	return 1;
}

static int tls_use_cert(SSL_CTX *ctx, const char *cert, const char *key,
			char *errmsg, size_t errcap)
{
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		tls_err(errmsg, errcap, cert);
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		tls_err(errmsg, errcap, key);
		return -1;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_err(errmsg, errcap, "certificate and key do not match");
		return -1;
	}
	return 0;
}

int admin_tls_load(const char *cert, const char *key, SSL_CTX **server,
		   SSL_CTX **client, uint8_t fp[32], char *errmsg,
		   size_t errcap)
{
	static const unsigned char sid_ctx[] = "ward-admin";
	SSL_CTX *s, *c;
	X509 *x;
	unsigned int n = 32;

	pthread_once(&pin_once, pin_index_make);
	if (pin_index < 0) {
		snprintf(errmsg, errcap, "OpenSSL: no ex_data index");
		return -1;
	}
	s = SSL_CTX_new(TLS_server_method());
	if (!s) {
		tls_err(errmsg, errcap, "SSL_CTX_new");
		return -1;
	}
	c = SSL_CTX_new(TLS_client_method());
	if (!c) {
		tls_err(errmsg, errcap, "SSL_CTX_new");
		goto err_after_server;
	}
	SSL_CTX_set_min_proto_version(s, TLS1_2_VERSION);
	SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
	/* No renegotiation, server's cipher order: the usual hardening. */
	SSL_CTX_set_options(s, SSL_OP_NO_RENEGOTIATION |
				   SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION);
	if (tls_use_cert(s, cert, key, errmsg, errcap) != 0 ||
	    tls_use_cert(c, cert, key, errmsg, errcap) != 0)
		goto err_after_client;
	/* Resumption: a server-side cache for TLS 1.2 session ids, and
	 * tickets (on by default; said here because the handshake rate
	 * depends on it). The id context is required once client
	 * certificates may be asked for. */
	SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_SERVER);
	SSL_CTX_sess_set_cache_size(s, 20000);
	SSL_CTX_set_timeout(s, 3600);
	SSL_CTX_clear_options(s, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(s, 2);
	SSL_CTX_set_session_id_context(s, sid_ctx, sizeof sid_ctx - 1);
	SSL_CTX_set_verify(s, SSL_VERIFY_PEER, tls_accept_any);

	SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(c, tls_check_pin, NULL);

	x = SSL_CTX_get0_certificate(s);
	if (!x || !X509_digest(x, EVP_sha256(), fp, &n)) {
		tls_err(errmsg, errcap, "certificate digest");
		goto err_after_client;
	}
	*server = s;
	*client = c;
	return 0;
err_after_client:
	SSL_CTX_free(c);
err_after_server:
	SSL_CTX_free(s);
	return -1;
}

int admin_tls_pin(SSL *ssl, const uint8_t fp[32])
{
	uint8_t *copy = OPENSSL_malloc(32);

	if (!copy)
		return -1;
	memcpy(copy, fp, 32);
	if (!SSL_set_ex_data(ssl, pin_index, copy)) {
		OPENSSL_free(copy);
		return -1;
	}
	return 0;
}

int admin_tls_peer_fp(struct evhttp_request *req, uint8_t fp[32])
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev;
	unsigned int n = 32;
	X509 *peer;
	SSL *ssl;

	if (!evcon)
		return -1;
	bev = evhttp_connection_get_bufferevent(evcon);
	ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
	peer = ssl ? SSL_get0_peer_certificate(ssl) : NULL;
	if (!peer || !X509_digest(peer, EVP_sha256(), fp, &n))
		return -1;
	return 0;
}
