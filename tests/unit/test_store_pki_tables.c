/* test_store_pki_tables: certificates, keys, trust store, tokens, trust
 * lists, resets and the cluster's security fields, written by commands
 * through store_apply and read back with the typed getters and iterators. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <lmdb.h>

#include "store/store.h"
#include "tests/unit/test_store_fixture.h"

/* Distinct DER-looking bytes per (owner, role, generation). */
static uint8_t ders[64][40];

static void fill_cert(struct store_cert *c, uint64_t owner,
		      enum store_cert_role role, uint32_t gen)
{
	uint8_t *der = ders[(owner * 8 + role + gen * 3) % 64];

	memset(c, 0, sizeof *c);
	der[0] = 0x30;
	der[1] = 38;
	der[2] = (uint8_t)owner;
	der[3] = (uint8_t)role;
	der[4] = (uint8_t)gen;
	c->owner = owner;
	c->role = role;
	c->der = der;
	c->der_len = 40;
	memset(c->sha256, (int)(owner * 16 + role), sizeof c->sha256);
	snprintf(c->subject, sizeof c->subject, "O = ward, OU = %s, CN = n%llu",
		 store_cert_role_name(role), (unsigned long long)owner);
	snprintf(c->issuer, sizeof c->issuer, "O = ward, CN = ward CA");
	c->not_before_s = 1700000000;
	c->not_after_s = 1900000000;
	c->key_type = STORE_KEY_RSA2048;
	snprintf(c->serial, sizeof c->serial, "%02X%02X%02X", (unsigned)owner,
		 (unsigned)role, (unsigned)gen);
	c->generation = gen;
}

static int put_cert(struct fx *f, enum store_op op, const struct store_cert *c)
{
	struct store_cmd *cmd = fx_cmd();

	assert_int_equal(store_cmd_put_cert(cmd, op, c), 0);
	return fx_apply(f, cmd);
}

struct seen {
	unsigned n;
	uint64_t owner[16];
	uint32_t role[16];
	char names[16][256];
	int stop_at; /* stop after this many (0: never) */
};

static int seen_cert(void *arg, const struct store_cert *c)
{
	struct seen *s = arg;

	s->owner[s->n] = c->owner;
	s->role[s->n] = c->role;
	s->n++;
	return s->stop_at && (int)s->n == s->stop_at ? 7 : 0;
}

/* ---- tests ------------------------------------------------------------ */

static void test_certificates_are_filed_by_owner_and_role(void **state)
{
	struct fx *f = *state;
	struct store_cert c, got;
	struct store_read *r;
	struct seen seen = {0};

	fill_cert(&c, 0, STORE_CERT_CA, 1);
	assert_int_equal(put_cert(f, STORE_OP_PUT_NEW, &c), 0);
	for (uint64_t node = 2; node >= 1; node--) {
		for (int role = STORE_CERT_HTTPS; role <= STORE_CERT_NODE;
		     role++) {
			fill_cert(&c, node, role, 1);
			assert_int_equal(put_cert(f, STORE_OP_PUT_NEW, &c), 0);
		}
	}
	/* A second first generation is refused. */
	fill_cert(&c, 1, STORE_CERT_TFTP, 1);
	assert_int_equal(put_cert(f, STORE_OP_PUT_NEW, &c), STORE_EEXIST);

	r = fx_read(f);
	assert_int_equal(store_cert_get(r, 1, STORE_CERT_TFTP, &got), 0);
	assert_int_equal(got.owner, 1);
	assert_int_equal(got.role, STORE_CERT_TFTP);
	assert_int_equal(got.der_len, 40);
	assert_memory_equal(got.der, c.der, 40);
	assert_string_equal(got.serial, c.serial);
	assert_string_equal(got.subject, "O = ward, OU = tftp, CN = n1");
	assert_int_equal(store_cert_get(r, 3, STORE_CERT_TFTP, &got),
			 STORE_ENOTFOUND);
	assert_int_equal(store_cert_get(r, 0, STORE_CERT_CA, &got), 0);
	/* Key order: the cluster-wide CA first, then node 1, then 2. */
	assert_int_equal(store_cert_each(r, seen_cert, &seen), 0);
	assert_int_equal(seen.n, 13);
	assert_int_equal(seen.owner[0], 0);
	assert_int_equal(seen.role[0], STORE_CERT_CA);
	assert_int_equal(seen.owner[1], 1);
	assert_int_equal(seen.role[1], STORE_CERT_HTTPS);
	assert_int_equal(seen.owner[12], 2);
	assert_int_equal(seen.role[12], STORE_CERT_NODE);
	memset(&seen, 0, sizeof seen);
	assert_int_equal(store_cert_each_owner(r, 1, seen_cert, &seen), 0);
	assert_int_equal(seen.n, 6);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(seen.owner[i], 1);
	memset(&seen, 0, sizeof seen);
	seen.stop_at = 2;
	assert_int_equal(store_cert_each_owner(r, 2, seen_cert, &seen), 7);
	assert_int_equal(seen.n, 2);
	memset(&seen, 0, sizeof seen);
	assert_int_equal(store_cert_each_owner(r, 9, seen_cert, &seen), 0);
	assert_int_equal(seen.n, 0);
	store_read_end(r);
}

