/* tls_reload: reads a TLS listener's files again into its context. */
#include "node/sip/tls_reload.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "common/errmsg.h"

#define DIR_MAX 256

struct kept {
	SSL_CTX *ctx; /* a reference */
	char dir[DIR_MAX];
};

struct state {
	struct kept k[SIP_TLS_RELOAD_MAX];
	size_t n;
	int broken;	   /* a context could not be kept */
	int noting;	   /* between _begin() and _end() */
	char dir[DIR_MAX]; /* what the contexts created now read */
};

static __thread struct state *st;

/* What one directory's files hold, read and checked. */
struct files {
	X509 *cert;
	EVP_PKEY *key;
	X509_STORE *store;
	STACK_OF(X509_NAME) *names;
};

void sip_tls_reload_begin(const char *dir)
{
	if (!st && !(st = calloc(1, sizeof *st)))
		return; /* nothing noted: nothing to reload, the caller
			 * restarts instead (sip_tls_reload_count is 0) */
	st->noting = 1;
	if (snprintf(st->dir, sizeof st->dir, "%s", dir) >= (int)sizeof st->dir)
		st->broken = 1;
}

void sip_tls_reload_end(void)
{
	if (st)
		st->noting = 0;
}

void sip_tls_reload_note(SSL_CTX *ctx)
{
	if (!st || !st->noting)
		return;
	for (size_t i = 0; i < st->n; i++)
		if (st->k[i].ctx == ctx) /* set_verify again on it */
			return;
	if (st->n == SIP_TLS_RELOAD_MAX || SSL_CTX_up_ref(ctx) != 1) {
		st->broken = 1;
		return;
	}
	st->k[st->n].ctx = ctx;
	memcpy(st->k[st->n].dir, st->dir, sizeof st->dir);
	st->n++;
}

size_t sip_tls_reload_count(void)
{
	return st ? st->n : 0;
}

void sip_tls_reload_thread_end(void)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++)
		SSL_CTX_free(st->k[i].ctx);
	free(st);
	st = NULL;
}

/* A key file is never encrypted here: no prompt on a terminal. */
static int no_passphrase(char *buf, int size, int rw, void *u)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)u;
	return -1;
}

static void files_free(struct files *f)
{
	X509_free(f->cert);
	EVP_PKEY_free(f->key);
	X509_STORE_free(f->store);
	sk_X509_NAME_pop_free(f->names, X509_NAME_free);
	memset(f, 0, sizeof *f);
}

/* DIR's files as sofia reads them: the first certificate of agent.pem
 * (sofia sends no chain), its key, the CAs of cafile.pem. */
static int files_read(const char *dir, struct files *f, char *errmsg,
		      size_t errcap)
{
	char agent[DIR_MAX + 16], ca[DIR_MAX + 16];
	BIO *b;

	snprintf(agent, sizeof agent, "%s/agent.pem", dir);
	snprintf(ca, sizeof ca, "%s/cafile.pem", dir);
	if ((b = BIO_new_file(agent, "r"))) {
		f->cert = PEM_read_bio_X509(b, NULL, no_passphrase, NULL);
		BIO_free(b);
	}
	/* The key after the certificates: PEM skips the other blocks. */
	if ((b = BIO_new_file(agent, "r"))) {
		f->key = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
		BIO_free(b);
	}
	if (!f->cert || !f->key) {
		errmsg_set(errmsg, errcap, "no certificate and key in %s",
			   agent);
		return -1;
	}
	if (X509_check_private_key(f->cert, f->key) != 1) {
		errmsg_set(errmsg, errcap,
			   "the key in %s is not the certificate's", agent);
		return -1;
	}
	f->store = X509_STORE_new();
	if (!f->store || X509_STORE_load_file(f->store, ca) != 1 ||
	    !(f->names = SSL_load_client_CA_file(ca))) {
		errmsg_set(errmsg, errcap, "no CA certificate in %s", ca);
		return -1;
	}
	return 0;
}

/* Puts F in CTX (F's store and names move to CTX). */
static int files_apply(SSL_CTX *ctx, struct files *f)
{
	unsigned char sid[SSL_MAX_SID_CTX_LENGTH];

	if (SSL_CTX_use_certificate(ctx, f->cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, f->key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1 ||
	    RAND_bytes(sid, sizeof sid) != 1)
		return -1;
	SSL_CTX_set_cert_store(ctx, f->store);
	f->store = NULL;
	SSL_CTX_set_client_CA_list(ctx, f->names);
	f->names = NULL;
	/* A session of the old files is neither kept nor, under a new
	 * context id, resumed: the next handshake is a full one. */
	SSL_CTX_flush_sessions(ctx, LONG_MAX);
	return SSL_CTX_set_session_id_context(ctx, sid, sizeof sid) == 1 ? 0
									 : -1;
}

int sip_tls_reload(char *errmsg, size_t errcap)
{
	struct files f[SIP_TLS_RELOAD_MAX];
	int rc = -1;
	size_t i;

	memset(f, 0, sizeof f);
	if (!st || !st->n || st->broken) {
		errmsg_set(errmsg, errcap,
			   "the listeners' TLS contexts are not known");
		return -1;
	}
	for (i = 0; i < st->n; i++)
		if (files_read(st->k[i].dir, &f[i], errmsg, errcap) != 0)
			goto out;
	for (i = 0; i < st->n; i++)
		if (files_apply(st->k[i].ctx, &f[i]) != 0) {
			errmsg_set(errmsg, errcap,
				   "libssl refused the files of %s",
				   st->k[i].dir);
			goto out;
		}
	rc = 0;
out:
	for (i = 0; i < st->n; i++)
		files_free(&f[i]);
	return rc;
}
