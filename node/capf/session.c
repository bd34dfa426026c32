/* session: the CAPF protocol steps of one phone's session (capf.h) —
 * authentication by the mode its operation names, then install (key
 * generate, issue, store), troubleshoot (fetch) or delete, and the one
 * Raft command that records the outcome before the phone hears "done".
 *
 * Writes happen only for a device that has an open operation: the step
 * to "in progress", a failed authentication (the counter that locks it),
 * the outcome. Unknown devices and devices with nothing scheduled are
 * counted in memory only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509_vfy.h>

#include "common/log.h"
#include "keystore/keystore.h"
#include "node/capf/capf_int.h"
#include "pki/lsc.h"
#include "pki/pki.h"

/* ---- writes ------------------------------------------------------------- */

static void send_simple(struct capf_session *s, uint8_t cmd, int cert_type);

/* Adds the MIC the session saw (s->mic) to W unless it is the one on
 * record: a replicated write only when it changes. Once: s->mic is
 * dropped (a write that fails leaves it to the phone's next session).
 * *DER receives the DER W borrows (the caller frees it). */
static void put_seen_mic(struct capf_session *s, struct store_capf_write *w,
			 uint8_t **der)
{
	struct store_device_lsc old;
	struct pki_cert_info info;
	struct store_read *r;
	size_t der_len = 0;
	char why[64];
	int same;

	*der = NULL;
	if (!s->mic)
		return;
	if (pki_cert_info(s->mic, &info, why, sizeof why) != 0 ||
	    pki_cert_to_der(s->mic, der, &der_len) != 0 ||
	    store_read_begin(s->c->store, &r) != 0)
		goto out; /* not recorded; the operation goes on */
	same = store_device_mic_get(r, s->device, &old) == STORE_OK &&
	       CRYPTO_memcmp(old.sha256, info.sha256, 32) == 0;
	store_read_end(r);
	if (!same) {
		w->put_mic = 1;
		snprintf(w->mic.device, sizeof w->mic.device, "%s", s->device);
		w->mic.der = *der;
		w->mic.der_len = der_len;
		memcpy(w->mic.sha256, info.sha256, 32);
		snprintf(w->mic.serial, sizeof w->mic.serial, "%s",
			 info.serial);
		w->mic.not_after_s = info.not_after_s;
		w->mic.issued_ms = capf_now_ms();
	}
out:
	X509_free(s->mic);
	s->mic = NULL;
}

/* Records NEXT (guarded on what this session last wrote or read), with an
 * audit record ACTION / DETAIL, and the device's LSC put (PUT_LSC) or
 * deleted (DEL_LSC). WAIT: the session waits for the result (step
 * COMMIT). A follower hands the write to the leader and always waits: its
 * next write is guarded on this one, which must land first; the phone is
 * told "request in progress" meanwhile. 0, or -1 (nothing proposed). */
static int session_write(struct capf_session *s, struct store_capf_op *next,
			 const char *action, const char *detail,
			 const struct store_device_lsc *put_lsc, int del_lsc,
			 int wait)
{
	struct store_capf_write w;
	uint8_t *mic_der = NULL;
	int relayed, rc;

	memset(&w, 0, sizeof w);
	w.old = s->have_progress ? s->progress : s->op;
	next->changed_ms = capf_now_ms();
	w.next = *next;
	if (put_lsc) {
		w.put_lsc = 1;
		w.lsc = *put_lsc;
	}
	w.del_lsc = del_lsc;
	snprintf(w.action, sizeof w.action, "%s", action);
	snprintf(w.detail, sizeof w.detail, "%s", detail);
	if (!s->failing)
		put_seen_mic(s, &w, &mic_der);
	rc = capf_write(s, &w, &relayed);
	free(mic_der);
	if (rc != 0)
		return -1;
	s->progress = *next;
	s->have_progress = 1;
	if (relayed) {
		s->starting = !wait;
		send_simple(s, CAPF_CMD_IN_PROGRESS, -1);
		if (s->step == CAPF_S_CLOSING)
			return 0; /* the send failed: ended */
	}
	if (wait || relayed)
		s->step = CAPF_S_COMMIT;
	return 0;
}

/* ---- messages out ------------------------------------------------------- */