static void test_regeneration_needs_the_current_certificate(void **state)
{
	struct fx *f = *state;
	struct store_cert g1, g2, g3, got;
	struct store_read *r;
	struct store_cmd *c;

	fill_cert(&g1, 4, STORE_CERT_CALLMANAGER, 1);
	fill_cert(&g2, 4, STORE_CERT_CALLMANAGER, 2);
	fill_cert(&g3, 4, STORE_CERT_CALLMANAGER, 3);
	assert_int_equal(put_cert(f, STORE_OP_PUT_NEW, &g1), 0);
	c = fx_cmd();
	assert_int_equal(store_cmd_replace_cert(c, &g1, &g2), 0);
	assert_int_equal(fx_apply(f, c), 0);
	/* A second administrator who still saw generation 1 loses. */
	c = fx_cmd();
	assert_int_equal(store_cmd_replace_cert(c, &g1, &g2), 0);
	assert_int_equal(fx_apply(f, c), STORE_ENOTFOUND);
	c = fx_cmd();
	assert_int_equal(store_cmd_replace_cert(c, &g2, &g3), 0);
	assert_int_equal(fx_apply(f, c), 0);
	r = fx_read(f);
	assert_int_equal(store_cert_get(r, 4, STORE_CERT_CALLMANAGER, &got), 0);
	assert_int_equal(got.generation, 3);
	assert_memory_equal(got.der, g3.der, g3.der_len);
	store_read_end(r);

	/* The builder refuses what is not the next generation of the
	 * same certificate. */
	c = fx_cmd();
	assert_int_equal(store_cmd_replace_cert(c, &g1, &g3), STORE_EINVAL);
	fill_cert(&g2, 5, STORE_CERT_CALLMANAGER, 2);
	assert_int_equal(store_cmd_replace_cert(c, &g1, &g2), STORE_EINVAL);
	fill_cert(&g2, 4, STORE_CERT_TFTP, 2);
	assert_int_equal(store_cmd_replace_cert(c, &g1, &g2), STORE_EINVAL);
	store_cmd_free(c);
}

