/* test_store_codec: record encodings and the command wire format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/internal.h"
#include "store/store.h"

/* ---- one table of record codecs, so every test covers every record ---- */

typedef int (*enc_fn)(const void *r, void *buf, size_t cap, size_t *len);
typedef int (*dec_fn)(const void *buf, size_t len, void *r);

struct codec {
	const char *name;
	enc_fn enc;
	dec_fn dec;
	size_t size;
	void (*fill)(void *r, int max); /* a record, with max-length text */
	size_t first_str;		/* offset of the first string's
					   length in the encoding */
	size_t first_str_cap;
	uint8_t version; /* the version encoders write */
};

static void fill_text(char *s, size_t cap, int max, const char *base)
{
	if (max) {
		memset(s, 'x', cap - 1);
		s[cap - 1] = '\0';
	} else {
		snprintf(s, cap, "%s", base);
	}
}

static void fill_cluster(void *p, int max)
{
	struct store_cluster *r = p;

	memset(r, 0, sizeof *r);
	fill_text(r->id, sizeof r->id, max,
		  "0b1c5a9e-8f43-4d2a-9c1e-2f7e8a6b5d10");
	fill_text(r->name, sizeof r->name, max, "lab");
	r->schema_version = 1;
	r->created_ms = 1700000000123ull;
	r->security_mode = STORE_SECURITY_MIXED;
	memset(r->kek_id, 0x4b, sizeof r->kek_id);
	memset(r->ca_sha256, 0xca, sizeof r->ca_sha256);
	r->next_node_id = 7;
}

static void fill_node(void *p, int max)
{
	struct store_node *r = p;

	memset(r, 0, sizeof *r);
	r->id = 0x0102030405060708ull;
	fill_text(r->name, sizeof r->name, max, "node1");
	fill_text(r->raft_addr, sizeof r->raft_addr, max, "127.0.0.2:9443");
	fill_text(r->admin_addr, sizeof r->admin_addr, max, "127.0.0.2:8443");
	r->roles = STORE_ROLE_SIP | STORE_ROLE_ADMIN;
	r->state = STORE_NODE_VOTER;
	for (int i = 0; i < 32; i++)
		r->https_sha256[i] = (uint8_t)(0xa0 + i);
	r->created_ms = 42;
	fill_text(r->sip_host, sizeof r->sip_host, max, "127.0.0.2");
	r->sip_port = 5060;
	r->sip_tls_port = 5061;
	r->sip_node_port = 5062;
}

static void fill_admin(void *p, int max)
{
	struct store_admin *r = p;

	memset(r, 0, sizeof *r);
	fill_text(r->name, sizeof r->name, max, "admin");
	for (int i = 0; i < 16; i++)
		r->salt[i] = (uint8_t)i;
	r->kdf = 1;
	r->kdf_n = 1u << 15;
	r->kdf_r = 8;
	r->kdf_p = 1;
	for (int i = 0; i < 32; i++)
		r->hash[i] = (uint8_t)(255 - i);
	r->created_ms = 1;
	r->changed_ms = UINT64_MAX;
}

static void fill_audit(void *p, int max)
{
	struct store_audit r0 = {0}, *r = p;

	*r = r0;
	r->time_ms = 99;
	r->origin = 3;
	fill_text(r->actor, sizeof r->actor, max, "admin");
	fill_text(r->action, sizeof r->action, max, "param.set");
	fill_text(r->detail, sizeof r->detail, max, "sip_keepalive_s=60");
}

static void fill_join_token(void *p, int max)
{
	struct store_join_token *r = p;

	memset(r, 0, sizeof *r);
	fill_text(r->node_name, sizeof r->node_name, max, "node4");
	r->node_id = 4;
	memset(r->secret_sha256, 0x5c, sizeof r->secret_sha256);
	r->expires_ms = 1800000000000ull;
	fill_text(r->host, sizeof r->host, max, "127.0.0.5");
}

#define CODEC(n, T, fillfn, off, cap, ver)                                     \
	{                                                                      \
#n, (enc_fn)store_##n##_encode, (dec_fn)store_##n##_decode,    \
		    sizeof(T), fillfn, off, cap, ver                           \
	}

