/* cmd: the command builder and the wire codec of commands (store.h,
 * docs/store.md).
 *
 * The same rules (op_check) decide what the builder accepts and what
 * cmd_parse accepts, so a command built here always applies structurally,
 * and a command from the log that this build could not have produced is
 * refused as a whole, identically on every node.
 */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "store/codec.h"
#include "store/internal.h"

struct store_cmd {
	uint64_t origin, time_ms;
	char actor[STORE_NAME_MAX];
	size_t actor_len;
	uint8_t *ops; /* owned: encoded ops, without header or padding */
	size_t len, cap;
	unsigned n_ops;
};

static size_t pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* Structural rules of one op; STORE_OK or STORE_EINVAL. */
static int op_check(unsigned op, unsigned table, size_t klen, size_t vlen)
{
	/* META holds the applied index: only apply and restore write it. */
	if (table == STORE_T_META || table >= STORE_T__COUNT)
		return STORE_EINVAL;
	switch (op) {
	case STORE_OP_AUDIT:
		/* The key is assigned at apply time. */
		return table == STORE_T_AUDIT && klen == 0 ? STORE_OK
							   : STORE_EINVAL;
	case STORE_OP_DEL:
	case STORE_OP_DEL_EXISTING:
		if (vlen != 0)
			return STORE_EINVAL;
		/* Audit records are only ever pruned, by their full key. */
		if (table == STORE_T_AUDIT)
			return klen == 12 ? STORE_OK : STORE_EINVAL;
		break;
	case STORE_OP_PUT:
	case STORE_OP_PUT_NEW:
	case STORE_OP_EXPECT:
		if (table == STORE_T_AUDIT)
			return STORE_EINVAL;
		break;
	default:
		return STORE_EINVAL;
	}
	return klen >= 1 && klen <= STORE_KEY_MAX ? STORE_OK : STORE_EINVAL;
}

/* ---- builder ---------------------------------------------------------- */

int store_cmd_new(struct store_cmd **out, uint64_t origin, uint64_t time_ms,
		  const char *actor)
{
	struct store_cmd *c;
	size_t n;

	*out = NULL;
	if (!actor)
		actor = "-";
	n = strnlen(actor, STORE_NAME_MAX);
	if (n == STORE_NAME_MAX)
		return STORE_EINVAL;
	c = calloc(1, sizeof *c);
	if (!c)
		return STORE_ENOMEM;
	c->origin = origin;
	c->time_ms = time_ms;
	memcpy(c->actor, actor, n + 1);
	c->actor_len = n;
	*out = c;
	return STORE_OK;
}

void store_cmd_free(struct store_cmd *c)
{
	if (!c)
		return;
	/* Values may be wrapped secrets (admin hashes, token hashes). */
	if (c->ops)
		OPENSSL_cleanse(c->ops, c->cap);
	free(c->ops);
	free(c);
}

int store_cmd_op(struct store_cmd *c, enum store_op op, enum store_table t,
		 const void *key, size_t klen, const void *val, size_t vlen)
{
	size_t need, total;
	struct codec_w w;

	if (op_check(op, t, klen, vlen))
		return STORE_EINVAL;
	if (vlen > STORE_CMD_MAX || c->n_ops == UINT16_MAX)
		return STORE_ETOOBIG;
	need = CMD_OP_HDR_LEN + klen + vlen;
	total = pad8(CMD_HDR_LEN + c->actor_len + c->len + need);
	if (total > STORE_CMD_MAX)
		return STORE_ETOOBIG;
	if (c->len + need > c->cap) {
		size_t cap = c->cap ? c->cap : 256;
		uint8_t *p;

		while (cap < c->len + need)
			cap *= 2;
		p = malloc(cap);
		if (!p)
			return STORE_ENOMEM;
		if (c->len)
			memcpy(p, c->ops, c->len);
		/* Not realloc: the old copy may hold secrets to wipe. */
		if (c->ops)
			OPENSSL_cleanse(c->ops, c->cap);
		free(c->ops);
		c->ops = p;
		c->cap = cap;
	}
	codec_w_init(&w, c->ops + c->len, need);
	codec_put_u8(&w, (uint8_t)op);
	codec_put_u8(&w, (uint8_t)t);
	codec_put_u16(&w, (uint16_t)klen);
	codec_put_u32(&w, (uint32_t)vlen);
	codec_put_bytes(&w, key, klen);
	codec_put_bytes(&w, val, vlen);
	c->len += need;
	c->n_ops++;
	return STORE_OK;
}

