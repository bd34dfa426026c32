/* cmd_call: the calls a node carries (GET /v1/calls on the node --url
 * names), with each call's security level. */
#include "tools/wardctl/cmd.h"
#include "tools/wardctl/out.h"

void call_list_render(FILE *f, const json_t *doc)
{
	static const struct out_column cols[] = {
	    {"CALLER", "caller", NULL},
	    {"CALLEE", "callee", NULL},
	    {"NUMBER", "number", NULL},
	    {"STATE", "state", NULL},
	    {"LEVEL", "security_level", NULL},
	    {"STARTED", "started_ms", out_field_time},
	};

	if (out_table_list(f, doc, "calls", cols, 6) == 0)
		fprintf(f, "(no calls)\n");
}

int cmd_call_list(struct wardctl *ctx, int argc, char **argv)
{
	return cmd_get_show(ctx, argc, argv, "/v1/calls", call_list_render);
}
