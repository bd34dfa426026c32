/* source: the served names and where they come from (tftp_source.h).
 *
 *   CTLFile.tlv, ITLFile.tlv      the store's CTL, this node's ITL
 *   SEP<MAC>.cnf.xml, XMLDefault.cnf.xml
 *                                 generated (tftp_config.h); in mixed mode
 *                                 only as NAME.sgn, signed with the node's
 *                                 TFTP key, and SEP<MAC>.cnf.xml.enc.sgn
 *                                 when the device's config is encrypted
 *   anything else                 an uploaded file
 *
 * A generated file's source identity is the SHA-256 of what goes into it
 * (kind, signer certificate, device certificate, text): the cache signs
 * again only when one of those changed. */
#include "node/tftp/tftp_source.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/hex.h"
#include "common/log.h"
#include "node/tftp/tftp_config.h"
#include "store/prov.h"
#include "store/store.h"
#include "store/tftpfiles.h"
#include "trustlist/sgn.h"

#define NAME_CTL "CTLFile.tlv"
#define NAME_ITL "ITLFile.tlv"
#define NAME_DEFAULT "XMLDefault.cnf.xml"

static int ends_with(const char *s, const char *suffix, size_t *stem)
{
	size_t n = strlen(s), m = strlen(suffix);

	if (n <= m || strcmp(s + n - m, suffix) != 0)
		return 0;
	*stem = n - m;
	return 1;
}

/* "SEP" + 12 upper-case hex digits + ".cnf.xml". */
static int is_device_config(const char *base, char device[16])
{
	if (strlen(base) != 23 || strncmp(base, "SEP", 3) != 0 ||
	    strcmp(base + 15, ".cnf.xml") != 0)
		return 0;
	for (int i = 3; i < 15; i++)
		if (!((base[i] >= '0' && base[i] <= '9') ||
		      (base[i] >= 'A' && base[i] <= 'F')))
			return 0;
	memcpy(device, base, 15);
	device[15] = '\0';
	return 1;
}

static enum tftp_files_result
read_stored(struct store_read *r, const char *name, struct tftp_source *src)
{
	int rc;

	if (strcmp(name, NAME_CTL) == 0) {
		struct store_ctl ctl;

		if ((rc = store_ctl_get(r, &ctl)))
			return rc == STORE_ENOTFOUND ? TFTP_FILES_NOT_FOUND
						     : TFTP_FILES_ERROR;
		src->bytes = ctl.file;
		src->len = ctl.file_len;
		memcpy(src->sha256, ctl.sha256, 32);
		return TFTP_FILES_OK;
	} else {
		struct store_itl itl;

		if (src->node_id == 0)
			return TFTP_FILES_NOT_FOUND;
		if ((rc = store_itl_get(r, src->node_id, &itl)))
			return rc == STORE_ENOTFOUND ? TFTP_FILES_NOT_FOUND
						     : TFTP_FILES_ERROR;
		src->bytes = itl.file;
		src->len = itl.file_len;
		memcpy(src->sha256, itl.sha256, 32);
		return TFTP_FILES_OK;
	}
}

static int param_true(struct store_read *r, const char *name)
{
	char v[16];

	return store_param_get(r, name, v, sizeof v) == 0 &&
	       strcmp(v, "true") == 0;
}

static void hash_source(struct tftp_source *src)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t kind = (uint8_t)src->kind;

	memset(src->sha256, 0, 32);
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		return;
	}
	EVP_DigestUpdate(md, &kind, 1);
	if (src->signer)
		EVP_DigestUpdate(md, src->signer->sha256, 32);
	if (src->device_cert)
		EVP_DigestUpdate(md, src->device_cert, src->device_cert_len);
	EVP_DigestUpdate(md, src->bytes, src->len);
	EVP_DigestFinal_ex(md, src->sha256, NULL);
	EVP_MD_CTX_free(md);
}

static int der_has_rsa_key(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	EVP_PKEY *k = x ? X509_get0_pubkey(x) : NULL;
	int rsa = k && EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA;

	X509_free(x);
	return rsa;
}

int tftp_source_device_cert(struct store_read *r, const char *device,
			    struct store_device_lsc *out, const char **which)
{
	if (store_device_lsc_get(r, device, out) == 0 &&
	    der_has_rsa_key(out->der, out->der_len)) {
		*which = "LSC";
		return 0;
	}
	if (store_device_mic_get(r, device, out) == 0 &&
	    der_has_rsa_key(out->der, out->der_len)) {
		*which = "MIC";
		return 0;
	}
	*which = "";
	return -1;
}

