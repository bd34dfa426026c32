/* identity: which cluster and which node a data directory belongs to
 * (DATA/identity), written once when the node is created or joins. */
#ifndef WARD_NODE_IDENTITY_H
#define WARD_NODE_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

struct identity {
	char cluster_id[37];
	uint64_t node_id;
	char name[64];
};

/* 0 loaded; 1 no identity file; -1 unreadable or malformed (errmsg says
 * why). */
int identity_load(const char *data_dir, struct identity *out, char *errmsg,
		  size_t errcap);
/* Writes DATA/identity atomically (file_write_atomic, common/file.h). */
int identity_save(const char *data_dir, const struct identity *id, char *errmsg,
		  size_t errcap);

#endif
