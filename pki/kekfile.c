/* kekfile: the KEK in a node's data directory — 32 raw bytes, mode 0600,
 * owned by the user wardd runs as.
 *
 * It is the one secret a node keeps outside the store, so the loader
 * refuses a file anyone else could have read (the key may have leaked:
 * better to stop and say so) or written (it may not be ours).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/file.h"
#include "pki/internal.h"

int pki_kek_save(const char *path, const uint8_t kek[PKI_KEK_LEN], char *errmsg,
		 size_t errcap)
{
	if (!path || !*path)
		return pki_fail(errmsg, errcap, PKI_EINVAL, "no KEK path");
	if (file_write_atomic(path, kek, PKI_KEK_LEN, 0600, errmsg, errcap) !=
	    0)
		return PKI_EIO;
	return PKI_OK;
}

int pki_kek_load(const char *path, uint8_t kek[PKI_KEK_LEN], char *errmsg,
		 size_t errcap)
{
	struct stat st;
	uint8_t extra;
	size_t got = 0;
	int fd, rc = PKI_EIO;

	OPENSSL_cleanse(kek, PKI_KEK_LEN);
	if (!path || !*path)
		return pki_fail(errmsg, errcap, PKI_EINVAL, "no KEK path");
	/* Not through a symbolic link: the checks below must be about the
	 * file that is read. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return pki_fail(errmsg, errcap, PKI_EIO, "%s: %s", path,
				errno == ELOOP ? "is a symbolic link"
					       : strerror(errno));
	if (fstat(fd, &st) != 0) {
		pki_fail(errmsg, errcap, PKI_EIO, "%s: %s", path,
			 strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = pki_fail(errmsg, errcap, PKI_EFORMAT,
			      "%s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		rc = pki_fail(errmsg, errcap, PKI_EPERM,
			      "%s: mode %04o lets group or others at the "
			      "cluster key; it must be 0600 (and the key may "
			      "have to be considered exposed)",
			      path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_uid != geteuid()) {
		rc = pki_fail(errmsg, errcap, PKI_EPERM,
			      "%s: owned by uid %u, not by this user (uid %u)",
			      path, (unsigned)st.st_uid, (unsigned)geteuid());
		goto out;
	}
	if (st.st_size != PKI_KEK_LEN) {
		rc = pki_fail(errmsg, errcap, PKI_EFORMAT,
			      "%s: %lld bytes, a cluster key is %d", path,
			      (long long)st.st_size, PKI_KEK_LEN);
		goto out;
	}
	while (got < PKI_KEK_LEN) {
		ssize_t r = read(fd, kek + got, PKI_KEK_LEN - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	/* The size may have changed since fstat. */
	if (got != PKI_KEK_LEN || read(fd, &extra, 1) != 0) {
		rc = pki_fail(errmsg, errcap, PKI_EFORMAT,
			      "%s: changed while being read", path);
		goto out;
	}
	rc = PKI_OK;
out:
	close(fd);
	if (rc)
		OPENSSL_cleanse(kek, PKI_KEK_LEN);
	return rc;
}
