/* test_cluster_tls_util: certificates, TLS servers and hostile peers for the
 * mutual-TLS cluster tests. */
#include "test_cluster_tls_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "cluster_util.h"

/* ---- certificates ----------------------------------------------------- */

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void uuid_random(char out[PKI_UUID_LEN + 1])
{
	unsigned char b[16];
	int o = 0;

	assert_int_equal(RAND_bytes(b, sizeof b), 1);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		o += snprintf(out + o, 3, "%02x", b[i]);
	}
	out[o] = '\0';
}

void tu_ca_init(struct tu_ca *ca, const char *dir, const char *name)
{
	char err[256] = "", *pem;
	size_t len;

	memset(ca, 0, sizeof *ca);
	snprintf(ca->dir, sizeof ca->dir, "%s", dir);
	uuid_random(ca->cluster_id);
	assert_int_equal(pki_key_generate(PKI_KEY_ECDSA_P256, &ca->key), 0);
	if (pki_ca_create(ca->key, ca->cluster_id, name, 0, &ca->cert, err,
			  sizeof err) != 0)
		fail_msg("CA: %s", err);
	snprintf(ca->ca_path, sizeof ca->ca_path, "%s/%s-ca.crt", dir, name);
	assert_int_equal(pki_cert_to_pem(ca->cert, &pem, &len), 0);
	write_file(ca->ca_path, pem, len);
	free(pem);
}

void tu_ca_close(struct tu_ca *ca)
{
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	ca->cert = NULL;
	ca->key = NULL;
}

X509 *tu_issue(struct tu_ca *ca, enum pki_role role, uint64_t node_id,
	       const char *cluster_id, const char *tag, char *cert, char *key)
{
	struct pki_subject subj;
	EVP_PKEY *k;
	X509 *x;
	char err[256] = "", *pem;
	size_t len;

	memset(&subj, 0, sizeof subj);
	subj.common_name = tag;
	subj.ip = "127.0.0.1";
	subj.cluster_id = cluster_id ? cluster_id : ca->cluster_id;
	subj.node_id = node_id;
	assert_int_equal(pki_key_generate(PKI_KEY_ECDSA_P256, &k), 0);
	if (pki_issue(ca->cert, ca->key, k, role, &subj, 0, &x, err,
		      sizeof err) != 0)
		fail_msg("issue %s: %s", tag, err);
	snprintf(cert, 300, "%s/%s.crt", ca->dir, tag);
	snprintf(key, 300, "%s/%s.key", ca->dir, tag);
	assert_int_equal(pki_cert_to_pem(x, &pem, &len), 0);
	write_file(cert, pem, len);
	free(pem);
	assert_int_equal(pki_key_to_pem(k, &pem, &len), 0);
	write_file(key, pem, len);
	pki_secret_free(pem, len);
	EVP_PKEY_free(k);
	return x;
}

/* ---- servers ---------------------------------------------------------- */

unsigned tu_free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

void tu_node_init(struct tu_node *n, uint64_t id)
{
	memset(n, 0, sizeof *n);
	n->id = id;
	n->port = tu_free_port();
	snprintf(n->address, sizeof n->address, "127.0.0.1:%u", n->port);
	cu_tmpdir("tls", n->dir, sizeof n->dir);
	snprintf(n->raft_dir, sizeof n->raft_dir, "%s/raft", n->dir);
	assert_int_equal(mkdir(n->raft_dir, 0700), 0);
	n->store = cu_store_open(n->dir);
}

int tu_node_start(struct tu_node *n, const struct tu_ca *ca, char *err)
{
	struct consensus_config cfg;

	memset(&cfg, 0, sizeof cfg);
	cfg.id = n->id;
	cfg.address = n->address;
	cfg.dir = n->raft_dir;
	cfg.store = n->store;
	if (ca != NULL) {
		cfg.tls_cert = n->cert;
		cfg.tls_key = n->key;
		cfg.tls_ca = ca->ca_path;
		cfg.cluster_id = ca->cluster_id;
		cfg.peer_check = n->peer_check;
		cfg.peer_check_arg = n->peer_check_arg;
	}
	err[0] = '\0';
	return consensus_start(&cfg, &n->c, err, 256);
}

void tu_node_stop(struct tu_node *n)
{
	consensus_stop(n->c);
	n->c = NULL;
}

