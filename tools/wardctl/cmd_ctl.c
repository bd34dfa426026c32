/* cmd_ctl: the cluster's Certificate Trust List. "ctl sign" asks the
 * cluster what the CTL must list, builds it here and has the security token
 * sign it (the key never leaves the token), then hands it to the cluster,
 * which checks it again: the signature, that the token may sign (key
 * continuity), and that it lists today's certificates. "ctl verify"
 * checks the stored file here, with no trust in the server's word. */
#include <stdlib.h>
#include <string.h>

#include "tools/wardctl/cmd.h"
#include "tools/wardctl/cmd_pki.h"
#include "tools/wardctl/http.h"
#include "tools/wardctl/out.h"
#include "tools/wardctl/wardctl.h"
#include "trustlist/token.h"
#include "trustlist/trustlist.h"

/* The entries the cluster asked for, decoded; DERs and strings owned. */
struct sign_entries {
	struct trustlist_entry *v;
	uint8_t **ders;
	size_t n;
};

static void sign_entries_free(struct sign_entries *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->ders[i]);
	free(e->ders);
	free(e->v);
	memset(e, 0, sizeof *e);
}

/* Decodes DOC's "entries" (strings borrowed from DOC), with room for one
 * more. 0, or -1 if the answer is malformed. */
static int entries_decode(const json_t *doc, struct sign_entries *e)
{
	const json_t *list = json_object_get(doc, "entries"), *j;
	size_t i, n = json_array_size(list);

	memset(e, 0, sizeof *e);
	if (!json_is_array(list) || n == 0)
		return -1;
	e->v = calloc(n + 1, sizeof *e->v);
	e->ders = calloc(n + 1, sizeof *e->ders);
	if (!e->v || !e->ders)
		return -1;
	json_array_foreach(list, i, j)
	{
		const json_t *fn = json_object_get(j, "function");
		const char *cert = out_str(j, "cert");
		size_t len;

		if (!json_is_integer(fn) || json_integer_value(fn) < 0 ||
		    json_integer_value(fn) > 255 || !cert ||
		    pki_b64_decode(cert, &e->ders[e->n], &len) != 0)
			return -1;
		e->v[e->n].function = (unsigned)json_integer_value(fn);
		e->v[e->n].cert_der = e->ders[e->n];
		e->v[e->n].cert_len = len;
		e->v[e->n].dns_name = out_str(j, "dns_name");
		e->v[e->n].ip = out_str(j, "ip");
		e->n++;
	}
	return 0;
}

static int sig_parse(const char *s, enum trustlist_sig *out)
{
	if (!s)
		*out = TRUSTLIST_SIG_DEFAULT;
	else if (strcmp(s, "rsa-sha1") == 0)
		*out = TRUSTLIST_SIG_RSA_SHA1;
	else if (strcmp(s, "rsa-sha512") == 0)
		*out = TRUSTLIST_SIG_RSA_SHA512;
	else
		return -1;
	return 0;
}

/* Builds and signs the CTL of ENTRIES with token TOK into *FILE. */
static int ctl_build(struct wardctl *ctx, struct sign_entries *e,
		     struct trustlist_token *tok, enum trustlist_sig sig,
		     uint8_t **file, size_t *len)
{
	struct trustlist_signer signer = {0};
	struct trustlist_options opts = {.sig = sig};
	char err[512], label[64];
	bool listed = false;
	int rc;

	signer.cert_der = trustlist_token_cert(tok, &signer.cert_len);
	signer.key = trustlist_token_key(tok);
	out_clean(label, sizeof label, trustlist_token_info(tok)->label);
	for (size_t i = 0; i < e->n; i++)
		if (e->v[i].function == TRUSTLIST_FN_SAST &&
		    e->v[i].cert_len == signer.cert_len &&
		    memcmp(e->v[i].cert_der, signer.cert_der,
			   signer.cert_len) == 0)
			listed = true;
	if (!listed) {
		/* The cluster is the judge: it refuses (and audits) a CTL
		 * signed by a token it does not know. */
		fprintf(ctx->err,
			"wardctl: warning: token %s is not registered with "
			"the cluster; the cluster will refuse what it signs\n",
			label);
		e->v[e->n].function = TRUSTLIST_FN_SAST;
		e->v[e->n].cert_der = signer.cert_der;
		e->v[e->n].cert_len = signer.cert_len;
		e->n++;
	}
	rc = trustlist_build(TRUSTLIST_CTL, e->v, e->n, &signer, &opts, file,
			     len, err, sizeof err);
	if (!listed)
		e->n--; /* that DER is the token's, not ours to free */
	if (rc) {
		wardctl_errorf(ctx, "cannot build the CTL: %s", err);
		return WARDCTL_EUSAGE;
	}
	return WARDCTL_OK;
}

