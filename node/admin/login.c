/* login: who is calling. Basic credentials are checked against the admins
 * table with scrypt, then remembered for a minute under an HMAC so that a
 * client's next calls cost a hash, not a KDF. Failures are audited through
 * Raft, at a bounded rate. */
#include "node/admin/admin_int.h"

#include <stdio.h>
#include <string.h>

#include <event2/event.h>
#include <event2/http.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/log.h"

static void fail_summary(evutil_socket_t fd, short what, void *arg);

void admin_login_init(struct admin *a)
{
	if (RAND_bytes(a->cred_key, sizeof a->cred_key) != 1)
		/* Without a key the cache would be guessable: keep it empty
		 * by never matching (expires 0). */
		memset(a->creds, 0, sizeof a->creds);
	a->fail_tokens = ADMIN_FAIL_RATE;
	a->fail_last_ms = admin_now_ms();
	a->ev_fail_summary = evtimer_new(a->base, fail_summary, a);
}

void admin_login_fini(struct admin *a)
{
	if (a->ev_fail_summary)
		event_free(a->ev_fail_summary);
	a->ev_fail_summary = NULL;
	OPENSSL_cleanse(a->creds, sizeof a->creds);
	OPENSSL_cleanse(a->cred_key, sizeof a->cred_key);
}

void admin_creds_clear(struct admin *a)
{
	OPENSSL_cleanse(a->creds, sizeof a->creds);
}

static int cred_mac(struct admin *a, const char *user, const char *pw,
		    size_t len, uint8_t mac[32])
{
	uint8_t buf[ADMIN_NAME_MAX + 1 + ADMIN_PASSWORD_MAX];
	size_t ulen = strlen(user), n = 0;
	int ok;

	memcpy(buf, user, ulen);
	buf[ulen] = '\0'; /* names hold no NUL: (user, pw) is unambiguous */
	memcpy(buf + ulen + 1, pw, len);
	ok = EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, a->cred_key,
		       sizeof a->cred_key, buf, ulen + 1 + len, mac, 32,
		       &n) != NULL &&
	     n == 32;
	OPENSSL_cleanse(buf, sizeof buf);
	return ok ? 0 : -1;
}

static int cred_lookup(struct admin *a, const uint8_t mac[32],
		       const struct store_admin *rec, uint64_t now)
{
	for (int i = 0; i < ADMIN_CRED_SLOTS; i++) {
		struct admin_cred *c = &a->creds[i];

		if (c->expires_ms <= now)
			continue;
		if (CRYPTO_memcmp(c->mac, mac, 32) != 0)
			continue;
		/* A new password or a re-created admin changes the hash. */
		if (CRYPTO_memcmp(c->hash, rec->hash, 32) != 0) {
			OPENSSL_cleanse(c, sizeof *c);
			return -1;
		}
		return 0;
	}
	return -1;
}

static void cred_insert(struct admin *a, const uint8_t mac[32],
			const struct store_admin *rec, uint64_t now)
{
	struct admin_cred *victim = &a->creds[0];

	for (int i = 0; i < ADMIN_CRED_SLOTS; i++)
		if (a->creds[i].expires_ms < victim->expires_ms)
			victim = &a->creds[i];
	memcpy(victim->mac, mac, 32);
	memcpy(victim->hash, rec->hash, 32);
	victim->expires_ms = now + ADMIN_CRED_TTL_MS;
}

/* Token bucket of ADMIN_FAIL_RATE per second; 1 if this one may go. */
static int fail_take(struct admin *a)
{
	uint64_t now = admin_now_ms();
	struct timeval tv = {ADMIN_FAIL_SUMMARY_S, 0};

	a->fail_tokens +=
	    (double)(now - a->fail_last_ms) * ADMIN_FAIL_RATE / 1000.0;
	if (a->fail_tokens > ADMIN_FAIL_RATE)
		a->fail_tokens = ADMIN_FAIL_RATE;
	a->fail_last_ms = now;
	if (a->fail_tokens >= 1.0) {
		a->fail_tokens -= 1.0;
		return 1;
	}
	if (a->fail_suppressed++ == 0 && a->ev_fail_summary)
		evtimer_add(a->ev_fail_summary, &tv);
	return 0;
}

