/* Unit tests of consensus/ pieces that need no cluster: error texts,
 * splitting an entry into commands, directory state (addresses: test_addr). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>
#include <ftw.h>

#include "consensus/consensus.h"
#include "consensus/fsm.h"
#include "consensus/internal.h"
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

static void test_raft_version_check_refuses_other_releases(void **state)
{
	char why[256];

	(void)state;
	/* This build: the release the work-arounds were written for. */
	assert_int_equal(consensus_raft_version_check(why, sizeof why), 0);
	assert_int_equal(
	    consensus_raft_version_check_of("0.15.0", -1, why, sizeof why), 0);
	assert_int_equal(
	    consensus_raft_version_check_of("0.15.2", 1501, why, sizeof why),
	    0);
	/* A later library under a 0.15 build: said plainly. */
	assert_int_equal(
	    consensus_raft_version_check_of("0.15.0", 1701, why, sizeof why),
	    CONSENSUS_EVERSION);
	assert_non_null(strstr(why, "C-raft 0.17.1 is loaded"));
	assert_non_null(strstr(why, "hold for C-raft 0.15 only"));
	assert_int_equal(
	    consensus_raft_version_check_of("0.18.0", -1, why, sizeof why),
	    CONSENSUS_EVERSION);
	assert_non_null(strstr(why, "C-raft 0.18.0"));
	assert_non_null(strstr(why, "consensus/aio_reaper.c"));
	assert_int_equal(
	    consensus_raft_version_check_of("0.14.2", -1, why, sizeof why),
	    CONSENSUS_EVERSION);
	assert_int_equal(
	    consensus_raft_version_check_of("", -1, why, sizeof why),
	    CONSENSUS_EVERSION);
	assert_int_equal(consensus_raft_version_check_of("0.15.0.x.", 100000,
							 why, sizeof why),
			 CONSENSUS_EVERSION);
}

#define REAPED (CONSENSUS_REAPER_QUEUE_MAX + 16)

static void *destroy_on_a_raft_thread(void *arg)
{
	unsigned long *ctx = arg;

	consensus_aio_reaper_adopt();
	for (int i = 0; i < REAPED; i++)
		if (syscall(SYS_io_destroy, ctx[i]) != 0)
			return "io_destroy failed";
	return NULL;
}

static void test_aio_reaper_queue_is_bounded_and_loses_nothing(void **state)
{
	static unsigned long ctx[REAPED];
	unsigned peak, waited;
	pthread_t t;
	void *res;

	(void)state;
	for (int i = 0; i < REAPED; i++) {
		ctx[i] = 0;
		assert_int_equal(syscall(SYS_io_setup, 1, &ctx[i]), 0);
	}
	/* Each io_destroy takes tens of milliseconds on the reaper: a burst
	 * fills the queue and the rest are made in place. */
	assert_int_equal(
	    pthread_create(&t, NULL, destroy_on_a_raft_thread, ctx), 0);
	assert_int_equal(pthread_join(t, &res), 0);
	assert_null(res);
	for (waited = 0; consensus_aio_reaper_queued(&peak) > 0; waited++) {
		assert_true(waited < 30000);
		usleep(1000);
	}
	assert_int_equal(peak, CONSENSUS_REAPER_QUEUE_MAX);
	/* Every context is gone: destroying it again is refused. */
	for (int i = 0; i < REAPED; i++)
		assert_int_not_equal(syscall(SYS_io_destroy, ctx[i]), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strerror_covers_consensus_and_store_codes),
	    cmocka_unit_test(test_role_names_are_stable),
	    cmocka_unit_test(test_has_state_only_after_bootstrap),
	    cmocka_unit_test(test_raft_version_check_refuses_other_releases),
	    cmocka_unit_test(
		test_aio_reaper_queue_is_bounded_and_loses_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
