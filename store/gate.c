/* gate: what lets the store change its map under running readers — the
 * gate every transaction holds a share of, the online growth of a full
 * map, and the health a full disk shows (docs/store.md, "Map size" and
 * "A full disk").
 *
 * LMDB can change the map size (mdb_env_set_mapsize) only while no
 * transaction is open in the process. Reads run on any thread, so the
 * apply thread, which alone grows the map, takes the whole gate: it holds
 * back new reads, waits for the open ones to end, grows, and lets them
 * all go. It waits a bounded time so that a thread holding one read while
 * it begins another cannot deadlock it: the growth is then retried.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "store/fault.h"
#include "store/internal.h"

uint64_t store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int store_gate_init(struct store_gate *g)
{
	pthread_condattr_t ca;

	memset(g, 0, sizeof *g);
	if (pthread_mutex_init(&g->lock, NULL) != 0)
		return STORE_ENOMEM;
	if (pthread_condattr_init(&ca) != 0)
		goto err_after_mutex;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_cond_init(&g->cond, &ca) != 0) {
		pthread_condattr_destroy(&ca);
		goto err_after_mutex;
	}
	pthread_condattr_destroy(&ca);
	return STORE_OK;

err_after_mutex:
	pthread_mutex_destroy(&g->lock);
	return STORE_ENOMEM;
}

void store_gate_destroy(struct store_gate *g)
{
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
}

void store_gate_enter(struct store_gate *g)
{
	pthread_mutex_lock(&g->lock);
	while (g->exclusive)
		pthread_cond_wait(&g->cond, &g->lock);
	g->readers++;
	pthread_mutex_unlock(&g->lock);
}

void store_gate_leave(struct store_gate *g)
{
	pthread_mutex_lock(&g->lock);
	if (--g->readers == 0 && g->exclusive)
		pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

int store_gate_lock(struct store_gate *g, unsigned timeout_ms)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&g->lock);
	/* Another taker (a restore racing a growth cannot happen: both run
	 * on the apply thread) would be a broken invariant: wait it out. */
	while (g->exclusive && rc == 0)
		rc = pthread_cond_timedwait(&g->cond, &g->lock, &until);
	if (rc == 0) {
		g->exclusive = 1;
		while (g->readers > 0 && rc == 0)
			rc = pthread_cond_timedwait(&g->cond, &g->lock, &until);
		if (rc != 0 && g->readers > 0) {
			g->exclusive = 0;
			pthread_cond_broadcast(&g->cond);
		} else {
			rc = 0;
		}
	}
	pthread_mutex_unlock(&g->lock);
	return rc == 0 ? STORE_OK : STORE_EBUSY;
}