static void test_deleting_certificates_and_keys(void **state)
{
	struct fx *f = *state;
	struct store_cert cert;
	struct store_key key, got;
	struct store_read *r;
	struct store_cmd *c;
	uint8_t wrapped[60];

	memset(wrapped, 0xab, sizeof wrapped);
	fill_cert(&cert, 3, STORE_CERT_IPSEC, 1);
	memset(&key, 0, sizeof key);
	key.owner = 3;
	key.role = STORE_CERT_IPSEC;
	key.wrapped = wrapped;
	key.wrapped_len = sizeof wrapped;
	memset(key.kek_id, 0x4b, sizeof key.kek_id);
	c = fx_cmd();
	assert_int_equal(store_cmd_put_cert(c, STORE_OP_PUT_NEW, &cert), 0);
	assert_int_equal(store_cmd_put_key(c, &key), 0);
	assert_int_equal(fx_apply(f, c), 0);

	r = fx_read(f);
	memset(&got, 0xee, sizeof got);
	assert_int_equal(store_key_get(r, 3, STORE_CERT_IPSEC, &got), 0);
	assert_int_equal(got.owner, 3);
	assert_int_equal(got.role, STORE_CERT_IPSEC);
	assert_int_equal(got.wrapped_len, sizeof wrapped);
	assert_memory_equal(got.wrapped, wrapped, sizeof wrapped);
	assert_memory_equal(got.kek_id, key.kek_id, 8);
	assert_int_equal(store_key_get(r, 3, STORE_CERT_TFTP, &got),
			 STORE_ENOTFOUND);
	store_read_end(r);

	c = fx_cmd();
	assert_int_equal(store_cmd_del_cert(c, 3, STORE_CERT_IPSEC), 0);
	assert_int_equal(store_cmd_del_key(c, 3, STORE_CERT_IPSEC), 0);
	assert_int_equal(fx_apply(f, c), 0);
	/* The certificate must exist to be deleted; the key need not. */
	c = fx_cmd();
	assert_int_equal(store_cmd_del_key(c, 3, STORE_CERT_IPSEC), 0);
	assert_int_equal(fx_apply(f, c), 0);
	c = fx_cmd();
	assert_int_equal(store_cmd_del_cert(c, 3, STORE_CERT_IPSEC), 0);
	assert_int_equal(fx_apply(f, c), STORE_ENOTFOUND);
	r = fx_read(f);
	assert_int_equal(store_key_get(r, 3, STORE_CERT_IPSEC, &got),
			 STORE_ENOTFOUND);
	store_read_end(r);
	c = fx_cmd();
	assert_int_equal(store_cmd_del_cert(c, 3, 0), STORE_EINVAL);
	key.role = 99;
	assert_int_equal(store_cmd_put_key(c, &key), STORE_EINVAL);
	store_cmd_free(c);
}

static void
test_a_certificate_filed_under_another_key_is_not_served(void **state)
{
	struct fx *f = *state;
	struct store_cert cert, got;
	struct store_read *r;
	struct store_cmd *c;
	struct seen seen = {0};
	uint8_t key[STORE_CERT_KEY_LEN], val[4096];
	size_t n;

	/* Node 6's NODE certificate written, by a raw op, where node 5's
	 * should be: the getter must not hand it out as node 5's. */
	fill_cert(&cert, 6, STORE_CERT_NODE, 1);
	assert_int_equal(store_cert_encode(&cert, val, sizeof val, &n), 0);
	store_key_cert(5, STORE_CERT_NODE, key);
	c = fx_cmd();
	assert_int_equal(store_cmd_op(c, STORE_OP_PUT, STORE_T_CERTS, key,
				      sizeof key, val, n),
			 0);
	assert_int_equal(fx_apply(f, c), 0);
	r = fx_read(f);
	assert_int_equal(store_cert_get(r, 5, STORE_CERT_NODE, &got),
			 STORE_ECORRUPT);
	assert_int_equal(store_cert_each(r, seen_cert, &seen), 0);
	assert_int_equal(seen.n, 0);
	store_read_end(r);
}

static void fill_trust(struct store_trust *t, const char *name,
		       enum store_trust_category cat, uint8_t fp)
{
	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "%s", name);
	t->category = cat;
	t->der = ders[fp % 64];
	t->der_len = 40;
	memset(t->sha256, fp, sizeof t->sha256);
	memset(t->sha1, fp, sizeof t->sha1);
	snprintf(t->subject, sizeof t->subject, "CN = root %u", fp);
	snprintf(t->issuer, sizeof t->issuer, "CN = root %u", fp);
	t->not_after_s = 2000000000;
	t->added_ms = 1000;
	snprintf(t->added_by, sizeof t->added_by, "admin");
}

static int seen_trust(void *arg, const struct store_trust *t)
{
	struct seen *s = arg;

	snprintf(s->names[s->n++], sizeof s->names[0], "%s", t->name);
	return 0;
}

