/* snapshot: consistent copies of the store for Raft snapshots, and their
 * restore (docs/store.md, "Snapshots").
 *
 * A snapshot is a compacted LMDB copy followed by a trailer: magic "WSNP",
 * version u32, length of the copy u64, SHA-256 of the copy. Snapshots travel
 * between nodes and sit on disk; LMDB trusts the pages it maps and a damaged
 * page can make it read out of bounds, so restore checks the digest before
 * LMDB sees a byte, then checks that every page LMDB may touch lies inside
 * the copy.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "common/log.h"
#include "store/codec.h"
#include "store/internal.h"

#define SNAP_MAGIC "WSNP"
#define SNAP_VERSION 1
#define SNAP_TRAILER_LEN (4 + 4 + 8 + 32)

static int snap_digest(const void *buf, size_t len, uint8_t out[32])
{
	unsigned int n = 32;

	return EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

static int read_all(int fd, uint8_t *p, size_t len)
{
	off_t off = 0;

	while (len) {
		ssize_t k = pread(fd, p, len, off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		off += k;
		len -= (size_t)k;
	}
	return 0;
}

int store_snapshot(struct store *s, void **buf, size_t *len)
{
	struct codec_w w;
	struct stat st;
	uint8_t *p;
	size_t n;
	int fd, mrc, rc;

	*buf = NULL;
	*len = 0;
	/* The copy reads through the map: flush what NOSYNC left behind so
	 * the copy and the file agree. */
	mrc = mdb_env_sync(s->env, 1);
	if (mrc) {
		log_error("store", "snapshot: sync: %s", mdb_strerror(mrc));
		return STORE_EIO;
	}
	fd = memfd_create("ward-snapshot", MFD_CLOEXEC);
	if (fd < 0) {
		log_error("store", "snapshot: memfd: %s", strerror(errno));
		return STORE_EIO;
	}
	mrc = mdb_env_copyfd2(s->env, fd, MDB_CP_COMPACT);
	if (mrc) {
		log_error("store", "snapshot: copy: %s", mdb_strerror(mrc));
		rc = store_mdb_rc(mrc);
		goto err_after_memfd;
	}
	if (fstat(fd, &st) < 0) {
		rc = STORE_EIO;
		goto err_after_memfd;
	}
	n = (size_t)st.st_size;
	p = malloc(n + SNAP_TRAILER_LEN);
	if (!p) {
		rc = STORE_ENOMEM;
		goto err_after_memfd;
	}
	if (read_all(fd, p, n)) {
		log_error("store", "snapshot: read back: %s", strerror(errno));
		rc = STORE_EIO;
		goto err_after_alloc;
	}
	codec_w_init(&w, p + n, SNAP_TRAILER_LEN);
	codec_put_bytes(&w, SNAP_MAGIC, 4);
	codec_put_u32(&w, SNAP_VERSION);
	codec_put_u64(&w, n);
	if (snap_digest(p, n, p + n + 16)) {
		rc = STORE_ENOMEM;
		goto err_after_alloc;
	}
	close(fd);
	*buf = p;
	*len = n + SNAP_TRAILER_LEN;
	return STORE_OK;

err_after_alloc:
	free(p);
err_after_memfd:
	close(fd);
	return rc;
}

/* ---- restore ---------------------------------------------------------- */

struct snap_env {
	int fd;	      /* owned: memfd holding the LMDB copy */
	MDB_env *env; /* owned */
	MDB_txn *txn; /* owned, read-only */
	MDB_dbi dbi[STORE_T__COUNT];
	int has[STORE_T__COUNT]; /* table present in the snapshot */
	uint64_t applied, schema;
};

/* Checks the trailer; *data_len receives the length of the LMDB copy. */
static int snap_check_trailer(const uint8_t *p, size_t len, size_t *data_len)
{
	uint8_t digest[32];
	struct codec_r r;
	uint32_t version;
	uint64_t n;

	if (len < SNAP_TRAILER_LEN)
		return STORE_ECORRUPT;
	codec_r_init(&r, p + len - SNAP_TRAILER_LEN, SNAP_TRAILER_LEN);
	if (memcmp(codec_get_ref(&r, 4), SNAP_MAGIC, 4) != 0)
		return STORE_ECORRUPT;
	version = codec_get_u32(&r);
	n = codec_get_u64(&r);
	if (version != SNAP_VERSION)
		return STORE_EVERSION;
	if (n != len - SNAP_TRAILER_LEN)
		return STORE_ECORRUPT;
	if (snap_digest(p, (size_t)n, digest))
		return STORE_ENOMEM;
	if (CRYPTO_memcmp(digest, codec_get_ref(&r, 32), 32) != 0)
		return STORE_ECORRUPT;
	*data_len = (size_t)n;
	return STORE_OK;
}