void tu_node_free(struct tu_node *n)
{
	tu_node_stop(n);
	store_close(n->store);
	n->store = NULL;
	if (n->dir[0] != '\0')
		cu_rmtree(n->dir);
	n->dir[0] = '\0';
}

int tu_wait_leader(struct tu_node *n, unsigned ms)
{
	struct consensus_status st;
	uint64_t end = cu_now_ms() + ms;

	do {
		consensus_status_get(n->c, &st);
		if (st.role == CONSENSUS_ROLE_LEADER)
			return 1;
		usleep(5000);
	} while (cu_now_ms() < end);
	return 0;
}

struct tu_wait {
	pthread_mutex_t m;
	int done, rc;
};

static void tu_wait_cb(void *arg, int rc)
{
	struct tu_wait *w = arg;

	pthread_mutex_lock(&w->m);
	w->rc = rc;
	w->done = 1;
	pthread_mutex_unlock(&w->m);
}

/* Waits for W; a result that never comes leaves W to the callback, so W
 * must outlive the server (static storage here). */
static int tu_wait_for(struct tu_wait *w, unsigned ms)
{
	uint64_t end = cu_now_ms() + ms;
	int done, rc;

	for (;;) {
		pthread_mutex_lock(&w->m);
		done = w->done;
		rc = w->rc;
		pthread_mutex_unlock(&w->m);
		if (done)
			return rc;
		if (cu_now_ms() >= end)
			return -1;
		usleep(1000);
	}
}

static struct tu_wait waits[64];
static int n_waits;

static struct tu_wait *tu_wait_new(void)
{
	struct tu_wait *w = &waits[n_waits++ % 64];

	pthread_mutex_init(&w->m, NULL);
	w->done = 0;
	w->rc = -1;
	return w;
}

int tu_add(struct tu_node *leader, struct tu_node *n, unsigned ms)
{
	struct tu_wait *w = tu_wait_new();
	int rc = consensus_add(leader->c, n->id, n->address, tu_wait_cb, w);

	return rc != 0 ? rc : tu_wait_for(w, ms);
}

int tu_propose(struct tu_node *leader, const char *key, const char *val,
	       unsigned ms)
{
	struct tu_wait *w = tu_wait_new();
	size_t len;
	void *cmd = cu_cmd(STORE_OP_PUT, key, val, &len);
	int rc = consensus_propose(leader->c, cmd, len, tu_wait_cb, w);

	free(cmd);
	return rc != 0 ? rc : tu_wait_for(w, ms);
}

int tu_wait_value(struct tu_node *n, const char *key, const char *val,
		  unsigned ms)
{
	uint64_t end = cu_now_ms() + ms;
	char got[256];

	do {
		if (cu_store_get(n->store, key, got, sizeof got) == 0 &&
		    strcmp(got, val) == 0)
			return 1;
		usleep(2000);
	} while (cu_now_ms() < end);
	return 0;
}

/* ---- hostile peers ---------------------------------------------------- */

static void set_timeout(int fd, int opt, unsigned ms)
{
	struct timeval tv = {.tv_sec = ms / 1000,
			     .tv_usec = (long)(ms % 1000) * 1000};

	setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv);
}

int tu_connect(unsigned port)
{
	return tu_connect_from(NULL, port);
}

int tu_connect_from(const char *from, unsigned port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	if (from != NULL) {
		memset(&sa, 0, sizeof sa);
		sa.sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, from, &sa.sin_addr), 1);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa),
				 0);
	}
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	set_timeout(fd, SO_RCVTIMEO, 3000);
	set_timeout(fd, SO_SNDTIMEO, 3000);
	return fd;
}

