/* files: the cache of served files (tftp_files.h).
 *
 * An entry maps a name to the blob last built for it, the generation it
 * was last checked at and the SHA-256 of the source it was built from.
 * A request at a newer generation re-reads the source in a short read
 * transaction; the same source hash means the blob stands. */
#include "node/tftp/tftp.h"
#include "node/tftp/tftp_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

struct tftp_files {
	struct store *store; /* borrowed */
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
static const struct tftp_signer *
files_signer(struct tftp_files *f, struct store_read *r, uint64_t node_id)
{
	struct store_cert c;
	const char *why;

	/* Without a record to compare with, the loaded key stands. */
	if (f->signer &&
	    (store_cert_get(r, node_id, STORE_CERT_TFTP, &c) != 0 ||
	     memcmp(c.sha256, f->signer->sha256, 32) == 0))
		return f->signer;
	tftp_signer_free(f->signer);
	f->signer = tftp_signer_from_keystore(f->ks, r, node_id);
	if (f->signer) {
		log_info("tftp",
			 "signing with the TFTP key the keystore holds");
		return f->signer;
	}
	f->signer = tftp_signer_load(f->pki_dir, &why);
	if (f->signer)
		log_info("tftp", "signing with the TFTP key of %s", f->pki_dir);
	else if (f->pki_dir[0])
		log_warn("tftp", "%s", why);
	return f->signer;
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

void tftp_files_free(struct tftp_files *f)
{
	if (!f)
		return;
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

enum tftp_files_result tftp_files_get(struct tftp_files *f, uint64_t gen,
				      uint64_t node_id, const char *name,
				      struct tftp_blob **out, const char **why)
{
	struct files_entry **pp = entry_find(f, name), *e = *pp;
	struct tftp_source src = {.node_id = node_id};
	struct store_read *r;
	enum tftp_files_result res;
	struct tftp_blob *b;

	*why = "";
	if (e && e->gen == gen) {
		f->stats.hits++;
		e->used = ++f->tick;
		*out = tftp_blob_ref(e->blob);
		return TFTP_FILES_OK;
	}
	if (store_read_begin(f->store, &r) != 0) {
		*why = "store unreadable";
		return TFTP_FILES_ERROR;
	}
	src.signer = files_signer(f, r, node_id);
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
	if (e)
		entry_drop(f, pp);
	files_make_room(f, b->len);
	pp = entry_find(f, name);
	e = calloc(1, sizeof *e);
	if (e) {
		snprintf(e->name, sizeof e->name, "%s", name);
		e->blob = tftp_blob_ref(b);
		e->gen = gen;
		memcpy(e->src_sha256, src.sha256, 32);
		e->used = ++f->tick;
		e->why_logged = (*why)[0] ? *why : NULL;
		*pp = e;
		f->stats.bytes += b->len;
		f->stats.entries++;
	}
	tftp_source_clear(&src);
	*out = b;
	return TFTP_FILES_OK;
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
