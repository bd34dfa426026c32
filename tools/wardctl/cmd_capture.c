/* cmd_capture: authorised capture — "capture start DEVICE [--seconds N]",
 * "capture stop DEVICE", "capture list", and "capture keys [--all-nodes]
 * DEVICE": the key log of DEVICE's calls on the node --url names, or on
 * every member in turn (keys live only in the memory of the node whose
 * relay carried the call).
 * Every start, stop and fetch is audited by the cluster. The keys are
 * printed (that is what they are fetched for), never kept here. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "tools/wardctl/cmd.h"
#include "tools/wardctl/http.h"
#include "tools/wardctl/out.h"
#include "tools/wardctl/wardctl.h"

static int capture_row(struct out_table *tab, const json_t *t)
{
	char cells[5][256];
	const char *row[5];

	row[0] = out_field(t, "device", cells[0], sizeof cells[0]);
	row[1] = json_is_true(json_object_get(t, "active")) ? "open" : "ended";
	row[2] = out_field_time(t, "started_ms", cells[2], sizeof cells[2]);
	row[3] = out_field_time(t, "until_ms", cells[3], sizeof cells[3]);
	row[4] = out_field(t, "started_by", cells[4], sizeof cells[4]);
	return out_table_add(tab, row);
}

void capture_list_render(FILE *f, const json_t *doc)
{
	static const char *const head[] = {"DEVICE", "WINDOW", "STARTED",
					   "UNTIL", "BY"};
	const json_t *list = json_object_get(doc, "captures"), *t;
	struct out_table *tab = out_table_new(5, head);
	size_t i, n = 0;

	if (!tab)
		return;
	if (json_is_array(list)) {
		json_array_foreach(list, i, t)
		{
			if (capture_row(tab, t) != 0)
				break;
			n++;
		}
	} else if (json_object_get(doc, "device")) {
		if (capture_row(tab, doc) == 0)
			n++;
	}
	out_table_print(tab, f);
	out_table_free(tab);
	if (n == 0)
		fprintf(f, "(no capture windows)\n");
}

void capture_keys_render(FILE *f, const json_t *doc)
{
	static const char *const head[] = {"CALL-ID", "STREAM",	   "DIRECTION",
					   "LEG",     "SENDER",	   "SUITE",
					   "INLINE",  "WARD-PORT", "PEER"};
	static const char *const keys[] = {"call_id", "stream",	   "direction",
					   "leg",     "sender",	   "suite",
					   "inline",  "ward_port", "peer"};
	const json_t *t;
	struct out_table *tab = out_table_new(9, head);
	char cells[9][256], node[128];
	const char *row[9];
	size_t i, n = 0;

	if (!tab)
		return;
	json_array_foreach(json_object_get(doc, "entries"), i, t)
	{
		for (size_t k = 0; k < 9; k++)
			row[k] =
			    out_field(t, keys[k], cells[k], sizeof cells[k]);
		if (out_table_add(tab, row) != 0)
			break;
		n++;
	}
	out_table_print(tab, f);
	out_table_free(tab);
	OPENSSL_cleanse(cells, sizeof cells);
	if (n == 0)
		fprintf(f, "(no keys logged on node %s)\n",
			out_field(doc, "node", node, sizeof node));
	else
		fprintf(f, "%zu key(s) on node %s.\n", n,
			out_field(doc, "node", node, sizeof node));
}

int cmd_capture_start(struct wardctl *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"seconds", required_argument, NULL, 's'},
	    {0},
	};
	json_t *body = json_object(), *ans = NULL;
	char *path = NULL, *end;
	int state = 0, opt, rc = 0;
	long long v;

	if (!body) {
		wardctl_errorf(ctx, "out of memory");
		return WARDCTL_EUNAVAILABLE;
	}
	while ((opt = wardctl_getopt(ctx, argc, argv, opts, &state)) != -1) {
		if (opt != 's') {
			rc = ctx->opt_rc;
			goto cleanup;
		}
		v = strtoll(optarg, &end, 10);
		if (*optarg == '\0' || *end != '\0') {
			wardctl_errorf(ctx, "--seconds must be a number");
			rc = WARDCTL_EUSAGE;
			goto cleanup;
		}
		json_object_set_new(body, "seconds", json_integer(v));
	}
	if (state != argc - 1) {
		wardctl_errorf(ctx, "one DEVICE expected");
		rc = wardctl_usage_cmd(ctx);
		goto cleanup;
	}
	if (!(path = http_path("capture", argv[state], ""))) {
		wardctl_errorf(ctx, "out of memory");
		rc = WARDCTL_EUNAVAILABLE;
		goto cleanup;
	}
	rc = http_call(ctx, "POST", path, body, HTTP_AUTH_BASIC, &ans);
	if (rc)
		goto cleanup;
	if (ctx->json)
		out_json(ctx->out, ans);
	else
		capture_list_render(ctx->out, ans);
cleanup:
	free(path);
	json_decref(ans);
	json_decref(body);
	return rc;
}

int cmd_capture_stop(struct wardctl *ctx, int argc, char **argv)
{
	return cmd_delete_show(ctx, argc, argv, "capture", "Capture of",
			       "stopped");
}

int cmd_capture_list(struct wardctl *ctx, int argc, char **argv)
{
	return cmd_get_show(ctx, argc, argv, "/v1/capture",
			    capture_list_render);
}

/* One node's answer for PATH, rendered (or kept in ALL for --json). */
static int keys_from(struct wardctl *ctx, const char *path, json_t *all)
{
	json_t *ans = NULL;
	int rc = http_call(ctx, "GET", path, NULL, HTTP_AUTH_BASIC, &ans);

	if (rc == 0) {
		if (all)
			json_array_append(all, ans);
		else if (ctx->json)
			out_json(ctx->out, ans);
		else
			capture_keys_render(ctx->out, ans);
	}
	json_decref(ans);
	return rc;
}

