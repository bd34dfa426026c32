/* files: the cache of served files (tftp_files.h).
 *
 * An entry maps a name to the blob last built for it, the generation it
 * was last checked at and the SHA-256 of the source it was built from.
 * A request at a newer generation re-reads the source in a short read
 * transaction; the same source hash means the blob stands.
 *
 * A file that must be signed again becomes a job: the serving thread
 * queues it and keeps serving; a signing thread reads the source again
 * in its own read transaction (LMDB with MDB_NOTLS), builds and signs it
 * with its own signer and hands it back through an eventfd. Jobs are
 * keyed by name and exist only while a request waits on them, so there
 * are never more jobs than waiting transfers and connections (bounded). */
#include "node/tftp/tftp.h"
#include "node/tftp/tftp_files.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"
#include "node/tftp/tftp_packet.h"
#include "node/tftp/tftp_source.h"
#include "store/store.h"
#include <openssl/crypto.h>

#define FILES_BUCKETS 1024

struct files_entry {
	struct files_entry *next; /* bucket chain */
	char name[TFTP_NAME_MAX + 1];
	struct tftp_blob *blob; /* owned reference */
	uint64_t gen;		/* generation last checked at */
	uint8_t src_sha256[32]; /* of the source it was built from */
	uint64_t used;		/* tick of last use, for eviction */
	const char *why_logged; /* static reason last logged, or NULL */
};

/* A file being signed. Hash links and waiters: serving thread; queue
 * link: under the lock; result: the signing thread, then handed over. */
struct files_job {
	struct files_job *hnext; /* pending chain */
	struct files_job *qnext; /* queue or done list */
	char name[TFTP_NAME_MAX + 1];
	uint64_t gen, node_id;
	struct tftp_files_wait *waiters;
	enum tftp_files_result res;
	struct tftp_blob *blob; /* owned until handed over */
	uint8_t src_sha256[32];
	const char *why; /* static */
};

struct files_worker {
	struct tftp_files *f;
	pthread_t thread;
	struct tftp_signer *signer; /* owned, this thread only */
};

struct tftp_files {
	struct store *store;		       /* borrowed */
	struct files_job *jobs[FILES_BUCKETS]; /* pending, by name */
	pthread_mutex_t lock;		       /* queue, done, stop */
	pthread_cond_t wake;
	struct files_job *queue, *queue_tail, *done;
	int stop;
	int efd;		      /* eventfd: jobs done */
	struct event *ev_done;	      /* owned */
	struct files_worker *workers; /* owned, n_workers */
	unsigned n_workers;
	size_t max_bytes;
	struct files_entry *buckets[FILES_BUCKETS];
	struct tftp_files_stats stats;
	uint64_t tick;
	char pki_dir[1024];
	struct tftp_signer *signer; /* owned; NULL until needed */
	uint8_t kek[32];	    /* SECRET: the cluster KEK, for the
				       credentials of encrypted configs */
	int kek_state;		    /* 0 not tried, 1 loaded, -1 none */
	struct keystore *ks;	    /* borrowed, may be NULL */
};

struct tftp_blob *tftp_blob_ref(struct tftp_blob *b)
{
	b->refs++;
	return b;
}

void tftp_blob_unref(struct tftp_blob *b)
{
	if (b && --b->refs == 0)
		free(b);
}

struct tftp_blob *tftp_blob_new(const uint8_t *data, size_t len)
{
	struct tftp_blob *b = malloc(sizeof *b + (len ? len : 1));

	if (!b)
		return NULL;
	b->refs = 1;
	b->len = len;
	if (len && data)
		memcpy(b->data, data, len);
	return b;
}

int tftp_files_new(struct store *store, size_t max_bytes,
		   struct tftp_files **out)
{
	struct tftp_files *f = calloc(1, sizeof *f);

	if (!f)
		return -1;
	f->store = store;
	f->max_bytes = max_bytes;
	f->efd = -1;
	*out = f;
	return 0;
}

static void entry_free(struct files_entry *e)
{
	tftp_blob_unref(e->blob);
	free(e);
}

void tftp_files_set_pki_dir(struct tftp_files *f, const char *pki_dir)
{
	snprintf(f->pki_dir, sizeof f->pki_dir, "%s", pki_dir ? pki_dir : "");
}

