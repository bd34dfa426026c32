/* cmd_call: the calls a node carries (GET /v1/calls on the node --url
 * names), with each call's security level. */
#include "tools/wardctl/cmd.h"
#include "tools/wardctl/out.h"

void call_list_render(FILE *f, const json_t *doc)
{
	static const char *const head[] = {"CALLER", "CALLEE", "NUMBER",
					   "STATE",  "LEVEL",  "STARTED"};
	char cells[6][256];
	const char *row[6];
	const json_t *c;
	struct out_table *tab = out_table_new(6, head);
	size_t i, n = 0;

	if (!tab)
		return;
	json_array_foreach(json_object_get(doc, "calls"), i, c)
	{
		row[0] = out_field(c, "caller", cells[0], sizeof cells[0]);
		row[1] = out_field(c, "callee", cells[1], sizeof cells[1]);
		row[2] = out_field(c, "number", cells[2], sizeof cells[2]);
		row[3] = out_field(c, "state", cells[3], sizeof cells[3]);
		row[4] =
		    out_field(c, "security_level", cells[4], sizeof cells[4]);
		row[5] =
		    out_field_time(c, "started_ms", cells[5], sizeof cells[5]);
		if (out_table_add(tab, row) != 0)
			break;
		n++;
	}
	out_table_print(tab, f);
	out_table_free(tab);
	if (n == 0)
		fprintf(f, "(no calls)\n");
}

int cmd_call_list(struct wardctl *ctx, int argc, char **argv)
{
	return cmd_get_show(ctx, argc, argv, "/v1/calls", call_list_render);
}
