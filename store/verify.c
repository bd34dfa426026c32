/* verify: reads every page of an environment in a child process before the
 * store opens it.
 *
 * LMDB keeps no checksums and trusts the pages it maps: a damaged data file
 * can make it fault (SIGSEGV, or SIGBUS past the end of a truncated file)
 * instead of returning MDB_CORRUPTED. A node must refuse damaged data with
 * a clear message, not die, so the first look at the file happens in a
 * forked child that walks every table — the free list and the table of
 * tables included — touching every key and value. If the child dies or
 * LMDB reports damage, the file is corrupt; only then does the parent map
 * it. This is a best effort: damage inside a value is left to the record
 * decoders.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "store/internal.h"

enum {
	VERIFY_OK = 0,
	VERIFY_CORRUPT = 1, /* LMDB found damaged pages */
	VERIFY_ERROR = 2,   /* could not look: not a verdict on the data */
	VERIFY_INVALID = 3, /* not an LMDB environment at all */
};

/* LMDB's own databases: the free list and the table of named tables. */
#define VERIFY_FREE_DBI 0
#define VERIFY_MAIN_DBI 1

static int verify_walk(MDB_txn *txn, MDB_dbi dbi)
{
	volatile uint8_t sink = 0;
	MDB_cursor *cur;
	MDB_val k, v;
	int mrc;

	if ((mrc = mdb_cursor_open(txn, dbi, &cur)))
		return mrc;
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *kp = k.mv_data, *vp = v.mv_data;

		/* Touch every byte: overflow pages are only mapped, not
		 * read, until someone looks at the value. */
		for (size_t i = 0; i < k.mv_size; i++)
			sink ^= kp[i];
		for (size_t i = 0; i < v.mv_size; i++)
			sink ^= vp[i];
	}
	mdb_cursor_close(cur);
	(void)sink;
	return mrc == MDB_NOTFOUND ? 0 : mrc;
}

/* The child: returns its exit status. */
static int verify_child(const char *dir)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	int mrc;

	if (mdb_env_create(&env))
		return VERIFY_ERROR;
	mdb_env_set_maxdbs(env, STORE_T__COUNT);
	/* NOLOCK: read alone, leave the lock file to the real open. */
	mrc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOLOCK, 0600);
	if (mrc)
		return store_mdb_rc(mrc) == STORE_ECORRUPT ? VERIFY_INVALID
							   : VERIFY_ERROR;
	mrc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
	if (mrc)
		return store_mdb_rc(mrc) == STORE_ECORRUPT ? VERIFY_CORRUPT
							   : VERIFY_ERROR;
	mrc = verify_walk(txn, VERIFY_FREE_DBI);
	if (mrc == 0)
		mrc = verify_walk(txn, VERIFY_MAIN_DBI);
	for (int t = 0; t < STORE_T__COUNT && mrc == 0; t++) {
		mrc = mdb_dbi_open(txn, store_table_name(t), 0, &dbi);
		if (mrc == MDB_NOTFOUND) {
			mrc = 0; /* created at the real open */
			continue;
		}
		if (mrc == 0)
			mrc = verify_walk(txn, dbi);
	}
	if (mrc)
		return store_mdb_rc(mrc) == STORE_ECORRUPT ? VERIFY_CORRUPT
							   : VERIFY_ERROR;
	return VERIFY_OK;
}

int store_verify_dir(const char *dir, char *errmsg, size_t errcap)
{
	char path[4096];
	struct stat st;
	int status;
	pid_t pid;

	snprintf(path, sizeof path, "%s/data.mdb", dir);
	if (stat(path, &st) < 0 || st.st_size == 0)
		return STORE_OK; /* a new store: nothing to check */
	pid = fork();
	if (pid < 0) {
		snprintf(errmsg, errcap, "%s: cannot check: fork: %s", dir,
			 strerror(errno));
		return STORE_EIO;
	}
	if (pid == 0) {
		/* A fault must kill the child, whatever handler the parent
		 * installed (a test framework's, a sanitizer's): the parent
		 * reads the verdict from the signal. */
		static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE,
					    SIGABRT};

		for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++)
			signal(fatal[i], SIG_DFL);
		_exit(verify_child(dir));
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno == EINTR)
			continue;
		/* ECHILD: SIGCHLD is ignored and the child was reaped for
		 * us. No verdict; the open goes on unchecked. */
		log_warn("store", "%s: cannot check the data file: %s", dir,
			 strerror(errno));
		return STORE_OK;
	}
	if (WIFSIGNALED(status)) {
		snprintf(errmsg, errcap,
			 "%s is damaged: reading it crashed the check (%s)",
			 path, strsignal(WTERMSIG(status)));
		return STORE_ECORRUPT;
	}
	switch (WEXITSTATUS(status)) {
	case VERIFY_OK:
		return STORE_OK;
	case VERIFY_CORRUPT:
		snprintf(errmsg, errcap,
			 "%s is damaged: LMDB reports corrupt pages", path);
		return STORE_ECORRUPT;
	case VERIFY_INVALID:
		snprintf(errmsg, errcap,
			 "%s is not a valid store (not an LMDB environment): "
			 "the data directory is damaged",
			 path);
		return STORE_ECORRUPT;
	default:
		/* Not a verdict (e.g. the file is not readable): let the
		 * real open report what is wrong. */
		return STORE_OK;
	}
}