void tftp_files_set_keystore(struct tftp_files *f, struct keystore *ks)
{
	f->ks = ks;
}

/* The signer, (re)loaded when the store holds another TFTP certificate
 * for this node than the one loaded (the watcher rewrote DATA/pki). */
static const struct tftp_signer *files_signer(struct tftp_files *f,
					      struct tftp_signer **slot,
					      struct store_read *r,
					      uint64_t node_id, int say)
{
	struct store_cert c;
	const char *why;

	/* Without a record to compare with, the loaded key stands. */
	if (*slot && (store_cert_get(r, node_id, STORE_CERT_TFTP, &c) != 0 ||
		      memcmp(c.sha256, (*slot)->sha256, 32) == 0))
		return *slot;
	tftp_signer_free(*slot);
	*slot = tftp_signer_from_keystore(f->ks, r, node_id);
	if (*slot) {
		if (say)
			log_info(
			    "tftp",
			    "signing with the TFTP key the keystore holds");
		return *slot;
	}
	*slot = tftp_signer_load(f->pki_dir, &why);
	if (*slot && say)
		log_info("tftp", "signing with the TFTP key of %s", f->pki_dir);
	else if (!*slot && say && f->pki_dir[0])
		log_warn("tftp", "%s", why);
	return *slot;
}

/* The cluster KEK beside DATA/pki (DATA/kek), loaded once. */
static const uint8_t *files_kek(struct tftp_files *f)
{
	if (f->ks)
		return NULL; /* the keystore unwraps */
	if (f->kek_state == 0)
		f->kek_state = tftp_kek_load(f->pki_dir, f->kek) == 0 ? 1 : -1;
	return f->kek_state == 1 ? f->kek : NULL;
}

static void signers_stop(struct tftp_files *f);

void tftp_files_free(struct tftp_files *f)
{
	if (!f)
		return;
	signers_stop(f);
	OPENSSL_cleanse(f->kek, sizeof f->kek);
	tftp_signer_free(f->signer);
	for (size_t i = 0; i < FILES_BUCKETS; i++) {
		struct files_entry *e = f->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			entry_free(e);
		}
	}
	free(f);
}

static size_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return (size_t)(h % FILES_BUCKETS);
}

static struct files_entry **entry_find(struct tftp_files *f, const char *name)
{
	struct files_entry **pp = &f->buckets[name_hash(name)];

	for (; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->name, name) == 0)
			return pp;
	return pp;
}

static void entry_drop(struct tftp_files *f, struct files_entry **pp)
{
	struct files_entry *e = *pp;

	*pp = e->next;
	f->stats.bytes -= e->blob->len;
	f->stats.entries--;
	entry_free(e);
}

/* Drops the least recently used entries until NEED more bytes fit. Blobs
 * in use by transfers stay alive through their references. */
static void files_make_room(struct tftp_files *f, size_t need)
{
	while (f->stats.entries && f->stats.bytes + need > f->max_bytes) {
		struct files_entry **oldest = NULL;

		for (size_t i = 0; i < FILES_BUCKETS; i++)
			for (struct files_entry **pp = &f->buckets[i]; *pp;
			     pp = &(*pp)->next)
				if (!oldest || (*pp)->used < (*oldest)->used)
					oldest = pp;
		entry_drop(f, oldest);
	}
}

/* Puts blob B (a new reference is taken) as NAME's, built from the
 * source SHA at generation GEN, in place of what the cache held. */
static void files_install(struct tftp_files *f, const char *name, uint64_t gen,
			  const uint8_t sha[32], struct tftp_blob *b,
			  const char *why)
{
	struct files_entry **pp = entry_find(f, name), *e;

	if (*pp)
		entry_drop(f, pp);
	files_make_room(f, b->len);
	pp = entry_find(f, name);
	e = calloc(1, sizeof *e);
	if (!e)
		return; /* served once, not kept */
	snprintf(e->name, sizeof e->name, "%s", name);
	e->blob = tftp_blob_ref(b);
	e->gen = gen;
	memcpy(e->src_sha256, sha, 32);
	e->used = ++f->tick;
	e->why_logged = why[0] ? why : NULL;
	*pp = e;
	f->stats.bytes += b->len;
	f->stats.entries++;
}

static struct files_job **job_find(struct tftp_files *f, const char *name)
{
	struct files_job **pp = &f->jobs[name_hash(name)];

