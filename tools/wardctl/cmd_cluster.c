/* cmd_cluster: "cluster init" bootstraps a new node into a one-node cluster;
 * "cluster status" shows every member as the answering node sees it. */
#include <stdlib.h>
#include <string.h>

#include "tools/wardctl/cmd.h"
#include "tools/wardctl/creds.h"
#include "tools/wardctl/http.h"
#include "tools/wardctl/out.h"
#include "tools/wardctl/pin.h"
#include "tools/wardctl/wardctl.h"

/* "wardctl [--url URL] [--cacert DATA/pki/ca.pem] ", as the operator
 * should type it from now on. */
static void init_wardctl(FILE *f, const char *url, bool default_url, bool ca)
{
	fputs("wardctl ", f);
	if (!default_url) {
		fputs("--url ", f);
		out_shell_word(f, url);
		fputc(' ', f);
	}
	if (ca)
		fputs("--cacert DATA/pki/ca.pem ", f);
}

/* The answer names the cluster "cluster_name" (and "name"), the node
 * "node_name"; older forms of the answer may lack either, and the CA's
 * fingerprint (ca_fingerprint) too. */
static void init_render(struct wardctl *ctx, const json_t *ans,
			const char *cluster_name)
{
	FILE *f = ctx->out;
	const char *cname = out_str(ans, "cluster_name");
	const char *ca_text = out_str(ans, "ca_fingerprint");
	char id[128], cl[128], node[128], node_id[64], user[128], url[512];
	char ca_fp[PIN_TEXT_LEN];
	uint8_t ca[32];
	bool default_url =
	    ctx->url_len == strlen(WARDCTL_DEFAULT_URL) &&
	    strncmp(ctx->url, WARDCTL_DEFAULT_URL, ctx->url_len) == 0;
	bool have_ca = ca_text && pin_parse(ca_text, ca) == 0;

	if (!cname)
		cname = out_str(ans, "name");
	out_clean(cl, sizeof cl, cname ? cname : cluster_name);
	out_clean(user, sizeof user, ctx->user);
	snprintf(url, sizeof url, "%.*s", (int)ctx->url_len, ctx->url);
	fprintf(f, "Cluster %s created, id %s.\n", cl,
		out_field(ans, "cluster_id", id, sizeof id));
	out_field(ans, "node_id", node_id, sizeof node_id);
	if (out_str(ans, "node_name"))
		fprintf(f, "This node: %s (node id %s). ",
			out_field(ans, "node_name", node, sizeof node),
			node_id);
	else
		fprintf(f, "This node: node id %s. ", node_id);
	fprintf(f, "First admin: %s.\n", user);
	if (have_ca) {
		pin_format(ca, ca_fp);
		fprintf(
		    f,
		    "Cluster CA: %s\n"
		    "\nThe node now serves a certificate issued by the "
		    "cluster CA: the fingerprint\n"
		    "of its first, self-signed certificate no longer "
		    "matches. From now on:\n"
		    "  - wardctl trusts the CA: --cacert DATA/pki/ca.pem (or "
		    "WARD_CACERT), DATA\n"
		    "    being the node's data directory (copy ca.pem to "
		    "other hosts);\n"
		    "  - new servers pin it: wardd --join URL "
		    "--ca-fingerprint %s\n"
		    "    (\"node add\" prints the whole command).\n",
		    ca_fp, ca_fp);
	}
	fputs("\nNext steps:\n"
	      "  1. For each further server, on this cluster:\n"
	      "       ",
	      f);
	init_wardctl(f, url, default_url, have_ca);
	fputs("node add NAME ADDRESS\n"
	      "     and run the \"wardd --join\" command it prints on that "
	      "server.\n"
	      "  2. Check the members:\n"
	      "       ",
	      f);
	init_wardctl(f, url, default_url, have_ca);
	fputs("cluster status\n", f);
}

