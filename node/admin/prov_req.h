/* prov_req: the provisioning resources of the admin API — phone profiles,
 * trunk profiles, devices, users, application users, realms and node
 * groups, partitions, calling search spaces and route patterns, presence
 * groups — described once as tables of JSON fields, so that one parser
 * and one renderer serve them all (docs/admin-api.md, "Provisioning").
 * Pure functions (no socket, no store writes): the fuzzer and the tests
 * drive them directly. Internal to node/admin/.
 *
 * Secrets: a "password" field is parsed into struct prov_extra (wipe it),
 * never into a record; no renderer ever emits an HA1, a wrapped value or a
 * password — records render "credentials": true/false instead.
 */
#ifndef WARD_ADMIN_PROV_REQ_H
#define WARD_ADMIN_PROV_REQ_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "node/admin/admin_auth.h"
#include "store/presence.h"
#include "store/prov.h"
#include "store/srst.h"

enum prov_kind_id {
	PROV_PHONE_PROFILE = 0,
	PROV_TRUNK_PROFILE,
	PROV_DEVICE,
	PROV_USER,     /* end users */
	PROV_APP_USER, /* application users: same table, kind app */
	PROV_REALM,
	PROV_NODE_GROUP,
	PROV_SRST, /* SRST references */
	PROV_PARTITION,	    /* the dial plan */
	PROV_CSS,	    /* calling search spaces */
	PROV_ROUTE_PATTERN, /* route and blocking patterns */
	PROV_PRESENCE_GROUP,
	PROV__COUNT
};

/* Any of the records, for buffers that hold one of them. */
union prov_rec {
	struct store_phone_profile phone_profile;
	struct store_trunk_profile trunk_profile;
	struct store_device device;
	struct store_user user;
	struct store_realm realm;
	struct store_node_group node_group;
	struct store_srst srst;
	struct store_partition partition;
	struct store_css css;
	struct store_route_pattern route_pattern;
	struct store_presence_group presence_group;
};

/* What a body carries besides the record's own fields. */
struct prov_extra {
	char password[ADMIN_PASSWORD_MAX + 1]; /* secret */
	size_t password_len;
	int has_password;
	char nodes[STORE_GROUP_NODES_MAX][ADMIN_NAME_MAX + 1]; /* node group */
	unsigned n_nodes;
	int has_nodes;
	int has_realm; /* users: "realm" was given */
};

struct prov_field;

struct prov_kind {
	enum prov_kind_id id;
	const char *what;   /* "profile": messages and audit ("profile.add") */
	const char *plural; /* key of the list in GET answers */
	enum store_table table;
	const struct prov_field *fields;
	unsigned n_fields;
	int password; /* accepts "password" */
};

/* The descriptor of ID; NULL out of range. Static. */
const struct prov_kind *prov_kind_get(enum prov_kind_id id);

/* The record's name (the key), as a pointer into REC. */
char *prov_rec_name(const struct prov_kind *k, union prov_rec *rec);

/* Fills REC with what a new record of K starts as: a profile as the
 * non-secure default with NAME, a phone device with the standard
 * non-secure profile, an end or app user (app users may send INVITE).
 * NAME is copied (cut to fit). */
void prov_rec_init(const struct prov_kind *k, union prov_rec *rec,
		   const char *name);

/* Applies the JSON object BODY (LEN bytes, borrowed) onto REC: each field
 * present replaces the record's; absent ones stay. EXTRA is zeroed, then
 * receives the password and node names. CREATING: the "name" field is
 * required and taken; otherwise it may only repeat the record's name.
 * Returns 0, 400 (malformed, unknown field, bad value, with the reason in
 * errmsg) or 413 (more than ADMIN_BODY_MAX bytes). REC may be left half
 * updated on error: discard it. */
int prov_req_apply(const struct prov_kind *k, const void *body, size_t len,
		   union prov_rec *rec, struct prov_extra *extra, int creating,
		   char *errmsg, size_t errcap);

/* Structural checks of a record after apply, before any store lookup:
 * name syntax (a phone's is "SEP" + 12 hex digits: its MAC), trunk peer
 * given, node group with 1..3 distinct nodes. 0 or 400 with errmsg. */
int prov_rec_check(const struct prov_kind *k, const union prov_rec *rec,
		   const struct prov_extra *extra, char *errmsg, size_t errcap);

/* Resolves a node id to a name for rendering; NULL if unknown. */
typedef const char *(*prov_node_name_fn)(void *arg, uint64_t id, char *buf,
					 size_t cap);

/* The record as a JSON object (new reference, NULL on no memory); node
 * group members through NODE_NAME (may be NULL: ids). */
json_t *prov_render(const struct prov_kind *k, const union prov_rec *rec,
		    prov_node_name_fn node_name, void *arg);

/* Warnings about REC for the operator, appended to WARN (an array): a
 * profile with digest authentication whose config files would carry the
 * digest credentials in clear (no encrypted config, credentials not
 * excluded), given the cluster parameter tftp_encrypted_config
 * (ENCRYPTED_PARAM). For a device, P is its phone profile (NULL: none). */
void prov_warn_profile(const struct store_phone_profile *p, int encrypted_param,
		       json_t *warn);
void prov_warn_device(const struct store_device *d,
		      const struct store_phone_profile *p, int encrypted_param,
		      json_t *warn);

#endif
