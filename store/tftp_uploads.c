/* tftp_uploads: the upload records of uploaded TFTP files and the
 * leader's collection of the chunks of uploads never committed
 * (tftpfiles.h, docs/tftp.md "Uploaded files"). */
#include <stdlib.h>
#include <string.h>

#include "store/codec.h"
#include "store/internal.h"
#include "store/tftpfiles.h"

enum { UPLOAD_V = 1 };

#define SHA_LEN 32
#define CHUNK_KEY_LEN 36 /* sha256 + u32 index, as tftpfiles.c */
#define GC_STOP 1	 /* a callback's "stop" (not a store code) */

int store_tftp_upload_encode(const struct store_tftp_upload *r,
			     uint8_t out[STORE_TFTP_UPLOAD_REC_LEN])
{
	struct codec_w w;
	size_t len;

	if (r->state > STORE_TFTP_UPLOAD_COLLECTING)
		return STORE_EINVAL;
	codec_w_init(&w, out, STORE_TFTP_UPLOAD_REC_LEN);
	codec_put_u8(&w, UPLOAD_V);
	codec_put_u64(&w, r->last_ms);
	codec_put_u32(&w, r->state);
	return record_result(&w, &len);
}

int store_tftp_upload_decode(const void *buf, size_t len,
			     struct store_tftp_upload *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, UPLOAD_V, &ver)))
		return rc;
	r->last_ms = codec_get_u64(&rd);
	r->state = codec_get_u32(&rd);
	if ((rc = record_end(&rd)))
		return rc;
	if (r->state > STORE_TFTP_UPLOAD_COLLECTING) {
		memset(r, 0, sizeof *r);
		return STORE_ECORRUPT;
	}
	return STORE_OK;
}

int store_tftp_upload_get(struct store_read *r, const uint8_t sha256[32],
			  struct store_tftp_upload *out)
{
	const void *v;
	size_t n;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = store_get(r, STORE_T_TFTP_UPLOADS, sha256, SHA_LEN, &v, &n)))
		return rc;
	if ((rc = store_tftp_upload_decode(v, n, out)))
		return rc;
	memcpy(out->sha256, sha256, SHA_LEN);
	return STORE_OK;
}

int store_cmd_put_tftp_upload(struct store_cmd *c,
			      const struct store_tftp_upload *r)
{
	uint8_t val[STORE_TFTP_UPLOAD_REC_LEN];
	int rc = store_tftp_upload_encode(r, val);

	if (rc)
		return rc;
	return store_cmd_op(c, STORE_OP_PUT, STORE_T_TFTP_UPLOADS, r->sha256,
			    SHA_LEN, val, sizeof val);
}

int store_cmd_end_tftp_upload(struct store_cmd *c,
			      const struct store_tftp_upload *old)
{
	uint8_t val[STORE_TFTP_UPLOAD_REC_LEN];
	int rc = store_tftp_upload_encode(old, val);

	if (rc == STORE_OK)
		rc = store_cmd_op(c, STORE_OP_EXPECT, STORE_T_TFTP_UPLOADS,
				  old->sha256, SHA_LEN, val, sizeof val);
	if (rc == STORE_OK)
		rc = store_cmd_op(c, STORE_OP_DEL, STORE_T_TFTP_UPLOADS,
				  old->sha256, SHA_LEN, NULL, 0);
	return rc;
}

/* ---- collection ------------------------------------------------------- */

struct gc {
	struct store_cmd *c;
	struct store_read *r;
	uint64_t now_ms, idle_ms;
	unsigned max, n;
	int rc;
	uint8_t (*used)[SHA_LEN]; /* owned: the files' digests, sorted */
	size_t n_used, cap_used;
	/* chunk walks */
	const uint8_t *sha;
	int all; /* every chunk of SHA was deleted */
	uint8_t next[CHUNK_KEY_LEN];
	int more;
};

