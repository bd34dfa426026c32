/* test_store_fixture: what the store table tests share — a fresh store in a
 * temporary directory per test, commands applied as consecutive entries,
 * and read transactions. Include after <cmocka.h>. */
#ifndef WARD_TEST_STORE_FIXTURE_H
#define WARD_TEST_STORE_FIXTURE_H

#include <stdint.h>

#include "store/store.h"

/* A fresh empty directory under $TMPDIR or /tmp; malloc'ed, transferred. */
char *fixture_tmpdir(void);
/* Removes DIR and everything in it, then frees DIR. NULL is fine. */
void fixture_rmdir(char *dir);
/* A store opened in DIR, or NULL. */
struct store *fixture_store_open(const char *dir);

/* One test's store: DIR and S owned; INDEX the last entry applied. */
struct fx {
	char *dir;
	struct store *s;
	uint64_t index;
};

/* cmocka set-up and tear-down: *STATE is a struct fx. */
int fx_setup(void **state);
int fx_teardown(void **state);
/* A new command by "admin" at time 1000 ms (fails the test otherwise). */
struct store_cmd *fx_cmd(void);
/* Applies C (freed) as F's next entry and returns its one result. */
int fx_apply(struct fx *f, struct store_cmd *c);
/* A read transaction on F's store; end it with store_read_end. */
struct store_read *fx_read(struct fx *f);

#endif