int tu_closed_within(int fd, unsigned ms, unsigned char *got, size_t cap,
		     size_t *got_len)
{
	uint64_t end = cu_now_ms() + ms;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	unsigned char buf[4096];
	ssize_t n;

	*got_len = 0;
	for (;;) {
		uint64_t now = cu_now_ms();

		if (now >= end || poll(&p, 1, (int)(end - now)) <= 0)
			return 0;
		n = recv(fd, buf, sizeof buf, 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 1;
		if (n < 0)
			return 0;
		if ((size_t)n > cap - *got_len)
			n = (ssize_t)(cap - *got_len);
		memcpy(got + *got_len, buf, (size_t)n);
		*got_len += (size_t)n;
	}
}

SSL *tu_tls_client(int fd, const char *cert, const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl;

	assert_non_null(ctx);
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	if (cert != NULL) {
		assert_int_equal(SSL_CTX_use_certificate_chain_file(ctx, cert),
				 1);
		assert_int_equal(
		    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM), 1);
	}
	ssl = SSL_new(ctx);
	SSL_CTX_free(ctx);
	assert_non_null(ssl);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1) {
		ERR_clear_error();
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

int tu_tls_closed_within(SSL *ssl, unsigned ms)
{
	unsigned char buf[256];
	int n, e;

	set_timeout(SSL_get_fd(ssl), SO_RCVTIMEO, ms);
	n = SSL_read(ssl, buf, sizeof buf);
	if (n > 0)
		return 0;
	e = SSL_get_error(ssl, n);
	ERR_clear_error();
	return e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SSL ||
	       (e == SSL_ERROR_SYSCALL && errno != EAGAIN);
}

void tu_tls_free(SSL *ssl)
{
	if (ssl == NULL)
		return;
	close(SSL_get_fd(ssl));
	SSL_free(ssl);
}

static void put_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static void put_le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

size_t tu_hs_ward(unsigned char *buf, const char *magic, uint64_t caller,
		  uint64_t callee, const char *address)
{
	size_t alen = strlen(address);

	memcpy(buf, magic, 8);
	put_be64(buf + 8, caller);
	put_be64(buf + 16, callee);
	put_be64(buf + 24, alen);
	memcpy(buf + 32, address, alen);
	return 32 + alen;
}

size_t tu_hs_craft(unsigned char *buf, uint64_t caller, const char *address)
{
	size_t alen = (strlen(address) + 1 + 7) / 8 * 8;

	put_le(buf, 1, 8); /* C-raft's TCP handshake protocol 1 */
	put_le(buf + 8, caller, 8);
	put_le(buf + 16, alen, 8);
	memset(buf + 24, 0, alen);
	memcpy(buf + 24, address, strlen(address));
	return 24 + alen;
}

size_t tu_append_entries(unsigned char *buf, size_t cap, uint64_t term,
			 const void *cmd, size_t len)
{
	/* preamble: type, header length; header: term, prev index, prev
	 * term, leader commit, entry count, then per entry term, type, 3
	 * unused, length; then the entry data. All little-endian. */
	const size_t header = 5 * 8 + 16;
	size_t total = 16 + header + len;

	assert_true(total <= cap && len % 8 == 0);
	memset(buf, 0, 16 + header);
	put_le(buf, 1 /* RAFT_IO_APPEND_ENTRIES */, 8);
	put_le(buf + 8, header, 8);
	put_le(buf + 16, term, 8);
	put_le(buf + 24, 0, 8);
	put_le(buf + 32, 0, 8);
	put_le(buf + 40, 1, 8);
	put_le(buf + 48, 1, 8);
	put_le(buf + 56, term, 8);
	buf[64] = 1; /* RAFT_COMMAND */
	put_le(buf + 68, len, 4);
	memcpy(buf + 72, cmd, len);
	return total;
}

/* ---- a TLS server posing as a node ------------------------------------ */

static int listen_on(unsigned *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Waits up to 50 ms for a connection; -1 if none. */
static int accept_soon(int lfd)
{
	struct pollfd p = {.fd = lfd, .events = POLLIN};

	if (poll(&p, 1, 50) <= 0)
		return -1;
	return accept(lfd, NULL, NULL);
}

static void *fake_main(void *arg)
{
	struct tu_fake *f = arg;
	unsigned char buf[4096];

	while (!f->stop) {
		int fd = accept_soon(f->fd), n;
		SSL *ssl;

		if (fd < 0)
			continue;
		f->accepted++;
		set_timeout(fd, SO_RCVTIMEO, 500);
		set_timeout(fd, SO_SNDTIMEO, 500);
		ssl = SSL_new(f->ctx);
		SSL_set_fd(ssl, fd);
		if (SSL_accept(ssl) == 1) {
			f->handshakes++;
			while ((n = SSL_read(ssl, buf, sizeof buf)) > 0)
				f->app_bytes += n;
		}
		ERR_clear_error();
		SSL_free(ssl);
		close(fd);
	}
	return NULL;
}

void tu_fake_start(struct tu_fake *f, const char *cert, const char *key)
{
	memset(f, 0, sizeof *f);
	f->ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(f->ctx);
	SSL_CTX_set_min_proto_version(f->ctx, TLS1_3_VERSION);
	assert_int_equal(SSL_CTX_use_certificate_chain_file(f->ctx, cert), 1);
	assert_int_equal(
	    SSL_CTX_use_PrivateKey_file(f->ctx, key, SSL_FILETYPE_PEM), 1);
	f->fd = listen_on(&f->port);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

void tu_fake_stop(struct tu_fake *f)
{
	if (f->ctx == NULL)
		return;
	f->stop = 1;
	pthread_join(f->thread, NULL);
	close(f->fd);
	SSL_CTX_free(f->ctx);
	f->ctx = NULL;
}

/* ---- a recording relay ------------------------------------------------ */

#define RELAY_PAIRS 8

static void capture(struct tu_relay *r, int up, const unsigned char *p,
		    size_t n)
{
	unsigned char *buf = up ? r->up : r->down;
	size_t *len = up ? &r->up_len : &r->down_len;

	pthread_mutex_lock(&r->lock);
	if (n > TU_CAPTURE_MAX - *len)
		n = TU_CAPTURE_MAX - *len;
	memcpy(buf + *len, p, n);
	*len += n;
	pthread_mutex_unlock(&r->lock);
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void *relay_main(void *arg)
{
	struct tu_relay *r = arg;
	int pair[RELAY_PAIRS][2];
	unsigned char buf[65536];

	for (int i = 0; i < RELAY_PAIRS; i++)
		pair[i][0] = pair[i][1] = -1;
	while (!r->stop) {
		struct pollfd p[1 + 2 * RELAY_PAIRS];
		int np = 1;

		p[0] = (struct pollfd){.fd = r->fd, .events = POLLIN};
		for (int i = 0; i < RELAY_PAIRS; i++)
			for (int s = 0; s < 2; s++)
				p[np++] = (struct pollfd){.fd = pair[i][s],
							  .events = POLLIN};
		if (poll(p, (nfds_t)np, 50) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			int c = accept(r->fd, NULL, NULL), slot = -1;

			for (int i = 0; i < RELAY_PAIRS && c >= 0; i++)
				if (pair[i][0] < 0) {
					slot = i;
					break;
				}
			if (slot < 0) {
				if (c >= 0)
					close(c);
			} else {
				pair[slot][0] = c;
				pair[slot][1] = tu_connect(r->to);
				r->conns++;
			}
		}
		for (int i = 0; i < RELAY_PAIRS; i++) {
			for (int s = 0; s < 2; s++) {
				struct pollfd *q = &p[1 + 2 * i + s];
				ssize_t n;

				if (q->fd < 0 || pair[i][s] != q->fd ||
				    !(q->revents &
				      (POLLIN | POLLHUP | POLLERR)))
					continue;
				n = recv(pair[i][s], buf, sizeof buf, 0);
				if (n > 0) {
					capture(r, s == 0, buf, (size_t)n);
					if (write_all(pair[i][!s], buf,
						      (size_t)n) == 0)
						continue;
				}
				close(pair[i][0]);
				close(pair[i][1]);
				pair[i][0] = pair[i][1] = -1;
			}
		}
	}
	for (int i = 0; i < RELAY_PAIRS; i++)
		if (pair[i][0] >= 0) {
			close(pair[i][0]);
			close(pair[i][1]);
		}
	return NULL;
}

void tu_relay_start(struct tu_relay *r, unsigned to)
{
	memset(r, 0, sizeof *r);
	r->to = to;
	r->up = malloc(TU_CAPTURE_MAX);
	r->down = malloc(TU_CAPTURE_MAX);
	assert_non_null(r->up);
	assert_non_null(r->down);
	pthread_mutex_init(&r->lock, NULL);
	r->fd = listen_on(&r->port);
	assert_int_equal(pthread_create(&r->thread, NULL, relay_main, r), 0);
}

void tu_relay_stop(struct tu_relay *r)
{
	if (r->fd < 0)
		return;
	r->stop = 1;
	pthread_join(r->thread, NULL);
	close(r->fd);
	r->fd = -1;
}

void tu_relay_free(struct tu_relay *r)
{
	tu_relay_stop(r);
	free(r->up);
	free(r->down);
	r->up = r->down = NULL;
	pthread_mutex_destroy(&r->lock);
}

int tu_contains(const unsigned char *hay, size_t len, const void *needle,
		size_t nlen)
{
	return nlen <= len && memmem(hay, len, needle, nlen) != NULL;
}
