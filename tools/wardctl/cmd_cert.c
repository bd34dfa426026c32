/* cmd_cert: the cluster's certificates (the CA, each node's role
 * certificates) and the trust store. A certificate is named NODE ROLE
 * ("cluster ca" for the CA); a trust store entry by its c_rehash name
 * (xxxxxxxx.N), so "show", "export" and "fingerprint" take either. Private
 * keys never leave the cluster: there is nothing to export them with. */
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tools/wardctl/cmd.h"
#include "tools/wardctl/cmd_pki.h"
#include "tools/wardctl/http.h"
#include "tools/wardctl/out.h"
#include "tools/wardctl/wardctl.h"

/* What import accepts: a PEM bundle of a large certificate with text. */
#define CERT_FILE_MAX (48u * 1024)

/* OBJ[KEY], a fingerprint, cut to tell certificates apart in a list
 * ("fingerprint" in show has it whole). */
static const char *fp_short(const json_t *obj, const char *key, char *buf,
			    size_t cap)
{
	out_field(obj, key, buf, cap);
	if (strlen(buf) > 23 && cap > 27)
		strcpy(buf + 23, "...");
	return buf;
}

/* OBJ[KEY], a trust category, marked when the entry is the cluster CA. */
static const char *trust_category(const json_t *obj, const char *key, char *buf,
				  size_t cap)
{
	out_field(obj, key, buf, cap);
	if (json_is_true(json_object_get(obj, "cluster_ca")) &&
	    strlen(buf) + sizeof " (cluster CA)" <= cap)
		strcat(buf, " (cluster CA)");
	return buf;
}

void cert_list_render(FILE *f, const json_t *doc)
{
	static const struct out_column cols[] = {
	    {"NODE", "node", NULL},
	    {"ROLE", "role", NULL},
	    {"GEN", "generation", NULL},
	    {"KEY", "key_type", NULL},
	    {"EXPIRES", "not_after", pki_field_date},
	    {"SHA-256", "sha256", fp_short},
	    {"SUBJECT", "subject", NULL},
	};

	out_table_list(f, doc, "certs", cols, 7);
}

void trust_list_render(FILE *f, const json_t *doc)
{
	static const struct out_column cols[] = {
	    {"NAME", "name", NULL},
	    {"CATEGORY", "category", trust_category},
	    {"EXPIRES", "not_after", pki_field_date},
	    {"SHA-256", "sha256", fp_short},
	    {"SUBJECT", "subject", NULL},
	};

	out_table_list(f, doc, "trust", cols, 5);
}

void cert_show_render(FILE *f, const json_t *doc)
{
	static const char *const rows[][2] = {
	    {"name", "Name"},
	    {"category", "Category"},
	    {"node", "Node"},
	    {"role", "Role"},
	    {"generation", "Generation"},
	    {"subject", "Subject"},
	    {"issuer", "Issuer"},
	    {"serial", "Serial"},
	    {"key_type", "Key"},
	    {"sha1", "SHA-1"},
	    {"sha256", "SHA-256"},
	};
	char v[1024];

	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
		if (json_object_get(doc, rows[i][0]))
			fprintf(f, "%-12s%s\n", rows[i][1],
				out_field(doc, rows[i][0], v, sizeof v));
	fprintf(f, "%-12s%s\n", "Valid from",
		pki_field_date(doc, "not_before", v, sizeof v));
	fprintf(f, "%-12s%s\n", "Valid until",
		pki_field_date(doc, "not_after", v, sizeof v));
}

int cmd_cert_list(struct wardctl *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"trust", no_argument, NULL, 't'},
	    {0},
	};
	bool trust = false;
	int state = 0, c;
	char *none[] = {argv[0], NULL};

	while ((c = wardctl_getopt(ctx, argc, argv, opts, &state)) != -1) {
		if (c != 't')
			return ctx->opt_rc;
		trust = true;
	}
	if (state != argc) {
		wardctl_errorf(ctx, "too many arguments");
		return wardctl_usage_cmd(ctx);
	}
	/* Options are parsed already: only the GET remains. */
	return trust
		   ? cmd_get_show(ctx, 1, none, "/v1/trust", trust_list_render)
		   : cmd_get_show(ctx, 1, none, "/v1/certs", cert_list_render);
}

