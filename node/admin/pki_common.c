/* pki_common: the pieces every certificate-related route uses — exports in
 * PEM or DER next to the JSON form, the description of a certificate, and
 * the cluster KEK, read from its file only for the moment it is needed. */
#include "node/admin/admin_pki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>

#include "common/http_reason.h"
#include "node/admin/admin_req.h"

int admin_pki_format(struct admin_op *op, unsigned allowed, int def_raw)
{
	static const char *const names[] = {"json", "pem", "der", "raw"};
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(op->req);
	char v[16];
	int f = def_raw ? ADMIN_FORMAT_RAW : ADMIN_FORMAT_JSON;

	if (uri && admin_query_value(evhttp_uri_get_query(uri), "format", v,
				     sizeof v)) {
		f = -1;
		for (int i = 0; i < 4; i++)
			if (strcmp(v, names[i]) == 0)
				f = i;
	}
	if (f < 0 || !(allowed & ADMIN_FORMAT_BIT(f))) {
		char list[40] = "";

		for (int i = 0; i < 4; i++)
			if (allowed & ADMIN_FORMAT_BIT(i))
				snprintf(list + strlen(list),
					 sizeof list - strlen(list), "%s%s",
					 list[0] ? ", " : "", names[i]);
		admin_op_error(op, 400, "format: one of %s", list);
		return -1;
	}
	return f;
}

void admin_op_reply_bytes(struct admin_op *op, const char *content_type,
			  const char *filename, const void *data, size_t len)
{
	struct evhttp_request *req = op->req;
	struct evbuffer *out;
	struct evkeyvalq *h;
	struct store_node leader;
	char disp[128];

	if (!req || !op->a) {
		admin_op_finish(op);
		return;
	}
	out = evbuffer_new();
	if (!out || evbuffer_add(out, data, len) != 0) {
		if (out)
			evbuffer_free(out);
		admin_op_error(op, 500, "out of memory");
		return;
	}
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Content-Type", content_type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (filename) {
		snprintf(disp, sizeof disp, "attachment; filename=\"%s\"",
			 filename);
		evhttp_add_header(h, "Content-Disposition", disp);
	}
	if (admin_leader_node(op->a, &leader) == 0)
		evhttp_add_header(h, "X-Ward-Leader", leader.name);
	evhttp_send_reply(req, 200, http_reason_phrase(200), out);
	evbuffer_free(out);
	op->req = NULL;
	admin_op_finish(op);
}

void admin_pki_reply_cert(struct admin_op *op, int format, json_t *obj,
			  const uint8_t *der, size_t len, const char *basename)
{
	char name[96], *pem = NULL;
	size_t pem_len = 0;
	X509 *x = NULL;

	if (format == ADMIN_FORMAT_DER) {
		json_decref(obj);
		snprintf(name, sizeof name, "%s.der", basename);
		admin_op_reply_bytes(op, "application/pkix-cert", name, der,
				     len);
		return;
	}
	if (pki_cert_parse(der, len, &x, NULL, 0) != 0 ||
	    pki_cert_to_pem(x, &pem, &pem_len) != 0) {
		X509_free(x);
		json_decref(obj);
		admin_op_error(op, 500, "the stored certificate is unreadable");
		return;
	}
	X509_free(x);
	if (format == ADMIN_FORMAT_PEM) {
		json_decref(obj);
		snprintf(name, sizeof name, "%s.pem", basename);
		admin_op_reply_bytes(op, "application/x-pem-file", name, pem,
				     pem_len);
	} else {
		json_object_set_new(obj, "pem", json_stringn(pem, pem_len));
		admin_op_reply(op, 200, obj);
	}
	free(pem);
}

json_t *admin_json_b64(const uint8_t *p, size_t n)
{
	char *text = admin_b64_encode_alloc(p, n);
	json_t *j;

	if (!text)
		return NULL;
	j = json_string(text);
	free(text);
	return j;
}

void admin_pki_fp(const uint8_t *d, size_t n, char *out)
{
	pki_fingerprint_text(d, n, out, PKI_FP_TEXT_MAX);
}

json_t *admin_pki_cert_json(const uint8_t *der, size_t len, char *errmsg,
			    size_t errcap)
{
	struct pki_cert_info info;
	char sha1[PKI_FP_TEXT_MAX], sha256[PKI_FP_TEXT_MAX], hash[9];
	X509 *x = NULL;
	int rc;

	if (pki_cert_parse(der, len, &x, errmsg, errcap) != 0)
		return NULL;
	rc = pki_cert_info(x, &info, errmsg, errcap);
	X509_free(x);
	if (rc != 0)
		return NULL;
	admin_pki_fp(info.sha1, sizeof info.sha1, sha1);
	admin_pki_fp(info.sha256, sizeof info.sha256, sha256);
	snprintf(hash, sizeof hash, "%08x", info.subject_hash);
	return json_pack(
	    "{s:s, s:s, s:s, s:I, s:I, s:s, s:b, s:s, s:s, s:s}", "subject",
	    info.subject, "issuer", info.issuer, "serial", info.serial,
	    "not_before", (json_int_t)info.not_before_s, "not_after",
	    (json_int_t)info.not_after_s, "key_type",
	    info.key_type ? pki_key_type_name(info.key_type) : "other", "is_ca",
	    info.is_ca, "sha1", sha1, "sha256", sha256, "subject_hash", hash);
}

int admin_pki_signing_key_ok(X509 *cert, char *errmsg, size_t errcap)
{
	EVP_PKEY *pk = X509_get0_pubkey(cert);
	int bits;

	if (!pk) {
		snprintf(errmsg, errcap, "the certificate's key is unreadable");
		return 0;
	}
	/* Phones verify CTL signatures with RSA only (docs/ctl.md). */
	bits = EVP_PKEY_get_bits(pk);
	if (EVP_PKEY_is_a(pk, "RSA") && (bits == 2048 || bits == 4096))
		return 1;
	snprintf(errmsg, errcap,
		 "a %d-bit %s key cannot sign a CTL: phones verify RSA "
		 "2048 or 4096 only",
		 bits,
		 EVP_PKEY_get0_type_name(pk) ? EVP_PKEY_get0_type_name(pk)
					     : "?");
	return 0;
}

int admin_pki_kek_acquire(struct admin *a, const struct store_cluster *cl,
			  char *errmsg, size_t errcap)
{
	static const uint8_t zero[PKI_KEK_ID_LEN];
	char why[512] = "";
	int rc;

	if (memcmp(cl->kek_id, zero, sizeof zero) == 0) {
		snprintf(errmsg, errcap,
			 "the cluster has no key-encryption key yet");
		return -1;
	}
	rc = keystore_kek_acquire(a->ks, cl->kek_id, why, sizeof why);
	if (rc == KEYSTORE_EWRONGKEK) {
		snprintf(errmsg, errcap,
			 "%s is not this cluster's key-encryption key",
			 a->kek_file);
		return -1;
	}
	if (rc != KEYSTORE_OK) {
		snprintf(errmsg, errcap, "cannot read the cluster key: %s",
			 why[0] ? why : keystore_strerror(rc));
		return -1;
	}
	return 0;
}
