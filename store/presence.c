/* presence (store): the presence-group record, its reads and commands
 * (store/presence.h). */
#include <string.h>

#include "store/codec.h"
#include "store/internal.h"
#include "store/presence.h"

enum { PRESENCE_GROUP_V = 1 };

#define STR_MAX(field_cap) (2 + (field_cap)-1)
_Static_assert(1 + STR_MAX(STORE_NAME_MAX) + STR_MAX(STORE_DESC_MAX) + 1 +
		       STORE_PRESENCE_RULES_MAX *
			   (STR_MAX(STORE_NAME_MAX) + 1) +
		       16 <=
		   STORE_RECORD_MAX,
	       "presence group record");

int store_presence_rule_of(const struct store_presence_group *g,
			   const char *target)
{
	for (uint32_t i = 0; i < g->n_rules && i < STORE_PRESENCE_RULES_MAX;
	     i++) {
		if (strcmp(g->rules[i].group, target) == 0)
			return g->rules[i].allow ? 1 : 0;
	}
	return -1;
}

static int group_ok(const struct store_presence_group *r)
{
	if (!store_prov_name_valid(r->name) ||
	    r->n_rules > STORE_PRESENCE_RULES_MAX)
		return 0;
	for (uint32_t i = 0; i < r->n_rules; i++) {
		if (!store_prov_name_valid(r->rules[i].group) ||
		    r->rules[i].allow > 1)
			return 0;
		for (uint32_t j = 0; j < i; j++) {
			if (strcmp(r->rules[j].group, r->rules[i].group) == 0)
				return 0;
		}
	}
	return 1;
}

int store_presence_group_encode(const struct store_presence_group *r, void *buf,
				size_t cap, size_t *len)
{
	struct codec_w w;

	if (!group_ok(r))
		return STORE_EINVAL;
	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, PRESENCE_GROUP_V);
	codec_put_str(&w, r->name, sizeof r->name);
	codec_put_str(&w, r->description, sizeof r->description);
	codec_put_u8(&w, (uint8_t)r->n_rules);
	for (uint32_t i = 0; i < r->n_rules; i++) {
		codec_put_str(&w, r->rules[i].group, sizeof r->rules[i].group);
		codec_put_u8(&w, (uint8_t)r->rules[i].allow);
	}
	codec_put_u64(&w, r->created_ms);
	codec_put_u64(&w, r->changed_ms);
	return record_result(&w, len);
}

int store_presence_group_decode(const void *buf, size_t len,
				struct store_presence_group *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, PRESENCE_GROUP_V, &ver)))
		return rc;
	codec_get_str(&rd, r->name, sizeof r->name);
	codec_get_str(&rd, r->description, sizeof r->description);
	r->n_rules = codec_get_u8(&rd);
	if (r->n_rules > STORE_PRESENCE_RULES_MAX)
		return STORE_ECORRUPT;
	for (uint32_t i = 0; i < r->n_rules; i++) {
		codec_get_str(&rd, r->rules[i].group, sizeof r->rules[i].group);
		r->rules[i].allow = codec_get_u8(&rd);
	}
	r->created_ms = codec_get_u64(&rd);
	r->changed_ms = codec_get_u64(&rd);
	if ((rc = record_end(&rd)))
		return rc;
	return group_ok(r) ? STORE_OK : STORE_ECORRUPT;
}

/* ---- reads ------------------------------------------------------------- */

STORE_NAMED_RECORD(presence_group, STORE_T_PRESENCE_GROUPS,
		   struct store_presence_group)

/* ---- commands ----------------------------------------------------------- */

int store_cmd_put_presence_group(struct store_cmd *c, enum store_op op,
				 const struct store_presence_group *r)
{
	uint8_t val[STORE_RECORD_MAX];
	size_t klen = store_name_key_len(r->name), n;
	int rc;

	if (klen == 0 || (op != STORE_OP_PUT && op != STORE_OP_PUT_NEW))
		return STORE_EINVAL;
	if ((rc = store_presence_group_encode(r, val, sizeof val, &n)))
		return rc;
	return store_cmd_op(c, op, STORE_T_PRESENCE_GROUPS, r->name, klen, val,
			    n);
}

int store_cmd_del_presence_group(struct store_cmd *c, const char *name)
{
	size_t klen = store_name_key_len(name);

	if (klen == 0)
		return STORE_EINVAL;
	return store_cmd_op(c, STORE_OP_DEL_EXISTING, STORE_T_PRESENCE_GROUPS,
			    name, klen, NULL, 0);
}
