/* cmd_param: cluster parameters. The server declares each one (bounds,
 * default, whether it changes at run time) and answers with the canonical
 * form of a value set, which is what is printed back. */
#include <stdlib.h>

#include "tools/wardctl/cmd.h"
#include "tools/wardctl/http.h"
#include "tools/wardctl/out.h"
#include "tools/wardctl/wardctl.h"

void param_list_render(FILE *f, const json_t *doc)
{
	static const struct out_column cols[] = {
	    {"NAME", "name", NULL},	  {"VALUE", "value", NULL},
	    {"DEFAULT", "default", NULL}, {"RUNTIME", "runtime", NULL},
	    {"HELP", "help", NULL},
	};

	out_table_list(f, doc, "params", cols, 5);
}

/* "param get" without a name: just names and values. */
static void param_values_render(FILE *f, const json_t *doc)
{
	char name[256], value[1024];
	const json_t *p;
	size_t i;

	json_array_foreach(json_object_get(doc, "params"), i, p)
	    fprintf(f, "%s = %s\n", out_field(p, "name", name, sizeof name),
		    out_field(p, "value", value, sizeof value));
}

/* Shows one parameter: the bare value, for $(wardctl param get X). */
static int param_show(struct wardctl *ctx, const char *method, const char *name,
		      const json_t *body, bool bare)
{
	char *path = http_path("params", name, "");
	char n[256], value[4096];
	json_t *ans = NULL;
	int rc;

	if (!path) {
		wardctl_errorf(ctx, "out of memory");
		return WARDCTL_EUSAGE;
	}
	rc = http_call(ctx, method, path, body, HTTP_AUTH_BASIC, &ans);
	if (rc != 0)
		goto cleanup;
	out_field(ans, "value", value, sizeof value);
	if (ctx->json)
		out_json(ctx->out, ans);
	else if (bare)
		fprintf(ctx->out, "%s\n", value);
	else
		fprintf(ctx->out, "%s = %s\n",
			out_field(ans, "name", n, sizeof n), value);
cleanup:
	json_decref(ans);
	free(path);
	return rc;
}

int cmd_param_get(struct wardctl *ctx, int argc, char **argv)
{
	int first, rc;

	if ((rc = wardctl_args(ctx, argc, argv, 0, 1, &first)) != 0)
		return rc;
	if (first == argc) {
		/* Options are parsed already: only the GET remains. */
		char *none[] = {argv[0], NULL};

		return cmd_get_show(ctx, 1, none, "/v1/params",
				    param_values_render);
	}
	return param_show(ctx, "GET", argv[first], NULL, true);
}

int cmd_param_set(struct wardctl *ctx, int argc, char **argv)
{
	json_t *body;
	int first, rc;

	if ((rc = wardctl_args(ctx, argc, argv, 2, 2, &first)) != 0)
		return rc;
	body = json_pack("{s:s}", "value", argv[first + 1]);
	if (!body) {
		wardctl_errorf(ctx, "VALUE must be UTF-8");
		return WARDCTL_EUSAGE;
	}
	rc = param_show(ctx, "PUT", argv[first], body, false);
	json_decref(body);
	return rc;
}

int cmd_param_list(struct wardctl *ctx, int argc, char **argv)
{
	return cmd_get_show(ctx, argc, argv, "/v1/params", param_list_render);
}