static void test_trust_store_entries_by_c_rehash_name(void **state)
{
	struct fx *f = *state;
	struct store_trust t, got;
	struct store_read *r;
	struct store_cmd *c;
	struct seen seen = {0};
	uint8_t fp[32];

	c = fx_cmd();
	fill_trust(&t, "f7a74b2c.0", STORE_TRUST_CA_ROOT, 1);
	assert_int_equal(store_cmd_put_trust(c, STORE_OP_PUT_NEW, &t), 0);
	fill_trust(&t, "f7a74b2c.1", STORE_TRUST_MIC_ROOT, 2);
	assert_int_equal(store_cmd_put_trust(c, STORE_OP_PUT_NEW, &t), 0);
	fill_trust(&t, "0a0b0c0d.0", STORE_TRUST_SRST, 3);
	assert_int_equal(store_cmd_put_trust(c, STORE_OP_PUT_NEW, &t), 0);
	assert_int_equal(fx_apply(f, c), 0);
	/* Someone took the name meanwhile: the importer picks the next. */
	c = fx_cmd();
	fill_trust(&t, "f7a74b2c.1", STORE_TRUST_OTHER, 4);
	assert_int_equal(store_cmd_put_trust(c, STORE_OP_PUT_NEW, &t), 0);
	assert_int_equal(fx_apply(f, c), STORE_EEXIST);

	r = fx_read(f);
	assert_int_equal(store_trust_get(r, "f7a74b2c.1", &got), 0);
	assert_string_equal(got.name, "f7a74b2c.1");
	assert_int_equal(got.category, STORE_TRUST_MIC_ROOT);
	assert_memory_equal(got.der, ders[2], 40);
	assert_string_equal(got.subject, "CN = root 2");
	assert_int_equal(store_trust_get(r, "f7a74b2c.2", &got),
			 STORE_ENOTFOUND);
	assert_int_equal(store_trust_get(r, "F7A74B2C.0", &got), STORE_EINVAL);
	memset(fp, 3, sizeof fp);
	assert_int_equal(store_trust_find(r, fp, &got), 0);
	assert_string_equal(got.name, "0a0b0c0d.0");
	memset(fp, 9, sizeof fp);
	assert_int_equal(store_trust_find(r, fp, &got), STORE_ENOTFOUND);
	assert_int_equal(store_trust_each(r, seen_trust, &seen), 0);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.names[0], "0a0b0c0d.0");
	assert_string_equal(seen.names[2], "f7a74b2c.1");
	store_read_end(r);

	c = fx_cmd();
	assert_int_equal(store_cmd_del_trust(c, "f7a74b2c.0"), 0);
	assert_int_equal(fx_apply(f, c), 0);
	c = fx_cmd();
	assert_int_equal(store_cmd_del_trust(c, "f7a74b2c.0"), 0);
	assert_int_equal(fx_apply(f, c), STORE_ENOTFOUND);
	c = fx_cmd();
	assert_int_equal(store_cmd_del_trust(c, "f7a74b2c"), STORE_EINVAL);
	fill_trust(&t, "ca-root.0", STORE_TRUST_CA_ROOT, 1);
	assert_int_equal(store_cmd_put_trust(c, STORE_OP_PUT, &t),
			 STORE_EINVAL);
	store_cmd_free(c);
}

static int seen_token(void *arg, const struct store_token *t)
{
	struct seen *s = arg;

	snprintf(s->names[s->n++], sizeof s->names[0], "%s:%s", t->serial,
		 t->label);
	return 0;
}

