/* fault: for tests only — makes the store's next applies fail as LMDB
 * would, to drive the paths a real disk reaches rarely (a full disk, a
 * failing one) through the real code above them. */
#ifndef WARD_STORE_FAULT_H
#define WARD_STORE_FAULT_H

struct store;

/* The next N applies of S fail at their commit with MDB_RC (an errno such
 * as ENOSPC or EIO, or an MDB_* code such as MDB_MAP_FULL), writing
 * nothing, as if LMDB had returned it. N 0 turns it off. Any thread. */
void store_fault_inject(struct store *s, int mdb_rc, unsigned n);

/* Makes the applies of S watch PATH (copied): when the file appears, holding
 * "ERRNO-NAME N" (EIO, ENOSPC or MAP_FULL), the next N applies fail with
 * it, and the file is removed. How a system test makes a running wardd's
 * store fail (WARD_TEST_STORE_FAULT); logged as a warning, since it is
 * never for production. Returns 0 or STORE_ENOMEM. */
int store_fault_watch(struct store *s, const char *path);

#endif
