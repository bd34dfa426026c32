/* identity: a three-line text file, so an operator can read it. */
#include "node/identity.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"

int identity_load(const char *data_dir, struct identity *out, char *errmsg,
		  size_t errcap)
{
	char path[600], line[256];
	int have = 0;
	FILE *f;

	memset(out, 0, sizeof *out);
	snprintf(path, sizeof path, "%s/identity", data_dir);
	f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return 1;
		snprintf(errmsg, errcap, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		char *eq = strchr(line, '='), *v, *end;
		size_t n;

		if (!eq)
			goto malformed;
		*eq = '\0';
		v = eq + 1;
		n = strcspn(v, "\r\n");
		v[n] = '\0';
		if (strcmp(line, "cluster_id") == 0 && n == 36) {
			memcpy(out->cluster_id, v, 37);
			have |= 1;
		} else if (strcmp(line, "node_id") == 0) {
			errno = 0;
			out->node_id = strtoull(v, &end, 10);
			if (errno || *end || out->node_id == 0)
				goto malformed;
			have |= 2;
		} else if (strcmp(line, "name") == 0 && n > 0 &&
			   n < sizeof out->name) {
			memcpy(out->name, v, n + 1);
			have |= 4;
		} else {
			goto malformed;
		}
	}
	fclose(f);
	if (have != 7) {
		snprintf(errmsg, errcap, "%s: incomplete", path);
		return -1;
	}
	return 0;
malformed:
	fclose(f);
	snprintf(errmsg, errcap, "%s: malformed", path);
	return -1;
}

int identity_save(const char *data_dir, const struct identity *id, char *errmsg,
		  size_t errcap)
{
	char path[600], text[256];
	int n;

	snprintf(path, sizeof path, "%s/identity", data_dir);
	n = snprintf(text, sizeof text,
		     "cluster_id=%s\nnode_id=%" PRIu64 "\nname=%s\n",
		     id->cluster_id, id->node_id, id->name);
	return file_write_atomic(path, text, (size_t)n, 0600, errmsg, errcap);
}