int cmd_guarded_put(struct store_cmd *c, enum store_table t, const void *key,
		    size_t klen, const void *old, size_t old_len,
		    const void *val, size_t vlen)
{
	size_t len = c->len;
	unsigned n_ops = c->n_ops;
	int rc;

	rc = store_cmd_op(c, STORE_OP_EXPECT, t, key, klen, old, old_len);
	if (rc == STORE_OK)
		rc = store_cmd_op(c, STORE_OP_PUT, t, key, klen, val, vlen);
	if (rc != STORE_OK) {
		/* Both or neither: a lone guard would pass for an update. */
		c->len = len;
		c->n_ops = n_ops;
	}
	return rc;
}

int store_cmd_finish(struct store_cmd *c, void **buf, size_t *len)
{
	size_t total = pad8(CMD_HDR_LEN + c->actor_len + c->len);
	struct codec_w w;
	uint8_t *p;

	*buf = NULL;
	*len = 0;
	p = calloc(1, total); /* zeroed: the padding must be zero */
	if (!p)
		return STORE_ENOMEM;
	codec_w_init(&w, p, total);
	codec_put_bytes(&w, CMD_MAGIC, 4);
	codec_put_u8(&w, CMD_VERSION);
	codec_put_u8(&w, 0); /* flags: none defined */
	codec_put_u16(&w, (uint16_t)c->n_ops);
	codec_put_u32(&w, (uint32_t)total);
	codec_put_u64(&w, c->origin);
	codec_put_u64(&w, c->time_ms);
	codec_put_u8(&w, (uint8_t)c->actor_len);
	codec_put_bytes(&w, c->actor, c->actor_len);
	codec_put_bytes(&w, c->ops, c->len);
	*buf = p;
	*len = total;
	return STORE_OK;
}

/* ---- typed helpers ---------------------------------------------------- */

int store_cmd_put_cluster(struct store_cmd *c, const struct store_cluster *r)
{
	uint8_t val[STORE_RECORD_MAX];
	size_t n;
	int rc = store_cluster_encode(r, val, sizeof val, &n);

	if (rc)
		return rc;
	return store_cmd_op(c, STORE_OP_PUT, STORE_T_CLUSTER, STORE_CLUSTER_KEY,
			    strlen(STORE_CLUSTER_KEY), val, n);
}

static int cmd_put_or_new(enum store_op op)
{
	return op == STORE_OP_PUT || op == STORE_OP_PUT_NEW;
}

int store_cmd_put_node(struct store_cmd *c, enum store_op op,
		       const struct store_node *r)
{
	uint8_t key[8], val[STORE_RECORD_MAX];
	size_t n;
	int rc;

	if (!cmd_put_or_new(op))
		return STORE_EINVAL;
	if ((rc = store_node_encode(r, val, sizeof val, &n)))
		return rc;
	store_key_u64(r->id, key);
	return store_cmd_op(c, op, STORE_T_NODES, key, sizeof key, val, n);
}

int store_cmd_del_node(struct store_cmd *c, uint64_t id)
{
	uint8_t key[8];

	store_key_u64(id, key);
	return store_cmd_op(c, STORE_OP_DEL_EXISTING, STORE_T_NODES, key,
			    sizeof key, NULL, 0);
}

/* Names are keys: 1..STORE_NAME_MAX-1 bytes, no NUL. */
static int cmd_name_key(const char *name, size_t *klen)
{
	*klen = store_name_key_len(name);
	return *klen ? STORE_OK : STORE_EINVAL;
}