static int sha_cmp(const void *a, const void *b)
{
	return memcmp(a, b, SHA_LEN);
}

static int note_file(void *arg, const struct store_tftp_file *f)
{
	struct gc *g = arg;

	if (g->n_used == g->cap_used) {
		size_t cap = g->cap_used ? 2 * g->cap_used : 64;
		void *p = realloc(g->used, cap * SHA_LEN);

		if (!p) {
			g->rc = STORE_ENOMEM;
			return GC_STOP;
		}
		g->used = p;
		g->cap_used = cap;
	}
	memcpy(g->used[g->n_used++], f->sha256, SHA_LEN);
	return 0;
}

static int is_used(const struct gc *g, const uint8_t *sha)
{
	return g->n_used &&
	       bsearch(sha, g->used, g->n_used, SHA_LEN, sha_cmp) != NULL;
}

/* Room for K more operations. */
static int room(const struct gc *g, unsigned k)
{
	return g->n + k <= g->max;
}

static int op(struct gc *g, enum store_op o, enum store_table t,
	      const void *key, size_t klen, const void *val, size_t vlen)
{
	int rc = store_cmd_op(g->c, o, t, key, klen, val, vlen);

	if (rc) {
		g->rc = rc;
		return GC_STOP;
	}
	g->n++;
	return 0;
}

/* Deletes the chunks of g->sha while there is room, one operation kept
 * for the record's own delete. */
static int del_chunk(void *arg, const void *key, size_t klen, const void *val,
		     size_t vlen)
{
	struct gc *g = arg;

	(void)val, (void)vlen;
	if (klen != CHUNK_KEY_LEN || memcmp(key, g->sha, SHA_LEN) != 0)
		return GC_STOP; /* past this file's chunks */
	if (!room(g, 2)) {
		g->all = 0;
		return GC_STOP;
	}
	return op(g, STORE_OP_DEL, STORE_T_TFTP_CHUNKS, key, klen, NULL, 0);
}

static int collect(struct gc *g, const uint8_t *sha, const void *raw,
		   size_t raw_len, const struct store_tftp_upload *u)
{
	struct store_tftp_upload next = *u;
	uint8_t val[STORE_TFTP_UPLOAD_REC_LEN];
	int rc;

	/* Guard, mark, at least one chunk and the record's delete. */
	if (!room(g, 4))
		return GC_STOP;
	if (op(g, STORE_OP_EXPECT, STORE_T_TFTP_UPLOADS, sha, SHA_LEN, raw,
	       raw_len))
		return GC_STOP;
	if (u->state == STORE_TFTP_UPLOAD_ACTIVE) {
		next.state = STORE_TFTP_UPLOAD_COLLECTING;
		if ((rc = store_tftp_upload_encode(&next, val))) {
			g->rc = rc;
			return GC_STOP;
		}
		if (op(g, STORE_OP_PUT, STORE_T_TFTP_UPLOADS, sha, SHA_LEN, val,
		       sizeof val))
			return GC_STOP;
	}
	g->sha = sha;
	g->all = 1;
	rc = store_each(g->r, STORE_T_TFTP_CHUNKS, sha, SHA_LEN, del_chunk, g);
	if (g->rc)
		return GC_STOP;
	if (rc != STORE_OK && rc != GC_STOP) {
		g->rc = rc;
		return GC_STOP;
	}
	if (g->all)
		return op(g, STORE_OP_DEL, STORE_T_TFTP_UPLOADS, sha, SHA_LEN,
			  NULL, 0);
	return GC_STOP; /* the batch is full */
}