int cmd_cluster_init(struct wardctl *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"token-file", required_argument, NULL, 't'},
	    {"name", required_argument, NULL, 'n'},
	    {0},
	};
	const char *token_file = NULL, *name = NULL;
	char *token = NULL, *password = NULL;
	char errmsg[256], prompt[160];
	json_t *body = NULL, *ans = NULL;
	int state = 0, c, rc;
	struct creds_sources src = {
	    .what = "password of the first admin",
	    .file_opt = "--password-file",
	    .file_env = "WARD_PASSWORD_FILE",
	    .value_env = "WARD_PASSWORD",
	    .prompt = prompt,
	    .confirm = true,
	};

	while ((c = wardctl_getopt(ctx, argc, argv, opts, &state)) != -1) {
		if (c == 't')
			token_file = optarg;
		else if (c == 'n')
			name = optarg;
		else
			return ctx->opt_rc;
	}
	if (state != argc || !token_file || !name) {
		wardctl_errorf(ctx, state != argc ? "too many arguments"
						  : "--token-file and --name "
						    "are needed");
		return wardctl_usage_cmd(ctx);
	}
	if (creds_read_file(token_file, &token, errmsg, sizeof errmsg)) {
		wardctl_errorf(ctx, "init token: %s", errmsg);
		return WARDCTL_EUSAGE;
	}
	rc = WARDCTL_EUSAGE;
	if (!*token) {
		wardctl_errorf(ctx, "%s is empty", token_file);
		goto cleanup;
	}
	src.file = ctx->password_file;
	snprintf(prompt, sizeof prompt,
		 "New password for admin %s: ", ctx->user);
	if ((rc = creds_get(ctx, &src, &password)) != 0)
		goto cleanup;
	body = json_pack("{s:s, s:s, s:s, s:s}", "token", token, "cluster_name",
			 name, "admin", ctx->user, "password", password);
	if (!body) {
		wardctl_errorf(ctx, "names must be UTF-8");
		rc = WARDCTL_EUSAGE;
		goto cleanup;
	}
	rc = http_call(ctx, "POST", "/v1/cluster/init", body, HTTP_AUTH_NONE,
		       &ans);
	if (rc != 0)
		goto cleanup;
	if (ctx->json)
		out_json(ctx->out, ans);
	else
		init_render(ctx, ans, name);
cleanup:
	json_decref(ans);
	json_decref(body);
	creds_free(password);
	creds_free(token);
	return rc;
}

/* The cluster's term: its own if it has one, else the leader's, else the
 * highest a member reported. */
static json_int_t term_of(const json_t *doc, const char *leader_name)
{
	const json_t *members = json_object_get(doc, "members");
	const json_t *t =
	    json_object_get(json_object_get(doc, "cluster"), "term");
	const json_t *m;
	json_int_t best = -1;
	size_t i;

	if (json_is_integer(t))
		return json_integer_value(t);
	json_array_foreach(members, i, m)
	{
		const char *name = out_str(m, "name");

		t = json_object_get(m, "term");
		if (!json_is_integer(t))
			continue;
		if (leader_name && name && strcmp(name, leader_name) == 0)
			return json_integer_value(t);
		if (json_integer_value(t) > best)
			best = json_integer_value(t);
	}
	return best;
}

void cluster_status_render(FILE *f, const json_t *doc)
{
	static const char *const head[] = {" ",	    "NAME",   "ROLE",
					   "STATE", "HEALTH", "APPLIED",
					   "TERM",  "RAFT",   "ADMIN"};
	static const char *const keys[] = {
	    "name",	     "role", "state",	     "health",
	    "applied_index", "term", "raft_address", "admin_address"};
	const json_t *cluster = json_object_get(doc, "cluster");
	const json_t *leader = json_object_get(doc, "leader");
	const json_t *members = json_object_get(doc, "members");
	const char *leader_name = out_str(leader, "name");
	char name[128], id[128], lname[128], lid[64];
	char cells[8][128];
	const char *row[9];
	struct out_table *t;
	json_int_t term;
	const json_t *m;
	size_t i;

	fprintf(f, "Cluster  %s (id %s)\n",
		out_field(cluster, "name", name, sizeof name),
		out_field(cluster, "id", id, sizeof id));
	if (leader_name)
		fprintf(f, "Leader   %s (id %s)\n",
			out_field(leader, "name", lname, sizeof lname),
			out_field(leader, "id", lid, sizeof lid));
	else
		fputs("Leader   none\n", f);
	term = term_of(doc, leader_name);
	if (term >= 0)
		fprintf(f, "Term     %" JSON_INTEGER_FORMAT "\n", term);
	else
		fputs("Term     -\n", f);
	fputc('\n', f);
	t = out_table_new(9, head);
	if (!t)
		return;
	json_array_foreach(members, i, m)
	{
		const char *mname = out_str(m, "name");

		row[0] = leader_name && mname && strcmp(mname, leader_name) == 0
			     ? "*"
			     : "";
		for (size_t k = 0; k < 8; k++)
			row[k + 1] =
			    out_field(m, keys[k], cells[k], sizeof cells[k]);
		if (out_table_add(t, row) != 0)
			break;
	}
	out_table_print(t, f);
	out_table_free(t);
	fputs("(* leader)\n", f);
	/* Why a node is failed or full: the reason its own status gives. */
	json_array_foreach(members, i, m)
	{
		const char *detail = out_str(m, "health_detail");
		char why[320];

		if (detail && *detail)
			fprintf(
			    f, "%s: %s: %s\n",
			    out_field(m, "name", name, sizeof name),
			    out_field(m, "health", cells[0], sizeof cells[0]),
			    out_clean(why, sizeof why, detail));
	}
}

int cmd_cluster_status(struct wardctl *ctx, int argc, char **argv)
{
	return cmd_get_show(ctx, argc, argv, "/v1/cluster/status",
			    cluster_status_render);
}