int store_cmd_put_admin(struct store_cmd *c, enum store_op op,
			const struct store_admin *r)
{
	uint8_t val[STORE_RECORD_MAX];
	size_t n, klen;
	int rc;

	if (!cmd_put_or_new(op) || cmd_name_key(r->name, &klen))
		return STORE_EINVAL;
	if ((rc = store_admin_encode(r, val, sizeof val, &n)))
		return rc;
	rc = store_cmd_op(c, op, STORE_T_ADMINS, r->name, klen, val, n);
	OPENSSL_cleanse(val, sizeof val);
	return rc;
}

int store_cmd_del_admin(struct store_cmd *c, const char *name)
{
	size_t klen;

	if (cmd_name_key(name, &klen))
		return STORE_EINVAL;
	return store_cmd_op(c, STORE_OP_DEL_EXISTING, STORE_T_ADMINS, name,
			    klen, NULL, 0);
}

int store_cmd_put_param(struct store_cmd *c, const char *name,
			const char *value)
{
	const struct store_param_def *def = store_param_find(name);
	char text[STORE_TEXT_MAX];
	int rc;

	if (!def)
		return STORE_EINVAL;
	rc = store_param_check(def, value, text, sizeof text, NULL, 0);
	if (rc)
		return rc;
	return store_cmd_op(c, STORE_OP_PUT, STORE_T_PARAMS, name, strlen(name),
			    text, strlen(text));
}

int store_cmd_put_join_token(struct store_cmd *c,
			     const struct store_join_token *r)
{
	uint8_t val[STORE_RECORD_MAX];
	size_t n, klen;
	int rc;

	if (cmd_name_key(r->node_name, &klen))
		return STORE_EINVAL;
	if ((rc = store_join_token_encode(r, val, sizeof val, &n)))
		return rc;
	return store_cmd_op(c, STORE_OP_PUT, STORE_T_JOIN_TOKENS, r->node_name,
			    klen, val, n);
}

int store_cmd_use_join_token(struct store_cmd *c, const char *node_name)
{
	size_t klen;

	if (cmd_name_key(node_name, &klen))
		return STORE_EINVAL;
	return store_cmd_op(c, STORE_OP_DEL_EXISTING, STORE_T_JOIN_TOKENS,
			    node_name, klen, NULL, 0);
}

int store_cmd_audit(struct store_cmd *c, const char *action, const char *detail)
{
	struct store_audit a;
	uint8_t val[STORE_RECORD_MAX];
	size_t n;
	int rc;

	memset(&a, 0, sizeof a);
	a.time_ms = c->time_ms;
	a.origin = c->origin;
	memcpy(a.actor, c->actor, c->actor_len + 1);
	if (!action || strnlen(action, sizeof a.action) == sizeof a.action)
		return STORE_EINVAL;
	strcpy(a.action, action);
	if (!detail)
		detail = "";
	if (strnlen(detail, sizeof a.detail) == sizeof a.detail)
		return STORE_ETOOBIG;
	strcpy(a.detail, detail);
	if ((rc = store_audit_encode(&a, val, sizeof val, &n)))
		return rc;
	return store_cmd_op(c, STORE_OP_AUDIT, STORE_T_AUDIT, NULL, 0, val, n);
}

/* ---- parsing ---------------------------------------------------------- */

/* The fixed header: magic, version, flags, n_ops, total_len. The layout of
 * these first 12 bytes never changes between versions, so that a node can
 * skip a command of a version it does not know. */