static const struct codec codecs[] = {
    CODEC(cluster, struct store_cluster, fill_cluster, 1, 37, 3),
    CODEC(node, struct store_node, fill_node, 9, STORE_NAME_MAX, 3),
    CODEC(admin, struct store_admin, fill_admin, 1, STORE_NAME_MAX, 1),
    CODEC(audit, struct store_audit, fill_audit, 17, STORE_NAME_MAX, 1),
    CODEC(join_token, struct store_join_token, fill_join_token, 1,
	  STORE_NAME_MAX, 1),
};
#define N_CODECS (sizeof codecs / sizeof *codecs)

static void encode_sample(const struct codec *c, int max, uint8_t *buf,
			  size_t *len)
{
	uint8_t rec[2048];

	c->fill(rec, max);
	assert_int_equal(c->enc(rec, buf, STORE_RECORD_MAX, len), STORE_OK);
}

static void test_every_record_round_trips(void **state)
{
	uint8_t a[2048], b[2048], buf[STORE_RECORD_MAX], buf2[STORE_RECORD_MAX];
	size_t len, len2;

	for (size_t i = 0; i < N_CODECS; i++) {
		const struct codec *c = &codecs[i];

		for (int max = 0; max <= 1; max++) {
			memset(a, 0, sizeof a);
			memset(b, 0xee, sizeof b);
			c->fill(a, max);
			assert_int_equal(c->enc(a, buf, sizeof buf, &len), 0);
			/* version first */
			assert_int_equal(buf[0], c->version);
			assert_int_equal(c->dec(buf, len, b), STORE_OK);
			assert_memory_equal(a, b, c->size);
			/* The encoding is canonical. */
			assert_int_equal(c->enc(b, buf2, sizeof buf2, &len2),
					 0);
			assert_int_equal(len, len2);
			assert_memory_equal(buf, buf2, len);
		}
	}
}

static void test_every_truncation_of_a_record_is_rejected(void **state)
{
	uint8_t rec[2048], buf[STORE_RECORD_MAX];
	size_t len;

	for (size_t i = 0; i < N_CODECS; i++) {
		for (int max = 0; max <= 1; max++) {
			encode_sample(&codecs[i], max, buf, &len);
			for (size_t n = 0; n < len; n++) {
				/* A copy of exactly n bytes, so a read past
				 * the end would show under a sanitizer. */
				uint8_t *t = malloc(n ? n : 1);

				memcpy(t, buf, n);
				assert_int_equal(codecs[i].dec(t, n, rec),
						 STORE_ECORRUPT);
				free(t);
			}
		}
	}
}

static void test_trailing_garbage_after_a_record_is_rejected(void **state)
{
	uint8_t rec[2048], buf[STORE_RECORD_MAX + 1];
	size_t len;

	for (size_t i = 0; i < N_CODECS; i++) {
		encode_sample(&codecs[i], 0, buf, &len);
		buf[len] = 0;
		assert_int_equal(codecs[i].dec(buf, len + 1, rec),
				 STORE_ECORRUPT);
	}
}

static void test_unknown_record_version_is_refused(void **state)
{
	uint8_t rec[2048], buf[STORE_RECORD_MAX];
	size_t len;

	for (size_t i = 0; i < N_CODECS; i++) {
		encode_sample(&codecs[i], 0, buf, &len);
		buf[0] = codecs[i].version + 1;
		assert_int_equal(codecs[i].dec(buf, len, rec), STORE_EVERSION);
		buf[0] = 0;
		assert_int_equal(codecs[i].dec(buf, len, rec), STORE_EVERSION);
		buf[0] = 0xff;
		assert_int_equal(codecs[i].dec(buf, len, rec), STORE_EVERSION);
	}
}

static void test_oversized_string_is_rejected(void **state)
{
	uint8_t rec[2048], buf[STORE_RECORD_MAX + 64];
	size_t len;

	for (size_t i = 0; i < N_CODECS; i++) {
		const struct codec *c = &codecs[i];
		size_t at = c->first_str;

		/* Longest legal string, then lengthen it by one in place:
		 * the bytes exist, only the field cannot hold them. */
		encode_sample(c, 1, buf, &len);
		assert_int_equal(buf[at] << 8 | buf[at + 1],
				 c->first_str_cap - 1);
		memmove(buf + at + 3, buf + at + 2, len - at - 2);
		buf[at + 2] = 'x';
		buf[at + 1]++;
		assert_int_equal(c->dec(buf, len + 1, rec), STORE_ECORRUPT);
		/* A length that runs far past the end. */
		encode_sample(c, 0, buf, &len);
		buf[at] = 0xff;
		buf[at + 1] = 0xff;
		assert_int_equal(c->dec(buf, len, rec), STORE_ECORRUPT);
	}
}