static void send_simple(struct capf_session *s, uint8_t cmd, int cert_type)
{
	struct capf_build b;
	size_t len;

	capf_build_begin(&b, s->out, sizeof s->out, cmd, s->wire_id);
	if (cert_type >= 0)
		capf_build_u8(&b, CAPF_TAG_CERT_TYPE, (uint8_t)cert_type);
	if (capf_build_end(&b, &len) != 0 || capf_send(s, len) != 0)
		capf_end(s, CAPF_REASON_INVALID_ELEMENT, "send failed");
}

/* The auth type element for an operation's mode. */
static uint8_t auth_type_of(uint32_t auth)
{
	switch (auth) {
	case STORE_CAPF_AUTH_STRING:
		return CAPF_AUTH_PASSWORD;
	case STORE_CAPF_AUTH_NULL:
		return CAPF_AUTH_NO_PASSWORD;
	case STORE_CAPF_AUTH_EXISTING_LSC:
		return CAPF_AUTH_LSC;
	case STORE_CAPF_AUTH_EXISTING_MIC:
		return CAPF_AUTH_MIC;
	default:
		return CAPF_AUTH_NONE;
	}
}

static void send_auth_request(struct capf_session *s, uint8_t type)
{
	struct capf_build b;
	size_t len;

	capf_build_begin(&b, s->out, sizeof s->out, CAPF_CMD_AUTH_REQ,
			 s->wire_id);
	capf_build_u8(&b, CAPF_TAG_VERSION, CAPF_VERSION);
	capf_build_u8(&b, CAPF_TAG_AUTH_TYPE, type);
	s->auth_type = type;
	s->step = CAPF_S_AUTH;
	if (capf_build_end(&b, &len) != 0 || capf_send(s, len) != 0)
		capf_end(s, CAPF_REASON_INVALID_ELEMENT, "send failed");
}

/* The auth type of the open operation of the device S's certificate
 * named in the handshake, or none: the phone then answers in the mode it
 * is configured for, and is asked again with its operation's type if that
 * does not fit (on_auth_response). A read, never a write. */
void capf_session_begin(struct capf_session *s)
{
	struct store_capf_op op;
	struct store_read *r;
	uint8_t type = CAPF_AUTH_NONE;

	if (s->hint[0] && store_phone_name_valid(s->hint) &&
	    store_read_begin(s->c->store, &r) == 0) {
		if (store_capf_op_get(r, s->hint, &op) == STORE_OK &&
		    store_capf_op_open(&op, capf_now_ms()))
			type = auth_type_of(op.auth);
		store_read_end(r);
	}
	send_auth_request(s, type);
}

/* 1 if the auth response M brings what S's operation authenticates by. */
static int auth_material_fits(const struct capf_session *s,
			      const struct capf_msg *m)
{
	switch (s->op.auth) {
	case STORE_CAPF_AUTH_STRING:
		return capf_msg_find(m, CAPF_TAG_PASSWORD) != NULL;
	case STORE_CAPF_AUTH_NULL:
		return 1;
	default:
		return capf_msg_find(m, CAPF_TAG_CERT) != NULL;
	}
}

/* ---- authentication ----------------------------------------------------- */

static int mic_root_add(void *arg, const struct store_trust *t)
{
	const uint8_t *p = t->der;
	X509 *x;

	if (t->category != STORE_TRUST_MIC_ROOT)
		return 0;
	x = d2i_X509(NULL, &p, (long)t->der_len);
	if (x)
		X509_STORE_add_cert(arg, x);
	X509_free(x);
	return 0;
}

/* Checks the certificate mode: CERT of TYPE presented, signatures over it.
 * LSC: exactly the one on record (which chains to the cluster CA); MIC:
 * chains to a mic-root trust entry. LSC precedence refuses a MIC while an
 * LSC is on record. 0 or -1 with WHY. */
static int auth_by_cert(struct capf_session *s, const struct capf_msg *m,
			struct store_read *r, char *why, size_t whycap)
{
	const struct capf_elem *ce = capf_msg_find(m, CAPF_TAG_CERT),
			       *s1 = capf_msg_find(m, CAPF_TAG_SIGNED_DATA),
			       *s2 = capf_msg_find(m, CAPF_TAG_SHA2_SIGNED);
	struct store_device_lsc lsc;
	const uint8_t *der, *sig512;
	size_t der_len, sig512_len;
	uint8_t type, digest, fp[32];
	X509 *cert = NULL;
	X509_STORE *trust = NULL;
	int have_lsc, rc = -1;

