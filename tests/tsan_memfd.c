/* tsan_memfd: linked into the test programs of a ThreadSanitizer build
 * (WARD_TSAN) only.
 *
 * gcc 12's ThreadSanitizer does not intercept memfd_create(2), so it never
 * learns that the descriptor is new: the number keeps the history of its
 * last holder (often a socket of another server's libuv loop in the same
 * test process), and the snapshot's close() of its memfd is reported as a
 * race with that socket's last epoll_ctl(). The kernel orders the two; TSan
 * cannot know. Rather than suppress reports in store_snapshot, where real
 * races could hide, the store's memfd becomes an unnamed file on /dev/shm
 * (the same tmpfs memory) made by open(2), which TSan does see. */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int memfd_create(const char *name, unsigned int flags)
{
	int fd = open(
	    "/dev/shm",
	    O_TMPFILE | O_RDWR | ((flags & MFD_CLOEXEC) ? O_CLOEXEC : 0), 0600);

	/* Sealing and huge pages need the real call. */
	if (fd >= 0 && (flags & ~MFD_CLOEXEC) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return (int)syscall(SYS_memfd_create, name, flags);
}