static void test_string_with_nul_is_rejected(void **state)
{
	uint8_t rec[2048], buf[STORE_RECORD_MAX];
	size_t len;

	for (size_t i = 0; i < N_CODECS; i++) {
		encode_sample(&codecs[i], 0, buf, &len);
		buf[codecs[i].first_str + 2] = '\0';
		assert_int_equal(codecs[i].dec(buf, len, rec), STORE_ECORRUPT);
	}
}

static void test_unterminated_string_is_not_encoded(void **state)
{
	struct store_node n;
	struct store_cluster c;
	uint8_t buf[STORE_RECORD_MAX];
	size_t len;

	fill_node(&n, 0);
	memset(n.name, 'a', sizeof n.name);
	assert_int_equal(store_node_encode(&n, buf, sizeof buf, &len),
			 STORE_EINVAL);
	fill_cluster(&c, 0);
	memset(c.id, '1', sizeof c.id);
	assert_int_equal(store_cluster_encode(&c, buf, sizeof buf, &len),
			 STORE_EINVAL);
}

static void test_node_with_id_zero_or_unknown_state_is_refused(void **state)
{
	struct store_node n, back;
	uint8_t buf[STORE_RECORD_MAX];
	size_t len;

	fill_node(&n, 0);
	n.id = 0;
	assert_int_equal(store_node_encode(&n, buf, sizeof buf, &len),
			 STORE_EINVAL);
	fill_node(&n, 0);
	n.state = STORE_NODE_LEAVING + 1;
	assert_int_equal(store_node_encode(&n, buf, sizeof buf, &len),
			 STORE_EINVAL);
	/* The same on the decoding side, with a hand-altered state. */
	fill_node(&n, 0);
	assert_int_equal(store_node_encode(&n, buf, sizeof buf, &len), 0);
	/* state's last byte: before the fingerprint, created_ms and the
	 * SIP address (u16 length + host, three u32 ports). */
	buf[len - (2 + strlen(n.sip_host) + 12) - 8 - 32 - 1] = 9;
	assert_int_equal(store_node_decode(buf, len, &back), STORE_ECORRUPT);
	/* And a SIP port beyond 65535. */
	fill_node(&n, 0);
	assert_int_equal(store_node_encode(&n, buf, sizeof buf, &len), 0);
	buf[len - 12] = 1; /* sip_port = 0x01000000 + ... */
	assert_int_equal(store_node_decode(buf, len, &back), STORE_ECORRUPT);
	/* And a node port beyond 65535. */
	fill_node(&n, 0);
	assert_int_equal(store_node_encode(&n, buf, sizeof buf, &len), 0);
	buf[len - 4] = 1;
	assert_int_equal(store_node_decode(buf, len, &back), STORE_ECORRUPT);
}

static void test_short_buffer_gives_too_big(void **state)
{
	uint8_t rec[2048], buf[STORE_RECORD_MAX];
	size_t len, len2;

	for (size_t i = 0; i < N_CODECS; i++) {
		encode_sample(&codecs[i], 1, buf, &len);
		codecs[i].fill(rec, 1);
		for (size_t cap = 0; cap < len; cap++) {
			uint8_t *t = malloc(cap ? cap : 1);

			assert_int_equal(codecs[i].enc(rec, t, cap, &len2),
					 STORE_ETOOBIG);
			free(t);
		}
	}
}

static void
test_random_bytes_never_decode_to_a_non_canonical_record(void **state)
{
	uint8_t rec[2048], rec2[2048], in[600], out[STORE_RECORD_MAX];
	size_t len;
	unsigned seed = 12345;

	for (int iter = 0; iter < 20000; iter++) {
		size_t n = (size_t)(rand_r(&seed) % sizeof in);

		for (size_t i = 0; i < n; i++)
			in[i] = (uint8_t)rand_r(&seed);
		if (n)
			in[0] = 1; /* get past the version byte */
		for (size_t i = 0; i < N_CODECS; i++) {
			if (codecs[i].dec(in, n, rec) != STORE_OK)
				continue;
			assert_int_equal(
			    codecs[i].enc(rec, out, sizeof out, &len), 0);
			if (codecs[i].version != 1) {
				/* An older version re-encodes as the
				 * current one, holding the same record. */
				memset(rec2, 0, sizeof rec2);
				assert_int_equal(codecs[i].dec(out, len, rec2),
						 0);
				assert_memory_equal(rec, rec2, codecs[i].size);
				continue;
			}
			assert_int_equal(len, n);
			assert_memory_equal(out, in, n);
		}
	}
}

