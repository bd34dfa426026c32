/* snapshot: consistent copies of the store for Raft snapshots, and their
 * restore (docs/store.md, "Snapshots").
 *
 * A snapshot is a compacted LMDB copy followed by a trailer: magic "WSNP",
 * version u32, length of the copy u64, SHA-256 of the copy. Snapshots travel
 * between nodes and sit on disk; LMDB trusts the pages it maps and a damaged
 * page can make it read out of bounds, so restore checks the digest before
 * LMDB sees a byte, then checks that every page LMDB may touch lies inside
 * the copy.
 *
 * Restore never holds two copies: the snapshot goes from C-raft's buffer to
 * a fresh file beside the store, is checked there, and is swapped in for
 * the data file (docs/store.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

int store_snapshot(struct store *s, void **buf, size_t *len)
{
	struct codec_w w;
	struct stat st;
	uint8_t *p;
	size_t n;
	int fd, mrc, rc;

	*buf = NULL;
	*len = 0;
	/* The copy's read transaction holds a share of the gate: the map
	 * must not change under it. */
	store_gate_enter(&s->gate);
	if (!s->env) {
		store_gate_leave(&s->gate);
		return STORE_EIO;
	}
	/* The copy reads through the map: flush what NOSYNC left behind so
	 * the copy and the file agree. */
	mrc = mdb_env_sync(s->env, 1);
	if (mrc) {
		store_gate_leave(&s->gate);
		log_error("store", "snapshot: sync: %s", mdb_strerror(mrc));
		return STORE_EIO;
	}
	fd = memfd_create("ward-snapshot", MFD_CLOEXEC);
	if (fd < 0) {
		store_gate_leave(&s->gate);
		log_error("store", "snapshot: memfd: %s", strerror(errno));
		return STORE_EIO;
	}
	mrc = mdb_env_copyfd2(s->env, fd, MDB_CP_COMPACT);
	store_gate_leave(&s->gate);
	if (mrc) {
		log_error("store", "snapshot: copy: %s", mdb_strerror(mrc));
		rc = store_mdb_rc(mrc);
		goto err_after_memfd;
	}
	if (fstat(fd, &st) < 0) {
		rc = STORE_EIO;
		goto err_after_memfd;
	}
	/* The trailer goes into the same file, and the caller gets a
	 * mapping of it: the copy is in memory once, not once in the file
	 * and again in a buffer read back from it. */
	n = (size_t)st.st_size;
	if (ftruncate(fd, (off_t)(n + SNAP_TRAILER_LEN)) < 0) {
		rc = errno == ENOMEM || errno == ENOSPC ? STORE_ENOMEM
							: STORE_EIO;
		goto err_after_memfd;
	}
	p = mmap(NULL, n + SNAP_TRAILER_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	if (p == MAP_FAILED) {
		rc = STORE_ENOMEM;
		goto err_after_memfd;
	}
	codec_w_init(&w, p + n, SNAP_TRAILER_LEN);
	codec_put_bytes(&w, SNAP_MAGIC, 4);
	codec_put_u32(&w, SNAP_VERSION);
	codec_put_u64(&w, n);
	if (snap_digest(p, n, p + n + 16)) {
		munmap(p, n + SNAP_TRAILER_LEN);
		rc = STORE_ENOMEM;
		goto err_after_memfd;
	}
	close(fd); /* the mapping keeps the file */
	*buf = p;
	*len = n + SNAP_TRAILER_LEN;
	return STORE_OK;

err_after_memfd:
	close(fd);
	return rc;
}

void store_snapshot_free(void *buf, size_t len)
{
	if (buf)
		munmap(buf, len);
}

/* ---- restore ---------------------------------------------------------- */

struct snap_env {
	int fd;	      /* owned: the fresh file holding the LMDB copy */
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
	e->txn = NULL;
	if (e->env)
		mdb_env_close(e->env);
	e->env = NULL;
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
}

/* Writes the LMDB copy (P, LEN) to PATH, a fresh file beside the store,
 * and syncs it: after the swap it is the store. */
static int snap_write_file(const char *path, const uint8_t *p, size_t len,
			   int *fd_out, int *err)
{
	int fd;

	*err = 0;
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		*err = errno;
		return STORE_EIO;
	}
	if (file_write_all(fd, p, len) != 0 || fdatasync(fd) != 0) {
		*err = errno;
		close(fd);
		unlink(path);
		return store_space_error(*err) ? STORE_ENOSPC : STORE_EIO;
	}
	*fd_out = fd;
	return STORE_OK;
}