static void snap_env_close(struct snap_env *e)
{
	if (e->txn)
		mdb_txn_abort(e->txn);
	if (e->env)
		mdb_env_close(e->env);
	if (e->fd >= 0)
		close(e->fd);
}

/* Opens the LMDB copy (P, LEN) as a read-only environment of its own. */
static int snap_env_open(struct snap_env *e, const uint8_t *p, size_t len)
{
	char path[64];
	MDB_envinfo info;
	MDB_stat st;
	int mrc, rc;

	memset(e, 0, sizeof *e);
	e->fd = memfd_create("ward-restore", MFD_CLOEXEC);
	if (e->fd < 0)
		return STORE_EIO;
	if (file_write_all(e->fd, p, len))
		return STORE_EIO;
	/* LMDB opens by path: the memfd's /proc name. NOLOCK: nobody else
	 * uses this copy, and /proc has no room for a lock file. */
	snprintf(path, sizeof path, "/proc/self/fd/%d", e->fd);
	if ((mrc = mdb_env_create(&e->env)))
		return store_mdb_rc(mrc);
	mdb_env_set_maxdbs(e->env, STORE_T__COUNT);
	mrc = mdb_env_open(e->env, path,
			   MDB_RDONLY | MDB_NOSUBDIR | MDB_NOLOCK | MDB_NOTLS,
			   0400);
	if (mrc) {
		rc = store_mdb_rc(mrc);
		return rc == STORE_EIO && mrc != ENOENT ? STORE_ECORRUPT : rc;
	}
	if (mdb_env_info(e->env, &info) || mdb_env_stat(e->env, &st))
		return STORE_ECORRUPT;
	/* LMDB refuses page numbers beyond the last page its meta names; if
	 * that page lies beyond the copy, touching it would fault. */
	if (st.ms_psize == 0 || info.me_last_pgno >= len / st.ms_psize)
		return STORE_ECORRUPT;
	if ((mrc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &e->txn)))
		return STORE_ECORRUPT;
	for (int t = 0; t < STORE_T__COUNT; t++) {
		mrc = mdb_dbi_open(e->txn, store_table_name(t), 0, &e->dbi[t]);
		if (mrc == MDB_NOTFOUND)
			continue; /* a table added after it was taken */
		if (mrc)
			return STORE_ECORRUPT;
		e->has[t] = 1;
	}
	if (!e->has[STORE_T_META])
		return STORE_ECORRUPT;
	rc = store_meta_get(e->txn, e->dbi[STORE_T_META], STORE_META_APPLIED, 8,
			    &e->applied);
	if (rc == STORE_OK)
		rc = store_meta_get(e->txn, e->dbi[STORE_T_META],
				    STORE_META_SCHEMA, 4, &e->schema);
	return rc == STORE_OK ? STORE_OK : STORE_ECORRUPT;
}

/* Cluster id of the record in table DBI, "" if there is none. */
static int snap_cluster_id(MDB_txn *txn, MDB_dbi dbi, int has, char id[37])
{
	MDB_val k = {strlen(STORE_CLUSTER_KEY), (void *)STORE_CLUSTER_KEY}, v;
	struct store_cluster c;
	int mrc;

	id[0] = '\0';
	if (!has)
		return STORE_OK;
	mrc = mdb_get(txn, dbi, &k, &v);
	if (mrc == MDB_NOTFOUND)
		return STORE_OK;
	if (mrc)
		return STORE_ECORRUPT;
	if (store_cluster_decode(v.mv_data, v.mv_size, &c))
		return STORE_ECORRUPT;
	memcpy(id, c.id, sizeof c.id);
	return STORE_OK;
}

/* Refuses a snapshot of another cluster: ours holds a cluster record and
 * the snapshot's id differs (or it has none). */
