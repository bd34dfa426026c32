/* privdrop: wardd started as root becomes the unprivileged user named by
 * node.user, keeping only CAP_NET_BIND_SERVICE, so that it can still bind
 * port 69 (TFTP) and any other port below 1024 it is configured with, and
 * nothing else a root process could do.
 *
 * Capabilities are per thread in Linux: call it before the process
 * creates any thread, so every thread inherits the reduced set. The data
 * directory is then created and written by that user only; one that
 * exists must already belong to it (a clear error says how to fix it).
 */
#ifndef WARD_PRIVDROP_H
#define WARD_PRIVDROP_H

#include <stddef.h>

/* Becomes USER (its uid, primary gid and supplementary groups) with
 * CAP_NET_BIND_SERVICE as the only capability, and checks that DATA_DIR
 * and what it holds, if it exists, belong to USER. USER NULL or "": no
 * change. Not root: USER must be the user running wardd (which then needs
 * CAP_NET_BIND_SERVICE from its service manager for ports below 1024).
 * 0, or -1 with ERRMSG (the process may be half-changed: exit). */
int privdrop_to_user(const char *user, const char *data_dir, char *errmsg,
		     size_t errcap);

#endif
