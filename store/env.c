/* env: the LMDB environment of a node — open, check, close — and the
 * store's error and table names. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errmsg.h"
#include "common/log.h"
#include "store/internal.h"

static const char *const store_errors[] = {[STORE_OK] = "success",
#define STORE_X_MSG(code, msg) [code] = msg,
					   STORE_ERRORS(STORE_X_MSG)
#undef STORE_X_MSG
};

const char *store_strerror(int rc)
{
	if (rc < 0 || (size_t)rc >= sizeof store_errors / sizeof *store_errors)
		return "unknown store error";
	return store_errors[rc];
}

/* LMDB sub-database names: on disk, so never rename. */
static const char *const table_names[STORE_T__COUNT] = {
    [STORE_T_META] = "meta",
    [STORE_T_CLUSTER] = "cluster",
    [STORE_T_PARAMS] = "params",
    [STORE_T_NODES] = "nodes",
    [STORE_T_ADMINS] = "admins",
    [STORE_T_AUDIT] = "audit",
    [STORE_T_JOIN_TOKENS] = "join_tokens",
    [STORE_T_CERTS] = "certs",
    [STORE_T_KEYS] = "keys",
    [STORE_T_TRUST] = "trust",
    [STORE_T_TOKENS] = "tokens",
    [STORE_T_CTL] = "ctl",
    [STORE_T_ITL] = "itl",
    [STORE_T_RESETS] = "resets",
    [STORE_T_PHONE_PROFILES] = "phone_profiles",
    [STORE_T_TRUNK_PROFILES] = "trunk_profiles",
    [STORE_T_DEVICES] = "devices",
    [STORE_T_DEVICE_LINES] = "device_lines",
    [STORE_T_DEVICE_USERS] = "device_users",
    [STORE_T_DEVICE_LSC] = "device_lsc",
    [STORE_T_USERS] = "users",
    [STORE_T_REALMS] = "realms",
    [STORE_T_NODE_GROUPS] = "node_groups",
    [STORE_T_REGISTRATIONS] = "registrations",
    [STORE_T_SECRETS] = "secrets",
    [STORE_T_TFTP_FILES] = "tftp_files",
    [STORE_T_TFTP_CHUNKS] = "tftp_chunks",
    [STORE_T_CAPF_OPS] = "capf_ops",
    [STORE_T_DEVICE_MIC] = "device_mic",
    [STORE_T_SRST] = "srst",
    [STORE_T_PARTITIONS] = "partitions",
    [STORE_T_CSS] = "css",
    [STORE_T_ROUTE_PATTERNS] = "route_patterns",
    [STORE_T_ROUTE_PATTERN_KEYS] = "route_pattern_keys",
    [STORE_T_PRESENCE_GROUPS] = "presence_groups",
    [STORE_T_TFTP_UPLOADS] = "tftp_uploads",
    [STORE_T_CAPTURE] = "capture",
};

const char *store_table_name(enum store_table t)
{
	if ((unsigned)t >= STORE_T__COUNT)
		return NULL;
	return table_names[t];
}

int store_mdb_rc(int mdb_rc)
{
	switch (mdb_rc) {
	case MDB_SUCCESS:
		return STORE_OK;
	case MDB_NOTFOUND:
		return STORE_ENOTFOUND;
	case MDB_KEYEXIST:
		return STORE_EEXIST;
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INCOMPATIBLE:
		return STORE_ECORRUPT;
	case ENOMEM:
		return STORE_ENOMEM;
	default:
		return STORE_EIO;
	}
}

int store_meta_get(MDB_txn *txn, MDB_dbi meta, const char *key, size_t size,
		   uint64_t *out)
{
	MDB_val k = {strlen(key), (void *)key}, v;
	const uint8_t *p;
	uint64_t x = 0;
	int rc;

	*out = 0;
	rc = mdb_get(txn, meta, &k, &v);
	if (rc == MDB_NOTFOUND)
		return STORE_OK;
	if (rc)
		return store_mdb_rc(rc);
	if (v.mv_size != size)
		return STORE_ECORRUPT;
	p = v.mv_data;
	for (size_t i = 0; i < size; i++)
		x = x << 8 | p[i];
	*out = x;
	return STORE_OK;
}

