/* test_admin_forward: a follower relaying a write to the leader — what it
 * tells apart (a request certainly not sent, one that may have been), and
 * that it keeps trying, within the request's time, while the leader it has
 * on record cannot be reached. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <jansson.h>
#include <openssl/ssl.h>

#include "node/admin/admin.h"
#include "node/admin/admin_int.h"
#include "store/store.h"
#include "tests/unit/test_admin_harness.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- admin_client_send against peers that fail in known ways ---------- */

struct probe {
	struct store_node to;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct admin_client *client;
	int done, status, unsent;
	char err[256];
};

static void probe_done(void *arg, int status, const char *body, size_t len,
		       const char *err)
{
	struct probe *p = arg;

	(void)body;
	(void)len;
	pthread_mutex_lock(&p->lock);
	p->status = status;
	p->unsent = admin_client_unsent(p->client);
	snprintf(p->err, sizeof p->err, "%s", err ? err : "");
	p->done = 1;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

/* On N1's loop thread, as every admin client call is made. */
static void probe_send(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;
	int rc;

	(void)fd;
	(void)what;
	rc = admin_client_send(N1->admin, &p->to, EVHTTP_REQ_PUT,
			       "/v1/params/x", "Basic eDp5", "127.0.0.1", "{}",
			       2, 3000, probe_done, p, &p->client);
	if (rc != 0) {
		pthread_mutex_lock(&p->lock);
		p->status = -1;
		p->unsent = rc == -2;
		snprintf(p->err, sizeof p->err, "failed at once (%d)", rc);
		p->done = 1;
		pthread_cond_signal(&p->cond);
		pthread_mutex_unlock(&p->lock);
	}
}

static void probe_run(struct probe *p, unsigned port, const uint8_t fp[32])
{
	struct timeval zero = {0, 0};

	memset(&p->to, 0, sizeof p->to);
	p->to.id = 7;
	snprintf(p->to.name, sizeof p->to.name, "peer");
	snprintf(p->to.admin_addr, sizeof p->to.admin_addr, "127.0.0.1:%u",
		 port);
	memcpy(p->to.https_sha256, fp, 32);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->done = 0;
	assert_int_equal(
	    event_base_once(N1->base, -1, EV_TIMEOUT, probe_send, p, &zero), 0);
	pthread_mutex_lock(&p->lock);
	while (!p->done)
		pthread_cond_wait(&p->cond, &p->lock);
	pthread_mutex_unlock(&p->lock);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
}

static int listen_any(unsigned *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A peer that accepts one connection and closes it (MODE 0), or completes
 * the TLS handshake with N1's certificate, reads the request and closes
 * without an answer (MODE 1). */
struct peer {
	int fd, mode;
	atomic_int got; /* bytes of request read */
	pthread_t thread;
};

static void *peer_main(void *arg)
{
	struct peer *pr = arg;
	int c = accept(pr->fd, NULL, NULL);
	char buf[4096];

	if (c < 0)
		return NULL;
	if (pr->mode == 1) {
		SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
		SSL *ssl;
		int n;

		SSL_CTX_use_certificate_chain_file(ctx, N1->cert);
		SSL_CTX_use_PrivateKey_file(ctx, N1->key, SSL_FILETYPE_PEM);
		ssl = SSL_new(ctx);
		SSL_set_fd(ssl, c);
		if (SSL_accept(ssl) == 1 &&
		    (n = SSL_read(ssl, buf, sizeof buf)) > 0)
			atomic_store(&pr->got, n);
		SSL_free(ssl);
		SSL_CTX_free(ctx);
	} else {
		/* An RST rather than a FIN: the peer died mid-way. */
		struct linger lg = {1, 0};

		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	}
	close(c);
	return NULL;
}

static void peer_start(struct peer *pr, int mode, unsigned *port)
{
	pr->mode = mode;
	atomic_store(&pr->got, 0);
	pr->fd = listen_any(port);
	assert_int_equal(pthread_create(&pr->thread, NULL, peer_main, pr), 0);
}

static void peer_stop(struct peer *pr)
{
	pthread_join(pr->thread, NULL);
	close(pr->fd);
}

static void test_client_tells_refused_reset_pin_and_maybe_sent(void **state)
{
	struct probe p;
	struct peer pr;
	uint8_t fp[32], other[32];
	unsigned port;
	int fd;

	(void)state;
	admin_fingerprint(N1->admin, fp);
	memset(other, 0x5a, sizeof other);

	/* Nothing listens: refused, certainly not sent. */
	fd = listen_any(&port);
	close(fd);
	probe_run(&p, port, fp);
	assert_true(p.unsent == 1);
	assert_non_null(strstr(p.err, "connection refused"));

	/* Reset before the handshake completed: not sent. */
	peer_start(&pr, 0, &port);
	probe_run(&p, port, fp);
	peer_stop(&pr);
	assert_int_equal(p.status, 0);
	assert_int_equal(p.unsent, 1);
	assert_non_null(strstr(p.err, "before the request was sent"));
	assert_null(strstr(p.err, "pin"));

	/* A certificate other than the one on record: the only case that
	 * says so. */
	probe_run(&p, (unsigned)admin_port(N1->admin), other);
	assert_int_equal(p.status, 0);
	assert_int_equal(p.unsent, 2);
	assert_non_null(strstr(p.err, "(pin mismatch)"));

	/* The request left, and no answer came: it may have been acted on. */
	peer_start(&pr, 1, &port);
	probe_run(&p, port, fp);
	peer_stop(&pr);
	assert_true(atomic_load(&pr.got) > 0);
	assert_int_equal(p.status, 0);
	assert_int_equal(p.unsent, 0);
	assert_non_null(strstr(p.err, "after the request was sent"));
}

/* ---- a follower whose leader is gone ---------------------------------- */

struct answer {
	char body[4096];
	size_t len;
};

static size_t on_body(char *ptr, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t add = size * n;

	if (a->len + add >= sizeof a->body)
		return 0;
	memcpy(a->body + a->len, ptr, add);
	a->len += add;
	a->body[a->len] = '\0';
	return add;
}

/* PUT a parameter through N, telling it the client waits TIMEOUT_S. */
static long put_param(struct node *n, const char *value, long timeout_s,
		      struct answer *a)
{
	struct curl_slist *h = NULL;
	char url[256], body[64], hdr[64];
	CURL *c = curl_easy_init();
	long status = 0;

	memset(a, 0, sizeof *a);
	snprintf(url, sizeof url, "%s/v1/params/sip_keepalive_s", n->url);
	snprintf(body, sizeof body, "{\"value\":\"%s\"}", value);
	snprintf(hdr, sizeof hdr, "X-Ward-Timeout: %ld", timeout_s);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, hdr);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CAINFO, n->cert);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s + 5);
	curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
	curl_easy_setopt(c, CURLOPT_USERPWD, "root:root-password-1");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return status;
}

static void test_follower_keeps_trying_a_dead_leader_then_says_why(void **s)
{
	struct answer a;
	uint64_t t0, took;
	long status;

	(void)s;
	init_cluster();
	join_n2();
	assert_int_equal(put_param(N2, "45", 10, &a), 200);
	/* N1 goes, its port with it; N2 alone cannot elect a leader. */
	node_stop(N1);
	node_make(N1, "n1"); /* a fresh, idle N1 for teardown */
	t0 = now_ms();
	status = put_param(N2, "46", 3, &a);
	took = now_ms() - t0;
	assert_int_equal(status, 503);
	if (!strstr(a.body, "leader n1 unreachable: connection refused") ||
	    !strstr(a.body, "election in progress"))
		fail_msg("unclear 503: %s", a.body);
	/* Kept trying for the request's time (less a margin), no longer. */
	assert_true(took >= 1500);
	assert_true(took < 3000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_client_tells_refused_reset_pin_and_maybe_sent, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_follower_keeps_trying_a_dead_leader_then_says_why, setup,
		teardown),
	};
	int rc;

	/* A peer that hangs up mid-request must give EPIPE, as in wardd. */
	signal(SIGPIPE, SIG_IGN);
	evthread_use_pthreads();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
