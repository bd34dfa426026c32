/* file: see file.h. */
#include "common/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/errmsg.h"

int file_write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* fsync of the directory holding PATH, so that a rename into it survives a
 * crash. */
static int sync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else
		snprintf(dir, sizeof dir, "%.*s",
			 (int)(slash == path ? 1 : slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int file_write_atomic(const char *path, const void *buf, size_t len,
		      unsigned mode, char *errmsg, size_t errcap)
{
	char tmp[PATH_MAX];
	int fd, err;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >=
	    sizeof tmp) {
		err = ENAMETOOLONG;
		goto err;
	}
	/* mkostemp creates the file 0600 whatever the umask; fchmod then
	 * sets MODE exactly. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		goto err;
	}
	if (fchmod(fd, (mode_t)mode) != 0 ||
	    file_write_all(fd, buf, len) != 0 || fsync(fd) != 0) {
		err = errno;
		close(fd);
		goto err_after_open;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		err = errno;
		goto err_after_open;
	}
	if (sync_dir_of(path) != 0) {
		errmsg_set(errmsg, errcap, "%s: cannot sync its directory: %s",
			   path, strerror(errno));
		return -1;
	}
	return 0;
err_after_open:
	unlink(tmp);
err:
	errmsg_set(errmsg, errcap, "%s: %s", path, strerror(err));
	return -1;
}
