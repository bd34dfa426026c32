/* cmd_realm: "wardctl realm add|set|show|list|delete" —
 * realms: the credentials ward answers a trunk's 401/407 with, by the
 * challenge's realm (the password is stored wrapped, never shown). */
#include "tools/wardctl/cmd_prov.h"
#include "tools/wardctl/prov.h"

static const struct prov_field fields[] = {
    {"description", PROV_STR},
    {"user", PROV_STR},
};

static const char *const columns[] = {"name", "user", "credentials",
				      "description"};

const struct prov_group prov_group_realm = {
    .what = "realm",
    .title = "Realm",
    .collection = "realms",
    .list_key = "realms",
    .fields = fields,
    .n_fields = sizeof fields / sizeof *fields,
    .columns = columns,
    .n_columns = sizeof columns / sizeof *columns,
    .password = PROV_PW_REQUIRED,
};

int cmd_realm_add(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_add(ctx, &prov_group_realm, argc, argv);
}

int cmd_realm_set(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_set(ctx, &prov_group_realm, argc, argv);
}

int cmd_realm_show(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_show(ctx, &prov_group_realm, argc, argv);
}

int cmd_realm_list(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_list(ctx, &prov_group_realm, argc, argv);
}

int cmd_realm_delete(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_delete(ctx, &prov_group_realm, argc, argv);
}
