/* ctl: parsing of CTL, ITL, .sgn and .enc.sgn files into struct trustlist.
 *
 * The header (docs/ctl.md): version and a 2-byte header length first, then
 * its fields in any order, each once, nested as written, then 0-3 padding
 * bytes up to the header length. Records follow, each
 * opened by its record-length TLV; inside a record fields may come in any
 * order, each at most once, and tags this code does not know are skipped
 * (the record length bounds them and the signature covers them).
 */
#include <stdlib.h>
#include <string.h>

#include "common/be.h"
#include "trustlist/internal.h"
#include "trustlist/sgn.h"
#include "trustlist/tlv.h"

/* Longest name or file name a header or record may carry. */
#define NAME_MAX_LEN 4096
#define SERIAL_MAX_LEN 64
#define SIGNATURE_MAX_LEN 1024

enum {
	H_VERSION,
	H_HEADER_LEN,
	H_SIGNER_VERSION,
	H_SIGNER_ID,
	H_SIGNER_NAME,
	H_SIGNER_SERIAL,
	H_CA_NAME,
	H_SIG_INFO,
	H_DIGEST,
	H_SIGALG_INFO,
	H_SIGALG,
	H_MODULUS,
	H_SIGNATURE,
	H_FILENAME,
	H_TIMESTAMP,
	H_ENC,
	H_ENC_DIGEST_ALG,
	H_ENC_DIGEST,
	H__SLOTS
};

/* Inside containers fields may come in any order (ward writes them in tag
 * order; other builders do not all do so); each once, all present. */
static const struct tlv_rule signer_rules[] = {
    {HDR_SIGNER_NAME, TLV_STRING, 1, H_SIGNER_NAME, 1, NAME_MAX_LEN, NULL,
     "signer name (tag 4)"},
    {HDR_SIGNER_SERIAL, TLV_BYTES, 1, H_SIGNER_SERIAL, 1, SERIAL_MAX_LEN, NULL,
     "signer serial (tag 5)"},
    {HDR_CA_NAME, TLV_STRING, 1, H_CA_NAME, 1, NAME_MAX_LEN, NULL,
     "CA name (tag 6)"},
};
static const struct tlv_schema signer_schema = {
    signer_rules, sizeof signer_rules / sizeof *signer_rules, 0, 0, 0};

static const struct tlv_rule sigalg_rules[] = {
    {HDR_SIGALG, TLV_UINT, 1, H_SIGALG, 0, 0, NULL,
     "signature algorithm (tag 10)"},
    {HDR_MODULUS, TLV_UINT, 1, H_MODULUS, 0, 0, NULL, "modulus index (tag 11)"},
};
static const struct tlv_schema sigalg_schema = {
    sigalg_rules, sizeof sigalg_rules / sizeof *sigalg_rules, 0, 0, 0};

static const struct tlv_rule siginfo_rules[] = {
    {HDR_DIGEST_ALG, TLV_UINT, 1, H_DIGEST, 0, 0, NULL,
     "digest algorithm (tag 8)"},
    {HDR_SIGALG_INFO, TLV_NEST, 1, H_SIGALG_INFO, 8, 14, &sigalg_schema,
     "signature algorithm info (tag 9)"},
};
static const struct tlv_schema siginfo_schema = {
    siginfo_rules, sizeof siginfo_rules / sizeof *siginfo_rules, 0, 0, 0};

/* The header: version and header length open it (checked at fixed
 * offsets first); the rest in any order, each once. An unknown header tag
 * is refused: a field this code does not know could change what the
 * signature means. */
