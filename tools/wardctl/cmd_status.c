/* cmd_status: "status", the answering node's own view (works before the
 * cluster exists), the read-and-show step most listings share and the
 * delete-and-show step of removals. */
#include <stdlib.h>

#include "tools/wardctl/cmd.h"
#include "tools/wardctl/http.h"
#include "tools/wardctl/out.h"
#include "tools/wardctl/wardctl.h"

int cmd_get_path_show(struct wardctl *ctx, const char *path,
		      void (*render)(FILE *f, const json_t *doc))
{
	json_t *ans = NULL;
	int rc;

	rc = http_call(ctx, "GET", path, NULL, HTTP_AUTH_BASIC, &ans);
	if (rc != 0)
		goto cleanup;
	if (ctx->json)
		out_json(ctx->out, ans);
	else
		render(ctx->out, ans);
cleanup:
	json_decref(ans);
	return rc;
}

int cmd_get_show(struct wardctl *ctx, int argc, char **argv, const char *path,
		 void (*render)(FILE *f, const json_t *doc))
{
	int first, rc;

	if ((rc = wardctl_args(ctx, argc, argv, 0, 0, &first)) != 0)
		return rc;
	return cmd_get_path_show(ctx, path, render);
}

int cmd_delete_show(struct wardctl *ctx, int argc, char **argv,
		    const char *prefix, const char *what, const char *field)
{
	json_t *ans = NULL;
	char *path;
	char v[128];
	int first, rc;

	if ((rc = wardctl_args(ctx, argc, argv, 1, 1, &first)) != 0)
		return rc;
	path = http_path(prefix, argv[first], "");
	if (!path) {
		wardctl_errorf(ctx, "out of memory");
		return WARDCTL_EUSAGE;
	}
	rc = http_call(ctx, "DELETE", path, NULL, HTTP_AUTH_BASIC, &ans);
	free(path);
	if (rc == 0) {
		if (ctx->json)
			out_json(ctx->out, ans);
		else
			fprintf(ctx->out, "%s %s %s.\n", what,
				out_field(ans, field, v, sizeof v), field);
	}
	json_decref(ans);
	return rc;
}

void status_render(FILE *f, const json_t *doc)
{
	static const char *const rows[][2] = {
	    {"name", "Node"},
	    {"id", "Node id"},
	    {"state", "State"},
	    {"role", "Role"},
	    {"term", "Term"},
	    {"commit_index", "Commit index"},
	    {"last_index", "Last index"},
	    {"applied_index", "Applied index"},
	    {"snapshot_index", "Snapshot index"},
	};
	const json_t *node = json_object_get(doc, "node");
	const json_t *cluster = json_object_get(doc, "cluster");
	const json_t *leader = json_object_get(node, "leader");
	char a[256], b[256];

	const json_t *store = json_object_get(node, "store");
	const char *detail = out_str(node, "health_detail");

	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
		fprintf(f, "%-16s%s\n", rows[i][1],
			out_field(node, rows[i][0], a, sizeof a));
	if (out_str(node, "health"))
		fprintf(f, "%-16s%s%s%s\n", "Health",
			out_field(node, "health", a, sizeof a),
			detail && *detail ? ": " : "",
			detail && *detail ? out_clean(b, sizeof b, detail)
					  : "");
	if (json_is_object(store)) {
		json_int_t map =
		    json_integer_value(json_object_get(store, "map_size"));
		json_int_t data =
		    json_integer_value(json_object_get(store, "data_size"));
		json_int_t avail =
		    json_integer_value(json_object_get(store, "free_bytes"));

		fprintf(f,
			"%-16s%s: data %" JSON_INTEGER_FORMAT
			" MiB, map %" JSON_INTEGER_FORMAT
			" MiB (grown %s times), %" JSON_INTEGER_FORMAT
			" MiB free\n",
			"Store", out_field(store, "dir", a, sizeof a),
			data >> 20, map >> 20,
			out_field(store, "map_grows", b, sizeof b),
			avail >> 20);
	}
	if (out_str(leader, "name"))
		fprintf(f, "%-16s%s (id %s)\n", "Leader",
			out_field(leader, "name", a, sizeof a),
			out_field(leader, "id", b, sizeof b));
	else
		fprintf(f, "%-16s%s\n", "Leader", "none");
	if (out_str(cluster, "id"))
		fprintf(f, "%-16s%s (id %s)\n", "Cluster",
			out_field(cluster, "name", a, sizeof a),
			out_field(cluster, "id", b, sizeof b));
	else
		fprintf(f, "%-16s%s\n", "Cluster",
			"none (initialise with: wardctl cluster init)");
}

int cmd_status(struct wardctl *ctx, int argc, char **argv)
{
	return cmd_get_show(ctx, argc, argv, "/v1/status", status_render);
}