	for (; *pp; pp = &(*pp)->hnext)
		if (strcmp((*pp)->name, name) == 0)
			return pp;
	return pp;
}

static void job_wait(struct tftp_files *f, struct files_job *j,
		     struct tftp_files_wait *w)
{
	w->next = j->waiters;
	if (w->next)
		w->next->pprev = &w->next;
	w->pprev = &j->waiters;
	j->waiters = w;
	f->stats.waits++;
}

void tftp_files_wait_cancel(struct tftp_files_wait *w)
{
	if (!w->pprev)
		return;
	*w->pprev = w->next;
	if (w->next)
		w->next->pprev = w->pprev;
	w->next = NULL;
	w->pprev = NULL;
}

/* A job for NAME with W waiting on it, queued for the signing threads. */
static enum tftp_files_result job_queue(struct tftp_files *f, uint64_t gen,
					uint64_t node_id, const char *name,
					struct tftp_files_wait *w,
					const char **why)
{
	struct files_job **pp = job_find(f, name), *j = calloc(1, sizeof *j);

	if (!j) {
		*why = "out of memory";
		return TFTP_FILES_ERROR;
	}
	snprintf(j->name, sizeof j->name, "%s", name);
	j->gen = gen;
	j->node_id = node_id;
	*pp = j;
	job_wait(f, j, w);
	pthread_mutex_lock(&f->lock);
	if (f->queue_tail)
		f->queue_tail->qnext = j;
	else
		f->queue = j;
	f->queue_tail = j;
	pthread_cond_signal(&f->wake);
	pthread_mutex_unlock(&f->lock);
	return TFTP_FILES_PENDING;
}

static int kind_signed(enum tftp_source_kind k)
{
	return k == TFTP_SRC_SGN || k == TFTP_SRC_ENC ||
	       k == TFTP_SRC_UPLOAD_SGN;
}

enum tftp_files_result tftp_files_get(struct tftp_files *f, uint64_t gen,
				      uint64_t node_id, const char *name,
				      struct tftp_blob **out, const char **why,
				      struct tftp_files_wait *w)
{
	struct files_entry **pp = entry_find(f, name), *e = *pp;
	struct tftp_source src = {.node_id = node_id};
	struct store_read *r;
	enum tftp_files_result res;
	struct tftp_blob *b;
	int async = w && f->n_workers;

	*why = "";
	if (e && e->gen == gen) {
		f->stats.hits++;
		e->used = ++f->tick;
		*out = tftp_blob_ref(e->blob);
		return TFTP_FILES_OK;
	}
	if (async && *job_find(f, name)) {
		/* Being signed: one signature for everyone who asks. */
		job_wait(f, *job_find(f, name), w);
		return TFTP_FILES_PENDING;
	}
	if (store_read_begin(f->store, &r) != 0) {
		*why = "store unreadable";
		return TFTP_FILES_ERROR;
	}
	src.signer = files_signer(f, &f->signer, r, node_id, 1);
	src.kek = files_kek(f);
	src.ks = f->ks;
	res = tftp_source_read(r, name, &src, why);
	if (res != TFTP_FILES_OK) {
		store_read_end(r);
		if (e)
			entry_drop(f, pp);
		return res;
	}
	if (e && memcmp(e->src_sha256, src.sha256, 32) == 0) {
		store_read_end(r);
		tftp_source_clear(&src);
		f->stats.checks++;
		/* Once per change, not per request: say why a file is
		 * served as it is when that is worth knowing. */
		if ((*why)[0] && e->why_logged != *why) {
			log_info("tftp", "%s: %s", name, *why);
			e->why_logged = *why;
		}
		e->gen = gen;
		e->used = ++f->tick;
		*out = tftp_blob_ref(e->blob);
		return TFTP_FILES_OK;
	}
	if (async && kind_signed(src.kind)) {
		store_read_end(r);
		tftp_source_clear(&src);
		*why = "";
		return job_queue(f, gen, node_id, name, w, why);
	}
	{
		const char *note = *why;

		res = tftp_source_build(r, name, &src, &b, why);
		if (res == TFTP_FILES_OK)
			*why = note;
	}
	store_read_end(r);
	if (res != TFTP_FILES_OK) {
		tftp_source_clear(&src);
		return res;
	}
	f->stats.builds++;
	if ((*why)[0])
		log_info("tftp", "%s: %s", name, *why);
	files_install(f, name, gen, src.sha256, b, *why);
	tftp_source_clear(&src);
	*out = b;
	return TFTP_FILES_OK;
}

