/* cmd_profile: "wardctl profile add|set|show|list|delete" —
 * phone security profiles: device security mode, transport, digest
 * authentication, config encryption, CAPF settings and the phone hardening
 * settings its config file carries. */
#include "tools/wardctl/cmd_prov.h"
#include "tools/wardctl/prov.h"

static const struct prov_field fields[] = {
    {"description", PROV_STR},
    {"mode", PROV_STR},
    {"transport", PROV_STR},
    {"digest_auth", PROV_BOOL},
    {"nonce_validity_s", PROV_INT},
    {"tftp_encrypted_config", PROV_BOOL},
    {"exclude_digest_credentials", PROV_BOOL},
    {"capf_auth", PROV_STR},
    {"key_size", PROV_INT},
    {"pc_port", PROV_BOOL},
    {"settings_access", PROV_STR},
    {"web_access", PROV_BOOL},
    {"gratuitous_arp", PROV_BOOL},
    {"voice_vlan_access", PROV_BOOL},
    {"span_to_pc_port", PROV_BOOL},
    {"srst_reference", PROV_STR},
    {"encrypted_or_reject", PROV_BOOL},
};

static const char *const columns[] = {
    "name",	  "mode", "transport", "digest_auth", "tftp_encrypted_config",
    "description"};

const struct prov_group prov_group_profile = {
    .what = "profile",
    .title = "Profile",
    .collection = "profiles",
    .list_key = "profiles",
    .fields = fields,
    .n_fields = sizeof fields / sizeof *fields,
    .columns = columns,
    .n_columns = sizeof columns / sizeof *columns,
    .password = PROV_PW_NONE,
};

int cmd_profile_add(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_add(ctx, &prov_group_profile, argc, argv);
}

int cmd_profile_set(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_set(ctx, &prov_group_profile, argc, argv);
}

int cmd_profile_show(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_show(ctx, &prov_group_profile, argc, argv);
}

int cmd_profile_list(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_list(ctx, &prov_group_profile, argc, argv);
}

int cmd_profile_delete(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_delete(ctx, &prov_group_profile, argc, argv);
}