static void audit_done(struct admin_op *op, int rc)
{
	if (rc != 0)
		log_warn(ADMIN_TAG, "audit record not written: %s",
			 consensus_strerror(rc));
	admin_op_finish(op);
}

static void audit_write(struct admin *a, const char *action, const char *detail)
{
	struct admin_op *op;
	struct store_cmd *cmd;

	if (!admin_is_leader(a)) {
		log_warn(ADMIN_TAG, "%s %s (not audited: no leader here)",
			 action, detail);
		return;
	}
	op = admin_op_new(a, NULL);
	if (!op)
		return;
	cmd = admin_op_cmd(op);
	if (!cmd)
		return;
	if (store_cmd_audit(cmd, action, detail) != 0) {
		store_cmd_free(cmd);
		admin_op_finish(op);
		return;
	}
	admin_op_propose(op, cmd, audit_done);
	store_cmd_free(cmd);
}

static void fail_summary(evutil_socket_t fd, short what, void *arg)
{
	struct admin *a = arg;
	char detail[64];

	if (!a->fail_suppressed)
		return;
	snprintf(detail, sizeof detail, "count=%u", a->fail_suppressed);
	log_warn(ADMIN_TAG,
		 "%u failed logins or joins in %d s beyond the audit rate "
		 "limit",
		 a->fail_suppressed, ADMIN_FAIL_SUMMARY_S);
	a->fail_suppressed = 0;
	audit_write(a, "auth.fail.suppressed", detail);
}

void admin_audit_failure(struct admin *a, const char *action,
			 const char *detail)
{
	if (!fail_take(a))
		return;
	log_warn(ADMIN_TAG, "%s %s", action, detail);
	audit_write(a, action, detail);
}

int admin_login_check(struct admin_op *op)
{
	struct admin *a = op->a;
	struct evkeyvalq *h = evhttp_request_get_input_headers(op->req);
	const char *hdr = evhttp_find_header(h, "Authorization");
	char user[ADMIN_NAME_MAX + 1], pw[ADMIN_PASSWORD_MAX + 1];
	char detail[STORE_TEXT_MAX];
	struct store_admin rec;
	struct store_read *r;
	uint64_t now = admin_now_ms();
	uint8_t mac[32];
	size_t len = 0;
	int rc = 401, found, mac_ok;
	struct store_node leader;

	if (!hdr)
		return 401; /* a first call without credentials: no audit */
	if (admin_basic_parse(hdr, user, pw, &len) != 0) {
		snprintf(user, sizeof user, "?");
		goto fail;
	}
	if (store_read_begin(a->store, &r) != 0) {
		rc = 500;
		goto out;
	}
	found = store_admin_get(r, user, &rec) == 0;
	store_read_end(r);
	if (!found) {
		admin_password_burn(pw, len);
		goto fail;
	}
	mac_ok = cred_mac(a, user, pw, len, mac) == 0;
	if (mac_ok && cred_lookup(a, mac, &rec, now) == 0) {
		rc = 0;
		goto ok;
	}
	if (admin_password_verify(&rec, pw, len) != 0)
		goto fail;
	if (mac_ok)
		cred_insert(a, mac, &rec, now);
	rc = 0;
ok:
	snprintf(op->actor, sizeof op->actor, "%s", user);
	goto out;
fail:
	snprintf(detail, sizeof detail, "user=%s peer=%s path=%.64s", user,
		 op->peer, op->route ? op->route->pattern : "?");
	if (!fail_take(a))
		goto out;
	/* Only the leader can write the audit record: a follower relays the
	 * failing request there, where it fails again and is recorded with
	 * the client's address (believed because this node signs in with
	 * its certificate). */
	if (a->consensus && !op->from_node && !admin_is_leader(a) &&
	    admin_leader_node(a, &leader) == 0) {
		op->relay_login = 1;
		goto out;
	}
	log_warn(ADMIN_TAG, "login.fail %s", detail);
	audit_write(a, "login.fail", detail);
out:
	OPENSSL_cleanse(pw, sizeof pw);
	OPENSSL_cleanse(mac, sizeof mac);
	OPENSSL_cleanse(&rec, sizeof rec);
	return rc == 500 ? 401 : rc;
}