int store_meta_put(MDB_txn *txn, MDB_dbi meta, const char *key, size_t size,
		   uint64_t v)
{
	MDB_val k = {strlen(key), (void *)key};
	uint8_t buf[8];
	MDB_val d = {size, buf};

	for (size_t i = 0; i < size; i++)
		buf[i] = (uint8_t)(v >> (8 * (size - 1 - i)));
	return mdb_put(txn, meta, &k, &d, 0);
}

/* Opens every table (creating missing ones), checks the schema version and
 * loads the applied index, in one write transaction. */
static int store_open_tables(struct store *s, const char *dir, char *errmsg,
			     size_t errcap)
{
	MDB_txn *txn;
	uint64_t schema, applied;
	int mrc, rc;

	mrc = mdb_txn_begin(s->env, NULL, 0, &txn);
	if (mrc) {
		errmsg_set(errmsg, errcap, "%s: cannot begin a transaction: %s",
			   dir, mdb_strerror(mrc));
		return store_mdb_rc(mrc);
	}
	for (int t = 0; t < STORE_T__COUNT; t++) {
		mrc = mdb_dbi_open(txn, table_names[t], MDB_CREATE, &s->dbi[t]);
		if (mrc) {
			errmsg_set(errmsg, errcap,
				   "%s: cannot open table %s: %s%s", dir,
				   table_names[t], mdb_strerror(mrc),
				   store_mdb_rc(mrc) == STORE_ECORRUPT
				       ? " (the data file is damaged)"
				       : "");
			rc = store_mdb_rc(mrc);
			goto err_after_txn_begin;
		}
	}
	rc = store_meta_get(txn, s->dbi[STORE_T_META], STORE_META_SCHEMA, 4,
			    &schema);
	if (rc == STORE_OK)
		rc = store_meta_get(txn, s->dbi[STORE_T_META],
				    STORE_META_APPLIED, 8, &applied);
	if (rc) {
		errmsg_set(errmsg, errcap,
			   "%s: meta table unreadable: %s (the data file is "
			   "damaged)",
			   dir, store_strerror(rc));
		goto err_after_txn_begin;
	}
	if (schema > STORE_SCHEMA_VERSION) {
		errmsg_set(errmsg, errcap,
			   "%s: data has schema version %llu, this build "
			   "knows up to %d: upgrade wardd",
			   dir, (unsigned long long)schema,
			   STORE_SCHEMA_VERSION);
		rc = STORE_EVERSION;
		goto err_after_txn_begin;
	}
	/* New, or of an older schema: every change so far only added
	 * tables (created above) and record versions (read by the
	 * decoders), so upgrading is recording the new number. */
	if (schema < STORE_SCHEMA_VERSION) {
		mrc =
		    store_meta_put(txn, s->dbi[STORE_T_META], STORE_META_SCHEMA,
				   4, STORE_SCHEMA_VERSION);
		if (mrc) {
			errmsg_set(errmsg, errcap, "%s: cannot write: %s%s",
				   dir, mdb_strerror(mrc),
				   store_mdb_rc(mrc) == STORE_ECORRUPT
				       ? " (the data file is damaged)"
				       : "");
			rc = store_mdb_rc(mrc);
			goto err_after_txn_begin;
		}
	}
	mrc = mdb_txn_commit(txn);
	if (mrc) {
		errmsg_set(errmsg, errcap, "%s: cannot commit: %s", dir,
			   mdb_strerror(mrc));
		return store_mdb_rc(mrc);
	}
	atomic_store(&s->applied, applied);
	return STORE_OK;

err_after_txn_begin:
	mdb_txn_abort(txn);
	return rc;
}

