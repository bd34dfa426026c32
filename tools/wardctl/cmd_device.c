/* cmd_device: "wardctl device add|set|show|list|delete|import|status" —
 * phones (SEP + MAC) and SIP trunks (peer host and port): model
 * capabilities, profile, lines (DN or DN@PARTITION), digest user, node
 * group, calling search space; "device import"
 * adds many from a CSV file. */
#include "tools/wardctl/cmd_prov.h"
#include "tools/wardctl/prov.h"

#include <stdlib.h>
#include <string.h>

#include "tools/wardctl/cmd.h"
#include "tools/wardctl/http.h"
#include "tools/wardctl/out.h"
#include "tools/wardctl/wardctl.h"

static const struct prov_field fields[] = {
    {"kind", PROV_STR},	       {"description", PROV_STR},
    {"model", PROV_STR},       {"capabilities", PROV_LIST},
    {"profile", PROV_STR},     {"lines", PROV_LIST},
    {"digest_user", PROV_STR}, {"node_group", PROV_STR},
    {"peer_host", PROV_STR},   {"peer_port", PROV_INT},
    {"css", PROV_STR},
};

static const char *const columns[] = {
    "name", "kind", "model", "profile", "lines", "digest_user", "node_group"};

const struct prov_group prov_group_device = {
    .what = "device",
    .title = "Device",
    .collection = "devices",
    .list_key = "devices",
    .fields = fields,
    .n_fields = sizeof fields / sizeof *fields,
    .columns = columns,
    .n_columns = sizeof columns / sizeof *columns,
    .password = PROV_PW_NONE,
};

int cmd_device_add(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_add(ctx, &prov_group_device, argc, argv);
}

int cmd_device_set(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_set(ctx, &prov_group_device, argc, argv);
}

/* The PEM text of PATH (at most 64 KiB) into *OUT (transferred). */
static int read_pem(struct wardctl *ctx, const char *path, char **out)
{
	FILE *f = fopen(path, "r");
	char *buf = malloc(65537);
	size_t n = 0;

	*out = NULL;
	if (f && buf)
		n = fread(buf, 1, 65537, f);
	if (!f || !buf || ferror(f) || n == 0 || n > 65536) {
		wardctl_errorf(ctx, "%s: %s", path,
			       !f || !buf ? "cannot be read"
			       : n	  ? "larger than 64 KiB"
					  : "empty or unreadable");
		if (f)
			fclose(f);
		free(buf);
		return WARDCTL_EUSAGE;
	}
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	return 0;
}

/* "device mic NAME FILE|none": the MIC the TFTP role encrypts the phone's
 * configuration to when it has no LSC. */
int cmd_device_mic(struct wardctl *ctx, int argc, char **argv)
{
	json_t *body = NULL, *ans = NULL;
	char *path = NULL, *pem = NULL;
	int first, rc, forget;

	if ((rc = wardctl_args(ctx, argc, argv, 2, 2, &first)) != 0)
		return rc;
	forget = strcmp(argv[first + 1], "none") == 0;
	if (!forget) {
		if ((rc = read_pem(ctx, argv[first + 1], &pem)) != 0)
			goto cleanup;
		body = json_pack("{s:s}", "pem", pem);
	}
	path = http_path("devices", argv[first], "/mic");
	if (!path || (!forget && !body)) {
		wardctl_errorf(ctx, "out of memory");
		rc = WARDCTL_EUSAGE;
		goto cleanup;
	}
	rc = http_call(ctx, forget ? "DELETE" : "PUT", path, body,
		       HTTP_AUTH_BASIC, &ans);
	if (rc != 0)
		goto cleanup;
	if (ctx->json) {
		out_json(ctx->out, ans);
	} else if (forget) {
		fprintf(ctx->out, "Device %s: no MIC.\n", argv[first]);
	} else {
		json_t *m = json_object_get(ans, "mic");

		fprintf(ctx->out, "Device %s: MIC %s (%s)%s.\n", argv[first],
			json_string_value(json_object_get(m, "sha256")),
			json_string_value(json_object_get(m, "subject")),
			json_is_true(json_object_get(m, "rsa"))
			    ? ""
			    : "; not RSA: no configuration is encrypted to it");
	}
cleanup:
	json_decref(ans);
	json_decref(body);
	free(path);
	free(pem);
	return rc;
}

int cmd_device_show(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_show(ctx, &prov_group_device, argc, argv);
}

int cmd_device_list(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_list(ctx, &prov_group_device, argc, argv);
}

int cmd_device_delete(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_delete(ctx, &prov_group_device, argc, argv);
}

int cmd_device_import(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_import(ctx, &prov_group_device, argc, argv);
}

/* One line of "device status": where the device's binding is held. */
static void status_line(FILE *out, const char *name, const json_t *dev)
{
	const json_t *reg = json_object_get(dev, "registration");
	const char *fp;

	if (!json_is_object(reg)) {
		fprintf(out, "%s: not registered\n", name);
		return;
	}
	fp = json_string_value(json_object_get(reg, "cert_sha256"));
	fprintf(
	    out,
	    "%s: on %s via %s from %s, certificate %s%s%s, expires at %lld "
	    "ms\n",
	    name, json_string_value(json_object_get(reg, "node")),
	    json_string_value(json_object_get(reg, "transport")),
	    json_string_value(json_object_get(reg, "source")),
	    json_string_value(json_object_get(reg, "cert")),
	    fp && *fp ? " sha256:" : "", fp && *fp ? fp : "",
	    (long long)json_integer_value(json_object_get(reg, "expires_ms")));
}

static int status_one(struct wardctl *ctx, const char *name, json_t *all)
{
	json_t *ans = NULL;
	char *path = http_path("devices", name, "");
	int rc;

	if (!path) {
		wardctl_errorf(ctx, "out of memory");
		return WARDCTL_EUSAGE;
	}
	rc = http_call(ctx, "GET", path, NULL, HTTP_AUTH_BASIC, &ans);
	free(path);
	if (rc == 0) {
		if (all)
			json_array_append(all, ans);
		else
			status_line(ctx->out, name, ans);
	}
	json_decref(ans);
	return rc;
}

/* "device status [NAME]": the node holding each device's binding, its
 * transport, source, certificate and expiry (the registrations table). */
int cmd_device_status(struct wardctl *ctx, int argc, char **argv)
{
	json_t *list = NULL, *all = NULL, *devs, *d;
	size_t i;
	int first, rc;

	if ((rc = wardctl_args(ctx, argc, argv, 0, 1, &first)) != 0)
		return rc;
	if (first < argc) {
		if (!ctx->json)
			return status_one(ctx, argv[first], NULL);
		all = json_array();
		rc = status_one(ctx, argv[first], all);
		if (rc == 0)
			out_json(ctx->out, json_array_get(all, 0));
		json_decref(all);
		return rc;
	}
	rc = http_call(ctx, "GET", "/v1/devices", NULL, HTTP_AUTH_BASIC, &list);
	devs = rc == 0 ? json_object_get(list, "devices") : NULL;
	all = ctx->json ? json_array() : NULL;
	json_array_foreach(devs, i, d)
	{
		const char *name =
		    json_string_value(json_object_get(d, "name"));
		if (name && (rc = status_one(ctx, name, all)) != 0)
			break;
	}
	if (rc == 0 && all)
		out_json(ctx->out, all);
	json_decref(all);
	json_decref(list);
	return rc;
}
