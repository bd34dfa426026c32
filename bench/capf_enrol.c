/* capf_enrol: a load generator for the CAPF role — THREADS threads, each
 * running whole enrolments one after another (TLS, auth request, null
 * string, key generate, store certificate, end session) for devices
 * PREFIX + hex index, from FIRST on, until COUNT are done. Prints the
 * enrolments that ended with reason 1 (the LSC committed) per second.
 *
 *   capf_enrol HOST:PORT THREADS COUNT FIRST PREFIX ec|rsa
 *
 * The phones' keys (EC P-256 or RSA 2048) come from a pool of POOL keys
 * made before the clock starts: a phone generates its key on its own CPU,
 * and generating RSA keys here would measure this client, not the server
 * (which issues a distinct LSC each time whatever the key). */
#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "node/capf/capf_msg.h"

static const char *host, *port, *prefix;
static int use_rsa;
static atomic_long next_idx, done_ok, done_bad;
static long count_max, first_idx;
static SSL_CTX *ctx;
#define POOL 16
static uint8_t *pool_der[POOL];
static int pool_len[POOL];

static int read_full(SSL *ssl, uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		int r = SSL_read(ssl, buf + got, (int)(n - got));

		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* The next message other than "request in progress" (a follower says so
 * while the leader records its write). */
static int recv_msg(SSL *ssl, uint8_t *buf, struct capf_msg *m)
{
	size_t total;

	do {
		if (read_full(ssl, buf, CAPF_HEADER_LEN) ||
		    capf_msg_frame(buf, CAPF_HEADER_LEN, &total) ||
		    read_full(ssl, buf + CAPF_HEADER_LEN,
			      total - CAPF_HEADER_LEN) ||
		    capf_msg_parse(buf, total, m))
			return -1;
	} while (m->cmd == CAPF_CMD_IN_PROGRESS);
	return 0;
}

static int one(const char *device, long idx)
{
	uint8_t in[CAPF_MSG_MAX], out[4096];
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
	struct capf_build b;
	struct capf_msg m;
	SSL *ssl = NULL;
	size_t len;
	uint8_t reason = 0xff;
	int fd = -1, rc = -1;

	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -1;
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
		goto out;
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1 || recv_msg(ssl, in, &m) ||
	    m.cmd != CAPF_CMD_AUTH_REQ)
		goto out;
	capf_build_begin(&b, out, sizeof out, CAPF_CMD_AUTH_RESP, m.session);
	capf_build_u8(&b, CAPF_TAG_REASON, 0);
	capf_build_u8(&b, CAPF_TAG_VERSION, 3);
	capf_build_str(&b, CAPF_TAG_DEVICE_NAME, device);
	capf_build_u8(&b, CAPF_TAG_AUTH_TYPE, CAPF_AUTH_NO_PASSWORD);
	if (capf_build_end(&b, &len) || SSL_write(ssl, out, (int)len) <= 0 ||
	    recv_msg(ssl, in, &m) || m.cmd != CAPF_CMD_KEYGEN_REQ)
		goto out;
	capf_build_begin(&b, out, sizeof out, CAPF_CMD_KEYGEN_RESP, m.session);
	capf_build_u8(&b, CAPF_TAG_REASON, 0);
	capf_build_add(&b, CAPF_TAG_PUBLIC_KEY, pool_der[idx % POOL],
		       (size_t)pool_len[idx % POOL]);
	if (capf_build_end(&b, &len) || SSL_write(ssl, out, (int)len) <= 0 ||
	    recv_msg(ssl, in, &m) || m.cmd != CAPF_CMD_STORE_CERT_REQ)
		goto out;
	capf_build_begin(&b, out, sizeof out, CAPF_CMD_STORE_CERT_RESP,
			 m.session);
	capf_build_u8(&b, CAPF_TAG_REASON, 1);
	if (capf_build_end(&b, &len) || SSL_write(ssl, out, (int)len) <= 0 ||
	    recv_msg(ssl, in, &m) || m.cmd != CAPF_CMD_END_SESSION ||
	    capf_msg_get_u8(&m, CAPF_TAG_REASON, &reason))
		goto out;
	rc = reason == 1 ? 0 : -1;
out:
	if (ssl) {
		SSL_shutdown(ssl);
		SSL_free(ssl);
	}
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return rc;
}

static void *worker(void *arg)
{
	char device[64];
	long i;

	(void)arg;
	while ((i = atomic_fetch_add(&next_idx, 1)) < count_max) {
		snprintf(device, sizeof device, "%s%0*lX", prefix,
			 (int)(15 - strlen(prefix)), first_idx + i);
		if (one(device, i) == 0)
			atomic_fetch_add(&done_ok, 1);
		else
			atomic_fetch_add(&done_bad, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	pthread_t th[256];
	char hp[256], *colon;
	int threads;
	double s;

	if (argc != 7) {
		fprintf(
		    stderr,
		    "usage: %s HOST:PORT THREADS COUNT FIRST PREFIX ec|rsa\n",
		    argv[0]);
		return 2;
	}
	snprintf(hp, sizeof hp, "%s", argv[1]);
	colon = strrchr(hp, ':');
	if (!colon)
		return 2;
	*colon = '\0';
	host = hp;
	port = colon + 1;
	threads = atoi(argv[2]);
	if (threads < 1 || threads > 256)
		return 2;
	count_max = atol(argv[3]);
	first_idx = strtol(argv[4], NULL, 16);
	prefix = argv[5];
	use_rsa = strcmp(argv[6], "rsa") == 0;
	for (int i = 0; i < POOL; i++) {
		EVP_PKEY *k =
		    use_rsa ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
			    : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

		pool_der[i] = NULL;
		if (!k || (pool_len[i] = i2d_PUBKEY(k, &pool_der[i])) <= 0)
			return 1;
		EVP_PKEY_free(k);
	}
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%ld enrolled, %ld failed, %.2f s, %.0f LSC/s\n",
	       atomic_load(&done_ok), atomic_load(&done_bad), s,
	       (double)atomic_load(&done_ok) / s);
	SSL_CTX_free(ctx);
	return atomic_load(&done_bad) ? 1 : 0;
}
