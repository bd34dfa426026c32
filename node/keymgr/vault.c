/* vault: the pages that hold SRTP master keys — mapped by this module,
 * mlock'ed where RLIMIT_MEMLOCK allows (so keys never reach swap),
 * MADV_DONTDUMP (so they never reach a core file: refusing keys is better
 * than holding them in dumpable memory) and MADV_WIPEONFORK (a forked child
 * gets zeros) — cut into fixed slots, each wiped when released. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/errmsg.h"
#include "common/log.h"
#include "node/keymgr/keymgr_int.h"

#define VAULT_CHUNK (64 * 1024)
#define VAULT_SLOT 64
#define VAULT_SLOTS (VAULT_CHUNK / VAULT_SLOT)

_Static_assert(sizeof(struct keymgr_key) <= VAULT_SLOT, "key slot too small");

struct vault_chunk {
	uint8_t *mem; /* owned: VAULT_CHUNK bytes, mmap'ed */
	uint64_t used[VAULT_SLOTS / 64];
	size_t nused;
};

struct keymgr {
	pthread_mutex_t mu;
	struct vault_chunk *chunks; /* owned */
	size_t nchunks, maxchunks;
	size_t in_use, max_keys;
	int locked; /* every chunk so far is mlock'ed */
};

const char *keymgr_strerror(int code)
{
	switch (code) {
#define X(c, text)                                                             \
	case c:                                                                \
		return text;
		KEYMGR_ERRORS(X)
#undef X
	}
	return "unknown error";
}

static int chunk_map(struct keymgr *km, struct vault_chunk *c)
{
	c->mem = mmap(NULL, VAULT_CHUNK, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c->mem == MAP_FAILED) {
		c->mem = NULL;
		return -1;
	}
	if (madvise(c->mem, VAULT_CHUNK, MADV_DONTDUMP) != 0) {
		munmap(c->mem, VAULT_CHUNK);
		c->mem = NULL;
		log_error("keymgr",
			  "madvise(DONTDUMP) refused: holding no keys");
		return -1;
	}
#ifdef MADV_WIPEONFORK
	(void)madvise(c->mem, VAULT_CHUNK, MADV_WIPEONFORK);
#endif
	/* The system call itself: sanitizer runtimes turn mlock() into a
	 * no-op that reports success, and keys must stay locked there too. */
	if (syscall(SYS_mlock, c->mem, VAULT_CHUNK) != 0) {
		if (km->locked || km->nchunks == 0)
			log_warn("keymgr",
				 "key pages not locked in memory (%s): raise "
				 "RLIMIT_MEMLOCK so keys cannot reach swap",
				 strerror(errno));
		km->locked = 0;
	}
	memset(c->used, 0, sizeof c->used);
	c->nused = 0;
	return 0;
}

struct keymgr *keymgr_new(size_t max_keys, char *errmsg, size_t errcap)
{
	struct keymgr *km = calloc(1, sizeof *km);

	if (!km) {
		errmsg_set(errmsg, errcap, "keymgr: out of memory");
		return NULL;
	}
	if (max_keys == 0)
		max_keys = 65536;
	km->max_keys = max_keys;
	km->maxchunks = (max_keys + VAULT_SLOTS - 1) / VAULT_SLOTS;
	km->chunks = calloc(km->maxchunks, sizeof *km->chunks);
	if (!km->chunks) {
		errmsg_set(errmsg, errcap, "keymgr: out of memory");
		goto err_after_km;
	}
	km->locked = 1;
	/* The first chunk now, so that a refused DONTDUMP shows at start. */
	if (chunk_map(km, &km->chunks[0]) != 0) {
		errmsg_set(errmsg, errcap,
			   "keymgr: cannot map key memory that stays out of "
			   "core dumps");
		goto err_after_chunks;
	}
	km->nchunks = 1;
	if (pthread_mutex_init(&km->mu, NULL) != 0) {
		errmsg_set(errmsg, errcap, "keymgr: mutex");
		goto err_after_chunk;
	}
	log_info("keymgr", "key memory ready: up to %zu key sets, %s",
		 km->max_keys,
		 km->locked ? "locked in RAM" : "NOT locked in RAM");
	return km;
err_after_chunk:
	munmap(km->chunks[0].mem, VAULT_CHUNK);
err_after_chunks:
	free(km->chunks);
err_after_km:
	free(km);
	return NULL;
}

void keymgr_free(struct keymgr *km)
{
	if (!km)
		return;
	if (km->in_use != 0)
		abort(); /* a call outlived its key manager */
	for (size_t i = 0; i < km->nchunks; i++) {
		OPENSSL_cleanse(km->chunks[i].mem, VAULT_CHUNK);
		(void)syscall(SYS_munlock, km->chunks[i].mem, VAULT_CHUNK);
		munmap(km->chunks[i].mem, VAULT_CHUNK);
	}
	pthread_mutex_destroy(&km->mu);
	free(km->chunks);
	free(km);
}

int keymgr_is_locked(const struct keymgr *km)
{
	return km->locked;
}

size_t keymgr_keys_in_use(struct keymgr *km)
{
	size_t n;

	pthread_mutex_lock(&km->mu);
	n = km->in_use;
	pthread_mutex_unlock(&km->mu);
	return n;
}

static struct keymgr_key *chunk_take(struct vault_chunk *c)
{
	for (size_t w = 0; w < VAULT_SLOTS / 64; w++) {
		if (c->used[w] == UINT64_MAX)
			continue;
		for (unsigned b = 0; b < 64; b++) {
			if (!(c->used[w] & (1ULL << b))) {
				c->used[w] |= 1ULL << b;
				c->nused++;
				return (struct keymgr_key *)(c->mem +
							     (w * 64 + b) *
								 VAULT_SLOT);
			}
		}
	}
	return NULL;
}

struct keymgr_key *keymgr_key_alloc(struct keymgr *km)
{
	struct keymgr_key *k = NULL;

	pthread_mutex_lock(&km->mu);
	if (km->in_use == km->max_keys) {
		pthread_mutex_unlock(&km->mu);
		return NULL;
	}
	for (size_t i = 0; i < km->nchunks && !k; i++)
		if (km->chunks[i].nused < VAULT_SLOTS)
			k = chunk_take(&km->chunks[i]);
	if (!k && km->nchunks < km->maxchunks &&
	    chunk_map(km, &km->chunks[km->nchunks]) == 0)
		k = chunk_take(&km->chunks[km->nchunks++]);
	if (k)
		km->in_use++;
	pthread_mutex_unlock(&km->mu);
	return k;
}

void keymgr_key_release(struct keymgr *km, struct keymgr_key *key)
{
	uint8_t *p = (uint8_t *)key;

	if (!key)
		return;
	OPENSSL_cleanse(key, VAULT_SLOT);
	pthread_mutex_lock(&km->mu);
	for (size_t i = 0; i < km->nchunks; i++) {
		struct vault_chunk *c = &km->chunks[i];
		size_t slot;

		if (p < c->mem || p >= c->mem + VAULT_CHUNK)
			continue;
		slot = (size_t)(p - c->mem) / VAULT_SLOT;
		if (!(c->used[slot / 64] & (1ULL << (slot % 64))))
			abort(); /* released twice */
		c->used[slot / 64] &= ~(1ULL << (slot % 64));
		c->nused--;
		km->in_use--;
		pthread_mutex_unlock(&km->mu);
		return;
	}
	abort(); /* not one of ours */
}
