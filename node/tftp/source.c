/* source: the served names and where they come from (tftp_source.h). */
#include "node/tftp/tftp_source.h"

#include <stdlib.h>
#include <string.h>

#include "store/store.h"

#define NAME_CTL "CTLFile.tlv"
#define NAME_ITL "ITLFile.tlv"

enum tftp_files_result tftp_source_read(struct store_read *r, const char *name,
					struct tftp_source *src,
					const char **why)
{
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
	return TFTP_FILES_NOT_FOUND;
err_store:
	*why = "store unreadable";
	return TFTP_FILES_ERROR;
}

enum tftp_files_result tftp_source_build(struct store_read *r, const char *name,
					 const struct tftp_source *src,
					 struct tftp_blob **out,
					 const char **why)
{
	(void)r;
	(void)name;
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
