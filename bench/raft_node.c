/* raft_node: see raft_node.h. The child side runs one consensus server and
 * the load generator; the parent side forks, kills and listens. */
#include "raft_node.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "common/log.h"
#include "consensus/consensus.h"
#include "pki/pki.h"
#include "store/store.h"

uint64_t rb_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static unsigned free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port = 0;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* ---- child ------------------------------------------------------------ */

struct child {
	uint64_t id;
	int ev;
	struct consensus *c;
	struct store *store;
};

static void child_emit(int fd, const char *line)
{
	ssize_t k = write(fd, line, strlen(line)); /* < PIPE_BUF: atomic */

	(void)k;
}

static void child_on_change(void *arg)
{
	struct child *ch = arg;
	struct consensus_status st;
	char line[128];

	consensus_status_get(ch->c, &st);
	snprintf(line, sizeof line, "S %llu %d %llu %llu\n",
		 (unsigned long long)ch->id, (int)st.role,
		 (unsigned long long)st.term, (unsigned long long)rb_now_us());
	child_emit(ch->ev, line);
}

struct waiter {
	pthread_mutex_t m;
	pthread_cond_t cv;
	int done, rc;
};

static void waiter_cb(void *arg, int rc)
{
	struct waiter *w = arg;

	pthread_mutex_lock(&w->m);
	w->rc = rc;
	w->done = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->m);
}

static int waiter_wait(struct waiter *w)
{
	pthread_mutex_lock(&w->m);
	while (!w->done)
		pthread_cond_wait(&w->cv, &w->m);
	pthread_mutex_unlock(&w->m);
	return w->rc;
}

struct load {
	pthread_mutex_t m;
	pthread_cond_t cv;
	unsigned inflight, done;
	unsigned errors;
	uint64_t *t0, *lat;
};

struct slot {
	struct load *l;
	unsigned i;
};

static void load_cb(void *arg, int rc)
{
	struct slot *s = arg;
	struct load *l = s->l;
	uint64_t now = rb_now_us();

	l->lat[s->i] = now - l->t0[s->i];
	pthread_mutex_lock(&l->m);
	l->inflight--;
	l->done++;
	if (rc != 0)
		l->errors++;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->m);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* N PUTs of PAYLOAD-byte values, at most K in flight; replies with the
 * throughput and latency percentiles (µs). */
static void child_load(struct child *ch, unsigned n, unsigned k,
		       unsigned payload, unsigned run)
{
	struct load l;
	struct slot *slots = calloc(n, sizeof *slots);
	void **cmds = calloc(n, sizeof *cmds);
	size_t *lens = calloc(n, sizeof *lens);
	char *val = malloc(payload + 1), key[48], line[256];
	uint64_t start, end;
	size_t cmd_len = 0;
	unsigned slow = 0;

	memset(&l, 0, sizeof l);
	pthread_mutex_init(&l.m, NULL);
	pthread_cond_init(&l.cv, NULL);
	l.t0 = calloc(n, sizeof *l.t0);
	l.lat = calloc(n, sizeof *l.lat);
	memset(val, 'x', payload);
	val[payload] = '\0';
	for (unsigned i = 0; i < n; i++) {
		struct store_cmd *c = NULL;

		snprintf(key, sizeof key, "r%u-k%u-%08u", run, k, i);
		store_cmd_new(&c, ch->id, 1700000000000ull, "bench");
		store_cmd_op(c, STORE_OP_PUT, STORE_T_PARAMS, key, strlen(key),
			     val, payload);
		store_cmd_finish(c, &cmds[i], &lens[i]);
		store_cmd_free(c);
		slots[i].l = &l;
		slots[i].i = i;
	}
	cmd_len = lens[0];

	start = rb_now_us();
	for (unsigned i = 0; i < n; i++) {
		pthread_mutex_lock(&l.m);
		while (l.inflight >= k)
			pthread_cond_wait(&l.cv, &l.m);
		l.inflight++;
		pthread_mutex_unlock(&l.m);
		l.t0[i] = rb_now_us();
		if (consensus_propose(ch->c, cmds[i], lens[i], load_cb,
				      &slots[i]) != 0)
			load_cb(&slots[i], -1);
	}
	pthread_mutex_lock(&l.m);
	while (l.done < n)
		pthread_cond_wait(&l.cv, &l.m);
	pthread_mutex_unlock(&l.m);
	end = rb_now_us();

	qsort(l.lat, n, sizeof *l.lat, cmp_u64);
	for (unsigned i = 0; i < n; i++)
		slow += l.lat[i] > 10000;
	snprintf(line, sizeof line,
		 "R %llu load %u %.1f %llu %llu %llu %u %zu %u\n",
		 (unsigned long long)ch->id, n, n * 1e6 / (double)(end - start),
		 (unsigned long long)l.lat[n / 2],
		 (unsigned long long)l.lat[(size_t)(n * 0.99)],
		 (unsigned long long)l.lat[n - 1], l.errors, cmd_len, slow);
	child_emit(ch->ev, line);
	for (unsigned i = 0; i < n; i++)
		free(cmds[i]);
	free(cmds);
	free(lens);
	free(slots);
	free(val);
	free(l.t0);
	free(l.lat);
}

