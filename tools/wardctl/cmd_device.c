/* cmd_device: "wardctl device add|set|show|list|delete|import" —
 * phones (SEP + MAC) and SIP trunks (peer host and port): model
 * capabilities, profile, lines, digest user, node group; "device import"
 * adds many from a CSV file. */
#include "tools/wardctl/cmd_prov.h"
#include "tools/wardctl/prov.h"

static const struct prov_field fields[] = {
    {"kind", PROV_STR},	       {"description", PROV_STR},
    {"model", PROV_STR},       {"capabilities", PROV_LIST},
    {"profile", PROV_STR},     {"lines", PROV_LIST},
    {"digest_user", PROV_STR}, {"node_group", PROV_STR},
    {"peer_host", PROV_STR},   {"peer_port", PROV_INT},
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