/* The generated file BASE in the kind NAME asks for. */
static enum tftp_files_result read_config(struct store_read *r,
					  struct tftp_source *src, int sgn,
					  int enc, const char **why)
{
	struct tftp_config_opts o = {0};
	struct tftp_config_info info;
	struct store_cluster cl;
	struct store_device_lsc lsc;
	char device[16] = "", *text = NULL;
	const char *which;
	int mixed, rc, have_lsc = 0;
	size_t len = 0;

	if (store_cluster_get(r, &cl) != 0)
		return TFTP_FILES_NOT_FOUND; /* no cluster yet */
	mixed = cl.security_mode == STORE_SECURITY_MIXED;
	if (!mixed && (sgn || enc))
		return TFTP_FILES_NOT_FOUND; /* non-secure: files unsigned */
	if (mixed && !sgn && !enc) {
		*why = "mixed mode: only signed configuration files "
		       "(NAME.sgn)";
		return TFTP_FILES_REFUSED;
	}
	o.encrypted_param = param_true(r, "tftp_encrypted_config");
	if (!is_device_config(src->base, device)) {
		if (enc)
			return TFTP_FILES_NOT_FOUND;
		rc = tftp_config_default(r, &text, &len);
	} else {
		/* First what the device asks for, then its text. */
		rc = tftp_config_device(r, device, &o, &text, &len, &info);
		if (rc != 0)
			goto out;
		/* The LSC, else the MIC: the certificate to encrypt to. */
		have_lsc =
		    tftp_source_device_cert(r, device, &lsc, &which) == 0;
		if (mixed && info.encrypt && have_lsc) {
			free(text);
			text = NULL;
			if (enc) {
				o.encrypted = 1;
				o.kek = src->kek;
				o.ks = src->ks;
			} else {
				uint8_t md5[16];

				EVP_Digest(lsc.der, lsc.der_len, md5, NULL,
					   EVP_md5(), NULL);
				hex_encode(md5, 16, o.cert_md5_hex);
				o.stub = 1;
			}
			rc = tftp_config_device(r, device, &o, &text, &len,
						&info);
		} else if (enc) {
			free(text);
			*why = !mixed || !info.encrypt
				   ? ""
				   : "the device has no certificate (LSC or "
				     "MIC, RSA) to encrypt to";
			return TFTP_FILES_NOT_FOUND;
		}
	}
out:
	if (rc == TFTP_CONFIG_NOT_FOUND)
		return TFTP_FILES_NOT_FOUND;
	if (rc != 0) {
		*why = "configuration unavailable";
		return TFTP_FILES_ERROR;
	}
	if ((sgn || enc) && !src->signer) {
		free(text);
		*why = "no TFTP signing key";
		return TFTP_FILES_ERROR;
	}
	if (enc) {
		src->device_cert = malloc(lsc.der_len);
		if (!src->device_cert) {
			OPENSSL_cleanse(text, len);
			free(text);
			return TFTP_FILES_ERROR;
		}
		memcpy(src->device_cert, lsc.der, lsc.der_len);
		src->device_cert_len = lsc.der_len;
	}
	src->kind = enc ? TFTP_SRC_ENC : sgn ? TFTP_SRC_SGN : TFTP_SRC_CONFIG;
	src->owned = (uint8_t *)text;
	src->bytes = src->owned;
	src->len = len;
	hash_source(src);
	if (device[0])
		src->timestamp = (uint32_t)(info.changed_ms / 1000);
	else
		src->timestamp = (uint32_t)(cl.created_ms / 1000);
	if (sgn && device[0] && info.encrypt && mixed && !have_lsc)
		*why = "encryption asked but the device has no certificate "
		       "(LSC or MIC, RSA): served signed, unencrypted, "
		       "without credentials";
	return TFTP_FILES_OK;
}

/* BASE.sgn for an uploaded BASE: in mixed mode every file can be had
 * signed with the node's TFTP key (ring lists, locales, ...). */
