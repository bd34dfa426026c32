/* cmd_node_group: "wardctl node-group add|set|show|list|delete" —
 * node groups: the ordered lists of up to three nodes phones fail over
 * between. */
#include "tools/wardctl/cmd_prov.h"
#include "tools/wardctl/prov.h"

static const struct prov_field fields[] = {
    {"description", PROV_STR},
    {"nodes", PROV_LIST},
};

static const char *const columns[] = {"name", "nodes", "description"};

const struct prov_group prov_group_node_group = {
    .what = "node group",
    .title = "Node group",
    .collection = "node-groups",
    .list_key = "node_groups",
    .fields = fields,
    .n_fields = sizeof fields / sizeof *fields,
    .columns = columns,
    .n_columns = sizeof columns / sizeof *columns,
    .password = PROV_PW_NONE,
};

int cmd_node_group_add(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_add(ctx, &prov_group_node_group, argc, argv);
}

int cmd_node_group_set(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_set(ctx, &prov_group_node_group, argc, argv);
}

int cmd_node_group_show(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_show(ctx, &prov_group_node_group, argc, argv);
}

int cmd_node_group_list(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_list(ctx, &prov_group_node_group, argc, argv);
}

int cmd_node_group_delete(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_delete(ctx, &prov_group_node_group, argc, argv);
}