int cmd_ctl_sign(struct wardctl *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"module", required_argument, NULL, 'm'},
	    {"token", required_argument, NULL, 't'},
	    {"key-id", required_argument, NULL, 'k'},
	    {"pin-file", required_argument, NULL, 'p'},
	    {"sig", required_argument, NULL, 's'},
	    /* Named only to be refused: getopt would take "--pin=X" as
	     * --pin-file and print X as a file name. */
	    {"pin", optional_argument, NULL, 'P'},
	    {0},
	};
	const char *module = NULL, *label = NULL, *key_id = NULL,
		   *pin_file = NULL, *sig_name = NULL;
	enum trustlist_sig sig;
	struct sign_entries e = {0};
	struct trustlist_token *tok = NULL;
	json_t *entries = NULL, *body = NULL, *ans = NULL;
	uint8_t *file = NULL;
	size_t len = 0;
	char *b64 = NULL, a[128], b[128], c[128], d[128];
	int state = 0, opt, rc;

	while ((opt = wardctl_getopt(ctx, argc, argv, opts, &state)) != -1) {
		switch (opt) {
		case 'm':
			module = optarg;
			break;
		case 't':
			label = optarg;
			break;
		case 'k':
			key_id = optarg;
			break;
		case 'p':
			pin_file = optarg;
			break;
		case 's':
			sig_name = optarg;
			break;
		case 'P':
			wardctl_errorf(ctx, "the PIN is not taken from the "
					    "command line (other users can "
					    "read it): use --pin-file, "
					    "WARD_TOKEN_PIN or the prompt");
			return WARDCTL_EUSAGE;
		default:
			return ctx->opt_rc;
		}
	}
	if (state != argc || !module || !label) {
		wardctl_errorf(ctx, state != argc ? "too many arguments"
						  : "--module and --token are "
						    "needed");
		return wardctl_usage_cmd(ctx);
	}
	if (sig_parse(sig_name, &sig) != 0) {
		wardctl_errorf(ctx, "--sig: rsa-sha1 or rsa-sha512");
		return wardctl_usage_cmd(ctx);
	}
	/* What to list first: the admin password may be asked before the
	 * PIN, and nothing is signed for a cluster that cannot answer. */
	rc = http_call(ctx, "GET", "/v1/ctl/entries", NULL, HTTP_AUTH_BASIC,
		       &entries);
	if (rc)
		goto cleanup;
	if (entries_decode(entries, &e) != 0) {
		wardctl_errorf(ctx, "the cluster's list of entries is "
				    "malformed");
		rc = WARDCTL_EUNAVAILABLE;
		goto cleanup;
	}
	rc = pki_token_open(ctx, module, label, key_id, 1, pin_file, &tok);
	if (rc)
		goto cleanup;
	rc = ctl_build(ctx, &e, tok, sig, &file, &len);
	trustlist_token_close(tok);
	if (rc)
		goto cleanup;
	b64 = pki_b64_encode(file, len);
	body = b64 ? json_pack("{s:s}", "file", b64) : NULL;
	if (!body) {
		wardctl_errorf(ctx, "out of memory");
		rc = WARDCTL_EUSAGE;
		goto cleanup;
	}
	rc = http_call(ctx, "POST", "/v1/ctl", body, HTTP_AUTH_BASIC, &ans);
	if (rc)
		goto cleanup;
	if (ctx->json)
		out_json(ctx->out, ans);
	else
		fprintf(ctx->out,
			"CTL version %s signed by token %s (serial %s): %s "
			"records, %zu bytes\n  SHA-256 %s\n",
			out_field(ans, "version", a, sizeof a), label,
			out_field(ans, "signer", b, sizeof b),
			out_field(ans, "records", c, sizeof c), len,
			out_field(ans, "sha256", d, sizeof d));
cleanup:
	json_decref(ans);
	json_decref(body);
	json_decref(entries);
	free(b64);
	free(file);
	sign_entries_free(&e);
	return rc;
}

