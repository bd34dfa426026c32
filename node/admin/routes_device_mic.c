/* routes_device_mic: a phone's manufacturer-installed certificate (MIC),
 * as the operator knows it — the certificate the TFTP role encrypts the
 * phone's configuration to when it has no LSC (docs/tftp.md).
 *
 *   PUT    /v1/devices/NAME/mic  {"pem": "-----BEGIN CERTIFICATE-----..."}
 *   DELETE /v1/devices/NAME/mic
 *
 * One command: the MIC record guarded on the device as read (a device
 * deleted or changed meanwhile makes it fail), and the audit record. The
 * same certificate again writes nothing. The registrar (admin_cmd_put_mic,
 * also on the leader's side of the registration relay) and CAPF record a
 * MIC a phone authenticates with.
 */
#include "node/admin/admin_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/hex.h"
#include "common/log.h"
#include "node/admin/prov_int.h"
#include "pki/pki.h"
#include "store/prov.h"

/* The one certificate of the PEM text P (N bytes); NULL if it is not
 * exactly one. */
static X509 *one_cert(const char *p, size_t n)
{
	BIO *b = BIO_new_mem_buf(p, (int)n);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	X509 *more = x ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	if (more) {
		X509_free(more);
		X509_free(x);
		x = NULL;
	}
	BIO_free(b);
	return x;
}

int admin_cmd_put_mic(struct store_read *r, struct store_cmd *cmd,
		      const char *device, const uint8_t *der, size_t len,
		      uint64_t now_ms)
{
	struct store_device_lsc mic = {0}, old;
	struct pki_cert_info info;
	const unsigned char *p = der;
	X509 *x =
	    len && len <= STORE_DER_MAX ? d2i_X509(NULL, &p, (long)len) : NULL;
	char why[64];
	int rc = -1;

	if (!x || p != der + len || pki_cert_info(x, &info, why, sizeof why))
		goto out;
	if (store_device_mic_get(r, device, &old) == STORE_OK &&
	    CRYPTO_memcmp(old.sha256, info.sha256, 32) == 0) {
		rc = 0;
		goto out;
	}
	snprintf(mic.device, sizeof mic.device, "%s", device);
	mic.der = der;
	mic.der_len = len;
	memcpy(mic.sha256, info.sha256, 32);
	snprintf(mic.serial, sizeof mic.serial, "%s", info.serial);
	mic.not_after_s = info.not_after_s;
	mic.issued_ms = now_ms;
	rc = store_cmd_put_device_mic(cmd, &mic) == STORE_OK ? 1 : -1;
out:
	X509_free(x);
	return rc;
}

static json_t *mic_json(const char *device, const struct pki_cert_info *i,
			int key_rsa)
{
	char fp[HEX_SHA256_TEXT_LEN];

	hex_sha256_text(i->sha256, fp);
	return json_pack("{s:s, s:{s:s, s:s, s:s, s:I, s:b}}", "device", device,
			 "mic", "sha256", fp, "subject", i->subject, "serial",
			 i->serial, "not_after_s", (json_int_t)i->not_after_s,
			 "rsa", key_rsa);
}

static void mic_written(struct admin_op *op, int rc)
{
	json_t *ans = op->ctx;

	op->ctx = NULL;
	if (rc == STORE_ENOTFOUND) {
		json_decref(ans);
		admin_op_error(op, 409,
			       "device \"%s\" changed meanwhile: retry",
			       op->args[0]);
		return;
	}
	if (rc) {
		json_decref(ans);
		admin_op_fail(op, rc, "writing the MIC");
		return;
	}
	log_info(ADMIN_TAG, "device %s: MIC %s by %s", op->args[0],
		 json_object_get(ans, "mic") ? "recorded" : "removed",
		 op->actor);
	admin_op_reply(op, 200, ans);
}

static void ctx_free(void *ctx)
{
	json_decref(ctx);
}

/* Reads phone NAME (its stored bytes into RAW for the guard); 0, or
 * answers and returns -1. */
static int read_phone(struct admin_op *op, struct store_read *r,
		      union prov_rec *rec, uint8_t *raw, size_t *raw_len)
{
	const struct prov_kind *k = prov_kind_get(PROV_DEVICE);
	int rc = prov_rec_read(k, r, op->args[0], rec, raw, raw_len);