#define HEADER_RULES                                                           \
	{HDR_VERSION, TLV_BYTES, 1, H_VERSION, 2, 2, NULL, "version (tag 1)"}, \
	    {HDR_HEADER_LEN,	     TLV_U16, 1, H_HEADER_LEN, 0, 0, NULL,     \
	     "header length (tag 2)"},                                         \
	    {HDR_SIGNER_VERSION,                                               \
	     TLV_BYTES,                                                        \
	     0,                                                                \
	     H_SIGNER_VERSION,                                                 \
	     2,                                                                \
	     2,                                                                \
	     NULL,                                                             \
	     "signer version (tag 28)"},                                       \
	    {HDR_SIGNER_ID,                                                    \
	     TLV_NEST,                                                         \
	     1,                                                                \
	     H_SIGNER_ID,                                                      \
	     9,                                                                \
	     TLV_VALUE_MAX,                                                    \
	     &signer_schema,                                                   \
	     "signer id (tag 3)"},                                             \
	    {HDR_SIG_INFO,                                                     \
	     TLV_NEST,                                                         \
	     1,                                                                \
	     H_SIG_INFO,                                                       \
	     12,                                                               \
	     21,                                                               \
	     &siginfo_schema,                                                  \
	     "signature info (tag 7)"},                                        \
	    {HDR_SIGNATURE,                                                    \
	     TLV_BYTES,                                                        \
	     1,                                                                \
	     H_SIGNATURE,                                                      \
	     1,                                                                \
	     SIGNATURE_MAX_LEN,                                                \
	     NULL,                                                             \
	     "signature (tag 12)"},                                            \
	    {HDR_FILENAME, TLV_STRING,	       1, H_FILENAME, 1, 256,          \
	     NULL,	   "filename (tag 14)"},                               \
	{                                                                      \
		HDR_TIMESTAMP, TLV_U32, 1, H_TIMESTAMP, 0, 0, NULL,            \
		    "timestamp (tag 15)"                                       \
	}

static const struct tlv_rule header_rules[] = {HEADER_RULES};
static const struct tlv_schema header_schema = {
    header_rules, sizeof header_rules / sizeof *header_rules, 0, 0, 1};

/* .enc.sgn: the encryption block is kept whole here (sgn.c reads it). */
static const struct tlv_rule enc_header_rules[] = {
    HEADER_RULES,
    {HDR_ENC, TLV_BYTES, 1, H_ENC, 1, 4096, NULL, "encryption info (tag 16)"},
    {HDR_ENC_DIGEST_ALG, TLV_UINT, 1, H_ENC_DIGEST_ALG, 0, 0, NULL,
     "plaintext digest algorithm (tag 26)"},
    {HDR_ENC_DIGEST, TLV_BYTES, 1, H_ENC_DIGEST, 20, 64, NULL,
     "plaintext digest (tag 27)"},
};
static const struct tlv_schema enc_header_schema = {
    enc_header_rules, sizeof enc_header_rules / sizeof *enc_header_rules, 0, 0,
    1};

enum {
	R_LENGTH,
	R_DNS_NAME,
	R_SUBJECT,
	R_FUNCTION,
	R_ISSUER,
	R_SERIAL,
	R_PUBLIC_KEY,
	R_SIGNATURE,
	R_CERT,
	R_IP,
	R_CERT_HASH,
	R_HASH_ALG,
	R__SLOTS
};

/* Only the record length and the function are always present: CTLs of
 * non-secure clusters list servers by name and address alone. */
static const struct tlv_rule record_rules[] = {
    {REC_LENGTH, TLV_U16, 1, R_LENGTH, 0, 0, NULL, "record length (tag 1)"},
    {REC_DNS_NAME, TLV_STRING, 0, R_DNS_NAME, 1, 256, NULL, "DNS name (tag 2)"},
    {REC_SUBJECT, TLV_STRING, 0, R_SUBJECT, 1, NAME_MAX_LEN, NULL,
     "subject (tag 3)"},
    {REC_FUNCTION, TLV_UINT, 1, R_FUNCTION, 0, 0, NULL, "function (tag 4)"},
    {REC_ISSUER, TLV_STRING, 0, R_ISSUER, 1, NAME_MAX_LEN, NULL,
     "issuer (tag 5)"},
    {REC_SERIAL, TLV_BYTES, 0, R_SERIAL, 1, SERIAL_MAX_LEN, NULL,
     "serial (tag 6)"},
    {REC_PUBLIC_KEY, TLV_BYTES, 0, R_PUBLIC_KEY, 1, 4096, NULL,
     "public key (tag 7)"},
    {REC_SIGNATURE, TLV_BYTES, 0, R_SIGNATURE, 1, SIGNATURE_MAX_LEN, NULL,
     "certificate signature (tag 8)"},
    {REC_CERT, TLV_BYTES, 0, R_CERT, 1, TLV_VALUE_MAX, NULL,
     "certificate (tag 9)"},
    {REC_IP, TLV_BYTES, 0, R_IP, 4, 16, NULL, "IP address (tag 10)"},
    {REC_CERT_HASH, TLV_BYTES, 0, R_CERT_HASH, 16, 64, NULL,
     "certificate hash (tag 11)"},
    {REC_HASH_ALG, TLV_UINT, 0, R_HASH_ALG, 0, 0, NULL,
     "hash algorithm (tag 12)"},
};
static const struct tlv_schema record_schema = {
    record_rules, sizeof record_rules / sizeof *record_rules, 0, 1, 0};