static int cmd_header(const uint8_t *p, size_t len, struct cmd_view *v,
		      uint8_t *version, uint8_t *flags)
{
	struct codec_r r;
	uint32_t total;

	memset(v, 0, sizeof *v);
	if (len < CMD_HDR_LEN || memcmp(p, CMD_MAGIC, 4) != 0)
		return STORE_ECORRUPT;
	codec_r_init(&r, p + 4, 8);
	*version = codec_get_u8(&r);
	*flags = codec_get_u8(&r);
	v->n_ops = codec_get_u16(&r);
	total = codec_get_u32(&r);
	if (total < CMD_HDR_LEN || total % 8 != 0 || total > len ||
	    total > STORE_CMD_MAX)
		return STORE_ECORRUPT;
	v->total = total;
	if (*version != CMD_VERSION)
		return STORE_EVERSION;
	return STORE_OK;
}

int store_cmd_peek(const void *buf, size_t len, size_t *total)
{
	struct cmd_view v;
	uint8_t version, flags;
	int rc = cmd_header(buf, len, &v, &version, &flags);

	*total = v.total;
	return rc;
}

unsigned store_cmd_count(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t off = 0, total;
	unsigned n = 0;

	while (p && off < len) {
		n++;
		/* STORE_EVERSION still sets total: skip that command. */
		if (store_cmd_peek(p + off, len - off, &total) ==
			STORE_ECORRUPT ||
		    total == 0)
			break;
		off += total;
	}
	return n;
}

int cmd_parse(const void *buf, size_t len, struct cmd_view *v)
{
	const uint8_t *p = buf;
	uint8_t version, flags, actor_len;
	struct codec_r r;
	const uint8_t *actor, *pad;
	int wrote = 0;
	size_t n_pad;
	int rc;

	rc = cmd_header(p, len, v, &version, &flags);
	if (rc)
		return rc;
	codec_r_init(&r, p + 12, v->total - 12);
	v->origin = codec_get_u64(&r);
	v->time_ms = codec_get_u64(&r);
	actor_len = codec_get_u8(&r);
	actor = codec_get_ref(&r, actor_len);
	if (flags != 0 || !actor || actor_len >= STORE_NAME_MAX ||
	    memchr(actor, '\0', actor_len))
		return STORE_ECORRUPT;
	v->ops = r.buf + r.off;
	for (unsigned i = 0; i < v->n_ops; i++) {
		uint8_t op = codec_get_u8(&r);
		uint8_t table = codec_get_u8(&r);
		uint16_t klen = codec_get_u16(&r);
		uint32_t vlen = codec_get_u32(&r);

		/* Lengths are checked against what is left before anything
		 * relies on them: codec_get_ref fails on a short buffer. */
		if (!codec_get_ref(&r, klen) || !codec_get_ref(&r, vlen))
			return STORE_ECORRUPT;
		if (op_check(op, table, klen, vlen))
			return STORE_ECORRUPT;
		if (op == STORE_OP_PUT_NEW || op == STORE_OP_DEL_EXISTING ||
		    op == STORE_OP_EXPECT) {
			if (wrote)
				v->needs_rollback = 1;
		}
		if (op != STORE_OP_EXPECT)
			wrote = 1;
	}
	v->ops_len = (size_t)(r.buf + r.off - v->ops);
	/* Exactly the padding store_cmd_finish writes, all zero: one
	 * command, one encoding. */
	n_pad = codec_r_left(&r);
	if (r.bad || pad8(r.off + 12) != v->total || n_pad >= 8)
		return STORE_ECORRUPT;
	pad = codec_get_ref(&r, n_pad);
	for (size_t i = 0; i < n_pad; i++) {
		if (pad[i] != 0)
			return STORE_ECORRUPT;
	}
	return STORE_OK;
}

void cmd_op_at(const struct cmd_view *v, size_t *off, struct cmd_op *op)
{
	struct codec_r r;

	codec_r_init(&r, v->ops + *off, v->ops_len - *off);
	op->op = codec_get_u8(&r);
	op->table = codec_get_u8(&r);
	op->klen = codec_get_u16(&r);
	op->vlen = codec_get_u32(&r);
	op->key = codec_get_ref(&r, op->klen);
	op->val = codec_get_ref(&r, op->vlen);
	*off += r.off;
}