static int snap_check_cluster(struct store *s, struct snap_env *e)
{
	char ours[37], theirs[37];
	MDB_txn *txn;
	int mrc, rc;

	if ((mrc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)))
		return STORE_EIO;
	rc = snap_cluster_id(txn, s->dbi[STORE_T_CLUSTER], 1, ours);
	mdb_txn_abort(txn);
	if (rc) {
		log_error("store", "restore: our own cluster record is "
				   "unreadable");
		return STORE_EIO;
	}
	rc = snap_cluster_id(e->txn, e->dbi[STORE_T_CLUSTER],
			     e->has[STORE_T_CLUSTER], theirs);
	if (rc)
		return rc;
	if (ours[0] && strcmp(ours, theirs) != 0) {
		log_error("store",
			  "restore: snapshot of cluster \"%s\", this "
			  "store belongs to \"%s\"",
			  theirs, ours);
		return STORE_ECLUSTER;
	}
	return STORE_OK;
}

/* Empties table T of the live store and copies the snapshot's into it. */
static int snap_copy_table(struct store *s, MDB_txn *txn, struct snap_env *e,
			   int t)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int mrc;

	if ((mrc = mdb_drop(txn, s->dbi[t], 0)))
		return store_mdb_rc(mrc);
	if (!e->has[t])
		return STORE_OK;
	if ((mrc = mdb_cursor_open(e->txn, e->dbi[t], &cur)))
		return STORE_ECORRUPT;
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		/* Keys come sorted: APPEND skips the search, and a copy whose
		 * keys are out of order fails here as corrupt. */
		mrc = mdb_put(txn, s->dbi[t], &k, &v, MDB_APPEND);
		if (mrc)
			break;
	}
	mdb_cursor_close(cur);
	if (mrc == MDB_NOTFOUND)
		return STORE_OK;
	if (mrc == MDB_KEYEXIST || store_mdb_rc(mrc) == STORE_ECORRUPT)
		return STORE_ECORRUPT;
	return store_mdb_rc(mrc);
}

int store_restore(struct store *s, const void *buf, size_t len)
{
	struct snap_env e;
	MDB_txn *txn;
	size_t data_len;
	int mrc, rc;

	rc = snap_check_trailer(buf, buf ? len : 0, &data_len);
	if (rc) {
		log_error("store", "restore: snapshot refused: %s",
			  store_strerror(rc));
		return rc;
	}
	rc = snap_env_open(&e, buf, data_len);
	if (rc) {
		log_error("store", "restore: snapshot unreadable: %s",
			  store_strerror(rc));
		goto out;
	}
	if (e.schema > STORE_SCHEMA_VERSION) {
		rc = STORE_EVERSION;
		goto out;
	}
	if ((rc = snap_check_cluster(s, &e)))
		goto out;
	if (e.applied <= atomic_load(&s->applied)) {
		log_info("store",
			 "restore: snapshot at %llu is not newer than "
			 "%llu, ignored",
			 (unsigned long long)e.applied,
			 (unsigned long long)atomic_load(&s->applied));
		goto out;
	}
	if ((mrc = mdb_txn_begin(s->env, NULL, 0, &txn))) {
		rc = STORE_EIO;
		goto out;
	}
	/* One transaction: readers see the old content or the new, and a
	 * failure half-way leaves the old. */
	for (int t = 0; t < STORE_T__COUNT && rc == STORE_OK; t++)
		rc = snap_copy_table(s, txn, &e, t);
	if (rc == STORE_OK) {
		mrc =
		    store_meta_put(txn, s->dbi[STORE_T_META], STORE_META_SCHEMA,
				   4, STORE_SCHEMA_VERSION);
		if (mrc == 0)
			mrc = store_meta_put(txn, s->dbi[STORE_T_META],
					     STORE_META_APPLIED, 8, e.applied);
		rc = store_mdb_rc(mrc);
	}
	if (rc) {
		mdb_txn_abort(txn);
		log_error("store", "restore: copy failed: %s",
			  store_strerror(rc));
		goto out;
	}
	if ((mrc = mdb_txn_commit(txn))) {
		rc = STORE_EIO;
		goto out;
	}
	atomic_store(&s->applied, e.applied);
	log_info("store", "restored snapshot at index %llu",
		 (unsigned long long)e.applied);
out:
	snap_env_close(&e);
	return rc;
}
