/* prov_int: what routes_prov.c and prov_check.c share — the state of one
 * provisioning request and the per-resource steps of a write. Admin thread
 * only; internal to node/admin/. */
#ifndef WARD_ADMIN_PROV_INT_H
#define WARD_ADMIN_PROV_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "node/admin/admin_int.h"
#include "node/admin/prov_req.h"

enum prov_verb { PROV_ADD = 0, PROV_SET, PROV_DEL };

/* One write in flight (op->ctx). Holds a secret only between parsing and
 * wrapping (x.password), wiped before the proposal. */
struct prov_ctx {
	const struct prov_kind *k;
	enum prov_verb verb;
	union prov_rec rec;		   /* what will be written */
	union prov_rec old;		   /* SET, DEL: what was read */
	uint8_t old_raw[STORE_RECORD_MAX]; /* its stored bytes: the guard */
	size_t old_len;
	struct prov_extra x;
	json_t *warn; /* owned: warnings for the operator */
};

/* Decodes a stored value of K's table; STORE_ENOTFOUND for a user of the
 * other kind (end vs app), so each collection shows only its own. */
int prov_rec_decode(const struct prov_kind *k, const void *val, size_t vlen,
		    union prov_rec *rec);
/* Reads NAME of K; RAW (STORE_RECORD_MAX bytes, may be NULL) receives the
 * stored bytes and *RAW_LEN their length. STORE_EINVAL for a name that
 * cannot be a key. */
int prov_rec_read(const struct prov_kind *k, struct store_read *r,
		  const char *name, union prov_rec *rec, uint8_t *raw,
		  size_t *raw_len);
/* prov_node_name_fn over a store_read (ARG). */
const char *prov_node_name(void *arg, uint64_t id, char *buf, size_t cap);
/* Adds "registration", "lsc" and "mic" to the JSON of device D when the store
 * holds them. */
void prov_device_status(struct store_read *r, const struct store_device *d,
			json_t *o);

/* 1 with the name of the first node group listing node ID in GROUP
 * (STORE_NAME_MAX bytes), 0 if none does. */
int prov_node_group_of(struct store_read *r, uint64_t id, char *group);

/* DEL: 0, or 409 with errmsg naming what still uses the record. */
int prov_in_use(struct prov_ctx *c, struct store_read *r, char *errmsg,
		size_t errcap);
/* ADD, SET: checks references (profile, digest user, node group, nodes),
 * what a device's model can do against its profile, stamps the times,
 * wraps credentials under the cluster KEK, and collects warnings. 0, or an
 * HTTP status with errmsg. */
int prov_validate(struct admin *a, struct prov_ctx *c, struct store_read *r,
		  char *errmsg, size_t errcap);
/* The command of C's verb (without the audit record). */
int prov_cmd_build(struct prov_ctx *c, struct store_cmd *cmd);
/* "name=..." and what changed that is not secret. */
void prov_audit_detail(const struct prov_ctx *c, char *out, size_t cap);

/* The resource of OP's route (its path's collection). */
const struct prov_kind *prov_route_kind(const struct admin_op *op);

void admin_route_prov_list(struct admin_op *op);
void admin_route_prov_get(struct admin_op *op);
void admin_route_prov_add(struct admin_op *op);
void admin_route_prov_set(struct admin_op *op);
void admin_route_prov_delete(struct admin_op *op);
/* GET /v1/dial-plan/route?caller=DEVICE&number=N (routes_dialplan.c). */
void admin_route_dialplan_route(struct admin_op *op);
/* POST /v1/C/batch {"rows": [...]}: up to 500 adds, one command each. */
void admin_route_prov_batch(struct admin_op *op);

#endif