	if (!ce ||
	    capf_cert_elem_parse(ce->val, ce->len, &type, &der, &der_len) !=
		0 ||
	    (type != CAPF_CERT_LSC && type != CAPF_CERT_MIC)) {
		snprintf(why, whycap, "no usable certificate element");
		return -1;
	}
	if (!s2 ||
	    capf_sha2_sig_parse(s2->val, s2->len, &digest, &sig512,
				&sig512_len) != 0 ||
	    digest != CAPF_DIGEST_SHA512 || !s1) {
		snprintf(why, whycap, "signed data missing or malformed");
		return -1;
	}
	if (pki_cert_parse(der, der_len, &cert, why, whycap) != 0)
		return -1;
	have_lsc = store_device_lsc_get(r, s->device, &lsc) == STORE_OK;
	EVP_Digest(der, der_len, fp, NULL, EVP_sha256(), NULL);
	if (type == CAPF_CERT_LSC) {
		if (!have_lsc || CRYPTO_memcmp(fp, lsc.sha256, 32) != 0) {
			snprintf(why, whycap, "not the LSC on record");
			goto out;
		}
		if (pki_trust_new(&s->c->ca, 1, &trust) != 0)
			goto out;
	} else {
		if (s->op.auth == STORE_CAPF_AUTH_EXISTING_LSC && have_lsc) {
			snprintf(why, whycap,
				 "LSC precedence: the LSC on record is due");
			goto out;
		}
		if (!(trust = X509_STORE_new()))
			goto out;
		store_trust_each(r, mic_root_add, trust);
	}
	if (pki_verify(trust, cert, NULL, 0, why, whycap) != 0)
		goto out;
	if (pki_lsc_auth_sig_verify(cert, s->device, s1->val, s1->len, sig512,
				    sig512_len, why, whycap) != 0)
		goto out;
	if (type == CAPF_CERT_MIC && !s->mic && X509_up_ref(cert))
		s->mic = cert;
	rc = 0;
out:
	X509_STORE_free(trust);
	X509_free(cert);
	return rc;
}

static void auth_failed(struct capf_session *s, const char *why)
{
	struct store_capf_op next = s->op;
	char detail[STORE_TEXT_MAX];

	CAPF_COUNT(s->c, auth_failed);
	next.failed_tries++;
	if (next.failed_tries >= next.max_tries) {
		next.state = STORE_CAPF_FAILED;
		snprintf(next.reason, sizeof next.reason,
			 "locked after %u failed authentications",
			 next.failed_tries);
	}
	snprintf(detail, sizeof detail, "%s from %s: %s (%u/%u)", s->device,
		 s->peer, why, next.failed_tries, next.max_tries);
	log_info(CAPF_TAG, "authentication failed: %s", detail);
	/* Counted in the record (a scheduled device only, at most
	 * max_tries times), and waited for: the next try reads it. */
	s->failing = 1;
	if (session_write(s, &next, "capf.auth-failed", detail, NULL, 0, 1))
		capf_end(s, CAPF_REASON_INVALID_ELEMENT,
			 "authentication failed");
}

static void start_operation(struct capf_session *s);

/* 1 if another live session of S's device has written its record or has
 * its string being checked. */
static int device_busy(const struct capf_session *s)
{
	for (const struct capf_session *o = s->c->sessions; o; o = o->next)
		if (o != s &&
		    (o->have_progress || o->step == CAPF_S_CHECKING) &&
		    strcmp(o->device, s->device) == 0)
			return 1;
	return 0;
}