/* On a signing thread: reads J's source again (the store may have moved
 * on since it was queued: the result carries the hash of what was read)
 * and builds it. */
static void worker_build(struct files_worker *wk, struct files_job *j)
{
	struct tftp_files *f = wk->f;
	struct tftp_source src = {.node_id = j->node_id};
	struct store_read *r;
	const char *why = "";

	j->why = "";
	if (store_read_begin(f->store, &r) != 0) {
		j->res = TFTP_FILES_ERROR;
		j->why = "store unreadable";
		return;
	}
	src.signer = files_signer(f, &wk->signer, r, j->node_id, 0);
	src.kek = f->kek_state == 1 ? f->kek : NULL;
	src.ks = f->ks;
	j->res = tftp_source_read(r, j->name, &src, &why);
	if (j->res == TFTP_FILES_OK) {
		const char *note = why;

		j->res = tftp_source_build(r, j->name, &src, &j->blob, &why);
		if (j->res == TFTP_FILES_OK)
			why = note;
		memcpy(j->src_sha256, src.sha256, 32);
	}
	j->why = why;
	store_read_end(r);
	tftp_source_clear(&src);
}

static void *worker_main(void *arg)
{
	struct files_worker *wk = arg;
	struct tftp_files *f = wk->f;
	uint64_t one = 1;

	for (;;) {
		struct files_job *j;

		pthread_mutex_lock(&f->lock);
		while (!f->stop && !f->queue)
			pthread_cond_wait(&f->wake, &f->lock);
		if (f->stop) {
			pthread_mutex_unlock(&f->lock);
			break;
		}
		j = f->queue;
		f->queue = j->qnext;
		if (!f->queue)
			f->queue_tail = NULL;
		pthread_mutex_unlock(&f->lock);
		worker_build(wk, j);
		pthread_mutex_lock(&f->lock);
		j->qnext = f->done;
		f->done = j;
		pthread_mutex_unlock(&f->lock);
		if (write(f->efd, &one, sizeof one) < 0)
			log_warn("tftp", "signer wakeup lost");
	}
	tftp_signer_free(wk->signer);
	wk->signer = NULL;
	return NULL;
}

static void job_free(struct files_job *j)
{
	tftp_blob_unref(j->blob);
	for (struct tftp_files_wait *w = j->waiters, *n; w; w = n) {
		n = w->next;
		w->next = NULL;
		w->pprev = NULL;
	}
	free(j);
}

/* On the serving thread: finished jobs go into the cache, then their
 * waiters are told. */
static void on_jobs_done(evutil_socket_t fd, short what, void *arg)
{
	struct tftp_files *f = arg;
	struct files_job *done, *next;
	uint64_t n;

	if (read(f->efd, &n, sizeof n) < 0)
		return;
	pthread_mutex_lock(&f->lock);
	done = f->done;
	f->done = NULL;
	pthread_mutex_unlock(&f->lock);
	for (struct files_job *j = done; j; j = next) {
		struct files_job **pp = job_find(f, j->name);

		next = j->qnext;
		if (*pp == j)
			*pp = j->hnext;
		if (j->res == TFTP_FILES_OK) {
			f->stats.builds++;
			if (j->why[0])
				log_info("tftp", "%s: %s", j->name, j->why);
			files_install(f, j->name, j->gen, j->src_sha256,
				      j->blob, j->why);
		} else {
			struct files_entry **ep = entry_find(f, j->name);

			if (*ep)
				entry_drop(f, ep);
		}
		while (j->waiters) {
			struct tftp_files_wait *w = j->waiters;

			tftp_files_wait_cancel(w);
			w->ready(w, j->res, j->blob, j->why);
		}
		job_free(j);
	}
}

