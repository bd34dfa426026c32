/* source: the served names and where they come from (tftp_source.h). */
#include "node/tftp/tftp_source.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "store/store.h"
#include "store/tftpfiles.h"

#define NAME_CTL "CTLFile.tlv"
#define NAME_ITL "ITLFile.tlv"

enum tftp_files_result tftp_source_read(struct store_read *r, const char *name,
					struct tftp_source *src,
					const char **why)
{
	struct store_tftp_file up;
	int rc;

	*why = "";
	if (strcmp(name, NAME_CTL) == 0) {
		struct store_ctl ctl;

		rc = store_ctl_get(r, &ctl);
		if (rc == STORE_ENOTFOUND)
			return TFTP_FILES_NOT_FOUND;
		if (rc != 0)
			goto err_store;
		src->bytes = ctl.file;
		src->len = ctl.file_len;
		memcpy(src->sha256, ctl.sha256, 32);
		return TFTP_FILES_OK;
	}
	if (strcmp(name, NAME_ITL) == 0) {
		struct store_itl itl;

		if (src->node_id == 0)
			return TFTP_FILES_NOT_FOUND;
		rc = store_itl_get(r, src->node_id, &itl);
		if (rc == STORE_ENOTFOUND)
			return TFTP_FILES_NOT_FOUND;
		if (rc != 0)
			goto err_store;
		src->bytes = itl.file;
		src->len = itl.file_len;
		memcpy(src->sha256, itl.sha256, 32);
		return TFTP_FILES_OK;
	}
	rc = store_tftp_file_get(r, name, &up);
	if (rc == STORE_ENOTFOUND)
		return TFTP_FILES_NOT_FOUND;
	if (rc != 0)
		goto err_store;
	/* The bytes are read only when the file must be built. */
	memcpy(src->sha256, up.sha256, 32);
	src->upload = 1;
	return TFTP_FILES_OK;
err_store:
	*why = "store unreadable";
	return TFTP_FILES_ERROR;
}

/* Joins an uploaded file's chunks, checking each one's size and the
 * whole file's SHA-256 against its record. */
static enum tftp_files_result build_upload(struct store_read *r,
					   const char *name,
					   struct tftp_blob **out,
					   const char **why)
{
	struct store_tftp_file up;
	struct tftp_blob *b;
	uint8_t md[32];
	unsigned mdlen = 0;
	uint64_t off = 0;

	if (store_tftp_file_get(r, name, &up) != 0) {
		*why = "store unreadable";
		return TFTP_FILES_ERROR;
	}
	b = tftp_blob_new(NULL, (size_t)up.size);
	if (!b) {
		*why = "out of memory";
		return TFTP_FILES_ERROR;
	}
	for (uint32_t i = 0; i < up.n_chunks; i++) {
		const uint8_t *p;
		size_t n, want = up.size - off < up.chunk_size
				     ? (size_t)(up.size - off)
				     : up.chunk_size;

		if (store_tftp_chunk_get(r, up.sha256, i, &p, &n) != 0 ||
		    n != want)
			goto err_damaged;
		memcpy(b->data + off, p, n);
		off += n;
	}
	if (!EVP_Digest(b->data, b->len, md, &mdlen, EVP_sha256(), NULL) ||
	    memcmp(md, up.sha256, 32) != 0)
		goto err_damaged;
	*out = b;
	return TFTP_FILES_OK;
err_damaged:
	tftp_blob_unref(b);
	*why = "uploaded file incomplete or damaged";
	return TFTP_FILES_ERROR;
}

enum tftp_files_result tftp_source_build(struct store_read *r, const char *name,
					 const struct tftp_source *src,
					 struct tftp_blob **out,
					 const char **why)
{
	if (src->upload)
		return build_upload(r, name, out, why);
	*out = tftp_blob_new(src->bytes, src->len);
	if (!*out) {
		*why = "out of memory";
		return TFTP_FILES_ERROR;
	}
	return TFTP_FILES_OK;
}

void tftp_source_clear(struct tftp_source *src)
{
	free(src->owned);
	src->owned = NULL;
	src->bytes = NULL;
}