static void child_main(struct rb_cluster *cl, unsigned i, int ctl)
{
	struct rb_node *nd = &cl->nodes[i];
	struct consensus_config cfg;
	struct child ch;
	char path[400], err[256] = "", line[256], reply[256];
	FILE *in = fdopen(ctl, "r");

	log_set_level(LOG_LVL_WARN);
	memset(&ch, 0, sizeof ch);
	ch.id = nd->id;
	ch.ev = cl->ev_write;
	snprintf(path, sizeof path, "%s/store", nd->dir);
	if (store_open(path, &ch.store, err, sizeof err) != 0) {
		fprintf(stderr, "child %llu: %s\n", (unsigned long long)ch.id,
			err);
		_exit(1);
	}
	memset(&cfg, 0, sizeof cfg);
	cfg.id = nd->id;
	cfg.address = nd->address;
	snprintf(path, sizeof path, "%s/raft", nd->dir);
	cfg.dir = path;
	cfg.store = ch.store;
	cfg.election_timeout_ms = cl->election_ms;
	cfg.heartbeat_ms = cl->heartbeat_ms;
	cfg.snapshot_threshold = cl->snapshot_threshold;
	cfg.on_change = child_on_change;
	cfg.on_change_arg = &ch;
	if (cl->tls) {
		static char cert[400], key[400];

		snprintf(cert, sizeof cert, "%s/node.crt", nd->dir);
		snprintf(key, sizeof key, "%s/node.key", nd->dir);
		cfg.tls_cert = cert;
		cfg.tls_key = key;
		cfg.tls_ca = cl->ca_path;
		cfg.cluster_id = cl->cluster_id;
	}
	if (consensus_start(&cfg, &ch.c, err, sizeof err) != 0) {
		fprintf(stderr, "child %llu: %s\n", (unsigned long long)ch.id,
			err);
		_exit(1);
	}
	while (fgets(line, sizeof line, in) != NULL) {
		unsigned long long id;
		unsigned n, k, payload, run;
		char addr[64];

		if (sscanf(line, "ADD %llu %63s", &id, addr) == 2) {
			struct waiter w = {PTHREAD_MUTEX_INITIALIZER,
					   PTHREAD_COND_INITIALIZER, 0, 0};
			int rc = consensus_add(ch.c, id, addr, waiter_cb, &w);

			if (rc == 0)
				rc = waiter_wait(&w);
			snprintf(reply, sizeof reply, "R %llu add %d\n",
				 (unsigned long long)ch.id, rc);
			child_emit(ch.ev, reply);
		} else if (sscanf(line, "LOAD %u %u %u %u", &n, &k, &payload,
				  &run) == 4) {
			child_load(&ch, n, k, payload, run);
		} else if (strncmp(line, "QUIT", 4) == 0) {
			break;
		}
	}
	consensus_stop(ch.c);
	store_close(ch.store);
	_exit(0);
}

/* ---- parent ----------------------------------------------------------- */

int rb_node_spawn(struct rb_cluster *cl, unsigned i)
{
	struct rb_node *nd = &cl->nodes[i];
	int p[2];
	pid_t pid;

	if (pipe(p) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(p[1]);
		close(cl->ev_read);
		for (unsigned j = 0; j < cl->n; j++)
			if (j != i && cl->nodes[j].ctl >= 0)
				close(cl->nodes[j].ctl);
		child_main(cl, i, p[0]);
	}
	close(p[0]);
	nd->pid = pid;
	nd->ctl = p[1];
	nd->role = 0;
	return 0;
}

static void rb_update(struct rb_cluster *cl, const char *line)
{
	unsigned long long id, term, at;
	int role;

	if (sscanf(line, "S %llu %d %llu %llu", &id, &role, &term, &at) != 4)
		return;
	for (unsigned i = 0; i < cl->n; i++) {
		if (cl->nodes[i].id == id) {
			cl->nodes[i].role = role;
			cl->nodes[i].term = term;
		}
	}
}