/* The string of field F as a C string in TL's text copy, or NULL: the
 * byte after its value is the next field's tag (or the end of the copy),
 * never part of another string, so it can take the terminator. */
static const char *str(struct trustlist *tl, const struct tlv_field *f)
{
	size_t off;

	if (!f->present)
		return NULL;
	off = (size_t)(f->v - tl->data);
	tl->text[off + f->len] = 0;
	return tl->text + off;
}

static struct trustlist_bytes span(const struct tlv_field *f)
{
	return (struct trustlist_bytes){f->present ? f->v : NULL,
					f->present ? f->len : 0};
}

static int parse_header(struct trustlist *tl, enum tl_file what, char *errmsg,
			size_t errcap)
{
	const unsigned major = what == TL_FILE_LIST  ? TL_LIST_VERSION_MAJOR
			       : what == TL_FILE_SGN ? TL_SGN_VERSION_MAJOR
						     : TL_ENC_VERSION_MAJOR;
	const uint8_t *b = tl->data;
	struct tlv_field f[H__SLOTS] = {{0}};
	size_t hlen, pad;
	int rc;

	/* The first two fields say what the rest is: check them before
	 * trusting the header length they carry. */
	if (tl->len < TL_FIXED_PREFIX)
		return tl_err(TRUSTLIST_EMALFORMED, errmsg, errcap,
			      "%zu bytes: shorter than any header", tl->len);
	if (b[0] != HDR_VERSION || be16_get(b + 1) != 2)
		return tl_err(TRUSTLIST_EMALFORMED, errmsg, errcap,
			      "does not start with a version field (tag 1, "
			      "length 2)");
	if (b[3] != major)
		return tl_err(TRUSTLIST_EUNSUPPORTED, errmsg, errcap,
			      "header version %u.%u; a %s has version %u.x",
			      b[3], b[4],
			      what == TL_FILE_LIST  ? "CTL or ITL"
			      : what == TL_FILE_SGN ? ".sgn"
						    : ".enc.sgn",
			      major);
	if (b[5] != HDR_HEADER_LEN || be16_get(b + 6) != 2)
		return tl_err(TRUSTLIST_EMALFORMED, errmsg, errcap,
			      "no header length field (tag 2, length 2) at "
			      "offset 5");
	hlen = be16_get(b + 8);
	if (hlen > tl->len || hlen < TL_FIXED_PREFIX)
		return tl_err(TRUSTLIST_EMALFORMED, errmsg, errcap,
			      "header length %zu outside %d..%zu (the file)",
			      hlen, TL_FIXED_PREFIX, tl->len);
	if ((rc = tlv_read(what == TL_FILE_ENC ? &enc_header_schema
					       : &header_schema,
			   b, 0, hlen, f, H__SLOTS, &pad, errmsg, errcap)))
		return rc;
	if (pad > 3)
		return tl_err(TRUSTLIST_EMALFORMED, errmsg, errcap,
			      "%zu padding bytes; at most 3 align a header",
			      pad);
	tl->version_major = b[3];
	tl->version_minor = b[4];
	tl->header_len = hlen;
	if (f[H_SIGNER_VERSION].present) {
		tl->signer_version_major = f[H_SIGNER_VERSION].v[0];
		tl->signer_version_minor = f[H_SIGNER_VERSION].v[1];
	}
	tl->signer_name = str(tl, &f[H_SIGNER_NAME]);
	tl->signer_serial = span(&f[H_SIGNER_SERIAL]);
	tl->signer_ca = str(tl, &f[H_CA_NAME]);
	tl->digest_alg = tlv_uint(&f[H_DIGEST]);
	tl->sig_alg = tlv_uint(&f[H_SIGALG]);
	tl->modulus_index = tlv_uint(&f[H_MODULUS]);
	tl->signature = span(&f[H_SIGNATURE]);
	tl->sig_tlv_offset = f[H_SIGNATURE].off;
	tl->sig_tlv_len = 3 + f[H_SIGNATURE].len;
	tl->filename = str(tl, &f[H_FILENAME]);
	tl->timestamp = be32_get(f[H_TIMESTAMP].v);
	tl->enc_block = span(&f[H_ENC]);
	tl->enc_digest_alg = tlv_uint(&f[H_ENC_DIGEST_ALG]);
	tl->enc_digest = span(&f[H_ENC_DIGEST]);
	return 0;
}

