/* cmd_audit: the audit log, newest first, as the answering node has it. */
#include <errno.h>
#include <stdlib.h>

#include "tools/wardctl/cmd.h"
#include "tools/wardctl/http.h"
#include "tools/wardctl/out.h"
#include "tools/wardctl/wardctl.h"

#define AUDIT_LIMIT_MAX 1000 /* the server's bound (docs/admin-api.md) */

/* DETAIL may be text or structured; either way one line. */
static const char *detail_text(const json_t *e, char *buf, size_t cap)
{
	const json_t *d = json_object_get(e, "detail");
	char *s;

	if (!json_is_object(d) && !json_is_array(d))
		return out_field(e, "detail", buf, cap);
	s = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
	out_clean(buf, cap, s ? s : "-");
	free(s);
	return buf;
}

void audit_render(FILE *f, const json_t *doc)
{
	static const char *const head[] = {"INDEX", "TIME",   "NODE",
					   "ACTOR", "ACTION", "DETAIL"};
	char cells[6][512];
	const char *row[6];
	const json_t *e;
	struct out_table *t = out_table_new(6, head);
	size_t i;

	if (!t)
		return;
	json_array_foreach(json_object_get(doc, "audit"), i, e)
	{
		row[0] = out_field(e, "index", cells[0], sizeof cells[0]);
		row[1] =
		    out_field_time(e, "time_ms", cells[1], sizeof cells[1]);
		row[2] = out_field(e, "node", cells[2], sizeof cells[2]);
		row[3] = out_field(e, "actor", cells[3], sizeof cells[3]);
		row[4] = out_field(e, "action", cells[4], sizeof cells[4]);
		row[5] = detail_text(e, cells[5], sizeof cells[5]);
		if (out_table_add(t, row) != 0)
			break;
	}
	out_table_print(t, f);
	out_table_free(t);
}

int cmd_audit(struct wardctl *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"limit", required_argument, NULL, 'n'},
	    {0},
	};
	char path[64] = "/v1/audit";
	char *none[] = {argv[0], NULL};
	int state = 0, c;
	long limit = 0;
	char *end;

	while ((c = wardctl_getopt(ctx, argc, argv, opts, &state)) != -1) {
		if (c != 'n')
			return ctx->opt_rc;
		errno = 0;
		limit = strtol(optarg, &end, 10);
		if (errno || end == optarg || *end || limit < 1 ||
		    limit > AUDIT_LIMIT_MAX) {
			wardctl_errorf(ctx, "--limit wants 1 to %d: %s",
				       AUDIT_LIMIT_MAX, optarg);
			return WARDCTL_EUSAGE;
		}
	}
	if (state != argc) {
		wardctl_errorf(ctx, "too many arguments");
		return wardctl_usage_cmd(ctx);
	}
	if (limit)
		snprintf(path, sizeof path, "/v1/audit?limit=%ld", limit);
	return cmd_get_show(ctx, 1, none, path, audit_render);
}
