/* tls_peer: records each TLS peer's certificate by its address. */
#include "node/sip/tls_peer.h"

#include <dlfcn.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/addr.h"
#include "node/sip/tls_reload.h"

struct entry {
	struct sockaddr_storage addr;
	uint64_t seq; /* 0: free */
	struct sip_tls_cert cert;
	X509 *leaf; /* owned (a reference): for sip_tls_peer_der */
};

struct table {
	struct entry *e; /* owned */
	size_t n;
	uint64_t seq;
	sip_tls_peer_out_fn out_fn; /* outgoing connections' check */
	void *out_arg;
};

static __thread struct table *tls_table;
/* The check the TLS contexts created now get (sip_tls_peer_out_check_begin). */
static __thread const struct sip_tls_out_check *out_check_next;
static int out_check_idx = -1;
static pthread_once_t out_check_once = PTHREAD_ONCE_INIT;

static void out_check_init(void)
{
	out_check_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

void sip_tls_peer_out_check_begin(const struct sip_tls_out_check *chk)
{
	pthread_once(&out_check_once, out_check_init);
	out_check_next = chk;
}

void sip_tls_peer_out_check_end(void)
{
	out_check_next = NULL;
}

int sip_tls_peer_thread_begin(size_t slots)
{
	struct table *t = calloc(1, sizeof *t);

	if (!t)
		return -1;
	t->n = slots ? slots : 1024;
	t->e = calloc(t->n, sizeof *t->e);
	if (!t->e) {
		free(t);
		return -1;
	}
	tls_table = t;
	return 0;
}

void sip_tls_peer_thread_end(void)
{
	if (!tls_table)
		return;
	for (size_t i = 0; i < tls_table->n; i++)
		X509_free(tls_table->e[i].leaf);
	free(tls_table->e);
	free(tls_table);
	tls_table = NULL;
}

void sip_tls_peer_set_outgoing(sip_tls_peer_out_fn fn, void *arg)
{
	if (!tls_table)
		return;
	tls_table->out_fn = fn;
	tls_table->out_arg = arg;
}

uint64_t sip_tls_peer_recorded(void)
{
	return tls_table ? tls_table->seq : 0;
}

static size_t slot_of(const struct table *t, const struct sockaddr *sa)
{
	uint32_t h = 2166136261u;
	const uint8_t *p = (const void *)sa;
	size_t len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					       : sizeof(struct sockaddr_in);
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h % t->n;
}

int sip_tls_peer_lookup(const struct sockaddr *sa, struct sip_tls_cert *out)
{
	struct table *t = tls_table;
	size_t i;

	if (!t)
		return -1;
	i = slot_of(t, sa);
	for (size_t k = 0; k < 4; k++) {
		struct entry *e = &t->e[(i + k) % t->n];
		if (e->seq && addr_sa_same((const struct sockaddr *)&e->addr, sa)) {
			*out = e->cert;
			return 0;
		}
	}
	return -1;
}

int sip_tls_peer_der(const struct sockaddr *sa, const uint8_t fp[32],
		     uint8_t **der, size_t *len)
{
	struct table *t = tls_table;
	size_t i;

	*der = NULL;
	*len = 0;
	if (!t)
		return -1;
	i = slot_of(t, sa);
	for (size_t k = 0; k < 4; k++) {
		struct entry *e = &t->e[(i + k) % t->n];
		unsigned char *p = NULL;
		int n;

		if (!e->seq || !addr_sa_same((const struct sockaddr *)&e->addr, sa))
			continue;
		if (!e->leaf || !e->cert.present ||
		    CRYPTO_memcmp(e->cert.fp, fp, 32) != 0)
			return -1;
		n = i2d_X509(e->leaf, &p);
		if (n <= 0)
			return -1;
		*der = malloc((size_t)n);
		if (*der)
			memcpy(*der, p, (size_t)n);
		OPENSSL_free(p);
		if (!*der)
			return -1;
		*len = (size_t)n;
		return 0;
	}
	return -1;
}

/* Records LEAF (may be NULL) for SSL's peer; returns the entry, NULL when
 * the peer's address is unknown. */
static struct entry *record(SSL *ssl, X509 *leaf)
{
	struct table *t = tls_table;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	struct entry *e, *victim;
	STACK_OF(X509) *chain;
	unsigned len = 0;
	size_t i;
	long verdict;
	int fd = SSL_get_fd(ssl);

	memset(&ss, 0, sizeof ss);
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
		return NULL;
	i = slot_of(t, (struct sockaddr *)&ss);
	victim = &t->e[i];
	for (size_t k = 0; k < 4; k++) {
		e = &t->e[(i + k) % t->n];
		if (!e->seq || addr_sa_same((const struct sockaddr *)&e->addr, (struct sockaddr *)&ss)) {
			victim = e;
			break;
		}
		if (e->seq < victim->seq)
			victim = e;
	}
	X509_free(victim->leaf);
	memset(victim, 0, sizeof *victim);
	victim->addr = ss;
	victim->seq = ++t->seq;
	if (!leaf)
		return victim;
	if (X509_up_ref(leaf))
		victim->leaf = leaf;
	victim->cert.present = 1;
	X509_digest(leaf, EVP_sha256(), victim->cert.fp, &len);
	X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName,
				  victim->cert.cn, sizeof victim->cert.cn);
	sip_x509_names_of(leaf, &victim->cert.names);
	chain = SSL_get0_verified_chain(ssl);
	verdict = SSL_get_verify_result(ssl);
	snprintf(victim->cert.verify_error, sizeof victim->cert.verify_error,
		 "%s", X509_verify_cert_error_string(verdict));
	if (verdict == X509_V_OK && chain && sk_X509_num(chain) > 0) {
		X509 *root = sk_X509_value(chain, sk_X509_num(chain) - 1);
		victim->cert.chain_ok =
		    X509_digest(root, EVP_sha256(), victim->cert.root_fp,
				&len) == 1;
	}
	return victim;
}

