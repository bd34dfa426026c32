/* consensus/aio_reaper: io_destroy(2) off the Raft thread.
 *
 * C-raft 0.15 writes its log through a kernel AIO context per open segment
 * and destroys that context, on the loop thread, whenever it closes the
 * segment: at every snapshot and every segment roll-over. io_destroy waits
 * for two RCU grace periods; on the 2-core VM this was measured at 28-36 ms
 * per call, every call (bench/raft_commits.c, docs/consensus.md) — a stall
 * of every Raft thread of the cluster at once, since they all snapshot at
 * the same index. C-raft calls it only after every write of the context
 * completed, so nothing waits on it: we hand the call to a reaper thread.
 *
 * C-raft reaches the kernel through libc's syscall(); this file defines
 * syscall() in the program, which the dynamic linker prefers for every
 * library. It forwards everything unchanged to libc's, except io_destroy
 * made on a thread that called consensus_aio_reaper_adopt() (the Raft
 * threads), which is queued and answered 0. If the reaper cannot be started,
 * or CONSENSUS_REAPER_QUEUE_MAX calls already wait for it, the call is made
 * in place, as before: the queue is a fixed ring, so a reaper that falls
 * behind costs stalls, never memory.
 *
 * All of this holds for C-raft 0.15 (raft_version.c): a thread is adopted
 * only when the running C-raft is that release.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "consensus/internal.h"

typedef long (*syscall_fn)(long, ...);

#if defined(__SANITIZE_THREAD__)
#define REAPER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define REAPER_TSAN 1
#endif
#endif
#ifdef REAPER_TSAN
/* ThreadSanitizer's hooks (sanitizer/linux_syscall_hooks.h, which gcc does
 * not ship). */
void __sanitizer_syscall_pre_impl_close(long fd);
void __sanitizer_syscall_post_impl_close(long res, long fd);
#endif

static pthread_once_t libc_once = PTHREAD_ONCE_INIT;
static syscall_fn libc_syscall;
static pthread_mutex_t reaper_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reaper_cv = PTHREAD_COND_INITIALIZER;
/* Contexts to destroy, oldest at reaper_head; under reaper_lock. */
static long reaper_ring[CONSENSUS_REAPER_QUEUE_MAX];
static unsigned reaper_head, reaper_len, reaper_peak;
static pid_t reaper_pid; /* process whose reaper runs: a fork has none */
static __thread int reaper_adopted;

static void libc_resolve(void)
{
	libc_syscall = (syscall_fn)dlsym(RTLD_NEXT, "syscall");
	if (libc_syscall == NULL)
		abort(); /* no libc syscall(): nothing could work */
}

static void *reaper_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&reaper_lock);
	for (;;) {
		long ctx;

		while (reaper_len == 0)
			pthread_cond_wait(&reaper_cv, &reaper_lock);
		ctx = reaper_ring[reaper_head];
		reaper_head = (reaper_head + 1) % CONSENSUS_REAPER_QUEUE_MAX;
		reaper_len--;
		pthread_mutex_unlock(&reaper_lock);
		libc_syscall(SYS_io_destroy, ctx);
		pthread_mutex_lock(&reaper_lock);
	}
	return NULL;
}

void consensus_aio_reaper_adopt(void)
{
	pthread_attr_t attr;
	pthread_t t;
	pid_t pid = getpid();
	char why[256];

	/* consensus_start() refused already; this keeps the interposition
	 * inert for any other caller. */
	if (consensus_raft_version_check(why, sizeof why) != 0)
		return;
	pthread_once(&libc_once, libc_resolve);
	pthread_mutex_lock(&reaper_lock);
	if (reaper_pid != pid && pthread_attr_init(&attr) == 0) {
		/* A forked child inherits the queue but not the thread. */
		reaper_head = reaper_len = 0;
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, reaper_main, NULL) == 0)
			reaper_pid = pid;
		pthread_attr_destroy(&attr);
	}
	reaper_adopted = reaper_pid == pid;
	pthread_mutex_unlock(&reaper_lock);
}

static int reaper_push(long ctx)
{
	pthread_mutex_lock(&reaper_lock);
	if (reaper_pid != getpid() ||
	    reaper_len == CONSENSUS_REAPER_QUEUE_MAX) {
		pthread_mutex_unlock(&reaper_lock);
		return -1;
	}
	reaper_ring[(reaper_head + reaper_len) % CONSENSUS_REAPER_QUEUE_MAX] =
	    ctx;
	reaper_len++;
	if (reaper_len > reaper_peak)
		reaper_peak = reaper_len;
	pthread_cond_signal(&reaper_cv);
	pthread_mutex_unlock(&reaper_lock);
	return 0;
}

unsigned consensus_aio_reaper_queued(unsigned *peak)
{
	unsigned len;

	pthread_mutex_lock(&reaper_lock);
	len = reaper_len;
	*peak = reaper_peak;
	pthread_mutex_unlock(&reaper_lock);
	return len;
}

long syscall(long nr, ...)
{
	long a[6];
	va_list ap;

	/* Every Linux syscall takes at most six register arguments; reading
	 * six is what libc's own syscall() does. */
	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	pthread_once(&libc_once, libc_resolve);
	if (nr == SYS_io_destroy && reaper_adopted && reaper_push(a[0]) == 0)
		return 0;
#ifdef REAPER_TSAN
	if (nr == SYS_close) {
		long rc;

		/* libuv closes its descriptors with syscall(SYS_close), which
		 * ThreadSanitizer does not see: it then takes the next user of
		 * the number (an LMDB copy, a snapshot file on another thread)
		 * for a race with libuv's last use. libuv built with TSan tells
		 * it with these hooks; ours is not, so this does. */
		__sanitizer_syscall_pre_impl_close(a[0]);
		rc = libc_syscall(nr, a[0]);
		__sanitizer_syscall_post_impl_close(rc, a[0]);
		return rc;
	}
#endif
	return libc_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
