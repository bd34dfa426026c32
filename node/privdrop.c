/* privdrop: see privdrop.h. No libcap: two capability sets are set with
 * the capset system call directly. */
#include "node/privdrop.h"

#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/errmsg.h"

/* The owner nftw compares with, and the first path found wrong. */
static uid_t check_uid;
static char bad_path[1024];
static uid_t bad_uid;

static int owner_check(const char *path, const struct stat *st, int flag,
		       struct FTW *ftw)
{
	if (st->st_uid == check_uid)
		return 0;
	snprintf(bad_path, sizeof bad_path, "%s", path);
	bad_uid = st->st_uid;
	return 1;
}

/* DATA_DIR and everything under it belong to UID (or it does not exist
 * yet: wardd creates it as that user). */
static int data_owned_by(const char *data_dir, uid_t uid, const char *user,
			 char *errmsg, size_t errcap)
{
	struct stat st;
	int rc;

	if (stat(data_dir, &st) != 0) {
		if (errno == ENOENT)
			return 0; /* created by wardd, as USER */
		errmsg_set(errmsg, errcap,
			   "%s: %s as node.user %s: the directories above it "
			   "must let %s through",
			   data_dir, strerror(errno), user, user);
		return -1;
	}
	check_uid = uid;
	bad_path[0] = '\0';
	rc = nftw(data_dir, owner_check, 16, FTW_PHYS);
	if (rc == 0)
		return 0;
	if (rc == 1) {
		struct passwd *pw = getpwuid(bad_uid);

		errmsg_set(errmsg, errcap,
			   "%s belongs to %s (uid %u), not to node.user %s "
			   "(uid %u): wardd runs as %s, so its data directory "
			   "must be its own; run chown -R %s: %s",
			   bad_path, pw ? pw->pw_name : "another user",
			   (unsigned)bad_uid, user, (unsigned)uid, user, user,
			   data_dir);
		return -1;
	}
	errmsg_set(errmsg, errcap, "%s: cannot be read as %s: %s", data_dir,
		   user, strerror(errno));
	return -1;
}

/* Keeps CAP_NET_BIND_SERVICE in the permitted and effective sets and
 * nothing else (no inheritable). */
static int caps_keep_bind(void)
{
	struct __user_cap_header_struct h = {
	    .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[2];
	unsigned bit = CAP_NET_BIND_SERVICE;

	memset(d, 0, sizeof d);
	d[bit / 32].permitted = 1u << (bit % 32);
	d[bit / 32].effective = 1u << (bit % 32);
	return (int)syscall(SYS_capset, &h, d);
}

int privdrop_to_user(const char *user, const char *data_dir, char *errmsg,
		     size_t errcap)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;

	if (!user || !user[0])
		return 0;
	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		errmsg_set(errmsg, errcap, "node.user %s: no such user%s%s",
			   user, errno ? ": " : "",
			   errno ? strerror(errno) : "");
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0) {
		errmsg_set(errmsg, errcap,
			   "node.user %s is root: name an unprivileged user",
			   user);
		return -1;
	}
	if (geteuid() != 0) {
		if (geteuid() != uid) {
			errmsg_set(errmsg, errcap,
				   "node.user is %s (uid %u) but wardd runs as "
				   "uid %u and cannot change user: start it as "
				   "root or as %s",
				   user, (unsigned)uid, (unsigned)geteuid(),
				   user);
			return -1;
		}
		return data_owned_by(data_dir, uid, user, errmsg, errcap);
	}
	/* Keep the permitted set across the change of uid, then cut it
	 * down to the one capability. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 ||
	    initgroups(user, gid) != 0 || setresgid(gid, gid, gid) != 0 ||
	    setresuid(uid, uid, uid) != 0) {
		errmsg_set(errmsg, errcap, "cannot become %s: %s", user,
			   strerror(errno));
		return -1;
	}
	if (caps_keep_bind() != 0 || prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) {
		errmsg_set(errmsg, errcap,
			   "cannot keep CAP_NET_BIND_SERVICE as %s: %s", user,
			   strerror(errno));
		return -1;
	}
	/* Nothing it could execute gains privileges back. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		errmsg_set(errmsg, errcap, "no_new_privs: %s", strerror(errno));
		return -1;
	}
	/* Fail closed: there is no way back to root. */
	if (setresuid(0, 0, 0) == 0 || geteuid() == 0) {
		errmsg_set(errmsg, errcap, "still able to become root");
		return -1;
	}
	return data_owned_by(data_dir, uid, user, errmsg, errcap);
}
