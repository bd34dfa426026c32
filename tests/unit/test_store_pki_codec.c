/* test_store_pki_codec: encodings of the records that carry certificates,
 * keys and signed files (certs, keys, trust, tokens, ctl, itl), of pending
 * resets, and versions 2 and 3 of the cluster record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/store.h"

/* ---- one table of codecs, so every test covers every record ----------- */

typedef int (*enc_fn)(const void *r, void *buf, size_t cap, size_t *len);
typedef int (*dec_fn)(const void *buf, size_t len, void *r);

struct codec {
	const char *name;
	enc_fn enc;
	dec_fn dec;
	size_t size;
	/* A record with max-length text (if MAX) and BLOB (borrowed). */
	void (*fill)(void *r, int max, const uint8_t *blob, size_t n);
	size_t ptr_off, len_off; /* the byte field, in the struct */
	size_t blob_max;
	size_t blob_at; /* offset of its u32 length in the encoding */
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

static void fill_serial(char *s, int max)
{
	if (max) {
		memset(s, 'F', STORE_SERIAL_MAX - 1);
		s[STORE_SERIAL_MAX - 1] = '\0';
	} else {
		strcpy(s, "0A1B2C3D");
	}
}

static void fill_cert(void *p, int max, const uint8_t *blob, size_t n)
{
	struct store_cert *r = p;

	memset(r, 0, sizeof *r);
	r->owner = 0x0102030405060708ull;
	r->role = STORE_CERT_CALLMANAGER;
	r->der = blob;
	r->der_len = n;
	memset(r->sha256, 0x56, sizeof r->sha256);
	memset(r->sha1, 0x51, sizeof r->sha1);
	fill_text(r->subject, sizeof r->subject, max, "O = ward, CN = node1");
	fill_text(r->issuer, sizeof r->issuer, max, "O = ward, CN = CA");
	r->not_before_s = 1700000000;
	r->not_after_s = UINT64_MAX;
	r->key_type = STORE_KEY_ECDSA_P256;
	fill_serial(r->serial, max);
	r->created_ms = 1700000000123ull;
	r->generation = 3;
}

static void fill_key(void *p, int max, const uint8_t *blob, size_t n)
{
	struct store_key *r = p;

	memset(r, 0, sizeof *r);
	r->wrapped = blob;
	r->wrapped_len = n;
	memset(r->kek_id, 0x4b, sizeof r->kek_id);
}

static void fill_trust(void *p, int max, const uint8_t *blob, size_t n)
{
	struct store_trust *r = p;

	memset(r, 0, sizeof *r);
	r->category = STORE_TRUST_MIC_ROOT;
	r->der = blob;
	r->der_len = n;
	memset(r->sha256, 0x26, sizeof r->sha256);
	memset(r->sha1, 0x21, sizeof r->sha1);
	fill_text(r->subject, sizeof r->subject, max, "CN = MIC root");
	fill_text(r->issuer, sizeof r->issuer, max, "CN = MIC root");
	r->not_after_s = 2000000000;
	r->added_ms = 5;
	fill_text(r->added_by, sizeof r->added_by, max, "admin");
}

static void fill_token(void *p, int max, const uint8_t *blob, size_t n)
{
	struct store_token *r = p;

	memset(r, 0, sizeof *r);
	fill_serial(r->serial, max);
	fill_text(r->label, sizeof r->label, max, "token-a");
	r->der = blob;
	r->der_len = n;
	memset(r->sha256, 0x70, sizeof r->sha256);
	r->registered_ms = 77;
	fill_text(r->registered_by, sizeof r->registered_by, max, "admin");
}

static void fill_ctl(void *p, int max, const uint8_t *blob, size_t n)
{
	struct store_ctl *r = p;

	memset(r, 0, sizeof *r);
	r->version = 7;
	r->file = blob;
	r->file_len = n;
	fill_serial(r->signer_serial, max);
	memset(r->sha256, 0xc7, sizeof r->sha256);
	r->signed_ms = 123456789;
}

static void fill_itl(void *p, int max, const uint8_t *blob, size_t n)
{
	struct store_itl *r = p;

	memset(r, 0, sizeof *r);
	r->file = blob;
	r->file_len = n;
	memset(r->sha256, 0x17, sizeof r->sha256);
	r->signed_ms = 42;
}

static void fill_reset(void *p, int max, const uint8_t *blob, size_t n)
{
	struct store_reset *r = p;

	memset(r, 0, sizeof *r);
	fill_text(r->reason, sizeof r->reason, max, "security mode: mixed");
	r->since_ms = 99;
}

#define CODEC(n, T, ptr, len, max, at)                                         \
	{                                                                      \
#n, (enc_fn)store_##n##_encode, (dec_fn)store_##n##_decode,    \
		    sizeof(T), fill_##n, offsetof(T, ptr), offsetof(T, len),   \
		    max, at                                                    \
	}
#define NO_BLOB 0, 0, 0, 0

static const struct codec codecs[] = {
    CODEC(cert, struct store_cert, der, der_len, STORE_DER_MAX, 10),
    CODEC(key, struct store_key, wrapped, wrapped_len, STORE_WRAPPED_MAX, 1),
    CODEC(trust, struct store_trust, der, der_len, STORE_DER_MAX, 2),
    {"token", (enc_fn)store_token_encode, (dec_fn)store_token_decode,
     sizeof(struct store_token), fill_token, offsetof(struct store_token, der),
     offsetof(struct store_token, der_len), STORE_DER_MAX,
     0 /* after two strings: computed */},
    CODEC(ctl, struct store_ctl, file, file_len, STORE_FILE_MAX, 5),
    CODEC(itl, struct store_itl, file, file_len, STORE_FILE_MAX, 1),
    {"reset", (enc_fn)store_reset_encode, (dec_fn)store_reset_decode,
     sizeof(struct store_reset), fill_reset, NO_BLOB},
};
#define N_CODECS (sizeof codecs / sizeof *codecs)

static int has_blob(const struct codec *c)
{
	return c->blob_max != 0;
}

/* Where the blob's length sits in an encoding of record R. */
static size_t blob_at(const struct codec *c, const void *r)
{
	const struct store_token *t = r;

	if (strcmp(c->name, "token") != 0)
		return c->blob_at;
	return 1 + 2 + strlen(t->serial) + 2 + strlen(t->label);
}

static uint8_t blob_small[] = {0x30, 0x03, 0x02, 0x01, 0x05};
static uint8_t *blob_big; /* STORE_FILE_MAX bytes */

/* A sample: small blob, or the largest blob and text the record takes. */
static void sample(const struct codec *c, int max, void *rec)
{
	size_t n = max ? c->blob_max : sizeof blob_small;

	c->fill(rec, max, max ? blob_big : blob_small, has_blob(c) ? n : 0);
}

static uint8_t *encode(const struct codec *c, const void *rec, size_t *len)
{
	uint8_t *buf = malloc(STORE_BLOB_RECORD_MAX);

	assert_int_equal(c->enc(rec, buf, STORE_BLOB_RECORD_MAX, len),
			 STORE_OK);
	return buf;
}

/* Equal records: the byte fields by content, the rest by memcmp. */
static void assert_rec_equal(const struct codec *c, const void *a, void *b)
{
	if (has_blob(c)) {
		const uint8_t *pa = *(const uint8_t **)((char *)a + c->ptr_off);
		const uint8_t **pb = (const uint8_t **)((char *)b + c->ptr_off);
		size_t la = *(const size_t *)((const char *)a + c->len_off);
		size_t lb = *(const size_t *)((const char *)b + c->len_off);

		assert_int_equal(la, lb);
		assert_memory_equal(pa, *pb, la);
		*pb = pa;
	}
	assert_memory_equal(a, b, c->size);
}

static int setup(void **state)
{
	blob_big = malloc(STORE_FILE_MAX);
	for (size_t i = 0; i < STORE_FILE_MAX; i++)
		blob_big[i] = (uint8_t)(i * 7 + 1);
	return 0;
}

static int teardown(void **state)
{
	free(blob_big);
	return 0;
}

/* ---- tests ------------------------------------------------------------ */

static void test_every_pki_record_round_trips(void **state)
{
	uint8_t a[4096], b[4096];
	size_t len, len2;

	for (size_t i = 0; i < N_CODECS; i++) {
		const struct codec *c = &codecs[i];

		for (int max = 0; max <= 1; max++) {
			uint8_t *buf, *buf2;

			memset(a, 0, sizeof a);
			memset(b, 0xee, sizeof b);
			sample(c, max, a);
			buf = encode(c, a, &len);
			assert_int_equal(buf[0], 1);
			assert_true(len <= STORE_BLOB_RECORD_MAX);
			assert_int_equal(c->dec(buf, len, b), STORE_OK);
			assert_rec_equal(c, a, b);
			/* Canonical, and the byte field points into the
			 * input, not into a copy. */
			buf2 = encode(c, b, &len2);
			assert_int_equal(len, len2);
			assert_memory_equal(buf, buf2, len);
			if (has_blob(c)) {
				memset(b, 0, sizeof b);
				assert_int_equal(c->dec(buf, len, b), 0);
				assert_ptr_equal(
				    *(uint8_t **)((char *)b + c->ptr_off),
				    buf + blob_at(c, a) + 4);
			}
			free(buf);
			free(buf2);
		}
	}
}

static void test_every_truncation_of_a_pki_record_is_rejected(void **state)
{
	uint8_t rec[4096], out[4096];
	size_t len;

	for (size_t i = 0; i < N_CODECS; i++) {
		for (int max = 0; max <= 1; max++) {
			uint8_t *buf;
			/* Every length of the small sample; a spread of
			 * lengths (and the last few) of the largest. */
			size_t step = max ? 997 : 1;

			sample(&codecs[i], max, rec);
			buf = encode(&codecs[i], rec, &len);
			for (size_t n = 0; n < len;
			     n += (len - n <= 8 ? 1 : step)) {
				uint8_t *t = malloc(n ? n : 1);

				memcpy(t, buf, n);
				assert_int_equal(codecs[i].dec(t, n, out),
						 STORE_ECORRUPT);
				free(t);
			}
			free(buf);
		}
	}
}

static void test_trailing_bytes_and_unknown_versions_are_refused(void **state)
{
	uint8_t rec[4096], out[4096];
	size_t len;

	for (size_t i = 0; i < N_CODECS; i++) {
		uint8_t *buf, *longer;

		sample(&codecs[i], 0, rec);
		buf = encode(&codecs[i], rec, &len);
		longer = calloc(1, len + 1);
		memcpy(longer, buf, len);
		assert_int_equal(codecs[i].dec(longer, len + 1, out),
				 STORE_ECORRUPT);
		free(longer);
		buf[0] = 2;
		assert_int_equal(codecs[i].dec(buf, len, out), STORE_EVERSION);
		buf[0] = 0;
		assert_int_equal(codecs[i].dec(buf, len, out), STORE_EVERSION);
		free(buf);
	}
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void test_byte_field_lengths_are_checked(void **state)
{
	uint8_t rec[4096], out[4096];
	size_t len, at, dummy;

	for (size_t i = 0; i < N_CODECS; i++) {
		const struct codec *c = &codecs[i];
		uint8_t *buf;

		if (!has_blob(c))
			continue;
		sample(c, 0, rec);
		at = blob_at(c, rec);
		buf = encode(c, rec, &len);
		assert_int_equal(buf[at + 3], sizeof blob_small);
		put_u32(buf + at, UINT32_MAX); /* far past the end */
		assert_int_equal(c->dec(buf, len, out), STORE_ECORRUPT);
		put_u32(buf + at, sizeof blob_small + 1); /* one past */
		assert_int_equal(c->dec(buf, len, out), STORE_ECORRUPT);
		/* Empty: the bytes removed too, so only the length is
		 * wrong. */
		memmove(buf + at + 4, buf + at + 4 + sizeof blob_small,
			len - at - 4 - sizeof blob_small);
		put_u32(buf + at, 0);
		assert_int_equal(c->dec(buf, len - sizeof blob_small, out),
				 STORE_ECORRUPT);
		free(buf);
		/* One byte over the max, all of it present. */
		sample(c, 1, rec);
		at = blob_at(c, rec);
		buf = encode(c, rec, &len);
		assert_int_equal(c->dec(buf, len, out), STORE_OK);
		memmove(buf + at + 5, buf + at + 4, len - at - 4);
		put_u32(buf + at, (uint32_t)c->blob_max + 1);
		assert_int_equal(c->dec(buf, len + 1, out), STORE_ECORRUPT);
		free(buf);

		/* The encoder refuses what the decoder would. */
		c->fill(rec, 0, blob_small, 0);
		assert_int_equal(c->enc(rec, out, sizeof out, &dummy),
				 STORE_EINVAL);
		c->fill(rec, 0, NULL, 5);
		assert_int_equal(c->enc(rec, out, sizeof out, &dummy),
				 STORE_EINVAL);
		c->fill(rec, 0, blob_big, c->blob_max + 1);
		buf = malloc(STORE_BLOB_RECORD_MAX);
		assert_int_equal(
		    c->enc(rec, buf, STORE_BLOB_RECORD_MAX, &dummy),
		    STORE_EINVAL);
		free(buf);
	}
}

static void test_short_buffer_gives_too_big(void **state)
{
	uint8_t rec[4096];
	size_t len, len2;

	for (size_t i = 0; i < N_CODECS; i++) {
		uint8_t *buf;

		sample(&codecs[i], 0, rec);
		buf = encode(&codecs[i], rec, &len);
		for (size_t cap = 0; cap < len; cap++)
			assert_int_equal(codecs[i].enc(rec, buf, cap, &len2),
					 STORE_ETOOBIG);
		free(buf);
	}
}

/* Encodes R with C, alters byte AT to VAL, expects the decoder to say RC. */
static void expect_decode(const struct codec *c, const void *r, size_t at,
			  uint8_t val, int rc)
{
	uint8_t out[4096];
	size_t len;
	uint8_t *buf = encode(c, r, &len);

	buf[at] = val;
	assert_int_equal(c->dec(buf, len, out), rc);
	free(buf);
}

static void test_values_outside_their_enumerations_are_refused(void **state)
{
	struct store_cert cert;
	struct store_trust trust;
	struct store_ctl ctl;
	uint8_t buf[4096];
	size_t len;

	/* Decoding: cert role at 1, trust category at 1, CTL version at
	 * 1..4. */
	fill_cert(&cert, 0, blob_small, sizeof blob_small);
	expect_decode(&codecs[0], &cert, 1, 0, STORE_ECORRUPT);
	expect_decode(&codecs[0], &cert, 1, STORE_CERT_ROLE_LAST + 1,
		      STORE_ECORRUPT);
	expect_decode(&codecs[0], &cert, 1, STORE_CERT_NODE, STORE_OK);
	fill_trust(&trust, 0, blob_small, sizeof blob_small);
	expect_decode(&codecs[2], &trust, 1, 0, STORE_ECORRUPT);
	expect_decode(&codecs[2], &trust, 1, STORE_TRUST_CATEGORY_LAST + 1,
		      STORE_ECORRUPT);
	fill_ctl(&ctl, 0, blob_small, sizeof blob_small);
	assert_int_equal(store_ctl_encode(&ctl, buf, sizeof buf, &len), 0);
	buf[4] = 0; /* version 7 -> 0 */
	assert_int_equal(store_ctl_decode(buf, len, &ctl), STORE_ECORRUPT);

	/* Encoding: the same values are never written. */
	fill_cert(&cert, 0, blob_small, sizeof blob_small);
	cert.role = 0;
	assert_int_equal(store_cert_encode(&cert, buf, sizeof buf, &len),
			 STORE_EINVAL);
	cert.role = STORE_CERT_ROLE_LAST + 1;
	assert_int_equal(store_cert_encode(&cert, buf, sizeof buf, &len),
			 STORE_EINVAL);
	fill_cert(&cert, 0, blob_small, sizeof blob_small);
	cert.key_type = 3;
	assert_int_equal(store_cert_encode(&cert, buf, sizeof buf, &len),
			 STORE_EINVAL);
	fill_cert(&cert, 0, blob_small, sizeof blob_small);
	cert.generation = 0;
	assert_int_equal(store_cert_encode(&cert, buf, sizeof buf, &len),
			 STORE_EINVAL);
	fill_trust(&trust, 0, blob_small, sizeof blob_small);
	trust.category = 0;
	assert_int_equal(store_trust_encode(&trust, buf, sizeof buf, &len),
			 STORE_EINVAL);
	fill_ctl(&ctl, 0, blob_small, sizeof blob_small);
	ctl.version = 0;
	assert_int_equal(store_ctl_encode(&ctl, buf, sizeof buf, &len),
			 STORE_EINVAL);
}

static void test_serial_numbers_are_upper_case_hex(void **state)
{
	static const char *const bad[] = {"",	   "0a1b", "0X1B",
					  "12 34", "G1",   "-01"};
	struct store_cert cert, back;
	struct store_token tok;
	uint8_t buf[4096];
	size_t len;

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		fill_cert(&cert, 0, blob_small, sizeof blob_small);
		strcpy(cert.serial, bad[i]);
		assert_int_equal(
		    store_cert_encode(&cert, buf, sizeof buf, &len),
		    STORE_EINVAL);
		fill_token(&tok, 0, blob_small, sizeof blob_small);
		strcpy(tok.serial, bad[i]);
		assert_int_equal(
		    store_token_encode(&tok, buf, sizeof buf, &len),
		    STORE_EINVAL);
	}
	/* Unterminated: 65 digits in a 65-byte field. */
	fill_cert(&cert, 0, blob_small, sizeof blob_small);
	memset(cert.serial, 'A', sizeof cert.serial);
	assert_int_equal(store_cert_encode(&cert, buf, sizeof buf, &len),
			 STORE_EINVAL);
	/* A lower-case serial written behind the encoder's back. */
	fill_cert(&cert, 0, blob_small, sizeof blob_small);
	assert_int_equal(store_cert_encode(&cert, buf, sizeof buf, &len), 0);
	{
		uint8_t *p = memmem(buf, len, "0A1B2C3D", 8);

		assert_non_null(p);
		p[1] = 'a';
	}
	assert_int_equal(store_cert_decode(buf, len, &back), STORE_ECORRUPT);
}

static void test_cluster_v1_reads_with_non_secure_defaults(void **state)
{
	/* Version 1 as the first build wrote it: id, name, schema, created.*/
	static const uint8_t v1[] = {
	    1, 0, 3, 'a', 'b', 'c', 0, 3, 'l', 'a', 'b', 0,
	    0, 0, 1, 0,	  0,   0,   0, 0, 0,   0,   42,
	};
	struct store_cluster cl, back;
	uint8_t buf[STORE_RECORD_MAX];
	size_t len;

	memset(&cl, 0xee, sizeof cl);
	assert_int_equal(store_cluster_decode(v1, sizeof v1, &cl), STORE_OK);
	assert_string_equal(cl.id, "abc");
	assert_string_equal(cl.name, "lab");
	assert_int_equal(cl.created_ms, 42);
	assert_int_equal(cl.security_mode, STORE_SECURITY_NON_SECURE);
	for (size_t i = 0; i < sizeof cl.kek_id; i++)
		assert_int_equal(cl.kek_id[i], 0);
	for (size_t i = 0; i < sizeof cl.ca_sha256; i++)
		assert_int_equal(cl.ca_sha256[i], 0);
	assert_int_equal(cl.next_node_id, 0);
	/* Written back as the current version holding the same record. */
	assert_int_equal(store_cluster_encode(&cl, buf, sizeof buf, &len), 0);
	assert_int_equal(buf[0], 3);
	assert_int_equal(len, sizeof v1 + 4 + 8 + 32 + 8);
	assert_int_equal(store_cluster_decode(buf, len, &back), 0);
	assert_memory_equal(&cl, &back, sizeof cl);
	/* A version 1 record with the v2 fields appended is not v1. */
	buf[0] = 1;
	assert_int_equal(store_cluster_decode(buf, len, &back), STORE_ECORRUPT);
}

static void test_cluster_v2_reads_with_next_node_id_to_derive(void **state)
{
	struct store_cluster cl, back;
	uint8_t buf[STORE_RECORD_MAX];
	size_t len;

	memset(&cl, 0, sizeof cl);
	strcpy(cl.id, "0b1c5a9e-8f43-4d2a-9c1e-2f7e8a6b5d10");
	cl.next_node_id = 0x0102030405060708ull;
	assert_int_equal(store_cluster_encode(&cl, buf, sizeof buf, &len), 0);
	assert_int_equal(store_cluster_decode(buf, len, &back), 0);
	assert_int_equal(back.next_node_id, 0x0102030405060708ull);
	/* next_node_id is the u64 at the end. */
	assert_memory_equal(buf + len - 8, "\x01\x02\x03\x04\x05\x06\x07\x08",
			    8);
	/* Version 2 as the previous build wrote it: without that u64. */
	buf[0] = 2;
	assert_int_equal(store_cluster_decode(buf, len - 8, &back), 0);
	assert_int_equal(back.next_node_id, 0);
	assert_string_equal(back.id, cl.id);
	/* A version 2 record with the v3 field appended is not v2. */
	assert_int_equal(store_cluster_decode(buf, len, &back), STORE_ECORRUPT);
	/* A version 3 record without it is truncated. */
	buf[0] = 3;
	assert_int_equal(store_cluster_decode(buf, len - 8, &back),
			 STORE_ECORRUPT);
}

static void test_cluster_security_mode_must_be_known(void **state)
{
	struct store_cluster cl, back;
	uint8_t buf[STORE_RECORD_MAX];
	size_t len;

	memset(&cl, 0, sizeof cl);
	strcpy(cl.id, "0b1c5a9e-8f43-4d2a-9c1e-2f7e8a6b5d10");
	cl.security_mode = STORE_SECURITY_MIXED;
	memset(cl.kek_id, 0x11, sizeof cl.kek_id);
	memset(cl.ca_sha256, 0x22, sizeof cl.ca_sha256);
	assert_int_equal(store_cluster_encode(&cl, buf, sizeof buf, &len), 0);
	assert_int_equal(store_cluster_decode(buf, len, &back), 0);
	assert_int_equal(back.security_mode, STORE_SECURITY_MIXED);
	assert_memory_equal(back.kek_id, cl.kek_id, 8);
	assert_memory_equal(back.ca_sha256, cl.ca_sha256, 32);
	/* security_mode is the u32 just before kek_id, ca_sha256 and
	 * next_node_id. */
	buf[len - 48 - 1] = 2;
	assert_int_equal(store_cluster_decode(buf, len, &back), STORE_ECORRUPT);
	cl.security_mode = 2;
	assert_int_equal(store_cluster_encode(&cl, buf, sizeof buf, &len),
			 STORE_EINVAL);
	assert_string_equal(store_security_mode_name(STORE_SECURITY_MIXED),
			    "mixed");
	assert_string_equal(store_security_mode_name(STORE_SECURITY_NON_SECURE),
			    "non-secure");
	assert_string_equal(store_security_mode_name(5), "unknown");
}

static void
test_random_bytes_never_decode_to_a_non_canonical_record(void **state)
{
	uint8_t rec[4096], in[300], out[4096];
	size_t len;
	unsigned seed = 4242;

	for (int iter = 0; iter < 20000; iter++) {
		size_t n = (size_t)(rand_r(&seed) % sizeof in);

		for (size_t i = 0; i < n; i++)
			in[i] = (uint8_t)rand_r(&seed);
		if (n)
			in[0] = 1;
		/* Small lengths now and then, so some blobs fit. */
		if (n > 8 && iter % 3 == 0)
			in[1] = in[2] = in[3] = 0;
		for (size_t i = 0; i < N_CODECS; i++) {
			if (codecs[i].dec(in, n, rec) != STORE_OK)
				continue;
			assert_int_equal(
			    codecs[i].enc(rec, out, sizeof out, &len), 0);
			assert_int_equal(len, n);
			assert_memory_equal(out, in, n);
		}
	}
}

static void test_names_of_roles_categories_and_tables(void **state)
{
	static const char *const roles[] = {
	    "ca", "https", "callmanager", "tftp", "capf", "ipsec", "node"};
	static const char *const cats[] = {"ca-root", "mic-root", "trunk-peer",
					   "srst",    "capf",	  "other"};
	static const char *const tables[] = {"certs", "keys", "trust", "tokens",
					     "ctl",   "itl",  "resets"};
	enum store_cert_role role;
	enum store_trust_category cat;

	for (unsigned i = 0; i < 7; i++) {
		assert_string_equal(store_cert_role_name(i + 1), roles[i]);
		assert_int_equal(store_cert_role_parse(roles[i], &role), 0);
		assert_int_equal(role, i + 1);
		assert_string_equal(store_table_name(STORE_T_CERTS + i),
				    tables[i]);
	}
	assert_int_equal(store_cert_role_parse("CallManager", &role), 0);
	assert_int_equal(role, STORE_CERT_CALLMANAGER);
	assert_int_equal(store_cert_role_parse("tomcat", &role), STORE_EINVAL);
	assert_int_equal(store_cert_role_parse(NULL, &role), STORE_EINVAL);
	assert_string_equal(store_cert_role_name(0), "unknown");
	assert_string_equal(store_cert_role_name(8), "unknown");
	for (unsigned i = 0; i < 6; i++) {
		assert_string_equal(store_trust_category_name(i + 1), cats[i]);
		assert_int_equal(store_trust_category_parse(cats[i], &cat), 0);
		assert_int_equal(cat, i + 1);
	}
	assert_int_equal(store_trust_category_parse("root", &cat),
			 STORE_EINVAL);
	assert_string_equal(store_trust_category_name(7), "unknown");
	/* Appended after join_tokens, never renumbered. */
	assert_int_equal(STORE_T_CERTS, 7);
	assert_int_equal(STORE_T_RESETS, 13);
	assert_int_equal(STORE_T_PHONE_PROFILES, 14);
	assert_int_equal(STORE_T_TFTP_FILES, 25);
	assert_int_equal(STORE_T_CAPF_OPS, 27);
	assert_int_equal(STORE_T_DEVICE_MIC, 28);
	assert_int_equal(STORE_T_SRST, 29);
	assert_int_equal(STORE_T_ROUTE_PATTERN_KEYS, 33);
	assert_int_equal(STORE_T_PRESENCE_GROUPS, 34);
	assert_int_equal(STORE_T_TFTP_UPLOADS, 35);
	assert_int_equal(STORE_T_CAPTURE, 36);
	assert_int_equal(STORE_T__COUNT, 37);
}

static void test_trust_names_are_c_rehash_names(void **state)
{
	static const char *const good[] = {"f7a74b2c.0", "00000000.1",
					   "ffffffff.999", "0123abcd.10"};
	static const char *const bad[] = {
	    "F7A74B2C.0",  "f7a74b2c",	    "f7a74b2c.", "f7a74b2c.00",
	    "f7a74b2c.01", "f7a74b2c.1000", "f7a74b2.0", "f7a74b2cd.0",
	    "f7a74b2g.0",  "f7a74b2c.r0",   "",		 "f7a74b2c.-1",
	};

	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		assert_true(store_trust_name_valid(good[i]));
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_false(store_trust_name_valid(bad[i]));
	assert_false(store_trust_name_valid(NULL));
}

static void test_a_ctl_of_the_largest_size_can_replace_another(void **state)
{
	struct store_ctl prev, next;
	struct store_cmd *c;
	void *buf;
	size_t len;

	fill_ctl(&prev, 1, blob_big, STORE_FILE_MAX);
	fill_ctl(&next, 1, blob_big, STORE_FILE_MAX);
	next.version = prev.version + 1;
	assert_int_equal(store_cmd_new(&c, 1, 1, "admin"), 0);
	assert_int_equal(store_cmd_put_ctl(c, &prev, &next), 0);
	assert_int_equal(store_cmd_audit(c, "ctl.sign", "version 8"), 0);
	assert_int_equal(store_cmd_finish(c, &buf, &len), 0);
	assert_true(len <= STORE_CMD_MAX);
	free(buf);
	store_cmd_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_pki_record_round_trips),
	    cmocka_unit_test(test_every_truncation_of_a_pki_record_is_rejected),
	    cmocka_unit_test(
		test_trailing_bytes_and_unknown_versions_are_refused),
	    cmocka_unit_test(test_byte_field_lengths_are_checked),
	    cmocka_unit_test(test_short_buffer_gives_too_big),
	    cmocka_unit_test(
		test_values_outside_their_enumerations_are_refused),
	    cmocka_unit_test(test_serial_numbers_are_upper_case_hex),
	    cmocka_unit_test(test_cluster_v1_reads_with_non_secure_defaults),
	    cmocka_unit_test(test_cluster_v2_reads_with_next_node_id_to_derive),
	    cmocka_unit_test(test_cluster_security_mode_must_be_known),
	    cmocka_unit_test(
		test_random_bytes_never_decode_to_a_non_canonical_record),
	    cmocka_unit_test(test_names_of_roles_categories_and_tables),
	    cmocka_unit_test(test_trust_names_are_c_rehash_names),
	    cmocka_unit_test(
		test_a_ctl_of_the_largest_size_can_replace_another),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
