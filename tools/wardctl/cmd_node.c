/* cmd_node: membership. "node add" only makes a one-time join token: the
 * new server itself then calls the cluster (wardd --join), so its keys
 * never travel. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/wardctl/cmd.h"
#include "tools/wardctl/http.h"
#include "tools/wardctl/out.h"
#include "tools/wardctl/pin.h"
#include "tools/wardctl/wardctl.h"

/* The leaf pin of an answer without the CA's (a server before the cluster
 * PKI): the certificate seen at URL, which the new server will meet. */
static void node_add_leaf_pin(FILE *f, const json_t *doc, const char *url,
			      const uint8_t *peer_fp, char fp[PIN_TEXT_LEN])
{
	const char *answer_fp = out_str(doc, "fingerprint");
	uint8_t parsed[32];
	bool differs = false;

	if (answer_fp && pin_parse(answer_fp, parsed) == 0) {
		pin_format(parsed, fp);
		differs = peer_fp && memcmp(parsed, peer_fp, 32) != 0;
	} else if (peer_fp) {
		pin_format(peer_fp, fp);
	} else {
		strcpy(fp, "-");
	}
	fprintf(f, "  fingerprint     %s\n", fp);
	if (differs) {
		/* The answer came from another node (the leader, through
		 * the one asked); the new server will talk to URL. */
		pin_format(peer_fp, fp);
		fprintf(f,
			"  (that is the leader's certificate; %s presents %s,\n"
			"   which the command below pins)\n",
			url, fp);
	}
}

void node_add_render(FILE *f, const json_t *doc, const char *url,
		     const uint8_t *peer_fp)
{
	const char *token = out_str(doc, "token");
	const char *ca_text = out_str(doc, "ca_fingerprint");
	char name[128], id[64], expires[64], fp[PIN_TEXT_LEN], tok[512];
	uint8_t ca[32];
	bool ca_pin = ca_text && pin_parse(ca_text, ca) == 0;

	out_field(doc, "name", name, sizeof name);
	out_field(doc, "id", id, sizeof id);
	out_field_time(doc, "expires_ms", expires, sizeof expires);
	out_clean(tok, sizeof tok, token ? token : "-");
	fprintf(f, "Node %s (id %s) may join now.\n", name, id);
	fprintf(f, "  token           %s\n", tok);
	fprintf(f, "  expires         %s (the token works once)\n", expires);
	if (ca_pin) {
		/* The CA pin holds whichever member the new server meets. */
		pin_format(ca, fp);
		fprintf(f, "  CA fingerprint  %s\n", fp);
	} else {
		node_add_leaf_pin(f, doc, url, peer_fp, fp);
	}
	/* The token goes through the environment: argv is readable by
	 * every user of the new server. */
	fprintf(f,
		"\nOn the new server, with CONFIG its wardd configuration "
		"(name %s), run:\n  WARD_JOIN_TOKEN=",
		name);
	out_shell_word(f, tok);
	fputs(" wardd -c CONFIG --join ", f);
	out_shell_word(f, url);
	fprintf(f, " %s %s\n", ca_pin ? "--ca-fingerprint" : "--fingerprint",
		fp);
}

int cmd_node_add(struct wardctl *ctx, int argc, char **argv)
{
	json_t *body = NULL, *ans = NULL;
	char url[512];
	int first, rc;

	if ((rc = wardctl_args(ctx, argc, argv, 2, 2, &first)) != 0)
		return rc;
	body = json_pack("{s:s, s:s}", "name", argv[first], "address",
			 argv[first + 1]);
	if (!body) {
		wardctl_errorf(ctx, "NAME and ADDRESS must be UTF-8");
		return WARDCTL_EUSAGE;
	}
	rc = http_call(ctx, "POST", "/v1/nodes", body, HTTP_AUTH_BASIC, &ans);
	if (rc != 0)
		goto cleanup;
	snprintf(url, sizeof url, "%.*s", (int)ctx->url_len, ctx->url);
	if (ctx->json)
		out_json(ctx->out, ans);
	else
		node_add_render(ctx->out, ans, url,
				ctx->have_peer_fp ? ctx->peer_fp : NULL);
cleanup:
	json_decref(ans);
	json_decref(body);
	return rc;
}

int cmd_node_remove(struct wardctl *ctx, int argc, char **argv)
{
	json_t *ans = NULL;
	char *path = NULL, name[128];
	int first, rc;

	if ((rc = wardctl_args(ctx, argc, argv, 1, 1, &first)) != 0)
		return rc;
	/* The node hands leadership over and leaves Raft first: the
	 * server allows that a minute. */
	if (!ctx->timeout_given)
		ctx->timeout_s = WARDCTL_SLOW_TIMEOUT_S;
	path = http_path("nodes", argv[first], "");
	if (!path) {
		wardctl_errorf(ctx, "out of memory");
		return WARDCTL_EUSAGE;
	}
	rc = http_call(ctx, "DELETE", path, NULL, HTTP_AUTH_BASIC, &ans);
	if (rc != 0)
		goto cleanup;
	if (ctx->json)
		out_json(ctx->out, ans);
	else
		fprintf(ctx->out, "Node %s removed.\n",
			out_field(ans, "removed", name, sizeof name));
cleanup:
	json_decref(ans);
	free(path);
	return rc;
}

void node_list_render(FILE *f, const json_t *doc)
{
	static const char *const head[] = {"NAME", "ID",    "STATE",
					   "ROLES", "RAFT", "ADMIN",
					   "SIP",  "CERTIFICATE"};
	static const char *const keys[] = {
	    "name", "id", "state", "roles", "raft_address", "admin_address"};
	char cells[6][256], sip[320], fp[PIN_TEXT_LEN];
	const char *row[8];
	const json_t *n;
	struct out_table *t = out_table_new(8, head);
	size_t i;

	if (!t)
		return;
	json_array_foreach(json_object_get(doc, "nodes"), i, n)
	{
		uint8_t raw[32];
		const char *cert = out_str(n, "https_sha256");

		for (size_t k = 0; k < 6; k++)
			row[k] =
			    out_field(n, keys[k], cells[k], sizeof cells[k]);
		/* Enough of the digest to tell nodes apart; --json has it
		 * whole. */
		if (cert && pin_parse(cert, raw) == 0) {
			pin_format(raw, fp);
			strcpy(fp + 7 + 16, "...");
			row[7] = fp;
		} else {
			row[7] = "-";
		}
		/* Where its signaling role listens: host, UDP/TCP port, TLS
		 * port, as the node published it. */
		row[6] = "-";
		if (out_str(n, "sip_host") && *out_str(n, "sip_host")) {
			const char *h = out_str(n, "sip_host");
			snprintf(sip, sizeof sip, "%s%s%s %lld/%lld",
				 strchr(h, ':') ? "[" : "", h,
				 strchr(h, ':') ? "]" : "",
				 (long long)json_integer_value(
				     json_object_get(n, "sip_port")),
				 (long long)json_integer_value(
				     json_object_get(n, "sip_tls_port")));
			row[6] = sip;
		}
		if (out_table_add(t, row) != 0)
			break;
	}
	out_table_print(t, f);
	out_table_free(t);
}

int cmd_node_list(struct wardctl *ctx, int argc, char **argv)
{
	return cmd_get_show(ctx, argc, argv, "/v1/nodes", node_list_render);
}
