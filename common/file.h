/* file: replacing a file atomically, so that a reader at any moment — a
 * service reloading its certificate, wardd starting after a crash — finds
 * the old content or the new, whole, never a mix or nothing. */
#ifndef WARD_COMMON_FILE_H
#define WARD_COMMON_FILE_H

#include <stddef.h>

/* Replaces PATH (borrowed) with the LEN bytes of BUF (borrowed), mode MODE
 * exactly (the umask does not apply): a temporary file beside PATH, created
 * 0600 so that a secret is never readable by others, written, fsynced,
 * renamed over PATH, then the directory fsynced so the rename survives a
 * crash. 0, or -1 with "PATH: reason" in ERRMSG (may be NULL): PATH is
 * then untouched and the temporary file removed, except when only the
 * directory's fsync failed ("PATH: cannot sync its directory: reason"). */
int file_write_atomic(const char *path, const void *buf, size_t len,
		      unsigned mode, char *errmsg, size_t errcap);

/* Writes all LEN bytes of BUF (borrowed) to FD, through short writes and
 * EINTR. 0, or -1 with errno. */
int file_write_all(int fd, const void *buf, size_t len);

#endif