void ctl_show_render(FILE *f, const json_t *doc)
{
	const json_t *signer = json_object_get(doc, "signer"), *s;
	char a[1024], b[256], c[256];
	size_t i;

	fprintf(f, "%-10s%s\n", "Version",
		out_field(doc, "version", a, sizeof a));
	fprintf(f, "%-10s%s\n", "Signed",
		out_field_time(doc, "signed_ms", a, sizeof a));
	fprintf(f, "%-10s%s (serial %s)\n", "Signer",
		out_field(signer, "label", b, sizeof b),
		out_field(signer, "serial", c, sizeof c));
	fprintf(f, "%-10s%s records, %s bytes\n", "Content",
		out_field(doc, "records", b, sizeof b),
		out_field(doc, "size", c, sizeof c));
	fprintf(f, "%-10s%s\n", "SHA-256",
		out_field(doc, "sha256", a, sizeof a));
	fprintf(f, "%-10s%s\n", "Verifies",
		out_field(doc, "verifies", a, sizeof a));
	fprintf(f, "%-10s%s\n", "Current",
		out_field(doc, "current", a, sizeof a));
	if (out_str(doc, "problem") && *out_str(doc, "problem"))
		fprintf(f, "%-10s%s\n", "Problem",
			out_field(doc, "problem", a, sizeof a));
	fputs("Tokens that may sign the next CTL:\n", f);
	json_array_foreach(json_object_get(doc, "signers"), i, s) fprintf(
	    f, "  %s (serial %s)  %s\n", out_field(s, "label", b, sizeof b),
	    out_field(s, "serial", c, sizeof c),
	    out_field(s, "subject", a, sizeof a));
}

int cmd_ctl_show(struct wardctl *ctx, int argc, char **argv)
{
	return cmd_get_show(ctx, argc, argv, "/v1/ctl", ctl_show_render);
}

/* The stored file, decoded into *FILE. */
static int ctl_fetch(struct wardctl *ctx, uint8_t **file, size_t *len)
{
	json_t *ans = NULL;
	const char *b64;
	int rc;

	rc = http_call(ctx, "GET", "/v1/ctl/file?format=json", NULL,
		       HTTP_AUTH_BASIC, &ans);
	if (rc)
		return rc;
	b64 = out_str(ans, "file");
	if (!b64 || pki_b64_decode(b64, file, len) != 0) {
		wardctl_errorf(ctx, "the answer holds no CTL file");
		rc = WARDCTL_EUNAVAILABLE;
	}
	json_decref(ans);
	return rc;
}

int cmd_ctl_export(struct wardctl *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {0},
	};
	const char *output = NULL;
	uint8_t *file = NULL;
	size_t len = 0;
	int state = 0, c, rc;

	while ((c = wardctl_getopt(ctx, argc, argv, opts, &state)) != -1) {
		if (c != 'o')
			return ctx->opt_rc;
		output = optarg;
	}
	if (state != argc) {
		wardctl_errorf(ctx, "too many arguments");
		return wardctl_usage_cmd(ctx);
	}
	rc = ctl_fetch(ctx, &file, &len);
	if (rc == 0)
		rc = pki_file_write(ctx, output, file, len, 1);
	free(file);
	return rc;
}

int cmd_ctl_verify(struct wardctl *ctx, int argc, char **argv)
{
	const struct trustlist_record *signer = NULL;
	struct trustlist *tl = NULL;
	json_t *meta = NULL, *out = NULL;
	uint8_t *file = NULL;
	size_t len = 0;
	char err[512] = "", subj[256], problem[1024];
	int first, rc, ok;

	if ((rc = wardctl_args(ctx, argc, argv, 0, 0, &first)) != 0)
		return rc;
	rc = ctl_fetch(ctx, &file, &len);
	if (rc)
		goto cleanup;
	ok = trustlist_parse(file, len, &tl, err, sizeof err) == 0 &&
	     trustlist_verify(tl, TRUSTLIST_CTL, &signer, err, sizeof err) == 0;
	/* Whether it is current is the cluster's to say (it knows today's
	 * certificates); the signature is checked here. */
	rc = http_call(ctx, "GET", "/v1/ctl", NULL, HTTP_AUTH_BASIC, &meta);
	if (rc)
		goto cleanup;
	out_clean(subj, sizeof subj,
		  signer && signer->subject ? signer->subject : "-");
	if (ctx->json) {
		out = json_pack("{s:b, s:s, s:s?, s:O?, s:O?}", "verifies", ok,
				"error", ok ? "" : err, "signer",
				signer ? subj : NULL, "current",
				json_object_get(meta, "current"), "version",
				json_object_get(meta, "version"));
		out_json(ctx->out, out);
	} else if (ok) {
		fprintf(
		    ctx->out, "CTL version %s: signature OK, signed by %s\n",
		    out_field(meta, "version", problem, sizeof problem), subj);
		if (json_is_true(json_object_get(meta, "current")))
			fputs("current: yes\n", ctx->out);
		else
			fprintf(ctx->out, "current: no: %s\n",
				out_field(meta, "problem", problem,
					  sizeof problem));
	}
	if (!ok) {
		out_clean(problem, sizeof problem, err);
		wardctl_errorf(ctx, "the stored CTL does not verify: %s",
			       problem);
		rc = WARDCTL_EREFUSED;
	}
cleanup:
	json_decref(out);
	json_decref(meta);
	trustlist_free(tl);
	free(file);
	return rc;
}