static void on_auth_response(struct capf_session *s, const struct capf_msg *m)
{
	struct store_device dev;
	struct store_read *r;
	char pw[STORE_CAPF_STRING_MAX + 2] = "", why[256] = "";
	uint64_t now = capf_now_ms();
	int rc, ok;

	if (m->cmd != CAPF_CMD_AUTH_RESP ||
	    capf_msg_get_str(m, CAPF_TAG_DEVICE_NAME, s->device,
			     sizeof s->device) != 0) {
		s->device[0] = '\0';
		CAPF_FAIL(s, malformed, "no auth response with a device name");
		capf_end(s, CAPF_REASON_INVALID_ELEMENT,
			 "an auth response with a device name was due");
		return;
	}
	if (store_read_begin(s->c->store, &r) != 0) {
		capf_end(s, CAPF_REASON_NO_ACTION, "try again later");
		return;
	}
	if (!store_phone_name_valid(s->device) ||
	    store_device_get(r, s->device, &dev) != STORE_OK ||
	    dev.kind != STORE_DEVICE_PHONE) {
		store_read_end(r);
		CAPF_FAIL(s, unknown_device, "unknown device");
		capf_end(s, CAPF_REASON_UNKNOWN_DEVICE, NULL);
		return;
	}
	rc = store_capf_op_get(r, s->device, &s->op);
	if (rc == STORE_OK && device_busy(s)) {
		/* Another session of this device wrote (or is writing) the
		 * record: its outcome, a failed try among them, must land
		 * before this one reads it, or parallel guesses would each
		 * see the same count. */
		store_read_end(r);
		capf_retry_later(s);
		return;
	}
	if (rc != STORE_OK || !store_capf_op_open(&s->op, now)) {
		const char *info =
		    rc != STORE_OK ? NULL
		    : store_capf_op_state_at(&s->op, now) == STORE_CAPF_EXPIRED
			? "operation expired"
		    : s->op.failed_tries >= s->op.max_tries ? "locked"
							    : NULL;

		store_read_end(r);
		CAPF_FAIL(s, nothing_scheduled,
			  info ? info : "nothing scheduled");
		capf_end(s, CAPF_REASON_NO_ACTION, info);
		return;
	}
	if (!auth_material_fits(s, m) && !s->asked_again &&
	    s->auth_type != auth_type_of(s->op.auth)) {
		/* Configured for another mode than its operation's: asked
		 * once more, now naming the operation's (no write). */
		store_read_end(r);
		s->asked_again = 1;
		send_auth_request(s, auth_type_of(s->op.auth));
		return;
	}
	switch (s->op.auth) {
	case STORE_CAPF_AUTH_STRING:
		store_read_end(r);
		if (capf_msg_get_str(m, CAPF_TAG_PASSWORD, pw, sizeof pw) !=
			0 ||
		    !store_capf_string_valid(pw)) {
			OPENSSL_cleanse(pw, sizeof pw);
			auth_failed(s,
				    "wrong or missing authentication string");
			return;
		}
		/* scrypt takes tens of ms: the checker thread does it. */
		s->step = CAPF_S_CHECKING;
		if (capf_check_submit(s, pw) != 0)
			capf_retry_later(s);
		OPENSSL_cleanse(pw, sizeof pw);
		return;
	case STORE_CAPF_AUTH_NULL:
		ok = 1;
		break;
	default:
		ok = auth_by_cert(s, m, r, why, sizeof why) == 0;
		break;
	}
	store_read_end(r);
	if (!ok) {
		auth_failed(s, why);
		return;
	}
	start_operation(s);
}

void capf_session_checked(struct capf_session *s, int ok)
{
	s->step = CAPF_S_AUTH;
	if (!ok) {
		auth_failed(s, "wrong or missing authentication string");
		return;
	}
	start_operation(s);
}

/* ---- operations --------------------------------------------------------- */

static void send_operation(struct capf_session *s);

static void start_operation(struct capf_session *s)
{
	struct store_capf_op next = s->op;
	char detail[STORE_TEXT_MAX];

	next.state = STORE_CAPF_IN_PROGRESS;
	snprintf(detail, sizeof detail, "%s %s from %s", s->device,
		 store_capf_opkind_name(s->op.op), s->peer);
	if (session_write(s, &next, "capf.start", detail, NULL, 0, 0) != 0) {
		capf_retry_later(s);
		return;
	}
	/* Relayed: the request follows once the leader committed it. */
	if (s->step != CAPF_S_COMMIT && s->step != CAPF_S_CLOSING)
		send_operation(s);
}