static void test_tokens_are_registered_by_serial(void **state)
{
	struct fx *f = *state;
	struct store_token t, got;
	struct store_read *r;
	struct store_cmd *c;
	struct seen seen = {0};
	uint8_t val[4096];
	size_t n;

	memset(&t, 0, sizeof t);
	t.der = ders[10];
	t.der_len = 40;
	strcpy(t.serial, "01AB");
	strcpy(t.label, "sast-a");
	strcpy(t.registered_by, "admin");
	c = fx_cmd();
	assert_int_equal(store_cmd_put_token(c, STORE_OP_PUT_NEW, &t), 0);
	strcpy(t.serial, "02CD");
	strcpy(t.label, "sast-b");
	assert_int_equal(store_cmd_put_token(c, STORE_OP_PUT_NEW, &t), 0);
	assert_int_equal(fx_apply(f, c), 0);
	c = fx_cmd();
	assert_int_equal(store_cmd_put_token(c, STORE_OP_PUT_NEW, &t), 0);
	assert_int_equal(fx_apply(f, c), STORE_EEXIST);

	r = fx_read(f);
	assert_int_equal(store_token_get(r, "01AB", &got), 0);
	assert_string_equal(got.label, "sast-a");
	assert_int_equal(store_token_get(r, "01ab", &got), STORE_EINVAL);
	assert_int_equal(store_token_each(r, seen_token, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.names[0], "01AB:sast-a");
	assert_string_equal(seen.names[1], "02CD:sast-b");
	store_read_end(r);

	/* A token record under another serial's key is not served. */
	strcpy(t.serial, "03EF");
	assert_int_equal(store_token_encode(&t, val, sizeof val, &n), 0);
	c = fx_cmd();
	assert_int_equal(store_cmd_del_token(c, "02CD"), 0);
	assert_int_equal(
	    store_cmd_op(c, STORE_OP_PUT, STORE_T_TOKENS, "04AA", 4, val, n),
	    0);
	assert_int_equal(fx_apply(f, c), 0);
	r = fx_read(f);
	assert_int_equal(store_token_get(r, "02CD", &got), STORE_ENOTFOUND);
	assert_int_equal(store_token_get(r, "04AA", &got), STORE_ECORRUPT);
	memset(&seen, 0, sizeof seen);
	assert_int_equal(store_token_each(r, seen_token, &seen), 0);
	assert_int_equal(seen.n, 1);
	store_read_end(r);
}

static void fill_ctl(struct store_ctl *ctl, uint32_t version)
{
	memset(ctl, 0, sizeof *ctl);
	ctl->version = version;
	ctl->file = ders[20 + version % 10];
	ctl->file_len = 40;
	strcpy(ctl->signer_serial, "01AB");
	memset(ctl->sha256, (int)version, sizeof ctl->sha256);
	ctl->signed_ms = 1000 + version;
}

static void test_each_new_ctl_follows_the_one_it_replaces(void **state)
{
	struct fx *f = *state;
	struct store_ctl v1, v2, v3, got;
	struct store_read *r;
	struct store_cmd *c;

	r = fx_read(f);
	assert_int_equal(store_ctl_get(r, &got), STORE_ENOTFOUND);
	store_read_end(r);
	fill_ctl(&v1, 1);
	fill_ctl(&v2, 2);
	fill_ctl(&v3, 3);
	c = fx_cmd();
	assert_int_equal(store_cmd_put_ctl(c, NULL, &v1), 0);
	assert_int_equal(fx_apply(f, c), 0);
	/* A second "first" CTL. */
	c = fx_cmd();
	assert_int_equal(store_cmd_put_ctl(c, NULL, &v1), 0);
	assert_int_equal(fx_apply(f, c), STORE_EEXIST);
	c = fx_cmd();
	assert_int_equal(store_cmd_put_ctl(c, &v1, &v2), 0);
	assert_int_equal(fx_apply(f, c), 0);
	/* Signed against version 1, which is no longer current. */
	c = fx_cmd();
	assert_int_equal(store_cmd_put_ctl(c, &v1, &v2), 0);
	assert_int_equal(fx_apply(f, c), STORE_ENOTFOUND);
	r = fx_read(f);
	assert_int_equal(store_ctl_get(r, &got), 0);
	assert_int_equal(got.version, 2);
	assert_memory_equal(got.file, v2.file, v2.file_len);
	assert_string_equal(got.signer_serial, "01AB");
	store_read_end(r);
	/* Versions only ever step by one. */
	c = fx_cmd();
	assert_int_equal(store_cmd_put_ctl(c, &v1, &v3), STORE_EINVAL);
	assert_int_equal(store_cmd_put_ctl(c, NULL, &v2), STORE_EINVAL);
	assert_int_equal(store_cmd_put_ctl(c, &v2, &v2), STORE_EINVAL);
	store_cmd_free(c);
}

static void test_itl_per_node(void **state)
{
	struct fx *f = *state;
	struct store_itl itl, got;
	struct store_read *r;
	struct store_cmd *c;

	memset(&itl, 0, sizeof itl);
	itl.node_id = 2;
	itl.file = ders[33];
	itl.file_len = 40;
	itl.signed_ms = 5;
	c = fx_cmd();
	assert_int_equal(store_cmd_put_itl(c, &itl), 0);
	assert_int_equal(fx_apply(f, c), 0);
	r = fx_read(f);
	assert_int_equal(store_itl_get(r, 2, &got), 0);
	assert_int_equal(got.node_id, 2);
	assert_int_equal(got.file_len, 40);
	assert_int_equal(got.signed_ms, 5);
	assert_int_equal(store_itl_get(r, 3, &got), STORE_ENOTFOUND);
	store_read_end(r);
	c = fx_cmd();
	assert_int_equal(store_cmd_del_itl(c, 2), 0);
	assert_int_equal(store_cmd_del_itl(c, 3), 0);
	assert_int_equal(fx_apply(f, c), 0);
	itl.node_id = 0;
	c = fx_cmd();
	assert_int_equal(store_cmd_put_itl(c, &itl), STORE_EINVAL);
	store_cmd_free(c);
}

static int seen_reset(void *arg, const struct store_reset *rs)
{
	struct seen *s = arg;

	snprintf(s->names[s->n++], sizeof s->names[0], "%u:%s", rs->kind,
		 rs->name);
	return 0;
}

static void test_pending_resets_are_recorded_and_consumed(void **state)
{
	struct fx *f = *state;
	struct store_reset rs, got;
	struct store_read *r;
	struct store_cmd *c;
	struct seen seen = {0};

	memset(&rs, 0, sizeof rs);
	strcpy(rs.reason, "security mode non-secure -> mixed");
	rs.since_ms = 1234;
	c = fx_cmd();
	rs.kind = STORE_RESET_DEVICE;
	strcpy(rs.name, "SEP001122334455");
	assert_int_equal(store_cmd_put_reset(c, &rs), 0);
	rs.kind = STORE_RESET_SERVICE;
	strcpy(rs.name, "sip");
	assert_int_equal(store_cmd_put_reset(c, &rs), 0);
	strcpy(rs.name, "tftp");
	assert_int_equal(store_cmd_put_reset(c, &rs), 0);
	assert_int_equal(fx_apply(f, c), 0);

	r = fx_read(f);
	assert_int_equal(store_reset_get(r, STORE_RESET_SERVICE, "sip", &got),
			 0);
	assert_int_equal(got.kind, STORE_RESET_SERVICE);
	assert_string_equal(got.name, "sip");
	assert_string_equal(got.reason, "security mode non-secure -> mixed");
	assert_int_equal(got.since_ms, 1234);
	assert_int_equal(store_reset_get(r, STORE_RESET_DEVICE, "sip", &got),
			 STORE_ENOTFOUND);
	assert_int_equal(store_reset_each(r, seen_reset, &seen), 0);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.names[0], "1:sip"); /* services first */
	assert_string_equal(seen.names[1], "1:tftp");
	assert_string_equal(seen.names[2], "2:SEP001122334455");
	store_read_end(r);

	c = fx_cmd();
	assert_int_equal(store_cmd_del_reset(c, STORE_RESET_SERVICE, "sip"), 0);
	assert_int_equal(store_cmd_del_reset(c, STORE_RESET_SERVICE, "sip"), 0);
	assert_int_equal(fx_apply(f, c), 0);
	r = fx_read(f);
	memset(&seen, 0, sizeof seen);
	assert_int_equal(store_reset_each(r, seen_reset, &seen), 0);
	assert_int_equal(seen.n, 2);
	store_read_end(r);
	c = fx_cmd();
	assert_int_equal(store_cmd_del_reset(c, 3, "sip"), STORE_EINVAL);
	assert_int_equal(store_cmd_del_reset(c, STORE_RESET_DEVICE, ""),
			 STORE_EINVAL);
	store_cmd_free(c);
}