/* --all-nodes: every member's log in turn, each reached at the admin
 * address the cluster lists for it (the same credentials and pins: a
 * --fingerprint pin fits one node only, --ca-fingerprint or --cacert all
 * of them). A member that does not answer is reported and skipped. */
static int keys_all(struct wardctl *ctx, const char *path)
{
	const char *url = ctx->url;
	size_t url_len = ctx->url_len;
	json_t *nodes = NULL, *n, *all = ctx->json ? json_array() : NULL;
	size_t i;
	int rc, first = 0;

	rc = http_call(ctx, "GET", "/v1/nodes", NULL, HTTP_AUTH_BASIC, &nodes);
	if (rc)
		goto cleanup;
	json_array_foreach(json_object_get(nodes, "nodes"), i, n)
	{
		const char *addr =
		    json_string_value(json_object_get(n, "admin_address"));
		char target[300];

		if (!addr || !addr[0] || strlen(addr) > 255)
			continue;
		snprintf(target, sizeof target, "https://%s", addr);
		ctx->url = target;
		ctx->url_len = strlen(target);
		rc = keys_from(ctx, path, all);
		if (rc && !first)
			first = rc;
	}
	rc = first;
	if (all) {
		json_t *doc = json_pack("{s:O}", "answers", all);

		if (doc)
			out_json(ctx->out, doc);
		json_decref(doc);
	}
cleanup:
	ctx->url = url;
	ctx->url_len = url_len;
	json_decref(all);
	json_decref(nodes);
	return rc;
}

int cmd_capture_keys(struct wardctl *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"all-nodes", no_argument, NULL, 'a'},
	    {0},
	};
	char *path;
	int state = 0, opt, every = 0, rc;

	while ((opt = wardctl_getopt(ctx, argc, argv, opts, &state)) != -1) {
		if (opt != 'a')
			return ctx->opt_rc;
		every = 1;
	}
	if (state != argc - 1) {
		wardctl_errorf(ctx, "one DEVICE expected");
		return wardctl_usage_cmd(ctx);
	}
	if (!(path = http_path("capture", argv[state], "/keys"))) {
		wardctl_errorf(ctx, "out of memory");
		return WARDCTL_EUNAVAILABLE;
	}
	rc = every ? keys_all(ctx, path) : keys_from(ctx, path, NULL);
	free(path);
	return rc;
}
