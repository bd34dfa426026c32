/* cmd_security: the cluster security mode. Mixed mode needs a current,
 * verifying CTL with at least two tokens; the cluster checks that and says
 * what is missing, so this only asks and shows. */
#include <string.h>

#include "tools/wardctl/cmd.h"
#include "tools/wardctl/cmd_pki.h"
#include "tools/wardctl/http.h"
#include "tools/wardctl/out.h"
#include "tools/wardctl/wardctl.h"

void security_status_render(FILE *f, const json_t *doc)
{
	const json_t *ctl = json_object_get(doc, "ctl"), *r;
	char a[1024], b[256], c[256];
	size_t i, n;

	fprintf(f, "%-12s%s\n", "Mode", out_field(doc, "mode", a, sizeof a));
	fprintf(f, "%-12s%s registered\n", "Tokens",
		out_field(doc, "tokens", b, sizeof b));
	if (json_is_object(ctl)) {
		fprintf(f, "%-12sversion %s, %zu signer(s), current: %s\n",
			"CTL", out_field(ctl, "version", b, sizeof b),
			json_array_size(json_object_get(ctl, "signers")),
			out_field(ctl, "current", a, sizeof a));
	} else {
		fprintf(f, "%-12snone signed yet\n", "CTL");
	}
	if (json_is_true(json_object_get(doc, "mixed_ready")))
		fprintf(f, "%-12sready\n", "Mixed mode");
	else
		fprintf(f, "%-12snot possible: %s\n", "Mixed mode",
			out_field(doc, "mixed_blocked_by", a, sizeof a));
	n = json_array_size(json_object_get(doc, "resets"));
	fprintf(f, "Pending resets: %zu\n", n);
	json_array_foreach(json_object_get(doc, "resets"), i, r)
	    fprintf(f, "  %-8s %-24s %s\n", out_field(r, "kind", b, sizeof b),
		    out_field(r, "name", c, sizeof c),
		    out_field(r, "reason", a, sizeof a));
}

int cmd_security_status(struct wardctl *ctx, int argc, char **argv)
{
	return cmd_get_show(ctx, argc, argv, "/v1/security",
			    security_status_render);
}

int cmd_security_mode(struct wardctl *ctx, int argc, char **argv)
{
	json_t *body = NULL, *ans = NULL;
	char a[64], b[64], c[32];
	const char *mode;
	int first, rc;

	if ((rc = wardctl_args(ctx, argc, argv, 1, 1, &first)) != 0)
		return rc;
	mode = argv[first];
	if (strcmp(mode, "mixed") != 0 && strcmp(mode, "non-secure") != 0) {
		wardctl_errorf(ctx, "the mode is mixed or non-secure");
		return wardctl_usage_cmd(ctx);
	}
	body = json_pack("{s:s}", "mode", mode);
	rc = http_call(ctx, "PUT", "/v1/security/mode", body, HTTP_AUTH_BASIC,
		       &ans);
	if (rc)
		goto cleanup;
	if (ctx->json)
		out_json(ctx->out, ans);
	else if (json_is_true(json_object_get(ans, "changed")))
		fprintf(ctx->out,
			"Cluster security mode: %s (was %s).\n"
			"%s resets recorded for the rolling restart.\n",
			out_field(ans, "mode", a, sizeof a),
			out_field(ans, "previous", b, sizeof b),
			out_field(ans, "resets", c, sizeof c));
	else
		fprintf(ctx->out, "The cluster is in %s mode already.\n",
			out_field(ans, "mode", a, sizeof a));
cleanup:
	json_decref(ans);
	json_decref(body);
	return rc;
}
