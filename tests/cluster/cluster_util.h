/* cluster_util: helpers shared by the cluster tests — temporary stores,
 * commands, and a digest of a store's replicated content. */
#ifndef WARD_TESTS_CLUSTER_UTIL_H
#define WARD_TESTS_CLUSTER_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Creates a fresh directory under $TMPDIR (or /tmp) named after TAG into
 * out (cap bytes). Aborts the test on failure. */
void cu_tmpdir(const char *tag, char *out, size_t cap);
/* Removes DIR and everything below it. */
void cu_rmtree(const char *dir);

/* Opens a store in a new directory DIR/store (created). */
struct store *cu_store_open(const char *dir);

/* An encoded command with one op on STORE_T_PARAMS: key KEY, value VAL.
 * *len receives the length; free() the buffer. */
void *cu_cmd(enum store_op op, const char *key, const char *val, size_t *len);

/* Digest of every replicated table (all but STORE_T_META) and the number of
 * records in them. Two stores holding the same data give the same digest. */
uint64_t cu_store_digest(struct store *s, size_t *n_records);

/* Value of KEY in STORE_T_PARAMS into out; 0 or a store code. */
int cu_store_get(struct store *s, const char *key, char *out, size_t cap);

/* A TCP port on 127.0.0.1 that the kernel just handed out and nothing
 * holds now. Aborts the test on failure. */
unsigned cu_free_port(void);

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t cu_now_ms(void);

#endif
