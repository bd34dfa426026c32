/* cmd_route_pattern: "wardctl route-pattern add|set|show|list|delete" —
 * route and blocking patterns of the dial plan: digits, X, [1-5] ranges and
 * a trailing !, in a partition, routed to a SIP trunk or blocked. */
#include "tools/wardctl/cmd_prov.h"
#include "tools/wardctl/prov.h"

static const struct prov_field fields[] = {
    {"description", PROV_STR}, {"partition", PROV_STR}, {"pattern", PROV_STR},
    {"action", PROV_STR},      {"trunk", PROV_STR},
};

static const char *const columns[] = {"name", "partition", "pattern", "action",
				      "trunk"};

const struct prov_group prov_group_route_pattern = {
    .what = "route pattern",
    .title = "Route pattern",
    .collection = "route-patterns",
    .list_key = "route_patterns",
    .fields = fields,
    .n_fields = sizeof fields / sizeof *fields,
    .columns = columns,
    .n_columns = sizeof columns / sizeof *columns,
    .password = PROV_PW_NONE,
};

int cmd_route_pattern_add(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_add(ctx, &prov_group_route_pattern, argc, argv);
}

int cmd_route_pattern_set(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_set(ctx, &prov_group_route_pattern, argc, argv);
}

int cmd_route_pattern_show(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_show(ctx, &prov_group_route_pattern, argc, argv);
}

int cmd_route_pattern_list(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_list(ctx, &prov_group_route_pattern, argc, argv);
}

int cmd_route_pattern_delete(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_delete(ctx, &prov_group_route_pattern, argc, argv);
}