static void test_security_mode_changes_from_what_was_read(void **state)
{
	struct fx *f = *state;
	struct store_cluster cl, mixed, other, got;
	struct store_read *r;
	struct store_cmd *c;

	memset(&cl, 0, sizeof cl);
	strcpy(cl.id, "0b1c5a9e-8f43-4d2a-9c1e-2f7e8a6b5d10");
	strcpy(cl.name, "lab");
	cl.schema_version = STORE_SCHEMA_VERSION;
	memset(cl.kek_id, 0x4b, sizeof cl.kek_id);
	memset(cl.ca_sha256, 0xca, sizeof cl.ca_sha256);
	c = fx_cmd();
	assert_int_equal(store_cmd_put_cluster(c, &cl), 0);
	assert_int_equal(fx_apply(f, c), 0);

	mixed = cl;
	mixed.security_mode = STORE_SECURITY_MIXED;
	c = fx_cmd();
	assert_int_equal(store_cmd_update_cluster(c, &cl, &mixed), 0);
	assert_int_equal(store_cmd_audit(c, "security.mode", "mixed"), 0);
	assert_int_equal(fx_apply(f, c), 0);
	/* A change computed from the old record no longer applies. */
	c = fx_cmd();
	assert_int_equal(store_cmd_update_cluster(c, &cl, &cl), 0);
	assert_int_equal(fx_apply(f, c), STORE_ENOTFOUND);
	r = fx_read(f);
	assert_int_equal(store_cluster_get(r, &got), 0);
	assert_int_equal(got.security_mode, STORE_SECURITY_MIXED);
	assert_memory_equal(got.kek_id, cl.kek_id, 8);
	assert_memory_equal(got.ca_sha256, cl.ca_sha256, 32);
	store_read_end(r);
	/* Never into another cluster's record. */
	other = mixed;
	other.id[0] = '1';
	c = fx_cmd();
	assert_int_equal(store_cmd_update_cluster(c, &mixed, &other),
			 STORE_EINVAL);
	store_cmd_free(c);
}