static int parse_record(struct trustlist *tl, size_t off, size_t len,
			struct trustlist_record *r, char *errmsg, size_t errcap)
{
	struct tlv_field f[R__SLOTS] = {{0}};
	int rc;

	if ((rc = tlv_read(&record_schema, tl->data, off, off + len, f,
			   R__SLOTS, NULL, errmsg, errcap)))
		return rc;
	if (f[R_IP].present && f[R_IP].len != 4 && f[R_IP].len != 16)
		return tl_err(TRUSTLIST_EMALFORMED, errmsg, errcap,
			      "IP address at offset %zu: %zu bytes, not 4 "
			      "or 16",
			      f[R_IP].off, f[R_IP].len);
	*r = (struct trustlist_record){
	    .offset = off,
	    .length = len,
	    .function = tlv_uint(&f[R_FUNCTION]),
	    .dns_name = str(tl, &f[R_DNS_NAME]),
	    .subject = str(tl, &f[R_SUBJECT]),
	    .issuer = str(tl, &f[R_ISSUER]),
	    .serial = span(&f[R_SERIAL]),
	    .public_key = span(&f[R_PUBLIC_KEY]),
	    .cert_signature = span(&f[R_SIGNATURE]),
	    .cert = span(&f[R_CERT]),
	    .ip = span(&f[R_IP]),
	    .cert_hash = span(&f[R_CERT_HASH]),
	    .hash_alg = tlv_uint(&f[R_HASH_ALG]),
	};
	return 0;
}

/* Length of the record at OFF, after checking that it opens with its
 * record-length field and fits in the file; 0 on error. */
static size_t record_extent(const struct trustlist *tl, size_t off,
			    char *errmsg, size_t errcap)
{
	const uint8_t *p = tl->data + off;
	size_t left = tl->len - off, len;

	if (left < 5 || p[0] != REC_LENGTH || be16_get(p + 1) != 2) {
		tl_err(TRUSTLIST_EMALFORMED, errmsg, errcap,
		       "record at offset %zu does not open with a record "
		       "length (tag 1, length 2)",
		       off);
		return 0;
	}
	len = be16_get(p + 3);
	if (len < 5 || len > left) {
		tl_err(TRUSTLIST_EMALFORMED, errmsg, errcap,
		       "record at offset %zu: length %zu does not fit in the "
		       "%zu bytes left",
		       off, len, left);
		return 0;
	}
	return len;
}

