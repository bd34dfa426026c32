/* cmd_user: "wardctl user add|set|show|list|delete|import" —
 * end users: the digest credentials of phones (stored as wrapped HA1
 * values, never shown) and their presence group; "user import" adds many
 * from a CSV file with a password column. */
#include "tools/wardctl/cmd_prov.h"
#include "tools/wardctl/prov.h"

static const struct prov_field fields[] = {
    {"description", PROV_STR},
    {"presence_group", PROV_STR},
    {"realm", PROV_STR},
};

static const char *const columns[] = {"name", "realm", "credentials",
				      "presence_group", "description"};

const struct prov_group prov_group_user = {
    .what = "user",
    .title = "User",
    .collection = "users",
    .list_key = "users",
    .fields = fields,
    .n_fields = sizeof fields / sizeof *fields,
    .columns = columns,
    .n_columns = sizeof columns / sizeof *columns,
    .password = PROV_PW_OPTIONAL,
};

int cmd_user_add(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_add(ctx, &prov_group_user, argc, argv);
}

int cmd_user_set(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_set(ctx, &prov_group_user, argc, argv);
}

int cmd_user_show(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_show(ctx, &prov_group_user, argc, argv);
}

int cmd_user_list(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_list(ctx, &prov_group_user, argc, argv);
}

int cmd_user_delete(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_delete(ctx, &prov_group_user, argc, argv);
}

int cmd_user_import(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_import(ctx, &prov_group_user, argc, argv);
}
