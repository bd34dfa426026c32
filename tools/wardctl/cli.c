/* cli: global options, the table of subcommands and the usage. A command is
 * looked up by its group and subcommand words and gets the rest of argv. */
#include "tools/wardctl/wardctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tools/wardctl/cmd.h"
#include "tools/wardctl/cmd_pki.h"
#include "tools/wardctl/cmd_prov.h"
#include "tools/wardctl/creds.h"
#include "tools/wardctl/pin.h"

static const struct wardctl_command commands[] = {
    {"cluster", "init", cmd_cluster_init,
     "--token-file FILE --name CLUSTER_NAME",
     "create the cluster on a new node; --user names the first admin"},
    {"cluster", "status", cmd_cluster_status, "",
     "members, roles, health and the leader"},
    {"node", "add", cmd_node_add, "NAME ADDRESS",
     "let a new server join; prints its one-time join command"},
    {"node", "remove", cmd_node_remove, "NAME",
     "take a node out of the cluster"},
    {"node", "list", cmd_node_list, "", "the nodes and their addresses"},
    {"leader", "transfer", cmd_leader_transfer, "[NAME]",
     "hand leadership to NAME (or to the best voter)"},
    {"param", "get", cmd_param_get, "[NAME]",
     "print a parameter's value (every value without NAME)"},
    {"param", "set", cmd_param_set, "NAME VALUE", "set a parameter"},
    {"param", "list", cmd_param_list, "",
     "every parameter with its default and help"},
    {"admin", "add", cmd_admin_add, "[--new-password-file FILE] NAME",
     "add an admin user"},
    {"admin", "passwd", cmd_admin_passwd, "[--new-password-file FILE] NAME",
     "change an admin's password"},
    {"admin", "list", cmd_admin_list, "", "the admin users"},
    {"admin", "remove", cmd_admin_remove, "NAME", "remove an admin user"},
    {"audit", NULL, cmd_audit, "[--limit N]",
     "who changed what, newest first (N <= 1000, default 100)"},
    {"status", NULL, cmd_status, "", "the answering node's own state"},
    {"cert", "list", cmd_cert_list, "[--trust]",
     "the cluster's certificates (--trust: the trust store)"},
    {"cert", "show", cmd_cert_show, "NODE ROLE | NAME",
     "one certificate (NODE \"cluster\", ROLE \"ca\" for the CA) or "
     "trust store entry"},
    {"cert", "export", cmd_cert_export, "[--der] [-o FILE] NODE ROLE | NAME",
     "the certificate in PEM (or DER), to FILE or standard output"},
    {"cert", "import", cmd_cert_import, "--category CATEGORY FILE",
     "add a PEM or DER certificate to the trust store"},
    {"cert", "delete", cmd_cert_delete, "NAME",
     "remove a trust store entry (xxxxxxxx.N)"},
    {"cert", "regenerate", cmd_cert_regenerate, "NODE ROLE",
     "a new key and certificate for a node's role"},
    {"cert", "fingerprint", cmd_cert_fingerprint, "NODE ROLE | NAME",
     "SHA-1 and SHA-256 fingerprints"},
    {"token", "register", cmd_token_register,
     "--module PATH --token LABEL [--key-id ID]",
     "allow a PKCS#11 security token to sign the CTL"},
    {"token", "list", cmd_token_list, "", "the registered security tokens"},
    {"token", "remove", cmd_token_remove, "SERIAL",
     "withdraw a token's right to sign the CTL"},
    {"ctl", "sign", cmd_ctl_sign,
     "--module PATH --token LABEL [--key-id ID] [--pin-file FILE] "
     "[--sig ALG]",
     "build the CTL the cluster needs, sign it with the token, store it"},
    {"ctl", "show", cmd_ctl_show, "",
     "the current CTL: version, signers, whether it is current"},
    {"ctl", "verify", cmd_ctl_verify, "",
     "check the stored CTL's signature here, and whether it is current"},
    {"ctl", "export", cmd_ctl_export, "[-o FILE]",
     "the signed CTL file (CTLFile.tlv)"},
    {"security", "mode", cmd_security_mode, "mixed|non-secure",
     "set the cluster security mode (mixed needs a current CTL)"},
    {"security", "status", cmd_security_status, "",
     "mode, CTL, tokens and pending resets"}, /* Provisioning (prov.h). */
    {"profile", "add", cmd_profile_add, "NAME [--FIELD VALUE ...]",
     "add a profile (--help lists the fields)"},
    {"profile", "set", cmd_profile_set, "NAME [--FIELD VALUE ...]",
     "change fields of a profile"},
    {"profile", "show", cmd_profile_show, "NAME", "one profile"},
    {"profile", "list", cmd_profile_list, "", "every profile"},
    {"profile", "delete", cmd_profile_delete, "NAME",
     "remove a profile (refused while in use)"},
    {"trunk-profile", "add", cmd_trunk_profile_add, "NAME [--FIELD VALUE ...]",
     "add a trunk profile (--help lists the fields)"},
    {"trunk-profile", "set", cmd_trunk_profile_set, "NAME [--FIELD VALUE ...]",
     "change fields of a trunk profile"},
    {"trunk-profile", "show", cmd_trunk_profile_show, "NAME",
     "one trunk profile"},
    {"trunk-profile", "list", cmd_trunk_profile_list, "",
     "every trunk profile"},
    {"trunk-profile", "delete", cmd_trunk_profile_delete, "NAME",
     "remove a trunk profile (refused while in use)"},
    {"device", "add", cmd_device_add, "NAME [--FIELD VALUE ...]",
     "add a device (--help lists the fields)"},
    {"device", "set", cmd_device_set, "NAME [--FIELD VALUE ...]",
     "change fields of a device"},
    {"device", "mic", cmd_device_mic, "NAME FILE|none",
     "record a phone's manufacturer certificate (PEM), or forget it"},
    {"device", "show", cmd_device_show, "NAME", "one device"},
    {"device", "list", cmd_device_list, "", "every device"},
    {"device", "status", cmd_device_status, "[NAME]",
     "where each device is registered: node, transport, source, certificate"},
    {"device", "delete", cmd_device_delete, "NAME",
     "remove a device (refused while in use)"},
    {"device", "import", cmd_device_import, "FILE",
     "add devices from a CSV file, one verdict per row"},
    {"user", "add", cmd_user_add,
     "NAME [--FIELD VALUE ...] [--new-password-file FILE] [--no-password]",
     "add a user (--help lists the fields)"},
    {"user", "set", cmd_user_set,
     "NAME [--FIELD VALUE ...] [--change-password]", "change fields of a user"},
    {"user", "show", cmd_user_show, "NAME", "one user"},
    {"user", "list", cmd_user_list, "", "every user"},
    {"user", "delete", cmd_user_delete, "NAME",
     "remove a user (refused while in use)"},
    {"user", "import", cmd_user_import, "FILE",
     "add users from a CSV file, one verdict per row"},
    {"app-user", "add", cmd_app_user_add,
     "NAME [--FIELD VALUE ...] [--new-password-file FILE] [--no-password]",
     "add a application user (--help lists the fields)"},
    {"app-user", "set", cmd_app_user_set,
     "NAME [--FIELD VALUE ...] [--change-password]",
     "change fields of a application user"},
    {"app-user", "show", cmd_app_user_show, "NAME", "one application user"},
    {"app-user", "list", cmd_app_user_list, "", "every application user"},
    {"app-user", "delete", cmd_app_user_delete, "NAME",
     "remove a application user (refused while in use)"},
    {"realm", "add", cmd_realm_add,
     "NAME [--FIELD VALUE ...] [--new-password-file FILE]",
     "add a realm (--help lists the fields)"},
    {"realm", "set", cmd_realm_set,
     "NAME [--FIELD VALUE ...] [--change-password]",
     "change fields of a realm"},
    {"realm", "show", cmd_realm_show, "NAME", "one realm"},
    {"realm", "list", cmd_realm_list, "", "every realm"},
    {"realm", "delete", cmd_realm_delete, "NAME",
     "remove a realm (refused while in use)"},
    {"node-group", "add", cmd_node_group_add, "NAME [--FIELD VALUE ...]",
     "add a node group (--help lists the fields)"},
    {"node-group", "set", cmd_node_group_set, "NAME [--FIELD VALUE ...]",
     "change fields of a node group"},
    {"node-group", "show", cmd_node_group_show, "NAME", "one node group"},
    {"node-group", "list", cmd_node_group_list, "", "every node group"},
    {"node-group", "delete", cmd_node_group_delete, "NAME",
     "remove a node group (refused while in use)"},
    {"srst", "add", cmd_srst_add, "NAME --address ADDR [--FIELD VALUE ...]",
     "add an SRST reference (--help lists the fields)"},
    {"srst", "set", cmd_srst_set, "NAME [--FIELD VALUE ...]",
     "change fields of an SRST reference"},
    {"srst", "show", cmd_srst_show, "NAME", "one SRST reference"},
    {"srst", "list", cmd_srst_list, "", "every SRST reference"},
    {"srst", "delete", cmd_srst_delete, "NAME",
     "remove an SRST reference (refused while a profile names it)"},
    {"partition", "add", cmd_partition_add, "NAME [--FIELD VALUE ...]",
     "add a partition (--help lists the fields)"},
    {"partition", "set", cmd_partition_set, "NAME [--FIELD VALUE ...]",
     "change fields of a partition"},
    {"partition", "show", cmd_partition_show, "NAME", "one partition"},
    {"partition", "list", cmd_partition_list, "", "every partition"},
    {"partition", "delete", cmd_partition_delete, "NAME",
     "remove a partition (refused while in use)"},
    {"css", "add", cmd_css_add, "NAME [--FIELD VALUE ...]",
     "add a calling search space (--help lists the fields)"},
    {"css", "set", cmd_css_set, "NAME [--FIELD VALUE ...]",
     "change fields of a calling search space"},
    {"css", "show", cmd_css_show, "NAME", "one calling search space"},
    {"css", "list", cmd_css_list, "", "every calling search space"},
    {"css", "delete", cmd_css_delete, "NAME",
     "remove a calling search space (refused while in use)"},
    {"route-pattern", "add", cmd_route_pattern_add, "NAME [--FIELD VALUE ...]",
     "add a route pattern (--help lists the fields)"},
    {"route-pattern", "set", cmd_route_pattern_set, "NAME [--FIELD VALUE ...]",
     "change fields of a route pattern"},
    {"route-pattern", "show", cmd_route_pattern_show, "NAME",
     "one route pattern"},
    {"route-pattern", "list", cmd_route_pattern_list, "",
     "every route pattern"},
    {"route-pattern", "delete", cmd_route_pattern_delete, "NAME",
     "remove a route pattern"},
    {"presence-group", "add", cmd_presence_group_add,
     "NAME [--allow G,G] [--disallow G,G] [--description TEXT]",
     "add a presence group (who its members may watch)"},
    {"presence-group", "set", cmd_presence_group_set,
     "NAME [--allow G,G] [--disallow G,G] [--description TEXT]",
     "change a presence group (a list replaces that kind of rules)"},
    {"presence-group", "show", cmd_presence_group_show, "NAME",
     "one presence group"},
    {"presence-group", "list", cmd_presence_group_list, "",
     "every presence group"},
    {"presence-group", "delete", cmd_presence_group_delete, "NAME",
     "remove a presence group (refused while in use)"},
    {"dial-plan", "route", cmd_dial_plan_route, "CALLER NUMBER",
     "what the dial plan does with a call from device CALLER to NUMBER"},
    {"call", "list", cmd_call_list, "",
     "the calls the node carries, with their security level"},
    {"tftp", "upload", cmd_tftp_upload, "[--name NAME] FILE",
     "a static file phones fetch over TFTP (up to 64 MiB)"},
    {"tftp", "list", cmd_tftp_list, "", "the uploaded files"},
    {"tftp", "delete", cmd_tftp_delete, "NAME", "remove an uploaded file"},
    {"tftp", "get", cmd_tftp_get, "[--node ID] [-o FILE] NAME",
     "the bytes a node serves as NAME (trust lists, configs, uploads)"},
    {"tftp", "files", cmd_tftp_files, "[--node ID] DEVICE",
     "what a phone gets (signed, encrypted or not) and why"},
    {"capf", "schedule", cmd_capf_schedule,
     "[--operation OP] [--auth MODE] [--auth-string DIGITS] "
     "[--string-length N] [--key KEY] [--deadline SECONDS] [--tries N] "
     "DEVICE | --profile NAME | --csv FILE",
     "schedule an LSC install/upgrade, delete or troubleshoot"},
    {"capf", "cancel", cmd_capf_cancel, "DEVICE",
     "cancel a device's CAPF operation"},
    {"capf", "status", cmd_capf_status, "[--batch ID] [DEVICE]",
     "CAPF operations and their progress"},
    {"capture", "start", cmd_capture_start, "[--seconds N] DEVICE",
     "log the SRTP keys of DEVICE's calls for N (1..3600, 600) seconds"},
    {"capture", "stop", cmd_capture_stop, "DEVICE",
     "end a capture window; its logged keys are wiped"},
    {"capture", "list", cmd_capture_list, "", "capture windows"},
    {"capture", "keys", cmd_capture_keys, "[--all-nodes] DEVICE",
     "the keys logged for DEVICE on the node --url names, or on every "
     "node (audited)"},
};
#define N_COMMANDS (sizeof commands / sizeof *commands)