/* Two node additions computed from the same cluster record: the guard lets
 * one take the id, the other must read again and gets the next one. */
static void test_next_node_id_is_taken_once(void **state)
{
	struct fx *f = *state;
	struct store_cluster cl, a, b, got;
	struct store_read *r;
	struct store_cmd *c;

	memset(&cl, 0, sizeof cl);
	strcpy(cl.id, "0b1c5a9e-8f43-4d2a-9c1e-2f7e8a6b5d10");
	cl.schema_version = STORE_SCHEMA_VERSION;
	cl.next_node_id = 3;
	c = fx_cmd();
	assert_int_equal(store_cmd_put_cluster(c, &cl), 0);
	assert_int_equal(fx_apply(f, c), 0);

	a = b = cl;
	a.next_node_id = b.next_node_id = 4; /* both hand out id 3 */
	c = fx_cmd();
	assert_int_equal(store_cmd_update_cluster(c, &cl, &a), 0);
	assert_int_equal(fx_apply(f, c), 0);
	c = fx_cmd();
	assert_int_equal(store_cmd_update_cluster(c, &cl, &b), 0);
	assert_int_equal(fx_apply(f, c), STORE_ENOTFOUND);
	r = fx_read(f);
	assert_int_equal(store_cluster_get(r, &got), 0);
	assert_int_equal(got.next_node_id, 4);
	store_read_end(r);
	/* Read again, the second addition takes id 4. */
	b = got;
	b.next_node_id = 5;
	c = fx_cmd();
	assert_int_equal(store_cmd_update_cluster(c, &got, &b), 0);
	assert_int_equal(fx_apply(f, c), 0);
	r = fx_read(f);
	assert_int_equal(store_cluster_get(r, &got), 0);
	assert_int_equal(got.next_node_id, 5);
	store_read_end(r);
}

static void test_store_of_schema_1_is_upgraded_when_opened(void **state)
{
	struct fx *f = *state;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta;
	MDB_val k = {14, "schema_version"}, v = {4, "\0\0\0\x01"}, got;
	struct store_cert cert;

	store_close(f->s);
	/* What the first build left: schema 1. */
	assert_int_equal(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 32);
	assert_int_equal(mdb_env_open(env, f->dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	assert_int_equal(mdb_put(txn, meta, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);

	f->s = fixture_store_open(f->dir);
	assert_non_null(f->s);
	fill_cert(&cert, 1, STORE_CERT_NODE, 1);
	assert_int_equal(put_cert(f, STORE_OP_PUT_NEW, &cert), 0);
	store_close(f->s);

	assert_int_equal(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 32);
	assert_int_equal(mdb_env_open(env, f->dir, MDB_RDONLY, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	assert_int_equal(mdb_get(txn, meta, &k, &got), 0);
	assert_int_equal(got.mv_size, 4);
	assert_int_equal(((const uint8_t *)got.mv_data)[3],
			 STORE_SCHEMA_VERSION);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	f->s = fixture_store_open(f->dir);
	assert_non_null(f->s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
	    T(test_certificates_are_filed_by_owner_and_role),
	    T(test_next_node_id_is_taken_once),
	    T(test_regeneration_needs_the_current_certificate),
	    T(test_deleting_certificates_and_keys),
	    T(test_a_certificate_filed_under_another_key_is_not_served),
	    T(test_trust_store_entries_by_c_rehash_name),
	    T(test_tokens_are_registered_by_serial),
	    T(test_each_new_ctl_follows_the_one_it_replaces),
	    T(test_itl_per_node),
	    T(test_pending_resets_are_recorded_and_consumed),
	    T(test_security_mode_changes_from_what_was_read),
	    T(test_store_of_schema_1_is_upgraded_when_opened),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