/* The operation's first request to the phone. */
static void send_operation(struct capf_session *s)
{
	struct capf_build b;
	size_t len;

	switch (s->op.op) {
	case STORE_CAPF_OP_INSTALL:
		capf_build_begin(&b, s->out, sizeof s->out, CAPF_CMD_KEYGEN_REQ,
				 s->wire_id);
		if (s->op.key_type == STORE_CAPF_KEY_EC) {
			capf_build_u8(&b, CAPF_TAG_KEY_TYPE, CAPF_KEY_EC);
			capf_build_u8(&b, CAPF_TAG_CURVE,
				      s->op.key_bits == 256 ? CAPF_CURVE_P256
							    : CAPF_CURVE_P384);
		} else {
			capf_build_u8(&b, CAPF_TAG_KEY_TYPE, CAPF_KEY_RSA);
			capf_build_u16(&b, CAPF_TAG_KEY_SIZE,
				       (uint16_t)s->op.key_bits);
		}
		s->step = CAPF_S_KEYGEN;
		if (capf_build_end(&b, &len) != 0 || capf_send(s, len) != 0)
			capf_end(s, CAPF_REASON_INVALID_ELEMENT, "send failed");
		break;
	case STORE_CAPF_OP_DELETE:
		s->step = CAPF_S_DELETE;
		send_simple(s, CAPF_CMD_DELETE_CERT_REQ, CAPF_CERT_LSC);
		break;
	default:
		s->step = CAPF_S_FETCH_LSC;
		send_simple(s, CAPF_CMD_FETCH_CERT_REQ, CAPF_CERT_LSC);
		break;
	}
}

struct sign_job {
	X509 *ca;
	EVP_PKEY *pub;
	const char *device;
	unsigned days;
	X509 *out;
	char why[128];
};

static int sign_with_ca(EVP_PKEY *key, void *arg)
{
	struct sign_job *j = arg;

	return pki_lsc_issue(j->ca, key, j->pub, j->device, j->days, &j->out,
			     j->why, sizeof j->why);
}

/* The cluster CA key, held by the keystore once the first LSC is issued
 * (unwrapping it for each issuance costs more than the signature), and
 * checked against the CA certificate the role issues under. */
static int issue_lsc(struct capf_session *s, EVP_PKEY *pub, char *why,
		     size_t whycap)
{
	struct sign_job j = {.ca = s->c->ca,
			     .pub = pub,
			     .device = s->device,
			     .days = s->c->cfg.lsc_days};
	struct store_cluster cl;
	struct store_key key;
	struct store_read *r;
	int rc = -1;

	if (keystore_key_held(s->c->ks, 0, PKI_ROLE_CA) &&
	    keystore_key_matches(s->c->ks, 0, PKI_ROLE_CA, s->c->ca) ==
		KEYSTORE_OK) {
		if (keystore_key_use(s->c->ks, 0, PKI_ROLE_CA, sign_with_ca,
				     &j) == 0 &&
		    j.out) {
			s->lsc = j.out;
			return 0;
		}
		snprintf(why, whycap, "%s",
			 j.why[0] ? j.why : "signing failed");
		return -1;
	}
	if (store_read_begin(s->c->store, &r) != 0) {
		snprintf(why, whycap, "store unreadable");
		return -1;
	}
	if (store_cluster_get(r, &cl) != STORE_OK ||
	    store_key_get(r, 0, STORE_CERT_CA, &key) != STORE_OK) {
		store_read_end(r);
		snprintf(why, whycap, "the cluster CA key is not in the store");
		return -1;
	}
	if (keystore_kek_acquire(s->c->ks, cl.kek_id, why, whycap) == 0) {
		rc = keystore_key_load(s->c->ks, 0, PKI_ROLE_CA, key.wrapped,
				       key.wrapped_len, why, whycap);
		keystore_kek_release(s->c->ks);
	}
	store_read_end(r);
	if (rc != 0)
		return -1;
	if (keystore_key_matches(s->c->ks, 0, PKI_ROLE_CA, s->c->ca) !=
	    KEYSTORE_OK) {
		keystore_key_drop(s->c->ks, 0, PKI_ROLE_CA);
		snprintf(why, whycap, "the CA key is not the CA certificate's");
		return -1;
	}
	return issue_lsc(s, pub, why, whycap);
}