static enum tftp_files_result
read_upload_sgn(struct store_read *r, struct tftp_source *src, const char **why)
{
	struct store_tftp_file up;
	struct store_cluster cl;
	EVP_MD_CTX *md;
	uint8_t kind = TFTP_SRC_UPLOAD_SGN;
	int rc;

	if (store_cluster_get(r, &cl) != 0 ||
	    cl.security_mode != STORE_SECURITY_MIXED)
		return TFTP_FILES_NOT_FOUND;
	rc = store_tftp_file_get(r, src->base, &up);
	if (rc == STORE_ENOTFOUND)
		return TFTP_FILES_NOT_FOUND;
	if (rc != 0 || !src->signer) {
		*why = rc ? "store unreadable" : "no TFTP signing key";
		return TFTP_FILES_ERROR;
	}
	md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(md, &kind, 1) ||
	    !EVP_DigestUpdate(md, src->signer->sha256, 32) ||
	    !EVP_DigestUpdate(md, up.sha256, 32) ||
	    !EVP_DigestFinal_ex(md, src->sha256, NULL)) {
		EVP_MD_CTX_free(md);
		*why = "out of memory";
		return TFTP_FILES_ERROR;
	}
	EVP_MD_CTX_free(md);
	src->kind = TFTP_SRC_UPLOAD_SGN;
	src->timestamp = (uint32_t)(up.uploaded_ms / 1000);
	return TFTP_FILES_OK;
}

enum tftp_files_result tftp_source_read(struct store_read *r, const char *name,
					struct tftp_source *src,
					const char **why)
{
	struct store_tftp_file up;
	size_t stem;
	int sgn = 0, enc = 0, rc;

	*why = "";
	if (strlen(name) >= sizeof src->base)
		return TFTP_FILES_NOT_FOUND;
	snprintf(src->base, sizeof src->base, "%s", name);
	if (ends_with(name, ".enc.sgn", &stem))
		enc = 1;
	else if (ends_with(name, ".sgn", &stem))
		sgn = 1;
	if (enc || sgn)
		src->base[stem] = '\0';
	if (strcmp(src->base, NAME_CTL) == 0 ||
	    strcmp(src->base, NAME_ITL) == 0) {
		if (enc || sgn)
			return TFTP_FILES_NOT_FOUND;
		src->kind = TFTP_SRC_STORED;
		return read_stored(r, name, src);
	}
	if (strcmp(src->base, NAME_DEFAULT) == 0 ||
	    (strncmp(src->base, "SEP", 3) == 0 &&
	     ends_with(src->base, ".cnf.xml", &stem)))
		return read_config(r, src, sgn, enc, why);
	if (sgn && !enc)
		return read_upload_sgn(r, src, why);
	rc = store_tftp_file_get(r, name, &up);
	if (rc == STORE_ENOTFOUND)
		return TFTP_FILES_NOT_FOUND;
	if (rc != 0) {
		*why = "store unreadable";
		return TFTP_FILES_ERROR;
	}
	/* The bytes are read only when the file must be built. */
	memcpy(src->sha256, up.sha256, 32);
	src->kind = TFTP_SRC_UPLOAD;
	src->upload = 1;
	return TFTP_FILES_OK;
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
	char err[256];
	uint8_t *file = NULL;
	size_t len = 0;
	int rc;

	if (src->kind == TFTP_SRC_UPLOAD)
		return build_upload(r, name, out, why);
	if (src->kind == TFTP_SRC_UPLOAD_SGN) {
		struct tftp_blob *plain;
		enum tftp_files_result res =
		    build_upload(r, src->base, &plain, why);

		if (res != TFTP_FILES_OK)
			return res;
		rc = tftp_signer_sign(src->signer, src->base, plain->data,
				      plain->len, NULL, 0, src->timestamp,
				      &file, &len, err, sizeof err);
		tftp_blob_unref(plain);
		goto signed_out;
	}
	if (src->kind == TFTP_SRC_STORED || src->kind == TFTP_SRC_CONFIG) {
		*out = tftp_blob_new(src->bytes, src->len);
		goto out;
	}
	rc = tftp_signer_sign(
	    src->signer, src->base, src->bytes, src->len,
	    src->kind == TFTP_SRC_ENC ? src->device_cert : NULL,
	    src->device_cert_len, src->timestamp, &file, &len, err, sizeof err);
signed_out:
	if (rc != 0) {
		log_warn("tftp", "%s: signing failed: %s", name, err);
		*why = "signing failed";
		return TFTP_FILES_ERROR;
	}
	*out = tftp_blob_new(file, len);
	free(file);
out:
	if (!*out) {
		*why = "out of memory";
		return TFTP_FILES_ERROR;
	}
	return TFTP_FILES_OK;
}

void tftp_source_clear(struct tftp_source *src)
{
	if (src->owned)
		OPENSSL_cleanse(src->owned, src->len);
	free(src->owned);
	free(src->device_cert);
	src->owned = NULL;
	src->device_cert = NULL;
	src->bytes = NULL;
}
