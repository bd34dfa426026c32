/* cmd_css: "wardctl css add|set|show|list|delete" — calling search
 * spaces: the partitions a device may call into, in the order they are
 * searched. */
#include "tools/wardctl/cmd_prov.h"
#include "tools/wardctl/prov.h"

static const struct prov_field fields[] = {
    {"description", PROV_STR},
    {"partitions", PROV_LIST},
};

static const char *const columns[] = {"name", "partitions", "description"};

const struct prov_group prov_group_css = {
    .what = "calling search space",
    .title = "Calling search space",
    .collection = "css",
    .list_key = "css",
    .fields = fields,
    .n_fields = sizeof fields / sizeof *fields,
    .columns = columns,
    .n_columns = sizeof columns / sizeof *columns,
    .password = PROV_PW_NONE,
};

int cmd_css_add(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_add(ctx, &prov_group_css, argc, argv);
}

int cmd_css_set(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_set(ctx, &prov_group_css, argc, argv);
}

int cmd_css_show(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_show(ctx, &prov_group_css, argc, argv);
}

int cmd_css_list(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_list(ctx, &prov_group_css, argc, argv);
}

int cmd_css_delete(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_delete(ctx, &prov_group_css, argc, argv);
}
