/* presence (store): presence groups — who may watch whom. Every end and
 * application user names one (store_user.presence_group); a group says,
 * for each other group it has a rule for, whether its members may watch
 * that group's members (subscription permission, docs/sip.md "Presence").
 * A pair without a rule takes the cluster parameter
 * presence_default_subscription ("allow" or "disallow").
 *
 * Table presence_groups, key = name. Same contract as store.h: records
 * decode into caller-owned structs whose strings live in fixed arrays;
 * reads work from any thread; writes are commands built here and proposed
 * through consensus.
 */
#ifndef WARD_STORE_PRESENCE_H
#define WARD_STORE_PRESENCE_H

#include <stddef.h>
#include <stdint.h>

#include "store/prov.h"
#include "store/store.h"

/* Rules of one group: bounded so that a record fits STORE_RECORD_MAX. */
#define STORE_PRESENCE_RULES_MAX 12

struct store_presence_rule {
	char group[STORE_NAME_MAX]; /* the watched group */
	uint32_t allow;		    /* 1 allow, 0 disallow */
};

struct store_presence_group {
	char name[STORE_NAME_MAX];
	char description[STORE_DESC_MAX];
	uint32_t n_rules; /* 0..STORE_PRESENCE_RULES_MAX, groups distinct */
	struct store_presence_rule rules[STORE_PRESENCE_RULES_MAX];
	uint64_t created_ms, changed_ms;
};

/* The rule of G for watching TARGET: 1 allow, 0 disallow, -1 none. */
int store_presence_rule_of(const struct store_presence_group *g,
			   const char *target);

/* Codecs (contract of store.h's): STORE_EINVAL for a record with a bad
 * rule (a name that is not a provisioning name, a group given twice,
 * more than STORE_PRESENCE_RULES_MAX). */
int store_presence_group_encode(const struct store_presence_group *r, void *buf,
				size_t cap, size_t *len);
int store_presence_group_decode(const void *buf, size_t len,
				struct store_presence_group *r);

/* Reads: as prov.h's getters and iterators. */
int store_presence_group_get(struct store_read *r, const char *name,
			     struct store_presence_group *out);
typedef int (*store_presence_group_fn)(void *arg,
				       const struct store_presence_group *rec);
int store_presence_group_each(struct store_read *r, store_presence_group_fn fn,
			      void *arg);

/* Commands: as prov.h's (OP is STORE_OP_PUT or STORE_OP_PUT_NEW; the
 * delete fails the command with STORE_ENOTFOUND if absent). */
int store_cmd_put_presence_group(struct store_cmd *c, enum store_op op,
				 const struct store_presence_group *r);
int store_cmd_del_presence_group(struct store_cmd *c, const char *name);

#endif