/* Values of global options; above any command option's val (< 256). */
enum {
	GOPT_URL = 256,
	GOPT_USER,
	GOPT_PASSWORD_FILE,
	GOPT_CACERT,
	GOPT_FINGERPRINT,
	GOPT_CA_FINGERPRINT,
	GOPT_JSON,
	GOPT_CONSISTENT,
	GOPT_TIMEOUT,
	GOPT_SECRET, /* a secret on the command line: refused */
};

/* "--password", "--new-password" and "--token" are named here only to be
 * refused: without them getopt_long would take them as abbreviations of
 * the "-file" options and, say, print the password as a file name. */
static const struct option global_opts[] = {
    {"url", required_argument, NULL, GOPT_URL},
    {"user", required_argument, NULL, GOPT_USER},
    {"password-file", required_argument, NULL, GOPT_PASSWORD_FILE},
    {"cacert", required_argument, NULL, GOPT_CACERT},
    {"fingerprint", required_argument, NULL, GOPT_FINGERPRINT},
    {"ca-fingerprint", required_argument, NULL, GOPT_CA_FINGERPRINT},
    {"json", no_argument, NULL, GOPT_JSON},
    {"consistent", no_argument, NULL, GOPT_CONSISTENT},
    {"timeout", required_argument, NULL, GOPT_TIMEOUT},
    {"help", no_argument, NULL, 'h'},
    {"password", optional_argument, NULL, GOPT_SECRET},
    {"new-password", optional_argument, NULL, GOPT_SECRET},
    {"token", optional_argument, NULL, GOPT_SECRET},
};
#define N_GLOBAL_OPTS (sizeof global_opts / sizeof *global_opts)
#define MAX_CMD_OPTS 24

