/* consensus/raft_version: the C-raft release ward's work-arounds were
 * written for, and the check that refuses to run on another.
 *
 * Two work-arounds depend on C-raft's internals, not on its API: the
 * syscall() interposition of aio_reaper.c (C-raft 0.15 destroys a kernel AIO
 * context on the loop thread, through libc's syscall()) and the I/O version
 * patch of server.c (C-raft 0.15's uv I/O implements async_work but says
 * version 1). A later C-raft may do either differently, and the work-around
 * would then be wrong in ways no test of ours sees: someone must read them
 * against the new release first, and change CONSENSUS_RAFT_WRITTEN_FOR.
 *
 * Two versions are checked: the one ward was built against (pkg-config's,
 * passed in by CMake) and the one the program runs with. C-raft exports
 * raft_version_number() only from releases after 0.15: a library without
 * it is taken to be the one the build found.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "consensus/internal.h"

#ifndef WARD_RAFT_BUILT_VERSION
#error "CMake passes the C-raft version ward is built against"
#endif

static pthread_once_t check_once = PTHREAD_ONCE_INIT;
static int check_rc;
static char check_msg[256];

int consensus_raft_version_check_of(const char *built, int running,
				    char *errmsg, size_t errcap)
{
	unsigned major, minor, release;
	int n;

	if (built == NULL ||
	    sscanf(built, "%u.%u.%u", &major, &minor, &release) != 3 ||
	    major > 99 || minor > 99 || release > 99) {
		consensus_errf(errmsg, errcap,
			       "C-raft: cannot read the version ward was built "
			       "against (\"%s\")",
			       built ? built : "");
		return CONSENSUS_EVERSION;
	}
	n = (int)(major * 10000 + minor * 100 + release);
	if (n / 100 != CONSENSUS_RAFT_WRITTEN_FOR / 100) {
		consensus_errf(errmsg, errcap,
			       "C-raft %s: ward was built against a C-raft it "
			       "was not written for; its work-arounds "
			       "(consensus/aio_reaper.c, the I/O version patch "
			       "in consensus/server.c) hold for C-raft %d.%d "
			       "only",
			       built, CONSENSUS_RAFT_WRITTEN_FOR / 10000,
			       CONSENSUS_RAFT_WRITTEN_FOR / 100 % 100);
		return CONSENSUS_EVERSION;
	}
	if (running >= 0 && running / 100 != CONSENSUS_RAFT_WRITTEN_FOR / 100) {
		consensus_errf(errmsg, errcap,
			       "C-raft %d.%d.%d is loaded, but ward was built "
			       "against %s and its work-arounds "
			       "(consensus/aio_reaper.c, the I/O version patch "
			       "in consensus/server.c) hold for C-raft %d.%d "
			       "only: install that release or rebuild ward",
			       running / 10000, running / 100 % 100,
			       running % 100, built,
			       CONSENSUS_RAFT_WRITTEN_FOR / 10000,
			       CONSENSUS_RAFT_WRITTEN_FOR / 100 % 100);
		return CONSENSUS_EVERSION;
	}
	return 0;
}

static void check_run(void)
{
	int (*version_number)(void);
	int running = -1;

	*(void **)&version_number = dlsym(RTLD_DEFAULT, "raft_version_number");
	if (version_number != NULL)
		running = version_number();
	check_rc = consensus_raft_version_check_of(
	    WARD_RAFT_BUILT_VERSION, running, check_msg, sizeof check_msg);
}

int consensus_raft_version_check(char *errmsg, size_t errcap)
{
	pthread_once(&check_once, check_run);
	if (check_rc != 0)
		consensus_errf(errmsg, errcap, "%s", check_msg);
	return check_rc;
}
