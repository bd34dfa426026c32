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
 * threads), which is queued and answered 0. If the reaper cannot be started
 * the call is made in place, as before.
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

struct reaped {
	struct reaped *next;
	long ctx;
};

static pthread_once_t libc_once = PTHREAD_ONCE_INIT;
static syscall_fn libc_syscall;
static pthread_mutex_t reaper_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reaper_cv = PTHREAD_COND_INITIALIZER;
static struct reaped *reaper_queue;
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
		struct reaped *r;

		while (reaper_queue == NULL)
			pthread_cond_wait(&reaper_cv, &reaper_lock);
		r = reaper_queue;
		reaper_queue = r->next;
		pthread_mutex_unlock(&reaper_lock);
		libc_syscall(SYS_io_destroy, r->ctx);
		free(r);
		pthread_mutex_lock(&reaper_lock);
	}
	return NULL;
}

void consensus_aio_reaper_adopt(void)
{
	pthread_attr_t attr;
	pthread_t t;
	pid_t pid = getpid();

	pthread_once(&libc_once, libc_resolve);
	pthread_mutex_lock(&reaper_lock);
	if (reaper_pid != pid && pthread_attr_init(&attr) == 0) {
		/* A forked child inherits the queue but not the thread. */
		reaper_queue = NULL;
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
	struct reaped *r = malloc(sizeof *r);

	if (r == NULL)
		return -1;
	r->ctx = ctx;
	pthread_mutex_lock(&reaper_lock);
	if (reaper_pid != getpid()) {
		pthread_mutex_unlock(&reaper_lock);
		free(r);
		return -1;
	}
	r->next = reaper_queue;
	reaper_queue = r;
	pthread_cond_signal(&reaper_cv);
	pthread_mutex_unlock(&reaper_lock);
	return 0;
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
	return libc_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