/* The path of NODE ROLE, or of trust entry NAME (one operand). */
static char *cert_path(int n, char **operands)
{
	char *node, *role, *path = NULL;

	if (n == 1)
		return http_path("trust", operands[0], "");
	node = http_path("certs", operands[0], "");
	role = http_path("x", operands[1], ""); /* "/v1/x/" + ROLE */
	if (node && role && asprintf(&path, "%s/%s", node, role + 6) < 0)
		path = NULL;
	free(node);
	free(role);
	return path;
}

/* GET the certificate the operands name; *ANS on success. */
static int cert_get(struct wardctl *ctx, int n, char **operands, json_t **ans)
{
	char *path = cert_path(n, operands);
	int rc;

	*ans = NULL;
	if (!path) {
		wardctl_errorf(ctx, "out of memory");
		return WARDCTL_EUSAGE;
	}
	rc = http_call(ctx, "GET", path, NULL, HTTP_AUTH_BASIC, ans);
	free(path);
	return rc;
}

int cmd_cert_show(struct wardctl *ctx, int argc, char **argv)
{
	json_t *ans = NULL;
	int first, rc;

	if ((rc = wardctl_args(ctx, argc, argv, 1, 2, &first)) != 0)
		return rc;
	rc = cert_get(ctx, argc - first, argv + first, &ans);
	if (rc == 0) {
		if (ctx->json)
			out_json(ctx->out, ans);
		else
			cert_show_render(ctx->out, ans);
	}
	json_decref(ans);
	return rc;
}

int cmd_cert_fingerprint(struct wardctl *ctx, int argc, char **argv)
{
	json_t *ans = NULL;
	char a[128], b[128];
	int first, rc;

	if ((rc = wardctl_args(ctx, argc, argv, 1, 2, &first)) != 0)
		return rc;
	rc = cert_get(ctx, argc - first, argv + first, &ans);
	if (rc == 0) {
		if (ctx->json) {
			json_t *fps =
			    json_pack("{s:O?, s:O?}", "sha1",
				      json_object_get(ans, "sha1"), "sha256",
				      json_object_get(ans, "sha256"));

			out_json(ctx->out, fps);
			json_decref(fps);
		} else
			fprintf(ctx->out, "SHA-1    %s\nSHA-256  %s\n",
				out_field(ans, "sha1", a, sizeof a),
				out_field(ans, "sha256", b, sizeof b));
	}
	json_decref(ans);
	return rc;
}

/* PEM text to DER: *DER malloc'ed. 0 or -1. */
static int pem_to_der(const char *pem, uint8_t **der, size_t *len)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	unsigned char *p = NULL;
	int n = x ? i2d_X509(x, &p) : -1;

	BIO_free(bio);
	X509_free(x);
	if (n <= 0)
		return -1;
	*der = malloc((size_t)n);
	if (*der)
		memcpy(*der, p, (size_t)n);
	OPENSSL_free(p);
	*len = (size_t)n;
	return *der ? 0 : -1;
}

int cmd_cert_export(struct wardctl *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"der", no_argument, NULL, 'd'},
	    {"output", required_argument, NULL, 'o'},
	    {0},
	};
	const char *output = NULL, *pem;
	bool der = false;
	json_t *ans = NULL;
	uint8_t *bytes = NULL;
	size_t len = 0;
	int state = 0, c, n, rc;

	while ((c = wardctl_getopt(ctx, argc, argv, opts, &state)) != -1) {
		if (c == 'd')
			der = true;
		else if (c == 'o')
			output = optarg;
		else
			return ctx->opt_rc;
	}
	n = argc - state;
	if (n < 1 || n > 2) {
		wardctl_errorf(ctx, n < 1 ? "missing argument"
					  : "too many arguments");
		return wardctl_usage_cmd(ctx);
	}
	rc = cert_get(ctx, n, argv + state, &ans);
	if (rc)
		goto cleanup;
	pem = out_str(ans, "pem");
	if (!pem) {
		wardctl_errorf(ctx, "the answer holds no certificate");
		rc = WARDCTL_EUNAVAILABLE;
		goto cleanup;
	}
	if (der && pem_to_der(pem, &bytes, &len) != 0) {
		wardctl_errorf(ctx, "the certificate in the answer is "
				    "unreadable");
		rc = WARDCTL_EUNAVAILABLE;
		goto cleanup;
	}
	rc = der ? pki_file_write(ctx, output, bytes, len, 1)
		 : pki_file_write(ctx, output, pem, strlen(pem), 0);
