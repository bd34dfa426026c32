/* cmd_srst: "wardctl srst add|set|show|list|delete" — SRST references:
 * the gateway (address, SIP and TLS ports, the trust entry of its
 * certificate) a phone falls back to when no node of its group answers;
 * a phone profile names one with --srst-reference. */
#include "tools/wardctl/cmd_prov.h"
#include "tools/wardctl/prov.h"

static const struct prov_field fields[] = {
    {"description", PROV_STR}, {"address", PROV_STR},
    {"sip_port", PROV_INT},    {"tls_port", PROV_INT},
    {"certificate", PROV_STR},
};

static const char *const columns[] = {"name",	  "address",	 "sip_port",
				      "tls_port", "certificate", "description"};

const struct prov_group prov_group_srst = {
    .what = "SRST reference",
    .title = "SRST reference",
    .collection = "srst",
    .list_key = "srst",
    .fields = fields,
    .n_fields = sizeof fields / sizeof *fields,
    .columns = columns,
    .n_columns = sizeof columns / sizeof *columns,
    .password = PROV_PW_NONE,
};

int cmd_srst_add(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_add(ctx, &prov_group_srst, argc, argv);
}

int cmd_srst_set(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_set(ctx, &prov_group_srst, argc, argv);
}

int cmd_srst_show(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_show(ctx, &prov_group_srst, argc, argv);
}

int cmd_srst_list(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_list(ctx, &prov_group_srst, argc, argv);
}

int cmd_srst_delete(struct wardctl *ctx, int argc, char **argv)
{
	return prov_cmd_delete(ctx, &prov_group_srst, argc, argv);
}
