/* routes_capf_est: EST (RFC 7030) on the admin HTTPS port, for clients
 * that are not phones of the CAPF family, with the CAPF role's core — the
 * operation scheduled for the device (store/capf.h), the same checks of
 * the key, the same LSC (pki/lsc.h), one Raft command for the LSC and the
 * outcome.
 *
 *   GET  /.well-known/est/cacerts        the cluster CA, PKCS#7 certs-only
 *   POST /.well-known/est/simpleenroll   PKCS#10 in, the LSC out; HTTP
 *        Basic DEVICE:STRING (the authentication string; empty for the
 *        null-string mode)
 *   POST /.well-known/est/simplereenroll the same, authenticated by the
 *        TLS client certificate: the device's LSC on record (the existing
 *        certificate modes)
 *
 * Bodies and answers are base64 DER (RFC 7030 section 4). The device is
 * the CSR subject's CN. Refusals (no such device, nothing scheduled, the
 * wrong mode or certificate) answer 401/403 and cause no write; a wrong
 * string for a device scheduled in the string mode is counted in its
 * operation (the counter that locks it, as over the CAPF protocol), one
 * check per device at a time, and string checks take a token of the
 * client address's login bucket (429 beyond). Scrypt and the CA
 * signature run on the admin worker thread.
 */
#include "node/admin/admin_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "common/log.h"
#include "node/admin/admin_pki.h"
#include "pki/lsc.h"
#include "store/capf.h"
#include "store/prov.h"

#define EST_BODY_MAX 16384

/* Base64 of the PKCS#7 certs-only holding CERT: malloc'ed text. */
static char *certs_only_b64(X509 *cert)
{
	PKCS7 *p7 = PKCS7_new();
	unsigned char *der = NULL;
	char *b64 = NULL;
	int n = -1;

	if (p7 && PKCS7_set_type(p7, NID_pkcs7_signed) &&
	    PKCS7_content_new(p7, NID_pkcs7_data) &&
	    PKCS7_add_certificate(p7, cert))
		n = i2d_PKCS7(p7, &der);
	if (n > 0)
		b64 = admin_b64_encode_alloc(der, (size_t)n);
	OPENSSL_free(der);
	PKCS7_free(p7);
	return b64;
}

static void est_reply_cert(struct admin_op *op, X509 *cert)
{
	char *b64 = certs_only_b64(cert);

	if (!b64) {
		admin_op_error(op, 500, "out of memory");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(op->req),
			  "Content-Transfer-Encoding", "base64");
	admin_op_reply_bytes(op,
			     "application/pkcs7-mime; smime-type=certs-only",
			     NULL, b64, strlen(b64));
	free(b64);
}

/* The cluster CA from the store; NULL if absent. */
static X509 *ca_from_store(struct store_read *r)
{
	struct store_cert rec;
	const uint8_t *p;

	if (store_cert_get(r, 0, STORE_CERT_CA, &rec) != STORE_OK)
		return NULL;
	p = rec.der;
	return d2i_X509(NULL, &p, (long)rec.der_len);
}

void admin_route_est_cacerts(struct admin_op *op)
{
	struct store_read *r;
	X509 *ca;

	if (admin_op_read_begin(op, &r) != 0)
		return;
	ca = ca_from_store(r);
	store_read_end(r);
	if (!ca) {
		admin_op_error(op, 503, "no cluster CA yet");
		return;
	}
	est_reply_cert(op, ca);
	X509_free(ca);
}

struct est_job {
	struct admin *a;
	struct store_capf_op op;		/* as read */
	char string[STORE_CAPF_STRING_MAX + 2]; /* secret */
	int check_string;
	int busy; /* holds the device's slot in a->est_busy */
	X509 *ca;      /* owned */
	EVP_PKEY *pub; /* owned: from the CSR */
	uint8_t kek_id[8];
	uint8_t *wrapped; /* owned: the CA key record */
	size_t wrapped_len;
	X509 *lsc; /* owned: issued */
	char why[256];
};

static void est_job_free(void *p)
{
	struct est_job *j = p;

	if (!j)
		return;
	X509_free(j->ca);
	X509_free(j->lsc);
	EVP_PKEY_free(j->pub);
	free(j->wrapped);
	OPENSSL_cleanse(j, sizeof *j);
	free(j);
}

static int est_sign(EVP_PKEY *key, void *arg)
{
	struct est_job *j = arg;

	return pki_lsc_issue(j->ca, key, j->pub, j->op.device, 1825, &j->lsc,
			     j->why, sizeof j->why);
}