/* Opens the LMDB copy in file PATH (LEN bytes, written by snap_write_file)
 * as a read-only environment of its own. */
static int snap_env_open(struct snap_env *e, const char *path, size_t len)
{
	MDB_envinfo info;
	MDB_stat st;
	int mrc, rc;

	if ((mrc = mdb_env_create(&e->env)))
		return store_mdb_rc(mrc);
	mdb_env_set_maxdbs(e->env, STORE_T__COUNT);
	/* NOLOCK: nobody else uses this copy until it is swapped in. */
	mrc = mdb_env_open(e->env, path,
			   MDB_RDONLY | MDB_NOSUBDIR | MDB_NOLOCK | MDB_NOTLS,
			   0600);
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

	store_gate_enter(&s->gate);
	if (!s->env || (mrc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) {
		store_gate_leave(&s->gate);
		return STORE_EIO;
	}
	rc = snap_cluster_id(txn, s->dbi[STORE_T_CLUSTER], 1, ours);
	mdb_txn_abort(txn);
	store_gate_leave(&s->gate);
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

/* Swaps the checked copy in PATH in for the store's data file, under the
 * whole gate: closes the environment, renames (the old file kept aside
 * until the new one opened), reopens. If the new one does not open, the
 * old one is put back. */
static int snap_swap(struct store *s, const char *path)
{
	char data[PATH_MAX], prev[PATH_MAX], why[256];
	int rc;

	if (snprintf(data, sizeof data, "%s/data.mdb", s->dir) >=
		(int)sizeof data ||
	    snprintf(prev, sizeof prev, "%s/data.mdb.prev", s->dir) >=
		(int)sizeof prev)
		return STORE_EINVAL;
	rc = store_gate_lock(&s->gate, STORE_GATE_RESTORE_MS);
	if (rc) {
		log_error("store",
			  "restore: reads stayed open for %d ms: not swapped",
			  STORE_GATE_RESTORE_MS);
		return rc;
	}
	if (s->env) {
		mdb_env_sync(s->env, 1);
		mdb_env_close(s->env);
		s->env = NULL;
	}
	if (rename(data, prev) != 0 || rename(path, data) != 0) {
		log_error("store", "restore: swapping %s in: %s", path,
			  strerror(errno));
		rename(prev, data); /* whichever step failed, undo the first */
		rc = STORE_EIO;
		goto reopen;
	}
	rc = store_env_load(s, why, sizeof why);
	if (rc == STORE_OK) {
		unlink(prev);
		goto out;
	}
	log_error("store", "restore: the restored file does not open: %s", why);
	rename(prev, data);
reopen:
	if (store_env_load(s, why, sizeof why) != STORE_OK)
		log_error("store",
			  "restore: the old store does not open again either: "
			  "%s; this node can no longer apply",
			  why);
out:
	store_gate_unlock(&s->gate);
	return rc;
}

int store_restore(struct store *s, const void *buf, size_t len)
{
	char path[PATH_MAX];
	struct snap_env e;
	size_t data_len;
	int err, rc;

	memset(&e, 0, sizeof e);
	e.fd = -1;
	rc = snap_check_trailer(buf, buf ? len : 0, &data_len);
	if (rc) {
		log_error("store", "restore: snapshot refused: %s",
			  store_strerror(rc));
		return rc;
	}
	if (snprintf(path, sizeof path, "%s/restore.mdb", s->dir) >=
	    (int)sizeof path)
		return STORE_EINVAL;
	/* The copy goes to disk once, straight from BUF: no second copy in
	 * memory, and no need for room in the live map. */
	rc = snap_write_file(path, buf, data_len, &e.fd, &err);
	if (rc) {
		if (rc == STORE_ENOSPC)
			store_health_set_full(s, err,
					      "no space to restore a snapshot");
		log_error("store", "restore: writing %s: %s", path,
			  strerror(err));
		return rc;
	}
	rc = snap_env_open(&e, path, data_len);
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
	snap_env_close(&e);
	/* Reopening upgrades an older schema, as at open, and loads the
	 * applied index the copy carries. */
	rc = snap_swap(s, path);
	if (rc) {
		log_error("store", "restore: swap failed: %s",
			  store_strerror(rc));
		goto out;
	}
	store_health_set_ok(s);
	log_info("store", "restored snapshot at index %llu (%zu bytes)",
		 (unsigned long long)atomic_load(&s->applied), data_len);
out:
	snap_env_close(&e);
	unlink(path); /* gone already if swapped in */
	return rc;
}
