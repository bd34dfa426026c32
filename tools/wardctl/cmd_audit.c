/* cmd_audit: the audit log, newest first, as the answering node has it. */
#include <errno.h>
#include <stdlib.h>

#include "tools/wardctl/cmd.h"
#include "tools/wardctl/http.h"
#include "tools/wardctl/out.h"
#include "tools/wardctl/wardctl.h"

#define AUDIT_LIMIT_MAX 1000 /* the server's bound (docs/admin-api.md) */

/* E[KEY], the detail, may be text or structured; either way one line. */
static const char *detail_text(const json_t *e, const char *key, char *buf,
			       size_t cap)
{
	const json_t *d = json_object_get(e, key);
	char *s;

	if (!json_is_object(d) && !json_is_array(d))
		return out_field(e, key, buf, cap);
	s = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
	out_clean(buf, cap, s ? s : "-");
	free(s);
	return buf;
}

void audit_render(FILE *f, const json_t *doc)
{
	static const struct out_column cols[] = {
	    {"INDEX", "index", NULL},	{"TIME", "time_ms", out_field_time},
	    {"NODE", "node", NULL},	{"ACTOR", "actor", NULL},
	    {"ACTION", "action", NULL}, {"DETAIL", "detail", detail_text},
	};

	out_table_list(f, doc, "audit", cols, 6);
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