int rb_next_event(struct rb_cluster *cl, char *line, size_t cap, int timeout_ms)
{
	uint64_t end = rb_now_us() + (uint64_t)timeout_ms * 1000;

	for (;;) {
		char *nl = memchr(cl->evbuf, '\n', cl->evlen);
		struct pollfd pfd = {cl->ev_read, POLLIN, 0};
		uint64_t now;
		ssize_t k;

		if (nl != NULL) {
			size_t len = (size_t)(nl - cl->evbuf) + 1;
			size_t c = len < cap ? len : cap - 1;

			memcpy(line, cl->evbuf, c);
			line[c] = '\0';
			memmove(cl->evbuf, cl->evbuf + len, cl->evlen - len);
			cl->evlen -= len;
			rb_update(cl, line);
			return 0;
		}
		now = rb_now_us();
		if (now >= end)
			return -1;
		if (poll(&pfd, 1, (int)((end - now) / 1000) + 1) <= 0)
			continue;
		k = read(cl->ev_read, cl->evbuf + cl->evlen,
			 sizeof cl->evbuf - cl->evlen);
		if (k > 0)
			cl->evlen += (size_t)k;
	}
}

int rb_command(struct rb_cluster *cl, unsigned i, const char *cmd, char *reply,
	       size_t cap, int timeout_ms)
{
	uint64_t end = rb_now_us() + (uint64_t)timeout_ms * 1000;
	char line[512];
	char prefix[32];
	ssize_t k;

	k = write(cl->nodes[i].ctl, cmd, strlen(cmd));
	if (k < 0)
		return -1;
	snprintf(prefix, sizeof prefix, "R %llu ",
		 (unsigned long long)cl->nodes[i].id);
	while (rb_now_us() < end) {
		int left = (int)((end - rb_now_us()) / 1000) + 1;

		if (rb_next_event(cl, line, sizeof line, left) != 0)
			return -1;
		if (strncmp(line, prefix, strlen(prefix)) == 0) {
			snprintf(reply, cap, "%s", line + strlen(prefix));
			return 0;
		}
	}
	return -1;
}

int rb_leader(struct rb_cluster *cl)
{
	int best = -1;

	for (unsigned i = 0; i < cl->n; i++) {
		struct rb_node *nd = &cl->nodes[i];

		if (nd->pid == 0 || nd->role != CONSENSUS_ROLE_LEADER)
			continue;
		if (best < 0 || nd->term > cl->nodes[best].term)
			best = (int)i;
	}
	return best;
}

int rb_wait_leader(struct rb_cluster *cl, int not_this, int timeout_ms,
		   uint64_t *at_us)
{
	uint64_t end = rb_now_us() + (uint64_t)timeout_ms * 1000;
	char line[256];
	int l = rb_leader(cl);

	while (l < 0 || l == not_this) {
		uint64_t now = rb_now_us();

		if (now >= end ||
		    rb_next_event(cl, line, sizeof line,
				  (int)((end - now) / 1000) + 1) != 0)
			return -1;
		l = rb_leader(cl);
	}
	if (at_us != NULL)
		*at_us = rb_now_us();
	return l;
}

static int write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (f == NULL)
		return -1;
	rc = fwrite(data, 1, len, f) == len ? 0 : -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

/* PATH gets X as PEM, or KEY as unencrypted PKCS#8 PEM. */
static int write_pem(const char *path, X509 *x, EVP_PKEY *key)
{
	char *pem;
	size_t len;
	int rc;

	if (x != NULL ? pki_cert_to_pem(x, &pem, &len)
		      : pki_key_to_pem(key, &pem, &len))
		return -1;
	rc = write_file(path, pem, len);
	if (x != NULL)
		free(pem);
	else
		pki_secret_free(pem, len);
	return rc;
}