int tftp_files_start_signers(struct tftp_files *f, struct event_base *base,
			     unsigned n)
{
	if (n == 0 || n > 16 || f->n_workers)
		return -1;
	if (!f->ks && f->kek_state == 0) /* read-only once threads run */
		f->kek_state = tftp_kek_load(f->pki_dir, f->kek) == 0 ? 1 : -1;
	f->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	f->workers = calloc(n, sizeof *f->workers);
	if (f->efd < 0 || !f->workers)
		goto err_after_fd;
	f->ev_done =
	    event_new(base, f->efd, EV_READ | EV_PERSIST, on_jobs_done, f);
	if (!f->ev_done || event_add(f->ev_done, NULL) != 0)
		goto err_after_fd;
	if (pthread_mutex_init(&f->lock, NULL) != 0)
		goto err_after_fd;
	if (pthread_cond_init(&f->wake, NULL) != 0)
		goto err_after_lock;
	for (; f->n_workers < n; f->n_workers++) {
		struct files_worker *wk = &f->workers[f->n_workers];

		wk->f = f;
		if (pthread_create(&wk->thread, NULL, worker_main, wk) != 0)
			break;
	}
	if (f->n_workers)
		return 0;
	pthread_cond_destroy(&f->wake);
err_after_lock:
	pthread_mutex_destroy(&f->lock);
err_after_fd:
	if (f->ev_done)
		event_free(f->ev_done);
	f->ev_done = NULL;
	free(f->workers);
	f->workers = NULL;
	if (f->efd >= 0)
		close(f->efd);
	f->efd = -1;
	return -1;
}

static void signers_stop(struct tftp_files *f)
{
	if (!f->n_workers)
		return;
	pthread_mutex_lock(&f->lock);
	f->stop = 1;
	pthread_cond_broadcast(&f->wake);
	pthread_mutex_unlock(&f->lock);
	for (unsigned i = 0; i < f->n_workers; i++)
		pthread_join(f->workers[i].thread, NULL);
	/* Every job, queued, done or not, is still in the pending table. */
	for (size_t i = 0; i < FILES_BUCKETS; i++)
		for (struct files_job *j = f->jobs[i], *n; j; j = n) {
			n = j->hnext;
			job_free(j);
		}
	event_free(f->ev_done);
	close(f->efd);
	free(f->workers);
	pthread_cond_destroy(&f->wake);
	pthread_mutex_destroy(&f->lock);
	f->n_workers = 0;
}

void tftp_files_stats(const struct tftp_files *f, struct tftp_files_stats *out)
{
	*out = f->stats;
}

int tftp_file_build(struct store *store, struct keystore *ks,
		    const char *pki_dir, uint64_t node_id, const char *name,
		    uint8_t **out, size_t *len, char *why, size_t whycap)
{
	struct tftp_source src = {.node_id = node_id};
	const char *w = "";
	struct tftp_signer *signer = tftp_signer_load(pki_dir, &w);
	uint8_t kek[32];
	enum tftp_files_result res;
	struct store_read *r;
	struct tftp_blob *b = NULL;

	*out = NULL;
	*len = 0;
	snprintf(why, whycap, "%s", "");
	if (!tftp_name_valid(name)) {
		tftp_signer_free(signer);
		return 1;
	}
	if (store_read_begin(store, &r) != 0) {
		tftp_signer_free(signer);
		snprintf(why, whycap, "store unreadable");
		return -1;
	}
	if (ks) {
		struct tftp_signer *held =
		    tftp_signer_from_keystore(ks, r, node_id);

		if (held) {
			tftp_signer_free(signer);
			signer = held;
		}
		src.ks = ks;
	} else if (tftp_kek_load(pki_dir, kek) == 0) {
		src.kek = kek;
	}
	src.signer = signer;
	res = tftp_source_read(r, name, &src, &w);
	if (res == TFTP_FILES_OK)
		res = tftp_source_build(r, name, &src, &b, &w);
	store_read_end(r);
	tftp_source_clear(&src);
	tftp_signer_free(signer);
	OPENSSL_cleanse(kek, sizeof kek);
	if (res == TFTP_FILES_OK) {
		*out = malloc(b->len ? b->len : 1);
		if (!*out) {
			tftp_blob_unref(b);
			snprintf(why, whycap, "out of memory");
			return -1;
		}
		memcpy(*out, b->data, b->len);
		*len = b->len;
		tftp_blob_unref(b);
		return 0;
	}
	snprintf(why, whycap, "%s", w);
	return res == TFTP_FILES_NOT_FOUND ? 1
	       : res == TFTP_FILES_REFUSED ? 2
					   : -1;
}
