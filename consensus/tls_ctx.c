/* consensus/tls_ctx: the OpenSSL context of the mutual-TLS transport — this
 * node's certificate chain and key and the cluster CA, read from PEM files
 * and checked before any connection uses them.
 *
 * Everything that can be wrong with the files is found here, on the caller's
 * thread, so consensus_start() and consensus_reload_tls() answer with the
 * reason instead of a server that cannot talk to anyone: unreadable or
 * malformed files, a key that is not the certificate's, a certificate that
 * does not chain to the CA, is not a NODE certificate, or names another
 * cluster or node.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "consensus/internal.h"
#include "consensus/transport.h"
#include "pki/pki.h"

/* A certificate chain or a CA bundle is a few KB; refuse what cannot be. */
#define TLS_FILE_MAX (1u << 20)

/* AES-128-GCM first: as safe here and cheaper than AES-256 per record. */
#define TLS_SUITES                                                             \
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"                       \
	"TLS_CHACHA20_POLY1305_SHA256"

/* Reads PATH whole into *buf (malloc'ed, NUL-terminated, transferred). */
static int file_read(const char *what, const char *path, char **buf,
		     size_t *len, char *errmsg, size_t errcap)
{
	struct stat st;
	FILE *f;
	char *b;
	size_t n;

	*buf = NULL;
	f = fopen(path, "rb");
	if (f == NULL) {
		consensus_errf(errmsg, errcap, "raft: %s %s: %s", what, path,
			       strerror(errno));
		return CONSENSUS_ETLS;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size <= 0 || (size_t)st.st_size > TLS_FILE_MAX) {
		consensus_errf(errmsg, errcap,
			       "raft: %s %s: not a regular file of 1 byte to "
			       "1 MiB",
			       what, path);
		fclose(f);
		return CONSENSUS_ETLS;
	}
	b = malloc((size_t)st.st_size + 1);
	if (b == NULL) {
		fclose(f);
		return CONSENSUS_ENOMEM;
	}
	n = fread(b, 1, (size_t)st.st_size, f);
	fclose(f);
	if (n != (size_t)st.st_size) {
		consensus_errf(errmsg, errcap, "raft: %s %s: short read", what,
			       path);
		OPENSSL_cleanse(b, (size_t)st.st_size);
		free(b);
		return CONSENSUS_ETLS;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/* A PEM certificate file (one or a chain) through pki's strict parser. */
static int certs_load(const char *what, const char *path, STACK_OF(X509) **out,
		      char *errmsg, size_t errcap)
{
	char *buf, why[256] = "";
	size_t len;
	int rc;

	*out = NULL;
	rc = file_read(what, path, &buf, &len, errmsg, errcap);
	if (rc != 0)
		return rc;
	rc = pki_certs_parse(buf, len, out, why, sizeof why);
	free(buf);
	if (rc != 0) {
		consensus_errf(errmsg, errcap, "raft: %s %s: %s", what, path,
			       why);
		return rc == PKI_ENOMEM ? CONSENSUS_ENOMEM : CONSENSUS_ETLS;
	}
	return 0;
}

/* An encrypted key would make OpenSSL ask for a passphrase on the terminal;
 * there is nobody there. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int key_load(const char *path, EVP_PKEY **out, char *errmsg,
		    size_t errcap)
{
	char *buf;
	size_t len;
	BIO *bio;
	int rc;

	*out = NULL;
	rc = file_read("tls_key", path, &buf, &len, errmsg, errcap);
	if (rc != 0)
		return rc;
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio != NULL)
		*out = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	OPENSSL_cleanse(buf, len);
	free(buf);
	ERR_clear_error();
	if (*out == NULL) {
		consensus_errf(errmsg, errcap,
			       "raft: tls_key %s: not an unencrypted PEM "
			       "private key",
			       path);
		return CONSENSUS_ETLS;
	}
	return 0;
}

static int ctx_fail(SSL_CTX *ctx, const char *what, char *errmsg, size_t errcap)
{
	unsigned long e = ERR_peek_last_error();

	consensus_errf(errmsg, errcap, "raft: TLS context: %s%s%s", what,
		       e ? ": " : "", e ? ERR_reason_error_string(e) : "");
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return CONSENSUS_ETLS;
}

/* The context both ends of every connection use. Takes ownership of TRUST
 * (even on failure); CHAIN and KEY stay the caller's. */
static int ctx_build(STACK_OF(X509) *chain, EVP_PKEY *key, X509_STORE *trust,
		     SSL_CTX **out, char *errmsg, size_t errcap)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());

	*out = NULL;
	if (ctx == NULL) {
		X509_STORE_free(trust);
		return ctx_fail(NULL, "cannot create", errmsg, errcap);
	}
	SSL_CTX_set_cert_store(ctx, trust);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, TLS_SUITES) != 1)
		return ctx_fail(ctx, "TLS 1.3 settings", errmsg, errcap);
	if (SSL_CTX_use_certificate(ctx, sk_X509_value(chain, 0)) != 1)
		return ctx_fail(ctx, "tls_cert refused", errmsg, errcap);
	for (int i = 1; i < sk_X509_num(chain); i++)
		if (SSL_CTX_add1_chain_cert(ctx, sk_X509_value(chain, i)) != 1)
			return ctx_fail(ctx, "tls_cert chain refused", errmsg,
					errcap);
	if (SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		return ctx_fail(ctx, "tls_key is not the key of tls_cert",
				errmsg, errcap);
	/* Both ends must show a certificate chaining to the cluster CA; who
	 * it names is checked after the handshake, against the id claimed. */
	SSL_CTX_set_verify(
	    ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_verify_depth(ctx, 2);
	/* Raft connections live as long as the servers: resumption would
	 * save a handshake per restart and costs tickets on every one. */
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION);
	/* The pump retries a write with the rest of its buffer, and reads
	 * whole records (and what follows) in one read(2). */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				  SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_read_ahead(ctx, 1);
	*out = ctx;
	return 0;
}