/* A cluster CA and a NODE certificate per server, in their directories. */
static int make_certs(struct rb_cluster *cl)
{
	EVP_PKEY *ca_key = NULL, *key = NULL;
	X509 *ca = NULL, *x = NULL;
	unsigned char u[16];
	char err[256] = "", path[400], name[16];
	int rc = -1, o = 0;

	if (RAND_bytes(u, sizeof u) != 1)
		return -1;
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			cl->cluster_id[o++] = '-';
		o += snprintf(cl->cluster_id + o, 3, "%02x", u[i]);
	}
	snprintf(cl->ca_path, sizeof cl->ca_path, "%s/ca.crt", cl->base);
	if (pki_key_generate(PKI_KEY_ECDSA_P256, &ca_key) != 0 ||
	    pki_ca_create(ca_key, cl->cluster_id, "bench", 0, &ca, err,
			  sizeof err) != 0 ||
	    write_pem(cl->ca_path, ca, NULL) != 0)
		goto out;
	for (unsigned i = 0; i < cl->n; i++) {
		struct pki_subject subj = {.common_name = name,
					   .ip = "127.0.0.1",
					   .cluster_id = cl->cluster_id,
					   .node_id = cl->nodes[i].id};

		snprintf(name, sizeof name, "n%u", i + 1);
		if (pki_key_generate(PKI_KEY_ECDSA_P256, &key) != 0 ||
		    pki_issue(ca, ca_key, key, PKI_ROLE_NODE, &subj, 0, &x, err,
			      sizeof err) != 0)
			goto out;
		snprintf(path, sizeof path, "%s/node.crt", cl->nodes[i].dir);
		if (write_pem(path, x, NULL) != 0)
			goto out;
		snprintf(path, sizeof path, "%s/node.key", cl->nodes[i].dir);
		if (write_pem(path, NULL, key) != 0)
			goto out;
		X509_free(x);
		EVP_PKEY_free(key);
		x = NULL;
		key = NULL;
	}
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "bench: certificates: %s\n",
			err[0] ? err : "cannot write");
	X509_free(x);
	EVP_PKEY_free(key);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return rc;
}

int rb_cluster_start(struct rb_cluster *cl, unsigned n, const char *base_parent)
{
	char err[256] = "", raft[400], reply[128], cmd[128];
	int p[2];

	if (n > RB_MAX)
		return -1;
	snprintf(cl->base, sizeof cl->base, "%s/ward-bench-raft-XXXXXX",
		 base_parent);
	if (mkdtemp(cl->base) == NULL || pipe(p) != 0) {
		perror("bench: setup");
		return -1;
	}
	cl->ev_read = p[0];
	cl->ev_write = p[1];
	cl->evlen = 0;
	cl->n = n;
	for (unsigned i = 0; i < n; i++) {
		struct rb_node *nd = &cl->nodes[i];

		nd->id = i + 1;
		nd->ctl = -1;
		snprintf(nd->address, sizeof nd->address, "127.0.0.1:%u",
			 free_port());
		snprintf(nd->dir, sizeof nd->dir, "%s/n%u", cl->base, i + 1);
		snprintf(raft, sizeof raft, "%s/raft", nd->dir);
		mkdir(nd->dir, 0700);
		mkdir(raft, 0700);
		snprintf(raft, sizeof raft, "%s/store", nd->dir);
		mkdir(raft, 0700);
	}
	if (cl->tls && make_certs(cl) != 0)
		return -1;
	snprintf(raft, sizeof raft, "%s/raft", cl->nodes[0].dir);
	if (consensus_bootstrap(raft, 1, cl->nodes[0].address, err,
				sizeof err) != 0) {
		fprintf(stderr, "bench: %s\n", err);
		return -1;
	}
	for (unsigned i = 0; i < n; i++)
		if (rb_node_spawn(cl, i) != 0)
			return -1;
	if (rb_wait_leader(cl, -1, 10000, NULL) != 0) {
		fprintf(stderr, "bench: server 1 did not lead\n");
		return -1;
	}
	for (unsigned i = 1; i < n; i++) {
		snprintf(cmd, sizeof cmd, "ADD %llu %s\n",
			 (unsigned long long)cl->nodes[i].id,
			 cl->nodes[i].address);
		if (rb_command(cl, 0, cmd, reply, sizeof reply, 30000) != 0 ||
		    strcmp(reply, "add 0\n") != 0) {
			fprintf(stderr, "bench: add %u failed: %s\n", i + 1,
				reply);
			return -1;
		}
	}
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void rb_cluster_stop(struct rb_cluster *cl)
{
	for (unsigned i = 0; i < cl->n; i++) {
		struct rb_node *nd = &cl->nodes[i];

		if (nd->pid == 0)
			continue;
		if (write(nd->ctl, "QUIT\n", 5) < 0)
			kill(nd->pid, SIGKILL);
	}
	for (unsigned i = 0; i < cl->n; i++) {
		struct rb_node *nd = &cl->nodes[i];

		if (nd->pid == 0)
			continue;
		waitpid(nd->pid, NULL, 0);
		close(nd->ctl);
		nd->pid = 0;
	}
	close(cl->ev_read);
	close(cl->ev_write);
	nftw(cl->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
