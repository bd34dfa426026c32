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

#endif