void store_gate_unlock(struct store_gate *g)
{
	pthread_mutex_lock(&g->lock);
	g->exclusive = 0;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

int store_space_error(int mrc)
{
	return mrc == ENOSPC || mrc == EDQUOT || mrc == EFBIG;
}

static uint64_t free_bytes(const char *dir)
{
	struct statvfs sv;

	if (statvfs(dir, &sv) != 0)
		return 0;
	return (uint64_t)sv.f_bavail * sv.f_frsize;
}

int store_space_short(struct store *s)
{
	char path[PATH_MAX];
	struct rlimit rl;
	struct stat st;

	if (free_bytes(s->dir) < STORE_SPACE_LOW)
		return 1;
	/* A cap on file size (ulimit -f) is a full disk to the writes. */
	if (getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	snprintf(path, sizeof path, "%s/data.mdb", s->dir);
	return stat(path, &st) == 0 &&
	       (uint64_t)st.st_size + STORE_SPACE_LOW > (uint64_t)rl.rlim_cur;
}

int store_map_grow(struct store *s)
{
	size_t next = s->map_size * 2;
	int mrc, rc;

	if (s->map_size >= STORE_MAP_SIZE_MAX) {
		store_health_set_full(s, MDB_MAP_FULL,
				      "the map is at its maximum size");
		return STORE_ENOSPC;
	}
	if (next > STORE_MAP_SIZE_MAX)
		next = STORE_MAP_SIZE_MAX;
	rc = store_gate_lock(&s->gate, STORE_GATE_WAIT_MS);
	if (rc) {
		log_warn("store",
			 "%s: map full, but reads stayed open for %d ms: "
			 "growth retried",
			 s->dir, STORE_GATE_WAIT_MS);
		return rc;
	}
	mrc = mdb_env_set_mapsize(s->env, next);
	if (mrc == 0) {
		MDB_envinfo info;

		/* LMDB may round it (or keep a larger size another process
		 * set): believe what it says. */
		if (mdb_env_info(s->env, &info) == 0 && info.me_mapsize > next)
			next = info.me_mapsize;
	}
	store_gate_unlock(&s->gate);
	if (mrc) {
		log_error("store", "%s: cannot grow the map to %zu MiB: %s",
			  s->dir, next >> 20, mdb_strerror(mrc));
		return store_space_error(mrc) ? STORE_ENOSPC : STORE_EIO;
	}
	log_info("store", "%s: map full at %zu MiB, grown to %zu MiB", s->dir,
		 s->map_size >> 20, next >> 20);
	s->map_size = next;
	pthread_mutex_lock(&s->health_lock);
	s->health.map_size = next;
	s->health.map_grows++;
	pthread_mutex_unlock(&s->health_lock);
	return STORE_OK;
}

void store_health_set_full(struct store *s, int mrc, const char *what)
{
	uint64_t now = store_now_ms(), avail = free_bytes(s->dir);
	int was_full;

	pthread_mutex_lock(&s->health_lock);
	was_full = s->health.state == STORE_HEALTH_FULL;
	if (!was_full)
		s->health.since_ms = now;
	s->health.state = STORE_HEALTH_FULL;
	s->health.free_bytes = avail;
	snprintf(s->health.reason, sizeof s->health.reason,
		 "%s in %s (%s), %llu bytes free", what, s->dir,
		 mdb_strerror(mrc), (unsigned long long)avail);
	pthread_mutex_unlock(&s->health_lock);
	if (was_full && now - s->full_logged_ms < STORE_FULL_LOG_MS)
		return;
	s->full_logged_ms = now;
	log_error("store",
		  "store full: %s in data directory %s (%s): %llu bytes "
		  "free; writes are refused and the entry is retried until "
		  "space is freed",
		  what, s->dir, mdb_strerror(mrc), (unsigned long long)avail);
}

void store_health_set_ok(struct store *s)
{
	uint64_t since;
	int was_full;

	pthread_mutex_lock(&s->health_lock);
	was_full = s->health.state == STORE_HEALTH_FULL;
	since = s->health.since_ms;
	if (was_full) {
		s->health.state = STORE_HEALTH_OK;
		s->health.since_ms = store_now_ms();
		s->health.reason[0] = '\0';
	}
	pthread_mutex_unlock(&s->health_lock);
	if (was_full)
		log_info("store",
			 "%s: space available again after %llu ms: applying "
			 "resumed",
			 s->dir, (unsigned long long)(store_now_ms() - since));
}

const char *store_health_name(enum store_health_state h)
{
	switch (h) {
	case STORE_HEALTH_OK:
		return "ok";
	case STORE_HEALTH_FULL:
		return "store-full";
	}
	return "unknown";
}

void store_health_get(struct store *s, struct store_health *out)
{
	MDB_envinfo info;
	MDB_stat st;

	pthread_mutex_lock(&s->health_lock);
	*out = s->health;
	pthread_mutex_unlock(&s->health_lock);
	if (out->state == STORE_HEALTH_OK)
		out->free_bytes = free_bytes(s->dir);
	/* Environment info needs no transaction, but the env must not be
	 * swapped meanwhile: hold a share. */
	store_gate_enter(&s->gate);
	if (s->env && mdb_env_info(s->env, &info) == 0 &&
	    mdb_env_stat(s->env, &st) == 0)
		out->data_size =
		    (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
	store_gate_leave(&s->gate);
}

void store_fault_inject(struct store *s, int mdb_rc, unsigned n)
{
	atomic_store(&s->fault_mrc, mdb_rc);
	atomic_store(&s->fault_n, n);
}

int store_fault_watch(struct store *s, const char *path)
{
	free(s->fault_file);
	s->fault_file = strdup(path);
	if (!s->fault_file)
		return STORE_ENOMEM;
	log_warn("store",
		 "%s: TEST fault injection on: applies fail as told "
		 "by %s",
		 s->dir, path);
	return STORE_OK;
}

void store_fault_poll(struct store *s)
{
	static const struct {
		const char *name;
		int code;
	} codes[] = {
	    {"EIO", EIO}, {"ENOSPC", ENOSPC}, {"MAP_FULL", MDB_MAP_FULL}};
	char name[16];
	unsigned n;
	FILE *f;

	if (!s->fault_file || !(f = fopen(s->fault_file, "r")))
		return;
	if (fscanf(f, "%15s %u", name, &n) == 2) {
		for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
			if (strcmp(name, codes[i].name) == 0) {
				log_warn("store",
					 "TEST: the next %u applies "
					 "fail with %s",
					 n, name);
				store_fault_inject(s, codes[i].code, n);
			}
	}
	fclose(f);
	unlink(s->fault_file);
}