const char *wardctl_exit_describe(int code)
{
	switch (code) {
#define WARDCTL_EXIT_CASE(name, value, text)                                   \
	case value:                                                            \
		return text;
		WARDCTL_EXITS(WARDCTL_EXIT_CASE)
#undef WARDCTL_EXIT_CASE
	}
	return "unknown";
}

void wardctl_init(struct wardctl *ctx)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->url = WARDCTL_DEFAULT_URL;
	ctx->url_len = strlen(ctx->url);
	ctx->user = WARDCTL_DEFAULT_USER;
	ctx->timeout_s = WARDCTL_DEFAULT_TIMEOUT_S;
	ctx->out = stdout;
	ctx->err = stderr;
	ctx->prompt = creds_tty_prompt;
	creds_json_wipe_init();
}

void wardctl_close(struct wardctl *ctx)
{
	if (!ctx)
		return;
	creds_free(ctx->password);
	ctx->password = NULL;
}

void wardctl_errorf(struct wardctl *ctx, const char *fmt, ...)
{
	va_list ap;

	fputs("wardctl: ", ctx->err);
	va_start(ap, fmt);
	vfprintf(ctx->err, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->err);
}

static void usage_print(FILE *f)
{
	char head[80];

	fputs("usage: wardctl [OPTIONS] COMMAND [ARGS]\n\nCommands:\n", f);
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct wardctl_command *c = &commands[i];

		snprintf(head, sizeof head, "%s%s%s%s%s", c->group,
			 c->sub ? " " : "", c->sub ? c->sub : "",
			 *c->args ? " " : "", c->args);
		fprintf(f, "  %s\n      %s\n", head, c->help);
	}
	fputs("\nOptions (before or after the command):\n"
	      "  --url URL             the node's admin API (env WARD_URL;\n"
	      "                        default " WARDCTL_DEFAULT_URL ")\n"
	      "  --user NAME           admin user (env WARD_USER; "
	      "default " WARDCTL_DEFAULT_USER ")\n"
	      "  --password-file FILE  the password is FILE's first line\n"
	      "                        (env WARD_PASSWORD_FILE); else env\n"
	      "                        WARD_PASSWORD; else a prompt. Never on\n"
	      "                        the command line.\n"
	      "  --cacert FILE         trust the CA certificates of this PEM\n"
	      "                        bundle (env WARD_CACERT)\n"
	      "  --fingerprint sha256:HEX\n"
	      "                        trust exactly the server certificate\n"
	      "                        with this SHA-256 (env "
	      "WARD_FINGERPRINT)\n"
	      "  --ca-fingerprint sha256:HEX\n"
	      "                        trust a server whose certificate is\n"
	      "                        issued by the CA certificate with this\n"
	      "                        SHA-256, the cluster CA; no host name\n"
	      "                        check (env WARD_CA_FINGERPRINT)\n"
	      "                        Without any of these: the system's "
	      "CAs.\n"
	      "  --json                print the server's JSON answer\n"
	      "  --consistent          reads confirmed by the leader first\n"
	      "  --timeout S           give up after S seconds (default 30;\n"
	      "                        90 for node remove)\n"
	      "  -h, --help            this text; after a command, its usage\n"
	      "\nExit codes:\n",
	      f);
