/* cmd_trunk_profile: "wardctl trunk-profile add|set|show|list|delete" —
 * SIP trunk security profiles: device security mode, transports, incoming
 * port, the peer's X.509 subject names, digest authentication and what
 * the trunk may send (presence, out-of-dialog REFER, unsolicited NOTIFY,
 * Replaces) and whether application-level authorization applies. */
#include "tools/wardctl/cmd_prov.h"
#include "tools/wardctl/prov.h"

static const struct prov_field fields[] = {
    {"description", PROV_STR},
    {"mode", PROV_STR},
    {"incoming_transport", PROV_STR},
    {"outgoing_transport", PROV_STR},
    {"incoming_port", PROV_INT},
    {"x509_subjects", PROV_STR},
    {"digest_auth", PROV_BOOL},
    {"nonce_validity_s", PROV_INT},
    {"accept_presence_subscription", PROV_BOOL},
    {"accept_out_of_dialog_refer", PROV_BOOL},
    {"accept_unsolicited_notify", PROV_BOOL},
    {"accept_replaces", PROV_BOOL},
    {"application_level_authorization", PROV_BOOL},
};

static const char *const columns[] = {
    "name",	     "mode",	    "incoming_transport",
    "incoming_port", "digest_auth", "application_level_authorization"};

const struct prov_group prov_group_trunk_profile = {
    .what = "trunk profile",
    .title = "Trunk profile",
    .collection = "trunk-profiles",
    .list_key = "trunk_profiles",
    .fields = fields,
    .n_fields = sizeof fields / sizeof *fields,
    .columns = columns,
    .n_columns = sizeof columns / sizeof *columns,
    .password = PROV_PW_NONE,
};

int cmd_trunk_profile_add(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_add(ctx, &prov_group_trunk_profile, argc, argv);
}

int cmd_trunk_profile_set(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_set(ctx, &prov_group_trunk_profile, argc, argv);
}

int cmd_trunk_profile_show(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_show(ctx, &prov_group_trunk_profile, argc, argv);
}

int cmd_trunk_profile_list(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_list(ctx, &prov_group_trunk_profile, argc, argv);
}

int cmd_trunk_profile_delete(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_delete(ctx, &prov_group_trunk_profile, argc, argv);
}