cleanup:
	free(bytes);
	json_decref(ans);
	return rc;
}

int cmd_cert_import(struct wardctl *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"category", required_argument, NULL, 'c'},
	    {0},
	};
	const char *category = NULL;
	json_t *body = NULL, *ans = NULL;
	uint8_t *data = NULL;
	char *text = NULL, a[512], b[512];
	size_t len = 0;
	int state = 0, c, rc;

	while ((c = wardctl_getopt(ctx, argc, argv, opts, &state)) != -1) {
		if (c != 'c')
			return ctx->opt_rc;
		category = optarg;
	}
	if (argc - state != 1 || !category) {
		wardctl_errorf(ctx, argc - state != 1
					? "one FILE is needed"
					: "--category is needed (ca-root, "
					  "mic-root, trunk-peer, srst, capf, "
					  "other)");
		return wardctl_usage_cmd(ctx);
	}
	rc = pki_file_read(ctx, argv[state], CERT_FILE_MAX, &data, &len);
	if (rc)
		return rc;
	/* PEM goes as text, anything else as base64: the server says what
	 * the bytes are if they are no certificate. */
	if (memmem(data, len, "-----BEGIN", 10) && !memchr(data, 0, len))
		body = json_pack("{s:s, s:s%}", "category", category, "cert",
				 (char *)data, len);
	else if ((text = pki_b64_encode(data, len)) != NULL)
		body =
		    json_pack("{s:s, s:s}", "category", category, "cert", text);
	if (!body) {
		wardctl_errorf(ctx, "%s: not text the server can take",
			       argv[state]);
		rc = WARDCTL_EUSAGE;
		goto cleanup;
	}
	rc = http_call(ctx, "POST", "/v1/trust", body, HTTP_AUTH_BASIC, &ans);
	if (rc)
		goto cleanup;
	if (ctx->json)
		out_json(ctx->out, ans);
	else
		fprintf(ctx->out, "Imported as %s: %s\n  SHA-256 %s\n",
			out_field(ans, "name", a, sizeof a),
			out_field(ans, "subject", b, sizeof b),
			out_field(ans, "sha256", a, sizeof a));
cleanup:
	json_decref(ans);
	json_decref(body);
	free(text);
	free(data);
	return rc;
}

int cmd_cert_delete(struct wardctl *ctx, int argc, char **argv)
{
	return cmd_delete_show(ctx, argc, argv, "trust", "Trust store entry",
			       "deleted");
}

int cmd_cert_regenerate(struct wardctl *ctx, int argc, char **argv)
{
	json_t *ans = NULL;
	char *path = NULL, *base;
	char n[128], r[128], g[32], fp[128];
	int first, rc;

	if ((rc = wardctl_args(ctx, argc, argv, 2, 2, &first)) != 0)
		return rc;
	base = cert_path(2, argv + first);
	if (base && asprintf(&path, "%s/regenerate", base) < 0)
		path = NULL;
	free(base);
	if (!path) {
		wardctl_errorf(ctx, "out of memory");
		return WARDCTL_EUSAGE;
	}
	rc = http_call(ctx, "POST", path, NULL, HTTP_AUTH_BASIC, &ans);
	free(path);
	if (rc == 0) {
		if (ctx->json)
			out_json(ctx->out, ans);
		else
			fprintf(ctx->out,
				"Regenerated the %s certificate of %s: "
				"generation %s\n  SHA-256 %s\n"
				"The node switches to it once it has the "
				"change; the CTL must be signed again if it "
				"lists it.\n",
				out_field(ans, "role", r, sizeof r),
				out_field(ans, "node", n, sizeof n),
				out_field(ans, "generation", g, sizeof g),
				out_field(ans, "sha256", fp, sizeof fp));
	}
	json_decref(ans);
	return rc;
}