#define WARDCTL_EXIT_LINE(name, value, text)                                   \
	fprintf(f, "  %d  %s\n", value, text);
	WARDCTL_EXITS(WARDCTL_EXIT_LINE)
#undef WARDCTL_EXIT_LINE
}

static void usage_cmd_print(FILE *f, const struct wardctl_command *c)
{
	fprintf(f, "usage: wardctl %s%s%s%s%s\n       %s\n", c->group,
		c->sub ? " " : "", c->sub ? c->sub : "", *c->args ? " " : "",
		c->args, c->help);
}

int wardctl_usage_cmd(struct wardctl *ctx)
{
	if (ctx->cmd)
		usage_cmd_print(ctx->err, ctx->cmd);
	else
		usage_print(ctx->err);
	return WARDCTL_EUSAGE;
}

static void usage_group_print(FILE *f, const char *group)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].group, group) == 0)
			usage_cmd_print(f, &commands[i]);
}

/* Checks what the global options said, once they are all known. */
static int globals_check(struct wardctl *ctx)
{
	size_t len = strlen(ctx->url);

	if (strncasecmp(ctx->url, "https://", 8) != 0 || len <= 8) {
		wardctl_errorf(ctx, "the URL must be https://HOST[:PORT]: %s",
			       ctx->url);
		return WARDCTL_EUSAGE;
	}
	while (len > 8 && ctx->url[len - 1] == '/')
		len--;
	ctx->url_len = len;
	ctx->have_pin = false;
	if (ctx->fingerprint) {
		if (pin_parse(ctx->fingerprint, ctx->pin) != 0) {
			wardctl_errorf(ctx,
				       "bad fingerprint (want sha256: and 64 "
				       "hex digits): %s",
				       ctx->fingerprint);
			return WARDCTL_EUSAGE;
		}
		ctx->have_pin = true;
	}
	ctx->have_ca_pin = false;
	if (ctx->ca_fingerprint) {
		/* One pin: the server's own certificate or its CA, never a
		 * guess at which of the two the operator meant. */
		if (ctx->have_pin) {
			wardctl_errorf(ctx, "give --fingerprint or "
					    "--ca-fingerprint, not both");
			return WARDCTL_EUSAGE;
		}
		if (pin_parse(ctx->ca_fingerprint, ctx->ca_pin) != 0) {
			wardctl_errorf(
			    ctx,
			    "bad CA fingerprint (want sha256: and 64 "
			    "hex digits): %s",
			    ctx->ca_fingerprint);
			return WARDCTL_EUSAGE;
		}
		ctx->have_ca_pin = true;
	}
	return WARDCTL_OK;
}

