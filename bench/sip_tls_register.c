/* bench_sip_tls_register: digest REGISTERs per second over persistent TLS
 * connections. CONNS connections to HOST:PORT, one device each (PREFIX0,
 * PREFIX1, ...: the `users` line of a directory_mem file), each with one
 * request in flight: a first REGISTER gets the 401 and its MD5 nonce,
 * then every REGISTER carries credentials on that nonce with a rising nc
 * and gets 200 — a phone refreshing its registration on its connection.
 * Counts the 200s of SECONDS seconds after the first round; prints
 * REGISTER/s. One thread, poll(2), blocking-free TLS. The credentials are
 * ward's own client answer (node/sip/uac_auth.h).
 *   bench_sip_tls_register HOST PORT CONNS SECONDS PREFIX PASSWORD REALM */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "node/sip/uac_auth.h"

#define BUF 4096

struct conn {
	int fd;
	SSL *ssl;
	int handshaken;
	char user[64];
	char nonce[128];
	unsigned nc;
	unsigned cseq;
	char in[BUF];
	size_t inlen;
	int waiting; /* a request is in flight */
};

static const char *host, *realm, *password;
static int port;

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int send_register(struct conn *c)
{
	char req[BUF], auth[SIP_UAC_ANSWER_MAX + 32] = "";
	char answer[SIP_UAC_ANSWER_MAX];
	int n;

	c->cseq++;
	if (c->nonce[0]) {
		struct sip_uac_challenge ch = {.alg = SIP_DIGEST_MD5,
					       .qop_auth = 1};
		char cnonce[17], uri[128];

		snprintf(ch.realm, sizeof ch.realm, "%s", realm);
		snprintf(ch.nonce, sizeof ch.nonce, "%s", c->nonce);
		snprintf(cnonce, sizeof cnonce, "%08x%08x", (unsigned)rand(),
			 c->cseq);
		snprintf(uri, sizeof uri, "sip:%s:%d", host, port);
		if (sip_uac_auth_answer_with(&ch, "REGISTER", uri, c->user,
					     password, cnonce, ++c->nc, answer,
					     sizeof answer) != 0)
			return -1;
		snprintf(auth, sizeof auth, "Authorization: %s\r\n", answer);
	}
	n = snprintf(
	    req, sizeof req,
	    "REGISTER sip:%s:%d SIP/2.0\r\n"
	    "Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK%s%u;rport\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: <sip:%s@%s>;tag=%s\r\n"
	    "To: <sip:%s@%s>\r\n"
	    "Call-ID: %s-reg@bench\r\n"
	    "CSeq: %u REGISTER\r\n"
	    "Contact: <sip:%s@127.0.0.1:5061;transport=tls>\r\n"
	    "Expires: 3600\r\n"
	    "%s"
	    "Content-Length: 0\r\n\r\n",
	    host, port, c->user, c->cseq, c->user, host, c->user, c->user, host,
	    c->user, c->cseq, c->user, auth);
	if (SSL_write(c->ssl, req, n) != n)
		return -1;
	c->waiting = 1;
	return 0;
}

/* A whole response in c->in: its status, the nonce of a 401 copied. The
 * response is consumed. 0 none yet, else the status, -1 malformed. */
static int take_response(struct conn *c)
{
	char *end, *p;
	int status;
	size_t used;

	c->in[c->inlen] = '\0';
	end = strstr(c->in, "\r\n\r\n");
	if (!end)
		return 0;
	used = (size_t)(end + 4 - c->in);
	if (sscanf(c->in, "SIP/2.0 %d", &status) != 1)
		return -1;
	if (status == 401 && (p = strstr(c->in, "nonce=\"")) && p < end) {
		char *q = strchr(p + 7, '"');
		size_t len = q ? (size_t)(q - p - 7) : 0;
		if (!q || len >= sizeof c->nonce)
			return -1;
		memcpy(c->nonce, p + 7, len);
		c->nonce[len] = '\0';
		c->nc = 0;
	}
	memmove(c->in, c->in + used, c->inlen - used);
	c->inlen -= used;
	return status;
}

static int connect_one(struct conn *c, SSL_CTX *ctx)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port)};
	int one = 1;

	inet_pton(AF_INET, host, &a.sin_addr);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->ssl = SSL_new(ctx);
	SSL_set_fd(c->ssl, c->fd);
	if (SSL_connect(c->ssl) != 1)
		return -1;
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	return 0;
}

int main(int argc, char **argv)
{
	struct conn *cs;
	struct pollfd *pf;
	SSL_CTX *ctx;
	struct rlimit rl;
	double secs, t0 = 0, t_end = 0;
	long ok = 0, bad = 0;
	int nconns, counting = 0;

	if (argc != 8) {
		fprintf(stderr,
			"usage: %s HOST PORT CONNS SECONDS PREFIX PASSWORD "
			"REALM\n",
			argv[0]);
		return 2;
	}
	host = argv[1];
	port = atoi(argv[2]);
	nconns = atoi(argv[3]);
	secs = atof(argv[4]);
	password = argv[6];
	realm = argv[7];
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	cs = calloc((size_t)nconns, sizeof *cs);
	pf = calloc((size_t)nconns, sizeof *pf);
	for (int i = 0; i < nconns; i++) {
		struct conn *c = &cs[i];

		snprintf(c->user, sizeof c->user, "%s%d", argv[5], i);
		if (connect_one(c, ctx) != 0 || send_register(c) != 0) {
			fprintf(stderr, "connection %d failed\n", i);
			return 1;
		}
		pf[i].fd = c->fd;
		pf[i].events = POLLIN;
	}
	/* Runs until every connection has its nonce and one 200, then counts
	 * for SECONDS. */
	for (;;) {
		int n = poll(pf, (nfds_t)nconns, 1000);
		double t = now_s();

		if (counting && t >= t_end)
			break;
		if (n < 0 && errno != EINTR)
			return 1;
		for (int i = 0; i < nconns && n > 0; i++) {
			struct conn *c = &cs[i];
			int r, st;

			if (!(pf[i].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			while ((r = SSL_read(c->ssl, c->in + c->inlen,
					     (int)(BUF - 1 - c->inlen))) > 0)
				c->inlen += (size_t)r;
			if (r <= 0 &&
			    SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_READ) {
				fprintf(stderr, "connection %d closed\n", i);
				return 1;
			}
			while ((st = take_response(c)) != 0) {
				if (st == 200 && counting)
					ok++;
				else if (st != 200 && st != 401)
					bad++;
				if (st < 0 || send_register(c) != 0)
					return 1;
			}
		}
		if (!counting) {
			int ready = 1;
			for (int i = 0; i < nconns && ready; i++)
				ready = cs[i].nc > 1;
			if (ready) {
				counting = 1;
				t0 = now_s();
				t_end = t0 + secs;
			}
		}
	}
	printf("%d connections: %.0f REGISTER/s with credentials answered "
	       "200 (%ld in %.1f s), %ld other answers\n",
	       nconns, (double)ok / (now_s() - t0), ok, now_s() - t0, bad);
	return 0;
}
