/* cmd_partition: "wardctl partition add|set|show|list|delete" — the
 * partitions of the dial plan: groups of lines and patterns that a calling
 * search space reaches or not. */
#include "tools/wardctl/cmd_prov.h"
#include "tools/wardctl/prov.h"

static const struct prov_field fields[] = {
    {"description", PROV_STR},
};

static const char *const columns[] = {"name", "description"};

const struct prov_group prov_group_partition = {
    .what = "partition",
    .title = "Partition",
    .collection = "partitions",
    .list_key = "partitions",
    .fields = fields,
    .n_fields = sizeof fields / sizeof *fields,
    .columns = columns,
    .n_columns = sizeof columns / sizeof *columns,
    .password = PROV_PW_NONE,
};

int cmd_partition_add(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_add(ctx, &prov_group_partition, argc, argv);
}

int cmd_partition_set(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_set(ctx, &prov_group_partition, argc, argv);
}

int cmd_partition_show(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_show(ctx, &prov_group_partition, argc, argv);
}

int cmd_partition_list(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_list(ctx, &prov_group_partition, argc, argv);
}

int cmd_partition_delete(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_delete(ctx, &prov_group_partition, argc, argv);
}
