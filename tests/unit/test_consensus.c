/* Unit tests of consensus/ pieces that need no cluster: error texts,
 * address parsing, splitting an entry into commands, directory state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <ftw.h>

#include "consensus/consensus.h"
#include "consensus/fsm.h"
#include "consensus/transport.h"
#include "store/store.h"

static void test_strerror_covers_consensus_and_store_codes(void **state)
{
	(void)state;
	assert_string_equal(consensus_strerror(CONSENSUS_ENOTLEADER),
			    "not the leader");
	assert_string_equal(consensus_strerror(CONSENSUS_ERAFT), "raft error");
	assert_string_equal(consensus_strerror(STORE_EEXIST),
			    store_strerror(STORE_EEXIST));
	assert_string_equal(consensus_strerror(0), "ok");
	assert_string_equal(consensus_strerror(-5), "unknown error");
	assert_string_equal(consensus_strerror(CONSENSUS__BASE + 1000),
			    "unknown error");
	/* Codes never collide with the store's. */
	assert_true((int)CONSENSUS_ENOMEM > (int)STORE_ECLUSTER);
}

static void test_role_names_are_stable(void **state)
{
	(void)state;
	assert_string_equal(consensus_role_name(CONSENSUS_ROLE_LEADER),
			    "leader");
	assert_string_equal(consensus_role_name(CONSENSUS_ROLE_NONE), "none");
	assert_string_equal(consensus_member_role_name(CONSENSUS_MEMBER_SPARE),
			    "spare");
	assert_string_equal(consensus_member_role_name(CONSENSUS_MEMBER_VOTER),
			    "voter");
}

static void *cmd(const char *key, size_t *len)
{
	struct store_cmd *c = NULL;
	void *buf = NULL;

	assert_int_equal(store_cmd_new(&c, 1, 1, "t"), 0);
	assert_int_equal(store_cmd_op(c, STORE_OP_PUT, STORE_T_PARAMS, key,
				      strlen(key), "v", 1),
			 0);
	assert_int_equal(store_cmd_finish(c, &buf, len), 0);
	store_cmd_free(c);
	return buf;
}

static void test_fsm_counts_commands_of_a_batched_entry(void **state)
{
	size_t la, lb, lc;
	void *a = cmd("a", &la), *b = cmd("bb", &lb), *c = cmd("ccc", &lc);
	unsigned char *entry = malloc(la + lb + lc + 16);

	(void)state;
	memcpy(entry, a, la);
	memcpy(entry + la, b, lb);
	memcpy(entry + la + lb, c, lc);
	assert_int_equal(consensus_fsm_count(entry, la), 1);
	assert_int_equal(consensus_fsm_count(entry, la + lb + lc), 3);
	/* A malformed tail counts as one more command (refused alone). */
	memset(entry + la + lb, 0xff, 16);
	assert_int_equal(consensus_fsm_count(entry, la + lb + 16), 3);
	free(a);
	free(b);
	free(c);
	free(entry);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void test_has_state_only_after_bootstrap(void **state)
{
	char dir[] = "/tmp/ward-consensus-unit-XXXXXX", err[256] = "";
	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_false(consensus_has_state(dir));
	assert_false(consensus_has_state("/nonexistent/ward"));
	assert_int_equal(
	    consensus_bootstrap(dir, 1, "127.0.0.1:1", err, sizeof err), 0);
	assert_true(consensus_has_state(dir));
	assert_int_equal(
	    consensus_bootstrap(dir, 1, "127.0.0.1:1", err, sizeof err),
	    CONSENSUS_EINVAL);
	assert_non_null(strstr(err, dir));
	assert_int_equal(
	    consensus_bootstrap(dir, 0, "127.0.0.1:1", err, sizeof err),
	    CONSENSUS_EINVAL);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	assert_int_equal(access(dir, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strerror_covers_consensus_and_store_codes),
	    cmocka_unit_test(test_role_names_are_stable),
	    cmocka_unit_test(test_fsm_counts_commands_of_a_batched_entry),
	    cmocka_unit_test(test_has_state_only_after_bootstrap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