static int timeout_parse(const char *text, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < 1 || v > 3600)
		return -1;
	*out = v;
	return 0;
}

/* Prints which option was wrong, never its value: "--password=x" must not
 * show x on the screen or in a CI log. */
static void bad_option_print(struct wardctl *ctx, int c, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	int len = (int)strcspn(arg, "=");

	if (strncmp(arg, "--", 2) == 0)
		wardctl_errorf(ctx, "%s option %.*s",
			       c == ':' ? "missing value for"
					: "unknown or ambiguous",
			       len, arg);
	else
		wardctl_errorf(ctx, "%s option -%c",
			       c == ':' ? "missing value for" : "unknown",
			       optopt > 0 && optopt < 128 ? optopt : '?');
}

/* One getopt_long step over OPTS + the global options. TOP: the parse
 * before the command word (stops at the first operand). */
static int opt_step(struct wardctl *ctx, int argc, char **argv,
		    const struct option *opts, int *state, bool top)
{
	struct option all[MAX_CMD_OPTS + N_GLOBAL_OPTS + 1];
	const char *shorts = top ? "+:h" : ":h";
	size_t n = 0;
	int c;

	for (; opts && opts[n].name; n++) {
		if (n == MAX_CMD_OPTS)
			abort(); /* a command's table outgrew the merge */
		all[n] = opts[n];
		/* "-o FILE" is short for a command's --output, as in most
		 * tools that write a file. */
		if (!top && opts[n].val == 'o' &&
		    opts[n].has_arg == required_argument)
			shorts = ":ho:";
	}
	memcpy(all + n, global_opts, sizeof global_opts);
	memset(&all[n + N_GLOBAL_OPTS], 0, sizeof all[0]);
	if (*state == 0)
		optind = 0; /* glibc: start afresh, argv may be another */
	opterr = 0;
	optopt = 0;
	for (;;) {
		c = getopt_long(argc, argv, shorts, all, NULL);
		*state = optind;
		switch (c) {
		case GOPT_URL:
			ctx->url = optarg;
			continue;
		case GOPT_USER:
			ctx->user = optarg;
			continue;
		case GOPT_PASSWORD_FILE:
			ctx->password_file = optarg;
			continue;
		case GOPT_CACERT:
			ctx->cacert = optarg;
			continue;
		case GOPT_FINGERPRINT:
			ctx->fingerprint = optarg;
			continue;
		case GOPT_CA_FINGERPRINT:
			ctx->ca_fingerprint = optarg;
			continue;
		case GOPT_JSON:
			ctx->json = true;
			continue;
		case GOPT_CONSISTENT:
			ctx->consistent = true;
			continue;
		case GOPT_TIMEOUT:
			ctx->timeout_given = true;
			if (timeout_parse(optarg, &ctx->timeout_s) != 0) {
				wardctl_errorf(ctx,
					       "--timeout wants seconds, 1 to "
					       "3600: %s",
					       optarg);
				ctx->opt_rc = WARDCTL_EUSAGE;
				return '?';
			}
			continue;
		case GOPT_SECRET:
			wardctl_errorf(ctx,
				       "secrets are not taken from the command "
				       "line (other users can read it): use "
				       "the -file option, the environment or "
				       "the prompt");
			ctx->opt_rc = WARDCTL_EUSAGE;
			return '?';
		case 'h':
			if (ctx->cmd)
				usage_cmd_print(ctx->out, ctx->cmd);
			else
				usage_print(ctx->out);
			ctx->opt_rc = WARDCTL_HELP_SHOWN;
			return '?';
		case '?':
		case ':':
			bad_option_print(ctx, c, argv);
			ctx->opt_rc = wardctl_usage_cmd(ctx);
			return '?';
		case -1:
			if (!top && (ctx->opt_rc = globals_check(ctx)) != 0)
				return '?';
			return -1;
		default:
			return c;
		}
	}
}