	if (rc == 0 && rec->device.kind == STORE_DEVICE_PHONE)
		return 0;
	if (rc == 0 || rc == STORE_ENOTFOUND || rc == STORE_EINVAL)
		admin_op_error(op, 404, "no phone \"%s\"", op->args[0]);
	else
		admin_op_fail(op, rc, "reading");
	return -1;
}

static void mic_write(struct admin_op *op, X509 *x)
{
	struct store_device_lsc mic = {0}, old;
	struct pki_cert_info info;
	struct store_read *r;
	struct store_cmd *cmd = NULL;
	union prov_rec rec;
	uint8_t raw[STORE_RECORD_MAX], *der = NULL;
	size_t raw_len = 0, der_len = 0;
	char detail[STORE_TEXT_MAX], why[128], fp[HEX_SHA256_TEXT_LEN];
	int rc, same = 0;

	if (x && (pki_cert_info(x, &info, why, sizeof why) != 0 ||
		  pki_cert_to_der(x, &der, &der_len) != 0 ||
		  der_len > STORE_DER_MAX)) {
		free(der);
		admin_op_error(op, 400, "pem: not a usable certificate");
		return;
	}
	if (admin_op_read_begin(op, &r) != 0)
		goto out;
	if (read_phone(op, r, &rec, raw, &raw_len) != 0) {
		store_read_end(r);
		goto out;
	}
	rc = store_device_mic_get(r, op->args[0], &old);
	if (x)
		same =
		    rc == 0 && CRYPTO_memcmp(old.sha256, info.sha256, 32) == 0;
	else
		same = rc == STORE_ENOTFOUND;
	store_read_end(r);
	op->ctx = x ? mic_json(op->args[0], &info,
			       EVP_PKEY_get_base_id(X509_get0_pubkey(x)) ==
				   EVP_PKEY_RSA)
		    : json_pack("{s:s, s:n}", "device", op->args[0], "mic");
	op->ctx_free = ctx_free;
	if (same) {
		/* Nothing changes: no write. */
		json_t *ans = op->ctx;

		op->ctx = NULL;
		admin_op_reply(op, 200, ans);
		goto out;
	}
	if (!(cmd = admin_op_cmd(op)))
		goto out;
	rc = store_cmd_op(cmd, STORE_OP_EXPECT, STORE_T_DEVICES, op->args[0],
			  strlen(op->args[0]), raw, raw_len);
	if (x) {
		snprintf(mic.device, sizeof mic.device, "%s", op->args[0]);
		mic.der = der;
		mic.der_len = der_len;
		memcpy(mic.sha256, info.sha256, 32);
		snprintf(mic.serial, sizeof mic.serial, "%s", info.serial);
		mic.not_after_s = info.not_after_s;
		mic.issued_ms = admin_now_ms();
		hex_sha256_text(info.sha256, fp);
		snprintf(detail, sizeof detail, "name=%s mic=%s", op->args[0],
			 fp);
		if (rc == 0)
			rc = store_cmd_put_device_mic(cmd, &mic);
	} else {
		snprintf(detail, sizeof detail, "name=%s mic=none",
			 op->args[0]);
		if (rc == 0)
			rc = store_cmd_del_device_mic(cmd, op->args[0]);
	}
	if (rc == 0)
		rc = store_cmd_audit(cmd, "device.mic", detail);
	admin_op_propose_built(op, cmd, rc, "the change", mic_written);
out:
	free(der);
}

void admin_route_device_mic_put(struct admin_op *op)
{
	json_error_t e;
	json_t *j = json_loadb(op->body ? op->body : "", op->body_len, 0, &e);
	const char *pem = json_string_value(json_object_get(j, "pem"));
	X509 *x = NULL;

	if (pem)
		x = one_cert(pem, strlen(pem));
	json_decref(j);
	if (!x) {
		admin_op_error(op, 400,
			       "expected {\"pem\": one PEM certificate}");
		return;
	}
	mic_write(op, x);
	X509_free(x);
}

void admin_route_device_mic_delete(struct admin_op *op)
{
	mic_write(op, NULL);
}