static int visit_upload(void *arg, const void *key, size_t klen,
			const void *val, size_t vlen)
{
	struct gc *g = arg;
	struct store_tftp_upload u;
	int idle;

	if (klen != SHA_LEN || store_tftp_upload_decode(val, vlen, &u) != 0)
		return 0;
	/* Idle: IDLE_MS since its last chunk; a stamp from a clock far
	 * ahead (beyond NOW + IDLE_MS) counts as idle, so it cannot stay. */
	idle = u.last_ms <= g->now_ms ? g->now_ms - u.last_ms >= g->idle_ms
				      : u.last_ms - g->now_ms > g->idle_ms;
	if (is_used(g, key)) {
		/* Committed under a name since: only the record is left. */
		if (!idle)
			return 0;
		if (!room(g, 2))
			return GC_STOP;
		if (op(g, STORE_OP_EXPECT, STORE_T_TFTP_UPLOADS, key, klen, val,
		       vlen))
			return GC_STOP;
		return op(g, STORE_OP_DEL, STORE_T_TFTP_UPLOADS, key, klen,
			  NULL, 0);
	}
	if (!idle && u.state == STORE_TFTP_UPLOAD_ACTIVE)
		return 0;
	return collect(g, key, val, vlen, &u);
}

/* The first chunk key of a file: adopts chunks no record covers. */
static int visit_chunk(void *arg, const void *key, size_t klen, const void *val,
		       size_t vlen)
{
	struct gc *g = arg;
	struct store_tftp_upload u = {.last_ms = g->now_ms};
	uint8_t rec[STORE_TFTP_UPLOAD_REC_LEN];
	const void *v;
	size_t n;
	int rc;

	(void)val, (void)vlen;
	if (klen != CHUNK_KEY_LEN)
		return 0;
	/* Next time, start past this file's chunks. */
	memcpy(g->next, key, SHA_LEN);
	memset(g->next + SHA_LEN, 0xff, 4);
	g->more = 1;
	if (is_used(g, key) || store_get(g->r, STORE_T_TFTP_UPLOADS, key,
					 SHA_LEN, &v, &n) != STORE_ENOTFOUND)
		return GC_STOP;
	if (!room(g, 1)) {
		g->more = 0;
		return GC_STOP;
	}
	memcpy(u.sha256, key, SHA_LEN);
	if ((rc = store_tftp_upload_encode(&u, rec))) {
		g->rc = rc;
		return GC_STOP;
	}
	op(g, STORE_OP_PUT, STORE_T_TFTP_UPLOADS, key, SHA_LEN, rec,
	   sizeof rec);
	return GC_STOP;
}

int store_cmd_gc_tftp_uploads(struct store_cmd *c, struct store_read *r,
			      uint64_t now_ms, uint64_t idle_ms, unsigned max,
			      unsigned *n)
{
	struct gc g = {
	    .c = c, .r = r, .now_ms = now_ms, .idle_ms = idle_ms, .max = max};
	int rc;

	*n = 0;
	if (max < 4 || max > STORE_PRUNE_MAX)
		return STORE_EINVAL;
	rc = store_tftp_file_each(r, note_file, &g);
	if (g.rc || (rc != STORE_OK && rc != GC_STOP)) {
		free(g.used);
		return g.rc ? g.rc : rc;
	}
	if (g.n_used)
		qsort(g.used, g.n_used, SHA_LEN, sha_cmp);
	rc = store_each(r, STORE_T_TFTP_UPLOADS, NULL, 0, visit_upload, &g);
	if (rc != STORE_OK && rc != GC_STOP && !g.rc)
		g.rc = rc;
	/* Then chunks without a record, one file at a time (a seek each). */
	memset(g.next, 0, sizeof g.next);
	for (int first = 1; !g.rc && room(&g, 1); first = 0) {
		g.more = 0;
		rc = store_each(r, STORE_T_TFTP_CHUNKS, first ? NULL : g.next,
				first ? 0 : sizeof g.next, visit_chunk, &g);
		if (rc != STORE_OK && rc != GC_STOP) {
			g.rc = rc;
			break;
		}
		if (!g.more)
			break;
	}
	free(g.used);
	if (g.rc)
		return g.rc;
	*n = g.n;
	return STORE_OK;
}
