/* cmd_token: the security tokens allowed to sign the CTL. Registering
 * reads the token's certificate through PKCS#11 (no PIN: the certificate is
 * public) and sends it; the private key stays in the token. */
#include <stdlib.h>
#include <string.h>

#include "tools/wardctl/cmd.h"
#include "tools/wardctl/cmd_pki.h"
#include "tools/wardctl/http.h"
#include "tools/wardctl/out.h"
#include "tools/wardctl/wardctl.h"
#include "trustlist/token.h"

void token_list_render(FILE *f, const json_t *doc)
{
	static const struct out_column cols[] = {
	    {"SERIAL", "serial", NULL},
	    {"LABEL", "label", NULL},
	    {"IN CTL", "in_ctl", NULL},
	    {"EXPIRES", "not_after", pki_field_date},
	    {"SUBJECT", "subject", NULL},
	};

	if (out_table_list(f, doc, "tokens", cols, 5) < 2)
		fprintf(f, "(mixed mode needs at least two registered "
			   "tokens)\n");
}

int cmd_token_register(struct wardctl *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"module", required_argument, NULL, 'm'},
	    {"token", required_argument, NULL, 't'},
	    {"key-id", required_argument, NULL, 'k'},
	    {0},
	};
	struct {
		const char *module, *label, *key_id;
	} o = {0};
	struct trustlist_token *tok = NULL;
	json_t *body = NULL, *ans = NULL;
	const uint8_t *der;
	size_t len = 0;
	char *b64 = NULL, a[512], b[512], c[64];
	int state = 0, opt, rc;

	while ((opt = wardctl_getopt(ctx, argc, argv, opts, &state)) != -1) {
		if (opt == 'm')
			o.module = optarg;
		else if (opt == 't')
			o.label = optarg;
		else if (opt == 'k')
			o.key_id = optarg;
		else
			return ctx->opt_rc;
	}
	if (state != argc || !o.module || !o.label) {
		wardctl_errorf(ctx, state != argc ? "too many arguments"
						  : "--module and --token are "
						    "needed");
		return wardctl_usage_cmd(ctx);
	}
	rc = pki_token_open(ctx, o.module, o.label, o.key_id, 0, NULL, &tok);
	if (rc)
		return rc;
	der = trustlist_token_cert(tok, &len);
	b64 = pki_b64_encode(der, len);
	body =
	    b64 ? json_pack("{s:s, s:s}", "label", o.label, "cert", b64) : NULL;
	trustlist_token_close(tok);
	if (!body) {
		wardctl_errorf(ctx, "the token label must be UTF-8");
		rc = WARDCTL_EUSAGE;
		goto cleanup;
	}
	rc = http_call(ctx, "POST", "/v1/tokens", body, HTTP_AUTH_BASIC, &ans);
	if (rc)
		goto cleanup;
	if (ctx->json) {
		out_json(ctx->out, ans);
		goto cleanup;
	}
	fprintf(ctx->out,
		"Registered token %s: serial %s\n  subject %s\n"
		"  %s token(s) registered\n",
		out_field(ans, "label", a, sizeof a),
		out_field(ans, "serial", b, sizeof b),
		out_field(ans, "subject", a, sizeof a),
		out_field(ans, "registered", c, sizeof c));
	if (out_str(ans, "note"))
		fprintf(ctx->out, "  note: %s\n",
			out_field(ans, "note", a, sizeof a));
cleanup:
	json_decref(ans);
	json_decref(body);
	free(b64);
	return rc;
}

int cmd_token_list(struct wardctl *ctx, int argc, char **argv)
{
	return cmd_get_show(ctx, argc, argv, "/v1/tokens", token_list_render);
}

int cmd_token_remove(struct wardctl *ctx, int argc, char **argv)
{
	return cmd_delete_show(ctx, argc, argv, "tokens", "Token", "removed");
}