static void test_node_state_and_table_names(void **state)
{
	assert_string_equal(store_node_state_name(STORE_NODE_VOTER), "voter");
	assert_string_equal(store_node_state_name(99), "unknown");
	assert_string_equal(store_table_name(STORE_T_NODES), "nodes");
	assert_null(store_table_name(STORE_T__COUNT));
	assert_string_equal(store_strerror(STORE_ECLUSTER),
			    "data belongs to another cluster");
	assert_string_equal(store_strerror(0), "success");
	assert_string_equal(store_strerror(-3), "unknown store error");
}

/* ---- commands --------------------------------------------------------- */

static void *build_sample_cmd(size_t *len)
{
	struct store_cmd *c;
	struct store_node n;
	struct store_admin a;
	struct store_join_token t;
	void *buf;

	fill_node(&n, 0);
	fill_admin(&a, 0);
	fill_join_token(&t, 0);
	assert_int_equal(store_cmd_new(&c, 7, 1234, "admin"), 0);
	assert_int_equal(store_cmd_put_node(c, STORE_OP_PUT_NEW, &n), 0);
	assert_int_equal(store_cmd_put_admin(c, STORE_OP_PUT, &a), 0);
	assert_int_equal(store_cmd_put_param(c, "sip_keepalive_s", "60"), 0);
	assert_int_equal(store_cmd_put_join_token(c, &t), 0);
	assert_int_equal(store_cmd_op(c, STORE_OP_EXPECT, STORE_T_PARAMS,
				      "sip_keepalive_s", 15, "60", 2),
			 0);
	assert_int_equal(store_cmd_use_join_token(c, "node4"), 0);
	assert_int_equal(store_cmd_del_admin(c, "old"), 0);
	assert_int_equal(store_cmd_del_node(c, 9), 0);
	assert_int_equal(store_cmd_op(c, STORE_OP_DEL, STORE_T_PARAMS,
				      "capf_key_size", 13, NULL, 0),
			 0);
	assert_int_equal(store_cmd_audit(c, "node.add", "node4"), 0);
	assert_int_equal(store_cmd_finish(c, &buf, len), 0);
	store_cmd_free(c);
	return buf;
}

static void test_command_round_trips_through_the_wire_format(void **state)
{
	static const uint8_t ops[] = {
	    STORE_OP_PUT_NEW,	   STORE_OP_PUT,	  STORE_OP_PUT,
	    STORE_OP_PUT,	   STORE_OP_EXPECT,	  STORE_OP_DEL_EXISTING,
	    STORE_OP_DEL_EXISTING, STORE_OP_DEL_EXISTING, STORE_OP_DEL,
	    STORE_OP_AUDIT,
	};
	struct store_audit au;
	struct store_node n;
	struct cmd_view v;
	struct cmd_op op;
	size_t len, total, off = 0;
	uint8_t *buf = build_sample_cmd(&len);

	assert_int_equal(len % 8, 0);
	assert_memory_equal(buf, "WCMD", 4);
	assert_int_equal(store_cmd_peek(buf, len, &total), 0);
	assert_int_equal(total, len);
	assert_int_equal(cmd_parse(buf, len, &v), 0);
	assert_int_equal(v.total, len);
	assert_int_equal(v.origin, 7);
	assert_int_equal(v.time_ms, 1234);
	assert_int_equal(v.n_ops, sizeof ops);
	assert_true(v.needs_rollback);
	for (unsigned i = 0; i < v.n_ops; i++) {
		cmd_op_at(&v, &off, &op);
		assert_int_equal(op.op, ops[i]);
		if (i == 0) {
			assert_int_equal(op.table, STORE_T_NODES);
			assert_int_equal(op.klen, 8);
			assert_int_equal(store_node_decode(op.val, op.vlen, &n),
					 0);
			assert_string_equal(n.name, "node1");
		}
		if (i == 2) {
			assert_int_equal(op.vlen, 2);
			assert_memory_equal(op.val, "60", 2);
		}
		if (i == 9) {
			assert_int_equal(op.table, STORE_T_AUDIT);
			assert_int_equal(op.klen, 0);
			assert_int_equal(
			    store_audit_decode(op.val, op.vlen, &au), 0);
			assert_string_equal(au.actor, "admin");
			assert_string_equal(au.action, "node.add");
			assert_string_equal(au.detail, "node4");
			assert_int_equal(au.time_ms, 1234);
			assert_int_equal(au.origin, 7);
		}
	}
	assert_int_equal(off, v.ops_len);
	free(buf);
}