int consensus_tls_ctx_new(const char *cert, const char *key, const char *ca,
			  const char *cluster_id, uint64_t id, SSL_CTX **out,
			  char *errmsg, size_t errcap)
{
	STACK_OF(X509) *chain = NULL, *cas = NULL;
	X509 *roots[16];
	X509_STORE *trust = NULL;
	EVP_PKEY *pkey = NULL;
	char why[256] = "";
	int n, rc;

	*out = NULL;
	rc = certs_load("tls_cert", cert, &chain, errmsg, errcap);
	if (rc != 0)
		return rc;
	rc = certs_load("tls_ca", ca, &cas, errmsg, errcap);
	if (rc != 0)
		goto err_after_chain;
	n = sk_X509_num(cas);
	if (n > (int)(sizeof roots / sizeof *roots)) {
		consensus_errf(errmsg, errcap,
			       "raft: tls_ca %s: more than %zu certificates",
			       ca, sizeof roots / sizeof *roots);
		rc = CONSENSUS_ETLS;
		goto err_after_cas;
	}
	for (int i = 0; i < n; i++)
		roots[i] = sk_X509_value(cas, i);
	if (pki_trust_new(roots, (size_t)n, &trust) != 0) {
		consensus_errf(errmsg, errcap, "raft: tls_ca %s: refused", ca);
		rc = CONSENSUS_ETLS;
		goto err_after_cas;
	}
	/* Our own certificate must pass what the peers will check. */
	if (pki_verify_node(trust, sk_X509_value(chain, 0), cluster_id, id, why,
			    sizeof why) != 0) {
		consensus_errf(errmsg, errcap, "raft: tls_cert %s: %s", cert,
			       why);
		rc = CONSENSUS_ETLS;
		goto err_after_trust;
	}
	rc = key_load(key, &pkey, errmsg, errcap);
	if (rc != 0)
		goto err_after_trust;
	rc = ctx_build(chain, pkey, trust, out, errmsg, errcap);
	trust = NULL; /* the context's, or freed */
	EVP_PKEY_free(pkey);
err_after_trust:
	X509_STORE_free(trust);
err_after_cas:
	sk_X509_pop_free(cas, X509_free);
err_after_chain:
	sk_X509_pop_free(chain, X509_free);
	return rc;
}
