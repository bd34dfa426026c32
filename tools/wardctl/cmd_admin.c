/* cmd_admin: admin users of the admin API. New passwords come from
 * --new-password-file, $WARD_NEW_PASSWORD or a prompt asked twice; the
 * server enforces their length and hashes them. */
#include <stdlib.h>
#include <string.h>

#include "tools/wardctl/cmd.h"
#include "tools/wardctl/creds.h"
#include "tools/wardctl/http.h"
#include "tools/wardctl/out.h"
#include "tools/wardctl/wardctl.h"

/* "admin add" and "admin passwd": the same dialogue, another request. */
static int admin_password_send(struct wardctl *ctx, int argc, char **argv,
			       bool add)
{
	static const struct option opts[] = {
	    {"new-password-file", required_argument, NULL, 'f'},
	    {0},
	};
	char prompt[160], name[128];
	struct creds_sources src = {
	    .what = "new password",
	    .file_opt = "--new-password-file",
	    .value_env = "WARD_NEW_PASSWORD",
	    .prompt = prompt,
	    .confirm = true,
	};
	char *password = NULL, *path = NULL;
	json_t *body = NULL, *ans = NULL;
	int state = 0, c, rc;

	while ((c = wardctl_getopt(ctx, argc, argv, opts, &state)) != -1) {
		if (c != 'f')
			return ctx->opt_rc;
		src.file = optarg;
	}
	if (argc - state != 1) {
		wardctl_errorf(ctx, state == argc ? "missing argument"
						  : "too many arguments");
		return wardctl_usage_cmd(ctx);
	}
	/* Our own password first, so the two prompts do not interleave. */
	if ((rc = creds_password_load(ctx)) != 0)
		return rc;
	out_clean(name, sizeof name, argv[state]);
	snprintf(prompt, sizeof prompt, "New password for admin %s: ", name);
	if ((rc = creds_get(ctx, &src, &password)) != 0)
		return rc;
	rc = WARDCTL_EUSAGE;
	if (add) {
		body = json_pack("{s:s, s:s}", "name", argv[state], "password",
				 password);
	} else {
		body = json_pack("{s:s}", "password", password);
		path = http_path("admins", argv[state], "/password");
	}
	if (!body || (!add && !path)) {
		wardctl_errorf(ctx, "NAME must be UTF-8");
		goto cleanup;
	}
	rc = http_call(ctx, add ? "POST" : "PUT", add ? "/v1/admins" : path,
		       body, HTTP_AUTH_BASIC, &ans);
	if (rc != 0)
		goto cleanup;
	if (ctx->json)
		out_json(ctx->out, ans);
	else if (add)
		fprintf(ctx->out, "Admin %s added.\n",
			out_field(ans, "name", name, sizeof name));
	else
		fprintf(ctx->out, "Password of admin %s changed.\n",
			out_field(ans, "name", name, sizeof name));
cleanup:
	json_decref(ans);
	json_decref(body);
	free(path);
	creds_free(password);
	return rc;
}

int cmd_admin_add(struct wardctl *ctx, int argc, char **argv)
{
	return admin_password_send(ctx, argc, argv, true);
}

int cmd_admin_passwd(struct wardctl *ctx, int argc, char **argv)
{
	return admin_password_send(ctx, argc, argv, false);
}

void admin_list_render(FILE *f, const json_t *doc)
{
	static const struct out_column cols[] = {
	    {"NAME", "name", NULL},
	    {"CREATED", "created_ms", out_field_time},
	    {"CHANGED", "changed_ms", out_field_time},
	};

	out_table_list(f, doc, "admins", cols, 3);
}

int cmd_admin_list(struct wardctl *ctx, int argc, char **argv)
{
	return cmd_get_show(ctx, argc, argv, "/v1/admins", admin_list_render);
}

int cmd_admin_remove(struct wardctl *ctx, int argc, char **argv)
{
	return cmd_delete_show(ctx, argc, argv, "admins", "Admin", "removed");
}
