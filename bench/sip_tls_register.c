/* bench_sip_tls_register: digest REGISTERs per second over persistent TLS
 * connections. CONNS connections to HOST:PORT, one device each (PREFIX0,
 * PREFIX1, ...: the `users` line of a directory_mem file), each with one
 * request in flight: a first REGISTER gets the 401 and its MD5 nonce,
 * then every REGISTER carries credentials on that nonce with a rising nc
 * and gets 200 — a phone refreshing its registration on its connection.
 * Counts the 200s of SECONDS seconds after the first round; prints
 * REGISTER/s. One thread, poll(2), blocking-free TLS; the credentials are
 * ward's own client digest (bench_sip_digest).
 *   bench_sip_tls_register HOST PORT CONNS SECONDS PREFIX PASSWORD REALM */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <openssl/ssl.h>

#include "sip_tls_client.h"

#define BUF 4096

struct conn {
	struct bench_tls t;
	char user[64];
	char nonce[128];
	unsigned nc;
	unsigned cseq;
	int waiting; /* a request is in flight */
};

static const char *host, *realm, *password;
static int port;

static int send_register(struct conn *c)
{
	char req[BUF], auth[BENCH_SIP_AUTH_MAX] = "", uri[128];
	int n;

	c->cseq++;
	if (c->nonce[0]) {
		snprintf(uri, sizeof uri, "sip:%s:%d", host, port);
		if (bench_sip_digest(auth, sizeof auth, "Authorization",
				     c->user, realm, password, c->nonce,
				     ++c->nc, "REGISTER", uri) != 0)
			return -1;
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
	if (bench_tls_send(&c->t, req, n) != 0)
		return -1;
	c->waiting = 1;
	return 0;
}

/* A whole response from c's connection: its status, the nonce of a 401
 * copied. 0 none yet, else the status, -1 malformed. */
static int take_response(struct conn *c)
{
	char msg[BUF];
	int n = bench_sip_take(&c->t, msg, sizeof msg), status;

	if (n <= 0)
		return n;
	status = bench_sip_status(msg);
	if (!status)
		return -1;
	if (status == 401) {
		if (bench_sip_nonce(msg, c->nonce, sizeof c->nonce) != 0)
			return -1;
		c->nc = 0;
	}
	return status;
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
		if (bench_tls_connect(&c->t, ctx, host, port) != 0 ||
		    send_register(c) != 0) {
			fprintf(stderr, "connection %d failed\n", i);
			return 1;
		}
		pf[i].fd = c->t.fd;
		pf[i].events = POLLIN;
	}
	/* Runs until every connection has its nonce and one 200, then counts
	 * for SECONDS. */
	for (;;) {
		int n = poll(pf, (nfds_t)nconns, 1000);
		double t = bench_now_s();

		if (counting && t >= t_end)
			break;
		if (n < 0 && errno != EINTR)
			return 1;
		for (int i = 0; i < nconns && n > 0; i++) {
			struct conn *c = &cs[i];
			int st;

			if (!(pf[i].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			if (bench_tls_read(&c->t) != 0) {
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
				t0 = bench_now_s();
				t_end = t0 + secs;
			}
		}
	}
	printf("%d connections: %.0f REGISTER/s with credentials answered "
	       "200 (%ld in %.1f s), %ld other answers\n",
	       nconns, (double)ok / (bench_now_s() - t0), ok,
	       bench_now_s() - t0, bad);
	return 0;
}
