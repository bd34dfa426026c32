/* cmd_tftp: the files phones fetch from the TFTP role. Uploads send the
 * file in chunks, then commit it by name, size and SHA-256 (the admin API
 * accepts the commit only once every chunk is replicated and the whole
 * hashes right); `get` shows the bytes a node serves under a name. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "tools/wardctl/cmd.h"
#include "tools/wardctl/cmd_pki.h"
#include "tools/wardctl/http.h"
#include "tools/wardctl/out.h"
#include "tools/wardctl/wardctl.h"

#define TFTP_FILE_MAX (64u << 20) /* the admin API's limit, checked early */
#define TFTP_CHUNK (64u << 10)
#define TFTP_NAME_MAX 255

void tftp_list_render(FILE *f, const json_t *doc)
{
	static const struct out_column cols[] = {
	    {"NAME", "name", NULL},
	    {"SIZE", "size", NULL},
	    {"SHA256", "sha256", NULL},
	    {"UPLOADED", "uploaded_ms", out_field_time},
	    {"BY", "uploaded_by", NULL},
	};

	if (out_table_list(f, doc, "files", cols, 5) == 0)
		fprintf(f, "(no uploaded files)\n");
}

int cmd_tftp_list(struct wardctl *ctx, int argc, char **argv)
{
	return cmd_get_show(ctx, argc, argv, "/v1/tftp/files",
			    tftp_list_render);
}

/* The name a file is uploaded as: --name, else the path's last part. */
static const char *upload_name(const char *path, const char *name)
{
	const char *slash = strrchr(path, '/');

	if (name)
		return name;
	return slash ? slash + 1 : path;
}

int cmd_tftp_upload(struct wardctl *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"name", required_argument, NULL, 'n'},
	    {0},
	};
	const char *name = NULL, *path;
	uint8_t *data = NULL, md[32];
	size_t len = 0;
	char fp[HEX_SHA256_TEXT_LEN], *b64 = NULL;
	json_t *body = NULL, *ans = NULL;
	int state = 0, opt, rc;

	while ((opt = wardctl_getopt(ctx, argc, argv, opts, &state)) != -1) {
		if (opt != 'n')
			return ctx->opt_rc;
		name = optarg;
	}
	if (state != argc - 1) {
		wardctl_errorf(ctx, "one FILE to upload");
		return wardctl_usage_cmd(ctx);
	}
	path = argv[state];
	name = upload_name(path, name);
	if (strlen(name) > TFTP_NAME_MAX) {
		wardctl_errorf(ctx, "the name is longer than %d bytes",
			       TFTP_NAME_MAX);
		return WARDCTL_EUSAGE;
	}
	rc = pki_file_read(ctx, path, TFTP_FILE_MAX, &data, &len);
	if (rc)
		return rc;
	EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL);
	hex_sha256_text(md, fp);
	/* Every chunk is written (and replicated) before the next is sent:
	 * a failure leaves a file that is simply not committed. */
	for (size_t off = 0, i = 0; off < len; off += TFTP_CHUNK, i++) {
		size_t n = len - off < TFTP_CHUNK ? len - off : TFTP_CHUNK;

		b64 = pki_b64_encode(data + off, n);
		body = b64 ? json_pack("{s:s, s:I, s:s}", "sha256", fp, "index",
				       (json_int_t)i, "data", b64)
			   : NULL;
		free(b64);
		if (!body) {
			wardctl_errorf(ctx, "out of memory");
			rc = WARDCTL_EUNAVAILABLE;
			goto cleanup;
		}
		rc = http_call(ctx, "POST", "/v1/tftp/chunks", body,
			       HTTP_AUTH_BASIC, &ans);
		json_decref(body);
		json_decref(ans);
		body = ans = NULL;
		if (rc)
			goto cleanup;
	}
	body = json_pack("{s:s, s:I, s:s, s:I}", "name", name, "size",
			 (json_int_t)len, "sha256", fp, "chunk_size",
			 (json_int_t)TFTP_CHUNK);
	if (!body) {
		wardctl_errorf(ctx, "the name must be UTF-8");
		rc = WARDCTL_EUSAGE;
		goto cleanup;
	}
	rc = http_call(ctx, "POST", "/v1/tftp/files", body, HTTP_AUTH_BASIC,
		       &ans);
	if (rc)
		goto cleanup;
	if (ctx->json)
		out_json(ctx->out, ans);
	else
		fprintf(ctx->out, "Uploaded %s: %zu bytes, %s\n", name, len,
			fp);
cleanup:
	json_decref(ans);
	json_decref(body);
	free(data);
	return rc;
}

/* "/v1/tftp/file?name=NAME[&node=NODE][&format=json]": names hold only
 * characters a query may carry as they are. */
static char *file_path(const char *name, const char *node)
{
	char *p = NULL;

	for (const char *s = name; *s; s++)
		if (!strchr(
			"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"0123456789._-/",
			*s))
			return NULL;
	if (node && strspn(node, "0123456789") != strlen(node))
		return NULL;
	if (asprintf(&p, "/v1/tftp/file?name=%s%s%s&format=json", name,
		     node ? "&node=" : "", node ? node : "") < 0)
		return NULL;
	return p;
}