static void test_every_truncation_of_a_command_is_rejected(void **state)
{
	struct cmd_view v;
	size_t len, total;
	uint8_t *buf = build_sample_cmd(&len);

	for (size_t n = 0; n < len; n++) {
		uint8_t *t = malloc(n ? n : 1);

		memcpy(t, buf, n);
		assert_int_equal(store_cmd_peek(t, n, &total), STORE_ECORRUPT);
		assert_int_equal(cmd_parse(t, n, &v), STORE_ECORRUPT);
		free(t);
	}
	free(buf);
}

/* Alters one header field of a valid command and expects RC from parse. */
static void expect_altered(size_t at, uint8_t val, int rc)
{
	struct cmd_view v;
	size_t len;
	uint8_t *buf = build_sample_cmd(&len);

	buf[at] = val;
	assert_int_equal(cmd_parse(buf, len, &v), rc);
	free(buf);
}

static void test_malformed_command_headers_are_rejected(void **state)
{
	expect_altered(0, 'X', STORE_ECORRUPT);	  /* magic */
	expect_altered(5, 1, STORE_ECORRUPT);	  /* flags */
	expect_altered(7, 11, STORE_ECORRUPT);	  /* n_ops one too many */
	expect_altered(7, 9, STORE_ECORRUPT);	  /* n_ops one too few */
	expect_altered(11, 0xff, STORE_ECORRUPT); /* total_len */
	expect_altered(28, 200, STORE_ECORRUPT);  /* actor_len */
	expect_altered(29, 0, STORE_ECORRUPT);	  /* NUL in actor */
}

static void test_unknown_command_version_can_be_skipped(void **state)
{
	struct cmd_view v;
	size_t len, total;
	uint8_t *buf = build_sample_cmd(&len);

	buf[4] = 2;
	assert_int_equal(store_cmd_peek(buf, len, &total), STORE_EVERSION);
	assert_int_equal(total, len);
	assert_int_equal(cmd_parse(buf, len, &v), STORE_EVERSION);
	assert_int_equal(v.total, len);
	free(buf);
}

static void test_padding_must_be_zero_and_minimal(void **state)
{
	struct store_cmd *c;
	struct cmd_view v;
	uint8_t *buf, *big;
	size_t len;

	/* 29 + 1 (actor) + 8 + 1 + 1 = 40: no padding. One byte more of
	 * value gives 41 -> 48, 7 bytes of padding. */
	assert_int_equal(store_cmd_new(&c, 1, 1, "-"), 0);
	assert_int_equal(
	    store_cmd_op(c, STORE_OP_PUT, STORE_T_PARAMS, "k", 1, "vv", 2), 0);
	assert_int_equal(store_cmd_finish(c, (void **)&buf, &len), 0);
	store_cmd_free(c);
	assert_int_equal(len, 48);
	assert_int_equal(cmd_parse(buf, len, &v), 0);
	buf[47] = 1;
	assert_int_equal(cmd_parse(buf, len, &v), STORE_ECORRUPT);
	buf[47] = 0;
	/* Eight more bytes of zeros, counted in total_len: not canonical. */
	big = calloc(1, len + 8);
	memcpy(big, buf, len);
	big[11] = (uint8_t)(len + 8);
	assert_int_equal(cmd_parse(big, len + 8, &v), STORE_ECORRUPT);
	free(big);
	free(buf);
}

