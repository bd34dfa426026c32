/* bench_tls_handshakes: TLS handshakes per second against a node's admin
 * API, full and resumed, each followed by one GET /v1/status so that the
 * TLS 1.3 session ticket arrives and the measure is of a real call.
 *
 *   bench_tls_handshakes HOST PORT [-n CONNECTIONS] [-r RUNS]
 *
 * Prints the median of RUNS runs of CONNECTIONS sequential connections for
 * each mode, with the conditions. bench/tls_handshakes.sh starts a node. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int dial(const struct sockaddr_in *sa)
{
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One connection: handshake (resuming *sess if set), one request, the
 * answer read, a clean close. Keeps the newest session in *sess. Returns 1
 * if the handshake resumed, 0 if it was full, -1 on failure. */
static int one_call(SSL_CTX *ctx, const struct sockaddr_in *sa,
		    SSL_SESSION **sess)
{
	static const char req[] = "GET /v1/status HTTP/1.1\r\n"
				  "Host: bench\r\nConnection: close\r\n\r\n";
	char buf[4096];
	int fd = dial(sa), resumed = -1, n;
	SSL *ssl;

	if (fd < 0)
		return -1;
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (*sess)
		SSL_set_session(ssl, *sess);
	if (SSL_connect(ssl) != 1 ||
	    SSL_write(ssl, req, (int)sizeof req - 1) != (int)sizeof req - 1)
		goto out;
	while ((n = SSL_read(ssl, buf, sizeof buf)) > 0)
		;
	resumed = SSL_session_reused(ssl);
	if (SSL_get0_session(ssl) && SSL_SESSION_is_resumable(
					     SSL_get0_session(ssl))) {
		SSL_SESSION_free(*sess);
		*sess = SSL_get1_session(ssl);
	}
	SSL_shutdown(ssl);
out:
	SSL_free(ssl);
	close(fd);
	return resumed;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Handshakes per second over N connections; *n_resumed counts resumptions. */
static double run(SSL_CTX *ctx, const struct sockaddr_in *sa, int n,
		  int resume, int *n_resumed)
{
	SSL_SESSION *sess = NULL;
	double t0;
	int rc;

	*n_resumed = 0;
	if (resume && one_call(ctx, sa, &sess) < 0) /* prime the ticket */
		return -1;
	t0 = now_s();
	for (int i = 0; i < n; i++) {
		rc = one_call(ctx, sa, resume ? &sess : &(SSL_SESSION *){NULL});
		if (rc < 0)
			return -1;
		*n_resumed += rc;
	}
	SSL_SESSION_free(sess);
	return n / (now_s() - t0);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int n = 300, runs = 5, opt, resumed = 0;
	double full[32], res[32];
	SSL_CTX *ctx;

	while ((opt = getopt(argc, argv, "n:r:")) != -1) {
		if (opt == 'n')
			n = atoi(optarg);
		else if (opt == 'r')
			runs = atoi(optarg);
		else
			goto usage;
	}
	if (argc - optind != 2 || n < 1 || runs < 1 || runs > 32 ||
	    inet_pton(AF_INET, argv[optind], &sa.sin_addr) != 1)
		goto usage;
	sa.sin_port = htons((uint16_t)atoi(argv[optind + 1]));

	ctx = SSL_CTX_new(TLS_client_method());
	/* The certificate is not what is measured: the node's own tests
	 * check it. Verification would add the same cost to both modes. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT);

	for (int r = 0; r < runs; r++) {
		int rs = 0;

		full[r] = run(ctx, &sa, n, 0, &rs);
		res[r] = run(ctx, &sa, n, 1, &resumed);
		if (full[r] < 0 || res[r] < 0) {
			fprintf(stderr, "bench_tls_handshakes: a connection "
					"failed\n");
			return 1;
		}
		if (resumed < n)
			fprintf(stderr, "run %d: only %d of %d resumed\n", r,
				resumed, n);
	}
	qsort(full, (size_t)runs, sizeof *full, cmp_double);
	qsort(res, (size_t)runs, sizeof *res, cmp_double);
	printf("admin API TLS handshakes, %d sequential connections x %d "
	       "runs, each with one GET /v1/status, one client on "
	       "loopback, %ld cores\n",
	       n, runs, sysconf(_SC_NPROCESSORS_ONLN));
	printf("  full handshakes:    %8.0f /s (median; min %.0f, max %.0f)\n",
	       full[runs / 2], full[0], full[runs - 1]);
	printf("  resumed handshakes: %8.0f /s (median; min %.0f, max %.0f; "
	       "%d of %d resumed in the last run)\n",
	       res[runs / 2], res[0], res[runs - 1], resumed, n);
	printf("  resumption speed-up: %.1fx\n", res[runs / 2] / full[runs / 2]);
	SSL_CTX_free(ctx);
	return 0;
usage:
	fprintf(stderr, "usage: bench_tls_handshakes HOST PORT [-n CONNECTIONS] "
			"[-r RUNS]\n");
	return 2;
}