int wardctl_getopt(struct wardctl *ctx, int argc, char **argv,
		   const struct option *opts, int *state)
{
	return opt_step(ctx, argc, argv, opts, state, false);
}

int wardctl_args(struct wardctl *ctx, int argc, char **argv, int min, int max,
		 int *first)
{
	int state = 0;
	int n;

	/* No command option exists: only -1 or '?' can come back. */
	if (wardctl_getopt(ctx, argc, argv, NULL, &state) != -1)
		return ctx->opt_rc;
	n = argc - state;
	if (n < min || n > max) {
		wardctl_errorf(ctx, n < min ? "missing argument"
					    : "too many arguments");
		return wardctl_usage_cmd(ctx);
	}
	*first = state;
	return WARDCTL_OK;
}

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && *v ? v : fallback;
}

static const struct wardctl_command *command_find(const char *group,
						  const char *sub)
{
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct wardctl_command *c = &commands[i];

		if (strcmp(c->group, group) != 0)
			continue;
		if (!c->sub || (sub && strcmp(c->sub, sub) == 0))
			return c;
	}
	return NULL;
}

static bool group_exists(const char *group)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].group, group) == 0)
			return true;
	return false;
}

int wardctl_run(struct wardctl *ctx, int argc, char **argv)
{
	const char *group, *sub;
	int state = 0, rc;

	ctx->url = env_or("WARD_URL", WARDCTL_DEFAULT_URL);
	ctx->user = env_or("WARD_USER", WARDCTL_DEFAULT_USER);
	ctx->cacert = env_or("WARD_CACERT", NULL);
	ctx->fingerprint = env_or("WARD_FINGERPRINT", NULL);
	ctx->ca_fingerprint = env_or("WARD_CA_FINGERPRINT", NULL);
	ctx->cmd = NULL;
	if (opt_step(ctx, argc, argv, NULL, &state, true) != -1)
		return ctx->opt_rc == WARDCTL_HELP_SHOWN ? WARDCTL_OK
							 : ctx->opt_rc;
	if (state >= argc) {
		wardctl_errorf(ctx, "no command given");
		return wardctl_usage_cmd(ctx);
	}
	group = argv[state];
	if (strcmp(group, "help") == 0) {
		usage_print(ctx->out);
		return WARDCTL_OK;
	}
	if (!group_exists(group)) {
		wardctl_errorf(ctx, "unknown command: %s", group);
		return wardctl_usage_cmd(ctx);
	}
	sub = state + 1 < argc ? argv[state + 1] : NULL;
	ctx->cmd = command_find(group, sub);
	if (!ctx->cmd) {
		if (sub)
			wardctl_errorf(ctx, "unknown command: %s %s", group,
				       sub);
		else
			wardctl_errorf(ctx, "%s needs a subcommand", group);
		usage_group_print(ctx->err, group);
		return WARDCTL_EUSAGE;
	}
	if (ctx->cmd->sub)
		state++;
	rc = ctx->cmd->run(ctx, argc - state, argv + state);
	return rc == WARDCTL_HELP_SHOWN ? WARDCTL_OK : rc;
}
