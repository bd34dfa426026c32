/* cmd_leader: "leader transfer", e.g. before taking the leader down for
 * maintenance, so the cluster does not wait for an election timeout. */
#include "tools/wardctl/cmd.h"
#include "tools/wardctl/http.h"
#include "tools/wardctl/out.h"
#include "tools/wardctl/wardctl.h"

int cmd_leader_transfer(struct wardctl *ctx, int argc, char **argv)
{
	json_t *body = NULL, *ans = NULL;
	char name[128];
	int first, rc;

	if ((rc = wardctl_args(ctx, argc, argv, 0, 1, &first)) != 0)
		return rc;
	/* Without a name the leader picks the most up-to-date voter. */
	body = first < argc ? json_pack("{s:s}", "node", argv[first])
			    : json_object();
	if (!body) {
		wardctl_errorf(ctx, "NAME must be UTF-8");
		return WARDCTL_EUSAGE;
	}
	rc = http_call(ctx, "POST", "/v1/leader/transfer", body,
		       HTTP_AUTH_BASIC, &ans);
	if (rc != 0)
		goto cleanup;
	if (ctx->json)
		out_json(ctx->out, ans);
	else
		fprintf(ctx->out, "The leader is now %s.\n",
			out_field(ans, "leader", name, sizeof name));
cleanup:
	json_decref(ans);
	json_decref(body);
	return rc;
}
