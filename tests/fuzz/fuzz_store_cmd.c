/* fuzz_store_cmd: feeds arbitrary bytes to store_apply as one Raft entry (and
 * to store_cmd_peek). Entries come from the Raft log, which a faulty or
 * hostile peer can fill: apply must never crash, read out of bounds or
 * allocate from a length field, and every result must be a store code. */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

#define RESET_EVERY 20000 /* inputs between fresh stores: bounds the map */

static char dir_template[] = "/tmp/ward-fuzz-store.XXXXXX";
static char *dir;
static struct store *store;
static uint64_t index_next;
static unsigned runs;

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

static void store_reset(void)
{
	char err[256];

	store_close(store);
	store = NULL;
	if (dir)
		nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	strcpy(dir_template + sizeof dir_template - 7, "XXXXXX");
	dir = mkdtemp(dir_template);
	if (!dir || store_open(dir, &store, err, sizeof err)) {
		fprintf(stderr, "fuzz_store_cmd: cannot open a store: %s\n",
			dir ? err : "mkdtemp");
		abort();
	}
	index_next = 1;
	runs = 0;
}

static void cleanup(void)
{
	store_close(store);
	if (dir)
		nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	store_reset();
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int rcs[32];
	unsigned n = 0;
	size_t total = 1;
	int rc;

	rc = store_cmd_peek(data, size, &total);
	if (rc == STORE_OK || rc == STORE_EVERSION) {
		if (total > size || total % 8 != 0 || total == 0)
			abort();
	} else if (rc != STORE_ECORRUPT || total != 0) {
		abort();
	}

	rc = store_apply(store, index_next, data, size, rcs, 32, &n);
	if (rc == STORE_EIO) {
		store_reset(); /* map full: not a finding */
		return 0;
	}
	if (rc != STORE_OK || store_applied_index(store) != index_next)
		abort();
	for (unsigned i = 0; i < n && i < 32; i++) {
		if (rcs[i] < 0 || rcs[i] > STORE_ECLUSTER)
			abort();
	}
	/* The same entry again is a replay: nothing happens, all zeros. */
	rc = store_apply(store, index_next, data, size, rcs, 32, &n);
	if (rc != STORE_OK)
		abort();
	for (unsigned i = 0; i < n && i < 32; i++) {
		if (rcs[i] != 0)
			abort();
	}
	index_next++;
	if (++runs == RESET_EVERY)
		store_reset();
	return 0;
}