/* A connection ward opened: its context's own check if it has one
 * (sip_tls_peer_out_check_begin), else the thread's, decides whether it
 * may carry anything (tls_peer.h). 0 or -1. */
static int outgoing_ok(SSL *ssl, const struct entry *e)
{
	struct table *t = tls_table;
	const struct sip_tls_out_check *chk = NULL;

	if (SSL_is_server(ssl))
		return 0;
	if (out_check_idx >= 0)
		chk = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), out_check_idx);
	if (!chk && !t->out_fn)
		return 0;
	if (!e) /* no peer address: nothing to judge it by */
		return -1;
	if (chk)
		return chk->fn(chk->arg, (const struct sockaddr *)&e->addr,
			       &e->cert) == 0
			   ? 0
			   : -1;
	return t->out_fn(t->out_arg, (const struct sockaddr *)&e->addr,
			 &e->cert) == 0
		   ? 0
		   : -1;
}

typedef X509 *(*get_peer_fn)(const SSL *);
typedef void (*set_verify_fn)(SSL_CTX *, int, SSL_verify_cb);

/* Every handshake completes whatever the certificate; the verdict is kept
 * (SSL_get_verify_result) for ward to refuse with a logged reason while
 * the peer sees only a 403. */
static int keep_verdict(int ok, X509_STORE_CTX *store)
{
	(void)ok;
	(void)store;
	return 1;
}

/* Interposes libssl's function for libsofia's call: on a signaling thread
 * the server asks for a client certificate but lets ward judge it. */
void SSL_CTX_set_verify(SSL_CTX *ctx, int mode, SSL_verify_cb cb)
{
	static set_verify_fn real;

	if (!real) {
		set_verify_fn f;
		*(void **)&f = dlsym(RTLD_NEXT, "SSL_CTX_set_verify");
		real = f;
	}
	if (!real)
		return;
	if (tls_table) {
		mode = SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE;
		cb = keep_verdict;
		if (out_check_next && out_check_idx >= 0)
			SSL_CTX_set_ex_data(ctx, out_check_idx,
					    (void *)out_check_next);
		sip_tls_reload_note(ctx);
	}
	real(ctx, mode, cb);
}

/* Interposes libssl's function for libsofia's call (see tls_peer.h). */
X509 *SSL_get1_peer_certificate(const SSL *ssl)
{
	static get_peer_fn real;
	X509 *x;

	if (!real) {
		get_peer_fn f;
		*(void **)&f = dlsym(RTLD_NEXT, "SSL_get1_peer_certificate");
		real = f;
	}
	if (!real)
		return NULL;
	x = real(ssl);
	if (tls_table && outgoing_ok((SSL *)ssl, record((SSL *)ssl, x)) != 0) {
		/* Refused: sofia sees no certificate and, verifying outgoing
		 * connections, closes this one before writing to it. */
		X509_free(x);
		SSL_set_verify_result((SSL *)ssl,
				      X509_V_ERR_APPLICATION_VERIFICATION);
		return NULL;
	}
	return x;
}