static void on_keygen_response(struct capf_session *s, const struct capf_msg *m)
{
	const struct capf_elem *pk = capf_msg_find(m, CAPF_TAG_PUBLIC_KEY);
	EVP_PKEY *pub = NULL;
	char why[256];
	struct capf_build b;
	uint8_t *der = NULL;
	size_t der_len = 0, len;

	if (!pk ||
	    pki_lsc_pubkey_check(pk->val, pk->len, s->op.key_type,
				 s->op.key_bits, &pub, why, sizeof why) != 0) {
		CAPF_FAIL(s, malformed,
			  pk ? "unusable public key" : "no public key");
		capf_end(s, CAPF_REASON_INVALID_ELEMENT,
			 pk ? why : "no public key");
		return;
	}
	if (issue_lsc(s, pub, why, sizeof why) != 0) {
		EVP_PKEY_free(pub);
		log_warn(CAPF_TAG, "LSC for %s not issued: %s", s->device, why);
		capf_retry_later(s);
		return;
	}
	EVP_PKEY_free(pub);
	if (pki_cert_to_der(s->lsc, &der, &der_len) != 0) {
		capf_retry_later(s);
		return;
	}
	capf_build_begin(&b, s->out, sizeof s->out, CAPF_CMD_STORE_CERT_REQ,
			 s->wire_id);
	capf_build_u8(&b, CAPF_TAG_CERT_TYPE, CAPF_CERT_LSC);
	capf_build_cert(&b, CAPF_CERT_LSC, der, der_len);
	free(der);
	s->step = CAPF_S_STORE;
	if (capf_build_end(&b, &len) != 0 || capf_send(s, len) != 0)
		capf_end(s, CAPF_REASON_INVALID_ELEMENT, "send failed");
}

/* The outcome: the operation done (and the LSC put or deleted) in one
 * command; the phone hears end session {1} once it is committed. */
static void finish(struct capf_session *s)
{
	struct store_capf_op next = s->progress;
	struct store_device_lsc lsc;
	struct pki_cert_info info;
	uint8_t *der = NULL;
	size_t der_len = 0;
	char detail[STORE_TEXT_MAX], why[128];
	int put = 0, rc;

	next.state = STORE_CAPF_DONE;
	next.reason[0] = '\0';
	if (s->op.op == STORE_CAPF_OP_INSTALL) {
		if (pki_cert_info(s->lsc, &info, why, sizeof why) != 0 ||
		    pki_cert_to_der(s->lsc, &der, &der_len) != 0) {
			capf_retry_later(s);
			return;
		}
		memset(&lsc, 0, sizeof lsc);
		snprintf(lsc.device, sizeof lsc.device, "%s", s->device);
		lsc.der = der;
		lsc.der_len = der_len;
		memcpy(lsc.sha256, info.sha256, 32);
		snprintf(lsc.serial, sizeof lsc.serial, "%s", info.serial);
		lsc.not_after_s = info.not_after_s;
		lsc.issued_ms = capf_now_ms();
		snprintf(next.serial, sizeof next.serial, "%s", info.serial);
		next.not_after_s = info.not_after_s;
		put = 1;
		snprintf(detail, sizeof detail, "%s LSC serial %s issued",
			 s->device, info.serial);
	} else if (s->op.op == STORE_CAPF_OP_DELETE) {
		snprintf(detail, sizeof detail, "%s LSC deleted", s->device);
	} else {
		snprintf(next.result, sizeof next.result, "%s", s->result);
		snprintf(detail, sizeof detail, "%s troubleshoot: %s",
			 s->device, s->result);
	}
	rc = session_write(s, &next,
			   s->op.op == STORE_CAPF_OP_INSTALL  ? "capf.install"
			   : s->op.op == STORE_CAPF_OP_DELETE ? "capf.delete"
							      : "capf.fetch",
			   detail, put ? &lsc : NULL,
			   s->op.op == STORE_CAPF_OP_DELETE, 1);
	free(der);
	if (rc != 0)
		capf_retry_later(s);
}

/* Keeps a fetched MIC X (borrowed) when it chains to a mic-root trust
 * entry: the phone authenticated, the MIC must still be a maker's. */
static void keep_fetched_mic(struct capf_session *s, X509 *x)
{
	X509_STORE *trust = X509_STORE_new();
	struct store_read *r;
	char why[64];

	if (!trust || s->mic || store_read_begin(s->c->store, &r) != 0) {
		X509_STORE_free(trust);
		return;
	}
	store_trust_each(r, mic_root_add, trust);
	store_read_end(r);
	if (pki_verify(trust, x, NULL, 0, why, sizeof why) == 0 &&
	    X509_up_ref(x))
		s->mic = x;
	X509_STORE_free(trust);
}

