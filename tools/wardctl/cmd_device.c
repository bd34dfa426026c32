/* cmd_device: "wardctl device add|set|show|list|delete|import|status" —
 * phones (SEP + MAC) and SIP trunks (peer host and port): model
 * capabilities, profile, lines (DN or DN@PARTITION), digest user, node
 * group, calling search space; "device import"
 * adds many from a CSV file. */
#include "tools/wardctl/cmd_prov.h"
#include "tools/wardctl/prov.h"

#include <stdlib.h>

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
