/* cmd_app_user: "wardctl app-user add|set|show|list|delete" —
 * application users: digest credentials of the applications behind
 * trunks and the SIP methods and requests they may send (application-level
 * authorization). */
#include "tools/wardctl/cmd_prov.h"
#include "tools/wardctl/prov.h"

static const struct prov_field fields[] = {
    {"description", PROV_STR},
    {"presence_group", PROV_STR},
    {"methods", PROV_LIST},
    {"realm", PROV_STR},
};

static const char *const columns[] = {"name", "methods", "credentials",
				      "realm"};

const struct prov_group prov_group_app_user = {
    .what = "application user",
    .title = "Application user",
    .collection = "app-users",
    .list_key = "app_users",
    .fields = fields,
    .n_fields = sizeof fields / sizeof *fields,
    .columns = columns,
    .n_columns = sizeof columns / sizeof *columns,
    .password = PROV_PW_OPTIONAL,
};

int cmd_app_user_add(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_add(ctx, &prov_group_app_user, argc, argv);
}

int cmd_app_user_set(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_set(ctx, &prov_group_app_user, argc, argv);
}

int cmd_app_user_show(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_show(ctx, &prov_group_app_user, argc, argv);
}

int cmd_app_user_list(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_list(ctx, &prov_group_app_user, argc, argv);
}

int cmd_app_user_delete(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_delete(ctx, &prov_group_app_user, argc, argv);
}