int cmd_tftp_delete(struct wardctl *ctx, int argc, char **argv)
{
	json_t *ans = NULL;
	char *path;
	int state = 0, rc;

	if ((rc = wardctl_args(ctx, argc, argv, 1, 1, &state)))
		return rc;
	path = file_path(argv[state], NULL);
	if (!path) {
		wardctl_errorf(ctx, "\"%s\" is no TFTP file name", argv[state]);
		return WARDCTL_EUSAGE;
	}
	rc = http_call(ctx, "DELETE", path, NULL, HTTP_AUTH_BASIC, &ans);
	free(path);
	if (rc == 0) {
		if (ctx->json)
			out_json(ctx->out, ans);
		else
			fprintf(ctx->out, "Deleted %s.\n", argv[state]);
	}
	json_decref(ans);
	return rc;
}

int cmd_tftp_get(struct wardctl *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"node", required_argument, NULL, 'N'},
	    {0},
	};
	const char *output = NULL, *node = NULL, *b64;
	json_t *ans = NULL;
	uint8_t *file = NULL;
	size_t len = 0;
	char *path;
	int state = 0, opt, rc;

	while ((opt = wardctl_getopt(ctx, argc, argv, opts, &state)) != -1) {
		if (opt == 'o')
			output = optarg;
		else if (opt == 'N')
			node = optarg;
		else
			return ctx->opt_rc;
	}
	if (state != argc - 1) {
		wardctl_errorf(ctx, "one NAME to fetch");
		return wardctl_usage_cmd(ctx);
	}
	path = file_path(argv[state], node);
	if (!path) {
		wardctl_errorf(ctx,
			       "\"%s\" is no TFTP file name (or --node "
			       "no node id)",
			       argv[state]);
		return WARDCTL_EUSAGE;
	}
	rc = http_call(ctx, "GET", path, NULL, HTTP_AUTH_BASIC, &ans);
	free(path);
	if (rc)
		return rc;
	if (ctx->json && !output) {
		out_json(ctx->out, ans);
		json_decref(ans);
		return 0;
	}
	b64 = out_str(ans, "file");
	if (!b64 || pki_b64_decode(b64, &file, &len) != 0) {
		wardctl_errorf(ctx, "the answer holds no file (larger than "
				    "the API returns whole?)");
		rc = WARDCTL_EUNAVAILABLE;
	} else {
		rc = pki_file_write(ctx, output, file, len, 1);
	}
	free(file);
	json_decref(ans);
	return rc;
}

void tftp_files_render(FILE *f, const json_t *doc)
{
	char a[512], b[512], c[512], d[512];
	const json_t *e, *enc = json_object_get(doc, "encryption");
	size_t i;

	fprintf(f,
		"%s from node %s (cluster %s; profile %s, device security "
		"mode %s)\n",
		out_field(doc, "device", a, sizeof a),
		out_field(doc, "node", b, sizeof b),
		out_field(doc, "cluster_mode", c, sizeof c),
		out_field(doc, "profile", d, sizeof d),
		out_field(doc, "device_security_mode", a, sizeof a));
	fprintf(f, "Encryption asked: %s; certificate: %s; in effect: %s\n",
		out_field(enc, "asked", a, sizeof a),
		out_field(enc, "certificate", b, sizeof b),
		out_field(enc, "active", c, sizeof c));
	json_array_foreach(json_object_get(doc, "files"), i, e)
	{
		fprintf(f, "  %-34s ", out_field(e, "name", a, sizeof a));
		if (json_is_true(json_object_get(e, "served")))
			fprintf(f, "%s bytes %s\n",
				out_field(e, "size", b, sizeof b),
				out_field(e, "sha256", c, sizeof c));
		else
			fprintf(f, "not served\n");
		fprintf(f, "  %-34s %s\n", "",
			out_field(e, "why", d, sizeof d));
	}
	if (out_str(doc, "digest"))
		fprintf(f, "Digest: %s\n",
			out_field(doc, "digest", a, sizeof a));
}

int cmd_tftp_files(struct wardctl *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"node", required_argument, NULL, 'N'},
	    {0},
	};
	const char *node = NULL;
	char *path, *full = NULL;
	int state = 0, opt, rc;

	while ((opt = wardctl_getopt(ctx, argc, argv, opts, &state)) != -1) {
		if (opt != 'N')
			return ctx->opt_rc;
		node = optarg;
	}
	if (state != argc - 1) {
		wardctl_errorf(ctx, "one DEVICE");
		return wardctl_usage_cmd(ctx);
	}
	if (node && (!node[0] || strspn(node, "0123456789") != strlen(node))) {
		wardctl_errorf(ctx, "--node: a node id");
		return WARDCTL_EUSAGE;
	}
	path = http_path("tftp/devices", argv[state], "");
	if (!path || asprintf(&full, "%s%s%s", path, node ? "?node=" : "",
			      node ? node : "") < 0) {
		free(path);
		wardctl_errorf(ctx, "out of memory");
		return WARDCTL_EUNAVAILABLE;
	}
	free(path);
	rc = cmd_get_path_show(ctx, full, tftp_files_render);
	free(full);
	return rc;
}
