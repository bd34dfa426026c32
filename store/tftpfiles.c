/* tftpfiles: uploaded TFTP files and their chunks (tftpfiles.h). */
#include "store/tftpfiles.h"

#include <string.h>

#include "common/be.h"
#include "store/codec.h"
#include "store/internal.h"

#define TFTP_FILE_V 1
#define CHUNK_KEY_LEN 36 /* sha256 + u32 index */
#define TFTP_FILE_REC_MAX 512

int store_tftp_name_valid(const char *name)
{
	size_t n = strnlen(name, STORE_TFTP_NAME_MAX + 1);
	int at_start = 1;

	if (n == 0 || n > STORE_TFTP_NAME_MAX)
		return 0;
	for (const char *p = name; *p; p++) {
		char c = *p;

		if (c == '/') {
			if (at_start)
				return 0;
			at_start = 1;
			continue;
		}
		if (at_start && c == '.')
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return 0;
		at_start = 0;
	}
	return !at_start;
}

uint32_t store_tftp_n_chunks(uint64_t size, uint32_t chunk_size)
{
	if (chunk_size == 0)
		return 0;
	return (uint32_t)((size + chunk_size - 1) / chunk_size);
}

static int file_fields_ok(const struct store_tftp_file *r)
{
	return r->size <= STORE_TFTP_FILE_MAX && r->chunk_size >= 1 &&
	       r->chunk_size <= STORE_TFTP_CHUNK_MAX &&
	       r->n_chunks == store_tftp_n_chunks(r->size, r->chunk_size);
}

int store_tftp_file_encode(const struct store_tftp_file *r, void *buf,
			   size_t cap, size_t *len)
{
	struct codec_w w;

	if (!file_fields_ok(r))
		return STORE_EINVAL;
	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, TFTP_FILE_V);
	codec_put_u64(&w, r->size);
	codec_put_bytes(&w, r->sha256, 32);
	codec_put_u32(&w, r->chunk_size);
	codec_put_u32(&w, r->n_chunks);
	codec_put_u64(&w, r->uploaded_ms);
	codec_put_str(&w, r->uploaded_by, sizeof r->uploaded_by);
	return record_result(&w, len);
}

int store_tftp_file_decode(const void *buf, size_t len,
			   struct store_tftp_file *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, TFTP_FILE_V, &ver)))
		return rc;
	r->size = codec_get_u64(&rd);
	codec_get_bytes(&rd, r->sha256, 32);
	r->chunk_size = codec_get_u32(&rd);
	r->n_chunks = codec_get_u32(&rd);
	r->uploaded_ms = codec_get_u64(&rd);
	codec_get_str(&rd, r->uploaded_by, sizeof r->uploaded_by);
	if ((rc = record_end(&rd)))
		return rc;
	return file_fields_ok(r) ? STORE_OK : STORE_ECORRUPT;
}

static int tftp_file_from_kv(const void *key, size_t klen, const void *val,
			     size_t vlen, struct store_tftp_file *out)
{
	int rc;

	if (klen == 0 || klen > STORE_TFTP_NAME_MAX || memchr(key, 0, klen))
		return STORE_ECORRUPT;
	if ((rc = store_tftp_file_decode(val, vlen, out)))
		return rc;
	memcpy(out->name, key, klen);
	out->name[klen] = '\0';
	return STORE_OK;
}

int store_tftp_file_get(struct store_read *r, const char *name,
			struct store_tftp_file *out)
{
	const void *v;
	size_t n;
	int rc;

	memset(out, 0, sizeof *out);
	if (!store_tftp_name_valid(name))
		return STORE_ENOTFOUND;
	if ((rc = store_get(r, STORE_T_TFTP_FILES, name, strlen(name), &v, &n)))
		return rc;
	return tftp_file_from_kv(name, strlen(name), v, n, out);
}

/* store_tftp_file_each */
STORE_EACH_RECORD(tftp_file, STORE_T_TFTP_FILES, struct store_tftp_file)

static void chunk_key(const uint8_t sha256[32], uint32_t index,
		      uint8_t key[CHUNK_KEY_LEN])
{
	memcpy(key, sha256, 32);
	be32_put(key + 32, index);
}

int store_tftp_chunk_get(struct store_read *r, const uint8_t sha256[32],
			 uint32_t index, const uint8_t **p, size_t *n)
{
	uint8_t key[CHUNK_KEY_LEN];
	const void *v;
	int rc;

	chunk_key(sha256, index, key);
	if ((rc = store_get(r, STORE_T_TFTP_CHUNKS, key, sizeof key, &v, n)))
		return rc;
	if (*n == 0 || *n > STORE_TFTP_CHUNK_MAX)
		return STORE_ECORRUPT;
	*p = v;
	return STORE_OK;
}

int store_cmd_put_tftp_chunk(struct store_cmd *c, const uint8_t sha256[32],
			     uint32_t index, const void *data, size_t n)
{
	uint8_t key[CHUNK_KEY_LEN];

	if (n == 0 || n > STORE_TFTP_CHUNK_MAX ||
	    index >= STORE_TFTP_CHUNKS_MAX)
		return STORE_EINVAL;
	chunk_key(sha256, index, key);
	return store_cmd_op(c, STORE_OP_PUT, STORE_T_TFTP_CHUNKS, key,
			    sizeof key, data, n);
}

int store_cmd_del_tftp_chunk(struct store_cmd *c, const uint8_t sha256[32],
			     uint32_t index)
{
	uint8_t key[CHUNK_KEY_LEN];

	chunk_key(sha256, index, key);
	return store_cmd_op(c, STORE_OP_DEL, STORE_T_TFTP_CHUNKS, key,
			    sizeof key, NULL, 0);
}

int store_cmd_put_tftp_file(struct store_cmd *c,
			    const struct store_tftp_file *old,
			    const struct store_tftp_file *r)
{
	uint8_t val[TFTP_FILE_REC_MAX], oval[TFTP_FILE_REC_MAX];
	size_t n, on, klen = strlen(r->name);
	int rc;

	if (!store_tftp_name_valid(r->name) ||
	    (old && strcmp(old->name, r->name) != 0))
		return STORE_EINVAL;
	if ((rc = store_tftp_file_encode(r, val, sizeof val, &n)))
		return rc;
	if (!old)
		return store_cmd_op(c, STORE_OP_PUT_NEW, STORE_T_TFTP_FILES,
				    r->name, klen, val, n);
	if ((rc = store_tftp_file_encode(old, oval, sizeof oval, &on)) ||
	    (rc = store_cmd_op(c, STORE_OP_EXPECT, STORE_T_TFTP_FILES, r->name,
			       klen, oval, on)))
		return rc;
	return store_cmd_op(c, STORE_OP_PUT, STORE_T_TFTP_FILES, r->name, klen,
			    val, n);
}

int store_cmd_del_tftp_file(struct store_cmd *c, const char *name)
{
	if (!store_tftp_name_valid(name))
		return STORE_EINVAL;
	return store_cmd_op(c, STORE_OP_DEL_EXISTING, STORE_T_TFTP_FILES, name,
			    strlen(name), NULL, 0);
}