int store_env_load(struct store *s, char *errmsg, size_t errcap)
{
	MDB_envinfo info;
	int mrc, rc;

	mrc = mdb_env_create(&s->env);
	if (mrc) {
		errmsg_set(errmsg, errcap, "cannot create environment: %s",
			   mdb_strerror(mrc));
		s->env = NULL;
		return store_mdb_rc(mrc);
	}
	mdb_env_set_maxdbs(s->env, STORE_T__COUNT);
	mdb_env_set_mapsize(s->env, s->map_size);
	/* NOSYNC: the Raft log is the durable record; a lost tail is
	 * re-applied from it. NOTLS: read transactions belong to the
	 * store_read handle, not to the thread, so any thread may read. */
	mrc = mdb_env_open(s->env, s->dir, MDB_NOSYNC | MDB_NOTLS, 0600);
	if (mrc) {
		rc = store_mdb_rc(mrc);
		if (rc == STORE_ECORRUPT)
			errmsg_set(errmsg, errcap,
				   "%s/data.mdb is not a valid store (%s): "
				   "the data directory is damaged",
				   s->dir, mdb_strerror(mrc));
		else
			errmsg_set(errmsg, errcap, "%s: cannot open: %s",
				   s->dir, mdb_strerror(mrc));
		goto err_after_env_create;
	}
	if (mdb_env_get_maxkeysize(s->env) < STORE_KEY_MAX) {
		errmsg_set(errmsg, errcap,
			   "LMDB was built with keys shorter than %d bytes",
			   STORE_KEY_MAX);
		rc = STORE_EINVAL;
		goto err_after_env_create;
	}
	/* A data file larger than the setting keeps its size. */
	if (mdb_env_info(s->env, &info) == 0 && info.me_mapsize > s->map_size)
		s->map_size = info.me_mapsize;
	rc = store_open_tables(s, s->dir, errmsg, errcap);
	if (rc)
		goto err_after_env_create;
	return STORE_OK;

err_after_env_create:
	mdb_env_close(s->env);
	s->env = NULL;
	return rc;
}

int store_open_with(const char *dir, const struct store_options *o,
		    struct store **out, char *errmsg, size_t errcap)
{
	size_t map_size =
	    o && o->map_size ? o->map_size : STORE_MAP_SIZE_DEFAULT;
	char scratch[1];
	struct store *s;
	int rc;

	*out = NULL;
	if (!errmsg || errcap == 0) {
		errmsg = scratch;
		errcap = sizeof scratch;
	}
	errmsg[0] = '\0';
	if (map_size < STORE_MAP_SIZE_MIN || map_size > STORE_MAP_SIZE_MAX) {
		errmsg_set(errmsg, errcap,
			   "map size %zu MiB is outside %zu..%zu MiB",
			   map_size >> 20, STORE_MAP_SIZE_MIN >> 20,
			   STORE_MAP_SIZE_MAX >> 20);
		return STORE_EINVAL;
	}
	/* Before this process maps the file: damage must give a message,
	 * not a fault. */
	rc = store_verify_dir(dir, errmsg, errcap);
	if (rc)
		return rc;
	s = calloc(1, sizeof *s);
	if (!s || !(s->dir = strdup(dir))) {
		errmsg_set(errmsg, errcap, "out of memory");
		rc = STORE_ENOMEM;
		goto err_after_alloc;
	}
	s->map_size = map_size;
	if (store_gate_init(&s->gate)) {
		rc = STORE_ENOMEM;
		goto err_after_alloc;
	}
	if (pthread_mutex_init(&s->health_lock, NULL)) {
		rc = STORE_ENOMEM;
		goto err_after_gate;
	}
	rc = store_env_load(s, errmsg, errcap);
	if (rc)
		goto err_after_health;
	snprintf(s->health.dir, sizeof s->health.dir, "%s", dir);
	s->health.map_size = s->map_size;
	log_debug("store", "opened %s, applied index %llu, map %zu MiB", dir,
		  (unsigned long long)atomic_load(&s->applied),
		  s->map_size >> 20);
	*out = s;
	return STORE_OK;

err_after_health:
	pthread_mutex_destroy(&s->health_lock);
err_after_gate:
	store_gate_destroy(&s->gate);
err_after_alloc:
	if (s)
		free(s->dir);
	free(s);
	return rc;
}

int store_open(const char *dir, struct store **out, char *errmsg, size_t errcap)
{
	return store_open_with(dir, NULL, out, errmsg, errcap);
}

void store_close(struct store *s)
{
	if (!s)
		return;
	/* NOSYNC left the last commits in the page cache: flush them so a
	 * clean stop never needs the Raft log to catch up. */
	if (s->env) {
		mdb_env_sync(s->env, 1);
		mdb_env_close(s->env);
	}
	pthread_mutex_destroy(&s->health_lock);
	store_gate_destroy(&s->gate);
	free(s->fault_file);
	free(s->dir);
	free(s);
}

uint64_t store_applied_index(struct store *s)
{
	return atomic_load(&s->applied);
}
