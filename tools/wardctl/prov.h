/* prov: the provisioning groups of wardctl — profile, trunk-profile,
 * device, user, app-user, realm, node-group, partition, css,
 * route-pattern, presence-group — each described by a table
 * (one small cmd_*.c per group) that one engine turns into add, set, show,
 * list, delete and CSV import against /v1/<collection>.
 *
 * A group's options are its JSON fields with '_' spelled '-': "--digest-
 * user alice" sets "digest_user". Passwords never come from argv: a file
 * (--new-password-file), $WARD_NEW_PASSWORD or a prompt asked twice, as
 * for admins; the server turns them into wrapped HA1 values. Warnings in
 * an answer (digest credentials that would travel in clear) are printed
 * on stderr. */
#ifndef WARD_TOOLS_WARDCTL_PROV_H
#define WARD_TOOLS_WARDCTL_PROV_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

struct wardctl;

enum prov_type {
	PROV_STR,  /* text */
	PROV_BOOL, /* yes/no, true/false, on/off, 1/0 */
	PROV_INT,  /* decimal */
	PROV_LIST, /* comma- or semicolon-separated: a JSON array */
};

struct prov_field {
	const char *key; /* JSON field; the option is it with '-' for '_' */
	enum prov_type type;
};

enum prov_password {
	PROV_PW_NONE = 0, /* no credentials */
	PROV_PW_OPTIONAL, /* asked on add unless --no-password */
	PROV_PW_REQUIRED, /* asked on add */
};

struct prov_group {
	const char *what;	/* "device": messages */
	const char *title;	/* "Device": the start of a sentence */
	const char *collection; /* "devices": /v1/devices, list key */
	const char *list_key;	/* key of the array in the list answer */
	const struct prov_field *fields;
	size_t n_fields;
	const char *const *columns; /* list: JSON keys shown as columns */
	size_t n_columns;
	enum prov_password password;
};

int prov_cmd_add(struct wardctl *ctx, const struct prov_group *g, int argc,
		 char **argv);
int prov_cmd_set(struct wardctl *ctx, const struct prov_group *g, int argc,
		 char **argv);
int prov_cmd_show(struct wardctl *ctx, const struct prov_group *g, int argc,
		  char **argv);
int prov_cmd_list(struct wardctl *ctx, const struct prov_group *g, int argc,
		  char **argv);
int prov_cmd_delete(struct wardctl *ctx, const struct prov_group *g, int argc,
		    char **argv);
/* "GROUP import FILE": a CSV file whose first row names the fields
 * ("name" required; "password" for groups with credentials). Each row is
 * one request, so a bad row never half-applies; a verdict per row on
 * stdout, progress on stderr for files of more than 100 rows. Exit code:
 * OK if every row was added, EREFUSED if some were refused, or what
 * stopped the import (unreadable file, server unreachable). */
int prov_cmd_import(struct wardctl *ctx, const struct prov_group *g, int argc,
		    char **argv);

/* Sets G's field KEY (a field of G, or "name") in BODY from the text VALUE
 * by the field's type. 0, or -1 with a reason in ERRMSG. */
int prov_body_set(const struct prov_group *g, json_t *body, const char *key,
		  const char *value, char *errmsg, size_t errcap);

/* Renderers (borrowed DOC; bad fields print as "-"). */
void prov_list_render(const struct prov_group *g, FILE *f, const json_t *doc);
void prov_show_render(FILE *f, const json_t *doc);
/* Prints DOC's "warnings" on ERR as "wardctl: warning: ...". */
void prov_warnings_print(FILE *err, const json_t *doc);

/* The groups (cmd_profile.c, ...). */
extern const struct prov_group prov_group_profile;
extern const struct prov_group prov_group_trunk_profile;
extern const struct prov_group prov_group_device;
extern const struct prov_group prov_group_user;
extern const struct prov_group prov_group_app_user;
extern const struct prov_group prov_group_realm;
extern const struct prov_group prov_group_node_group;
extern const struct prov_group prov_group_srst;
extern const struct prov_group prov_group_partition;
extern const struct prov_group prov_group_css;
extern const struct prov_group prov_group_route_pattern;
extern const struct prov_group prov_group_presence_group;

#endif