/* Worker thread: the string check, then the CA signature. */
static int est_work(void *arg)
{
	struct est_job *j = arg;
	int ok;

	if (j->check_string) {
		ok = j->op.auth == STORE_CAPF_AUTH_NULL ||
		     store_capf_auth_check(&j->op, j->string);
		OPENSSL_cleanse(j->string, sizeof j->string);
		if (!ok)
			return 401;
	}
	if (keystore_kek_acquire(j->a->ks, j->kek_id, j->why, sizeof j->why))
		return 500;
	if (keystore_key_use_wrapped(j->a->ks, 0, PKI_ROLE_CA, j->wrapped,
				     j->wrapped_len, est_sign, j, j->why,
				     sizeof j->why) != 0 ||
	    !j->lsc) {
		keystore_kek_release(j->a->ks);
		return 500;
	}
	keystore_kek_release(j->a->ks);
	return 0;
}

#define EST_BUSY_MS 60000

/* Claims the string check of DEVICE: 0, or -1 (one is in progress, or
 * every slot is taken). Admin thread. */
static int est_busy_claim(struct admin *a, const char *device)
{
	uint64_t now = admin_now_ms();
	int free_slot = -1;

	for (int i = 0; i < (int)(sizeof a->est_busy / sizeof *a->est_busy);
	     i++) {
		int live = a->est_busy[i].device[0] &&
			   now - a->est_busy[i].since_ms < EST_BUSY_MS;

		if (live && strcmp(a->est_busy[i].device, device) == 0)
			return -1;
		if (!live && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		return -1;
	snprintf(a->est_busy[free_slot].device,
		 sizeof a->est_busy[free_slot].device, "%s", device);
	a->est_busy[free_slot].since_ms = now;
	return 0;
}

static void est_busy_release(struct admin *a, const char *device)
{
	for (size_t i = 0; i < sizeof a->est_busy / sizeof *a->est_busy; i++)
		if (strcmp(a->est_busy[i].device, device) == 0)
			a->est_busy[i].device[0] = '\0';
}

static void est_fail_written(struct admin_op *op, int rc)
{
	struct est_job *j = op->work;

	if (rc)
		log_info(ADMIN_TAG, "EST: the failed try of %s not counted (%d)",
			 j->op.device, rc);
	est_busy_release(op->a, j->op.device);
	admin_op_error(op, 401, "authentication failed");
}

/* A wrong string for a scheduled device: counted in its operation (and
 * locking it at max_tries), guarded on the record as read. */
static void est_fail_count(struct admin_op *op)
{
	struct est_job *j = op->work;
	struct store_capf_write *w = calloc(1, sizeof *w);

	if (!w) {
		est_fail_written(op, STORE_ENOMEM);
		return;
	}
	w->old = j->op;
	w->next = j->op;
	w->next.failed_tries++;
	if (w->next.failed_tries >= w->next.max_tries) {
		w->next.state = STORE_CAPF_FAILED;
		snprintf(w->next.reason, sizeof w->next.reason,
			 "locked after %u failed authentications",
			 w->next.failed_tries);
	}
	w->next.changed_ms = admin_now_ms();
	snprintf(w->action, sizeof w->action, "capf.auth-failed");
	snprintf(w->detail, sizeof w->detail,
		 "%s from %s over EST: wrong authentication string (%u/%u)",
		 j->op.device, op->peer, w->next.failed_tries,
		 w->next.max_tries);
	admin_capf_write(op, w, est_fail_written);
	free(w);
}

static void est_written(struct admin_op *op, int rc)
{
	struct est_job *j = op->work;

	if (rc) {
		admin_op_fail(op, rc, "recording the LSC");
		return;
	}
	log_info(ADMIN_TAG, "EST: LSC issued to %s", j->op.device);
	est_reply_cert(op, j->lsc);
}

static void est_issued(struct admin_op *op, int rc)
{
	struct est_job *j = op->work;
	struct store_capf_write *w;
	struct pki_cert_info info;
	uint8_t *der = NULL;
	size_t der_len = 0;
	char why[128];

	if (rc == 401 && j->busy) {
		est_fail_count(op); /* releases the device's slot */
		return;
	}
	if (j->busy)
		est_busy_release(op->a, j->op.device);
	j->busy = 0;
	if (rc == ADMIN_WORK_CANCELLED || rc == 500) {
		admin_op_error(op, rc == 500 ? 500 : 503, "%s",
			       rc == 500 ? "issuing failed" : "shutting down");
		return;
	}
	if (rc == 401) {
		admin_fail_count(op, ADMIN_GATE_CAPF, j->op.device,
				 "EST: wrong authentication string");
		admin_op_error(op, 401, "authentication failed");
		return;
	}
	w = calloc(1, sizeof *w);
	if (!w || pki_cert_info(j->lsc, &info, why, sizeof why) != 0 ||
	    pki_cert_to_der(j->lsc, &der, &der_len) != 0) {
		free(w);
		free(der);
		admin_op_error(op, 500, "out of memory");
		return;
	}
	/* The LSC and the outcome in one command, guarded on the operation
	 * as read: proposed here, or by the leader when this node follows
	 * (the client's credentials were checked here). */
	w->old = j->op;
	w->next = j->op;
	w->next.state = STORE_CAPF_DONE;
	snprintf(w->next.serial, sizeof w->next.serial, "%s", info.serial);
	w->next.not_after_s = info.not_after_s;
	w->next.changed_ms = admin_now_ms();
	w->put_lsc = 1;
	snprintf(w->lsc.device, sizeof w->lsc.device, "%s", j->op.device);
	w->lsc.der = der;
	w->lsc.der_len = der_len;
	memcpy(w->lsc.sha256, info.sha256, 32);
	snprintf(w->lsc.serial, sizeof w->lsc.serial, "%s", info.serial);
	w->lsc.not_after_s = info.not_after_s;
	w->lsc.issued_ms = admin_now_ms();
	snprintf(w->action, sizeof w->action, "capf.est-enroll");
	snprintf(w->detail, sizeof w->detail,
		 "%s LSC serial %s issued over EST", j->op.device, info.serial);
	admin_capf_write(op, w, est_written);
	free(der);
	free(w);
}

/* The PKCS#10 of the body (base64 DER), signature checked. */
static X509_REQ *est_csr(struct admin_op *op)
{
	uint8_t *der = malloc(EST_BODY_MAX);
	const uint8_t *p = der;
	X509_REQ *req = NULL;
	long n;

	if (!der || !op->body || op->body_len == 0 ||
	    op->body_len > EST_BODY_MAX * 2) {
		free(der);
		return NULL;
	}
	n = admin_b64_decode_loose(op->body, op->body_len, der, EST_BODY_MAX);
	if (n > 0)
		req = d2i_X509_REQ(NULL, &p, n);
	if (req && (p != der + n ||
		    X509_REQ_verify(req, X509_REQ_get0_pubkey(req)) != 1)) {
		X509_REQ_free(req);
		req = NULL;
	}
	free(der);
	return req;
}

/* HTTP Basic "user:password" of OP's request into USER / PW. 0 or -1. */
static int est_basic(struct admin_op *op, char *user, size_t ucap, char *pw,
		     size_t pcap)
{
	const char *h = evhttp_find_header(
	    evhttp_request_get_input_headers(op->req), "Authorization");
	uint8_t dec[256];
	long n;
	char *colon;

	if (!h || strncasecmp(h, "Basic ", 6) != 0)
		return -1;
	n = admin_b64_decode_loose(h + 6, strlen(h + 6), dec, sizeof dec - 1);
	if (n <= 0)
		return -1;
	dec[n] = '\0';
	colon = strchr((char *)dec, ':');
	if (!colon || (size_t)(colon - (char *)dec) >= ucap ||
	    strlen(colon + 1) >= pcap) {
		OPENSSL_cleanse(dec, sizeof dec);
		return -1;
	}
	*colon = '\0';
	memcpy(user, dec, (size_t)(colon - (char *)dec) + 1);
	memcpy(pw, colon + 1, strlen(colon + 1) + 1);
	OPENSSL_cleanse(dec, sizeof dec);
	return 0;
}

static void est_enroll(struct admin_op *op, int re)
{
	struct est_job *j = calloc(1, sizeof *j);
	struct store_cluster cl;
	struct store_key key;
	struct store_device_lsc lsc;
	struct store_read *r = NULL;
	char user[STORE_NAME_MAX] = "", cn[STORE_NAME_MAX] = "", why[128];
	X509_REQ *req = est_csr(op);
	uint8_t fp[32];
	int status = 0;

	if (!j || !req) {
		X509_REQ_free(req);
		free(j);
		admin_op_error(op, 400,
			       "the body must be a base64 PKCS#10 "
			       "request with a valid signature");
		return;
	}
	j->a = op->a;
	if (X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req),
				      NID_commonName, cn, sizeof cn) <= 0)
		status = 400;
	if (!status && !re &&
	    (est_basic(op, user, sizeof user, j->string, sizeof j->string) ||
	     strcmp(user, cn) != 0))
		status = 401;
	if (!status && re && admin_tls_peer_fp(op->req, fp) != 0)
		status = 401;
	if (!status && admin_op_read_begin(op, &r) != 0) {
		X509_REQ_free(req);
		est_job_free(j);
		return;
	}
	if (!status && (store_capf_op_get(r, cn, &j->op) != STORE_OK ||
			!store_capf_op_open(&j->op, admin_now_ms()) ||
			j->op.op != STORE_CAPF_OP_INSTALL))
		status = 403; /* unknown or nothing scheduled: no write */
	if (!status && !re && j->op.auth != STORE_CAPF_AUTH_STRING &&
	    j->op.auth != STORE_CAPF_AUTH_NULL)
		status = 403;
	if (!status && re &&
	    ((j->op.auth != STORE_CAPF_AUTH_EXISTING_LSC &&
	      j->op.auth != STORE_CAPF_AUTH_EXISTING_MIC) ||
	     store_device_lsc_get(r, cn, &lsc) != STORE_OK ||
	     CRYPTO_memcmp(lsc.sha256, fp, 32) != 0))
		status = 403;
	if (!status) {
		j->pub = X509_REQ_get_pubkey(req);
		if (!j->pub ||
		    (j->op.key_type == STORE_CAPF_KEY_EC
			 ? !EVP_PKEY_is_a(j->pub, "EC") ||
			       EVP_PKEY_get_bits(j->pub) != (int)j->op.key_bits
			 : !EVP_PKEY_is_a(j->pub, "RSA") ||
			       EVP_PKEY_get_bits(j->pub) !=
				   (int)j->op.key_bits))
			status = 400;
	}
	if (!status) {
		j->ca = ca_from_store(r);
		if (!j->ca || store_cluster_get(r, &cl) != STORE_OK ||
		    store_key_get(r, 0, STORE_CERT_CA, &key) != STORE_OK ||
		    !(j->wrapped = malloc(key.wrapped_len)))
			status = 500;
		else {
			memcpy(j->kek_id, cl.kek_id, sizeof j->kek_id);
			memcpy(j->wrapped, key.wrapped, key.wrapped_len);
			j->wrapped_len = key.wrapped_len;
		}
	}
	if (r)
		store_read_end(r);
	X509_REQ_free(req);
	if (status) {
		snprintf(why, sizeof why, "%s",
			 status == 400	 ? "not the key asked for, or no CN"
			 : status == 401 ? "authentication required"
			 : status == 403 ? "nothing to enrol for this device "
					   "by this authentication"
					 : "the cluster CA is not usable");
		if (status == 401 || status == 403)
			admin_fail_count(op, ADMIN_GATE_CAPF, cn, why);
		est_job_free(j);
		admin_op_error(op, status, "%s", why);
		return;
	}
	j->check_string = !re;
	if (j->check_string && j->op.auth == STORE_CAPF_AUTH_STRING) {
		unsigned wait =
		    admin_gate_take(op->a->gate, op->addr, admin_now_ms());
		char secs[16];

		if (wait || est_busy_claim(op->a, j->op.device) != 0) {
			snprintf(secs, sizeof secs, "%u", wait ? wait : 1);
			evhttp_add_header(
			    evhttp_request_get_output_headers(op->req),
			    "Retry-After", secs);
			est_job_free(j);
			admin_op_error(op, wait ? 429 : 503, "%s",
				       wait ? "too many tries from this "
					      "address: retry later"
					    : "another enrolment of this "
					      "device is being checked: retry");
			return;
		}
		j->busy = 1;
	}
	admin_op_work_set(op, j, est_job_free);
	if (admin_op_work(op, op->a->work, est_work, est_issued) != 0) {
		if (j->busy)
			est_busy_release(op->a, j->op.device);
		admin_op_error(op, 503, "busy: try again");
	}
}

void admin_route_est_simpleenroll(struct admin_op *op)
{
	est_enroll(op, 0);
}

void admin_route_est_simplereenroll(struct admin_op *op)
{
	est_enroll(op, 1);
}
