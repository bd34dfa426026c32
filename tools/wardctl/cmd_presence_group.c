/* cmd_presence_group: "wardctl presence-group add|set|show|list|delete" —
 * presence groups: which groups' members a group's members may watch
 * (--allow, --disallow: lists of groups; other pairs take the cluster
 * parameter presence_default_subscription). */
#include "tools/wardctl/cmd_prov.h"
#include "tools/wardctl/prov.h"

static const struct prov_field fields[] = {
    {"description", PROV_STR},
    {"allow", PROV_LIST},
    {"disallow", PROV_LIST},
};

static const char *const columns[] = {"name", "allow", "disallow",
				      "description"};

const struct prov_group prov_group_presence_group = {
    .what = "presence group",
    .title = "Presence group",
    .collection = "presence-groups",
    .list_key = "presence_groups",
    .fields = fields,
    .n_fields = sizeof fields / sizeof *fields,
    .columns = columns,
    .n_columns = sizeof columns / sizeof *columns,
    .password = PROV_PW_NONE,
};

int cmd_presence_group_add(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_add(ctx, &prov_group_presence_group, argc, argv);
}

int cmd_presence_group_set(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_set(ctx, &prov_group_presence_group, argc, argv);
}

int cmd_presence_group_show(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_show(ctx, &prov_group_presence_group, argc, argv);
}

int cmd_presence_group_list(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_list(ctx, &prov_group_presence_group, argc, argv);
}

int cmd_presence_group_delete(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_delete(ctx, &prov_group_presence_group, argc, argv);
}