/* Adds what a fetched certificate is to s->result. */
static void note_fetched(struct capf_session *s, const char *what,
			 const struct capf_msg *m)
{
	const struct capf_elem *ce = capf_msg_find(m, CAPF_TAG_CERT);
	const uint8_t *der;
	size_t der_len, n = strlen(s->result);
	uint8_t type;
	X509 *x = NULL;
	struct pki_cert_info info;
	char why[64];

	if (ce &&
	    capf_cert_elem_parse(ce->val, ce->len, &type, &der, &der_len) ==
		0 &&
	    pki_cert_parse(der, der_len, &x, why, sizeof why) == 0 &&
	    pki_cert_info(x, &info, why, sizeof why) == 0) {
		snprintf(s->result + n, sizeof s->result - n,
			 "%s%s serial %s expires %llu", n ? "; " : "", what,
			 info.serial, (unsigned long long)info.not_after_s);
		if (type == CAPF_CERT_MIC && strcmp(what, "MIC") == 0)
			keep_fetched_mic(s, x);
	} else
		snprintf(s->result + n, sizeof s->result - n, "%s%s none",
			 n ? "; " : "", what);
	X509_free(x);
}

void capf_session_on_msg(struct capf_session *s, const struct capf_msg *m)
{
	uint8_t reason = 0;

	if (m->cmd == CAPF_CMD_END_SESSION || m->cmd == CAPF_CMD_ABORT_REQ) {
		capf_end(s, CAPF_REASON_NO_ACTION, "ended by the phone");
		return;
	}
	if (m->cmd == CAPF_CMD_IN_PROGRESS && s->step != CAPF_S_AUTH) {
		if (++s->in_progress > CAPF_IN_PROGRESS_MAX)
			capf_end(s, CAPF_REASON_INVALID_ELEMENT,
				 "too many in-progress messages");
		return;
	}
	switch (s->step) {
	case CAPF_S_AUTH:
		on_auth_response(s, m);
		return;
	case CAPF_S_KEYGEN:
		if (m->cmd != CAPF_CMD_KEYGEN_RESP)
			break;
		on_keygen_response(s, m);
		return;
	case CAPF_S_STORE:
		if (m->cmd != CAPF_CMD_STORE_CERT_RESP)
			break;
		(void)capf_msg_get_u8(m, CAPF_TAG_REASON, &reason);
		if (reason == CAPF_REASON_INVALID_ELEMENT) {
			capf_end(s, CAPF_REASON_NO_ACTION,
				 "the phone did not store the LSC");
			return;
		}
		finish(s);
		return;
	case CAPF_S_DELETE:
		if (m->cmd != CAPF_CMD_DELETE_CERT_RESP)
			break;
		finish(s);
		return;
	case CAPF_S_FETCH_LSC:
		if (m->cmd != CAPF_CMD_FETCH_CERT_RESP)
			break;
		note_fetched(s, "LSC", m);
		s->step = CAPF_S_FETCH_MIC;
		send_simple(s, CAPF_CMD_FETCH_CERT_REQ, CAPF_CERT_MIC);
		return;
	case CAPF_S_FETCH_MIC:
		if (m->cmd != CAPF_CMD_FETCH_CERT_RESP)
			break;
		note_fetched(s, "MIC", m);
		finish(s);
		return;
	default:
		return;
	}
	CAPF_FAIL(s, malformed, "unexpected message");
	capf_end(s, CAPF_REASON_INVALID_ELEMENT, "unexpected message");
}

void capf_session_committed(struct capf_session *s, int rc)
{
	if (s->starting) {
		s->starting = 0;
		if (rc != 0) {
			log_info(CAPF_TAG, "start of %s not recorded (%d)",
				 s->device, rc);
			capf_retry_later(s);
			return;
		}
		send_operation(s);
		return;
	}
	if (s->failing) {
		capf_end(s, CAPF_REASON_INVALID_ELEMENT,
			 "authentication failed");
		return;
	}
	if (rc != 0) {
		log_warn(CAPF_TAG, "outcome for %s not recorded (%d)",
			 s->device, rc);
		capf_end(s, CAPF_REASON_NO_ACTION, "not recorded: retry");
		return;
	}
	if (s->op.op == STORE_CAPF_OP_INSTALL)
		CAPF_COUNT(s->c, issued);
	else if (s->op.op == STORE_CAPF_OP_DELETE)
		CAPF_COUNT(s->c, deleted);
	else
		CAPF_COUNT(s->c, fetched);
	log_info(CAPF_TAG, "%s: %s done", s->device,
		 store_capf_opkind_name(s->op.op));
	capf_end(s, CAPF_REASON_UPDATE_CERT, NULL);
}