static void test_builder_refuses_illegal_operations(void **state)
{
	struct store_cmd *c;
	char key[STORE_KEY_MAX + 1];
	char actor[STORE_NAME_MAX + 1];
	struct store_node n;

	memset(actor, 'a', STORE_NAME_MAX);
	actor[STORE_NAME_MAX] = '\0';
	assert_int_equal(store_cmd_new(&c, 1, 1, actor), STORE_EINVAL);
	assert_int_equal(store_cmd_new(&c, 1, 1, NULL), 0);
	memset(key, 'k', sizeof key);
	/* The meta table belongs to apply. */
	assert_int_equal(store_cmd_op(c, STORE_OP_PUT, STORE_T_META,
				      "applied_index", 13, "x", 1),
			 STORE_EINVAL);
	assert_int_equal(
	    store_cmd_op(c, STORE_OP_PUT, STORE_T__COUNT, "k", 1, "x", 1),
	    STORE_EINVAL);
	assert_int_equal(store_cmd_op(c, 0, STORE_T_PARAMS, "k", 1, "x", 1),
			 STORE_EINVAL);
	assert_int_equal(store_cmd_op(c, 7, STORE_T_PARAMS, "k", 1, "x", 1),
			 STORE_EINVAL);
	assert_int_equal(
	    store_cmd_op(c, STORE_OP_AUDIT, STORE_T_PARAMS, NULL, 0, "x", 1),
	    STORE_EINVAL);
	assert_int_equal(
	    store_cmd_op(c, STORE_OP_PUT, STORE_T_AUDIT, "k", 1, "x", 1),
	    STORE_EINVAL);
	assert_int_equal(store_cmd_op(c, STORE_OP_PUT, STORE_T_PARAMS, key,
				      sizeof key, "x", 1),
			 STORE_EINVAL);
	assert_int_equal(
	    store_cmd_op(c, STORE_OP_PUT, STORE_T_PARAMS, "", 0, "x", 1),
	    STORE_EINVAL);
	assert_int_equal(
	    store_cmd_op(c, STORE_OP_DEL, STORE_T_PARAMS, "k", 1, "x", 1),
	    STORE_EINVAL);
	assert_int_equal(store_cmd_put_param(c, "no_such_param", "1"),
			 STORE_EINVAL);
	assert_int_equal(store_cmd_put_param(c, "sip_keepalive_s", "5"),
			 STORE_EINVAL);
	fill_node(&n, 0);
	assert_int_equal(store_cmd_put_node(c, STORE_OP_DEL, &n), STORE_EINVAL);
	assert_int_equal(store_cmd_del_admin(c, ""), STORE_EINVAL);
	store_cmd_free(c);
	store_cmd_free(NULL);
}

static void test_command_larger_than_the_limit_is_refused(void **state)
{
	struct store_cmd *c;
	size_t chunk = 64 * 1024;
	uint8_t *val = calloc(1, STORE_CMD_MAX);
	int rc = 0;
	unsigned i;

	assert_int_equal(store_cmd_new(&c, 1, 1, "-"), 0);
	assert_int_equal(store_cmd_op(c, STORE_OP_PUT, STORE_T_PARAMS, "k", 1,
				      val, STORE_CMD_MAX),
			 STORE_ETOOBIG);
	for (i = 0; i < 32 && rc == 0; i++)
		rc = store_cmd_op(c, STORE_OP_PUT, STORE_T_PARAMS, "k", 1, val,
				  chunk);
	assert_int_equal(rc, STORE_ETOOBIG);
	assert_int_equal(i, 16); /* 15 fit, with the header */
	store_cmd_free(c);
	free(val);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_record_round_trips),
	    cmocka_unit_test(test_every_truncation_of_a_record_is_rejected),
	    cmocka_unit_test(test_trailing_garbage_after_a_record_is_rejected),
	    cmocka_unit_test(test_unknown_record_version_is_refused),
	    cmocka_unit_test(test_oversized_string_is_rejected),
	    cmocka_unit_test(test_string_with_nul_is_rejected),
	    cmocka_unit_test(test_unterminated_string_is_not_encoded),
	    cmocka_unit_test(
		test_node_with_id_zero_or_unknown_state_is_refused),
	    cmocka_unit_test(test_short_buffer_gives_too_big),
	    cmocka_unit_test(
		test_random_bytes_never_decode_to_a_non_canonical_record),
	    cmocka_unit_test(test_node_state_and_table_names),
	    cmocka_unit_test(test_command_round_trips_through_the_wire_format),
	    cmocka_unit_test(test_every_truncation_of_a_command_is_rejected),
	    cmocka_unit_test(test_malformed_command_headers_are_rejected),
	    cmocka_unit_test(test_unknown_command_version_can_be_skipped),
	    cmocka_unit_test(test_padding_must_be_zero_and_minimal),
	    cmocka_unit_test(test_builder_refuses_illegal_operations),
	    cmocka_unit_test(test_command_larger_than_the_limit_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
