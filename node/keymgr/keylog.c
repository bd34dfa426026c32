/* keylog: the key log of authorised capture (keylog.h). */
#include "node/keymgr/keylog.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/errmsg.h"
#include "common/log.h"
#include "node/keymgr/keymgr_int.h"

struct slot {
	int used;
	struct keylog_entry e;
};

struct keylog {
	pthread_mutex_t mu;
	struct slot *slots; /* owned: mapped, MAP_BYTES */
	size_t map_bytes;
	size_t max, used;
	uint64_t dropped;
	int locked;
};

struct keylog *keylog_new(size_t max, char *errmsg, size_t errcap)
{
	struct keylog *kl = calloc(1, sizeof *kl);
	long page = sysconf(_SC_PAGESIZE);

	if (!kl) {
		errmsg_set(errmsg, errcap, "key log: out of memory");
		return NULL;
	}
	kl->max = max ? max : KEYLOG_DEFAULT_MAX;
	kl->map_bytes = kl->max * sizeof(struct slot);
	if (page > 0)
		kl->map_bytes = (kl->map_bytes + (size_t)page - 1) /
				(size_t)page * (size_t)page;
	kl->slots = mmap(NULL, kl->map_bytes, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (kl->slots == MAP_FAILED) {
		errmsg_set(errmsg, errcap, "key log: mmap: %s",
			   strerror(errno));
		goto err_after_alloc;
	}
	if (madvise(kl->slots, kl->map_bytes, MADV_DONTDUMP) != 0) {
		errmsg_set(errmsg, errcap,
			   "key log: madvise(DONTDUMP) refused: %s",
			   strerror(errno));
		goto err_after_map;
	}
#ifdef MADV_WIPEONFORK
	(void)madvise(kl->slots, kl->map_bytes, MADV_WIPEONFORK);
#endif
	/* The system call itself, as the vault does: sanitizer runtimes
	 * make mlock() a no-op. */
	kl->locked = syscall(SYS_mlock, kl->slots, kl->map_bytes) == 0;
	if (pthread_mutex_init(&kl->mu, NULL) != 0) {
		errmsg_set(errmsg, errcap, "key log: mutex");
		goto err_after_map;
	}
	return kl;
err_after_map:
	munmap(kl->slots, kl->map_bytes);
err_after_alloc:
	free(kl);
	return NULL;
}

void keylog_free(struct keylog *kl)
{
	if (!kl)
		return;
	OPENSSL_cleanse(kl->slots, kl->map_bytes);
	if (kl->locked)
		munlock(kl->slots, kl->map_bytes);
	munmap(kl->slots, kl->map_bytes);
	pthread_mutex_destroy(&kl->mu);
	free(kl);
}

static void copy_str(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

/* KEY as the log spells it: base64(key || salt) into OUT. */
static void inline_of(const struct keymgr_key *key, char out[KEYLOG_INLINE_MAX])
{
	uint8_t raw[SDES_KEY_MAX + SDES_SALT_MAX];

	memcpy(raw, key->key, key->key_len);
	memcpy(raw + key->key_len, key->salt, key->salt_len);
	EVP_EncodeBlock((unsigned char *)out, raw,
			key->key_len + key->salt_len);
	OPENSSL_cleanse(raw, sizeof raw);
}

/* Fills a free slot with KEY (under MU). 0, or -1 when full. */
static int add(struct keylog *kl, const struct keylog_stream *s,
	       enum keymgr_side side, int ward_sent,
	       const struct keymgr_key *key)
{
	struct keylog_entry *e = NULL;
	int a = side == KEYMGR_SIDE_A;

	for (size_t i = 0; i < kl->max; i++)
		if (!kl->slots[i].used) {
			kl->slots[i].used = 1;
			e = &kl->slots[i].e;
			break;
		}
	if (!e) {
		kl->dropped++;
		return -1;
	}
	kl->used++;
	copy_str(e->device, sizeof e->device, s->device);
	copy_str(e->call_id, sizeof e->call_id, s->call_id);
	copy_str(e->leg_device, sizeof e->leg_device, s->leg_device[side]);
	e->stream = s->stream;
	e->leg = a ? 'A' : 'B';
	/* The phone of a leg sends toward the other side; ward's key toward
	 * a side carries what the other side sent. */
	memcpy(e->direction, (a != ward_sent) ? "A->B" : "B->A", 5);
	copy_str(e->sender, sizeof e->sender, ward_sent ? "ward" : "phone");
	e->suite = key->suite;
	inline_of(key, e->inline_key);
	e->ward_port = s->ward_port[side];
	copy_str(e->peer, sizeof e->peer, s->peer[side]);
	e->at_ms = s->now_ms;
	e->until_ms = s->until_ms;
	return 0;
}

size_t keylog_note(struct keylog *kl, const struct keylog_stream *s,
		   const struct keymgr_call *call)
{
	size_t n = 0;

	if (!kl || !s || !call || s->now_ms >= s->until_ms)
		return 0;
	pthread_mutex_lock(&kl->mu);
	for (int side = KEYMGR_SIDE_A; side <= KEYMGR_SIDE_B; side++)
		for (int ward_sent = 0; ward_sent <= 1; ward_sent++) {
			const struct keymgr_key *k =
			    keymgr_call_key(call, side, ward_sent);

			if (k && add(kl, s, side, ward_sent, k) == 0)
				n++;
		}
	pthread_mutex_unlock(&kl->mu);
	return n;
}

size_t keylog_moved(struct keylog *kl, const struct keylog_stream *s,
		    enum keymgr_side side, const struct keymgr_call *call)
{
	char cur[2][KEYLOG_INLINE_MAX];
	const char leg = side == KEYMGR_SIDE_A ? 'A' : 'B';
	int have[2];
	size_t n = 0;

	if (!kl || !s || !call || !s->call_id)
		return 0;
	for (int ward_sent = 0; ward_sent <= 1; ward_sent++) {
		const struct keymgr_key *k =
		    keymgr_call_key(call, side, ward_sent);

		have[ward_sent] = k != NULL;
		memset(cur[ward_sent], 0, sizeof cur[ward_sent]);
		if (k)
			inline_of(k, cur[ward_sent]);
	}
	pthread_mutex_lock(&kl->mu);
	for (size_t i = 0; i < kl->max; i++) {
		struct keylog_entry *e = &kl->slots[i].e;
		int w;

		if (!kl->slots[i].used || e->leg != leg ||
		    e->stream != s->stream ||
		    strcmp(e->call_id, s->call_id) != 0)
			continue;
		w = e->sender[0] == 'w';
		/* Only the keys still in use moved: those of before a
		 * re-key stay where they were used. */
		if (!have[w] ||
		    strnlen(e->inline_key, sizeof e->inline_key) !=
			strlen(cur[w]) ||
		    CRYPTO_memcmp(e->inline_key, cur[w], strlen(cur[w])) != 0)
			continue;
		copy_str(e->peer, sizeof e->peer, s->peer[side]);
		n++;
	}
	pthread_mutex_unlock(&kl->mu);
	OPENSSL_cleanse(cur, sizeof cur);
	return n;
}

size_t keylog_expire(struct keylog *kl, uint64_t now_ms, keylog_until_fn until,
		     void *arg)
{
	size_t n = 0;

	if (!kl)
		return 0;
	pthread_mutex_lock(&kl->mu);
	for (size_t i = 0; i < kl->max && kl->used; i++) {
		struct slot *sl = &kl->slots[i];
		uint64_t end;

		if (!sl->used)
			continue;
		end = sl->e.until_ms;
		if (until && now_ms < end) {
			uint64_t now_end = until(arg, sl->e.device);

			if (now_end < end)
				end = now_end;
		}
		if (now_ms < end)
			continue;
		OPENSSL_cleanse(sl, sizeof *sl);
		kl->used--;
		n++;
	}
	pthread_mutex_unlock(&kl->mu);
	return n;
}

size_t keylog_each(struct keylog *kl, const char *device, uint64_t now_ms,
		   keylog_fn fn, void *arg)
{
	size_t n = 0;

	if (!kl || !device || !fn)
		return 0;
	pthread_mutex_lock(&kl->mu);
	for (size_t i = 0; i < kl->max; i++) {
		const struct slot *sl = &kl->slots[i];

		if (!sl->used || now_ms >= sl->e.until_ms ||
		    strcmp(sl->e.device, device) != 0)
			continue;
		n++;
		if (fn(arg, &sl->e) != 0)
			break;
	}
	pthread_mutex_unlock(&kl->mu);
	return n;
}

size_t keylog_count(struct keylog *kl)
{
	size_t n;

	pthread_mutex_lock(&kl->mu);
	n = kl->used;
	pthread_mutex_unlock(&kl->mu);
	return n;
}

uint64_t keylog_dropped(struct keylog *kl)
{
	uint64_t n;

	pthread_mutex_lock(&kl->mu);
	n = kl->dropped;
	pthread_mutex_unlock(&kl->mu);
	return n;
}

int keylog_is_locked(const struct keylog *kl)
{
	return kl && kl->locked;
}