static int parse_records(struct trustlist *tl, char *errmsg, size_t errcap)
{
	size_t off, n = 0, len;
	int rc;

	/* Two passes: count, then decode into an array of the right size. */
	for (off = tl->header_len; off < tl->len; off += len, n++)
		if ((len = record_extent(tl, off, errmsg, errcap)) == 0)
			return TRUSTLIST_EMALFORMED;
	if (n == 0)
		return tl_err(TRUSTLIST_EMALFORMED, errmsg, errcap,
			      "no records after the header");
	if ((tl->records = calloc(n, sizeof *tl->records)) == NULL)
		return tl_err(TRUSTLIST_ENOMEM, errmsg, errcap,
			      "out of memory for %zu records", n);
	for (off = tl->header_len; off < tl->len; off += len) {
		len = record_extent(tl, off, errmsg, errcap);
		if ((rc =
			 parse_record(tl, off, len, &tl->records[tl->n_records],
				      errmsg, errcap)))
			return rc;
		tl->n_records++;
	}
	return 0;
}

int tl_parse(const uint8_t *buf, size_t len, enum tl_file what,
	     struct trustlist **out, char *errmsg, size_t errcap)
{
	const size_t max =
	    what == TL_FILE_LIST ? TRUSTLIST_MAX : TRUSTLIST_SGN_MAX;
	struct trustlist *tl;
	size_t text_len;
	int rc;

	*out = NULL;
	if (buf == NULL && len)
		return tl_err(TRUSTLIST_EINVAL, errmsg, errcap, "no buffer");
	if (len > max)
		return tl_err(TRUSTLIST_ETOOBIG, errmsg, errcap,
			      "%zu bytes; the limit is %zu", len, max);
	if ((tl = calloc(1, sizeof *tl)) == NULL)
		return tl_err(TRUSTLIST_ENOMEM, errmsg, errcap,
			      "out of memory");
	/* Parse the private copy, so that every pointer handed out points
	 * into memory the trustlist owns. */
	if ((tl->data = malloc(len ? len : 1)) == NULL) {
		rc = tl_err(TRUSTLIST_ENOMEM, errmsg, errcap,
			    "out of memory for %zu bytes", len);
		goto err_after_alloc;
	}
	if (len)
		memcpy(tl->data, buf, len);
	tl->len = len;
	/* Strings live in the header (at most 65535 bytes) or, in lists,
	 * in records. */
	text_len =
	    what == TL_FILE_LIST || len < TLV_VALUE_MAX ? len : TLV_VALUE_MAX;
	if ((tl->text = malloc(text_len + 1)) == NULL) {
		rc = tl_err(TRUSTLIST_ENOMEM, errmsg, errcap,
			    "out of memory for %zu bytes", text_len);
		goto err_after_alloc;
	}
	memcpy(tl->text, tl->data, text_len);
	tl->text[text_len] = 0;
	if ((rc = parse_header(tl, what, errmsg, errcap)))
		goto err_after_alloc;
	if (what != TL_FILE_LIST)
		tl->content = (struct trustlist_bytes){
		    tl->data + tl->header_len, len - tl->header_len};
	else if ((rc = parse_records(tl, errmsg, errcap)))
		goto err_after_alloc;
	*out = tl;
	return 0;

err_after_alloc:
	trustlist_free(tl);
	return rc;
}

int trustlist_parse(const uint8_t *buf, size_t len, struct trustlist **out,
		    char *errmsg, size_t errcap)
{
	return tl_parse(buf, len, TL_FILE_LIST, out, errmsg, errcap);
}

int trustlist_sgn_parse(const uint8_t *buf, size_t len, struct trustlist **out,
			char *errmsg, size_t errcap)
{
	return tl_parse(buf, len, TL_FILE_SGN, out, errmsg, errcap);
}

void trustlist_free(struct trustlist *tl)
{
	if (tl == NULL)
		return;
	free(tl->records);
	free(tl->text);
	free(tl->data);
	free(tl);
}

void trustlist_signed_parts(const struct trustlist *tl,
			    struct trustlist_bytes parts[2])
{
	size_t end = tl->sig_tlv_offset + tl->sig_tlv_len;

	parts[0] = (struct trustlist_bytes){tl->data, tl->sig_tlv_offset};
	parts[1] = (struct trustlist_bytes){tl->data + end, tl->len - end};
}
