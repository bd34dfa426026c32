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

/* ---- the login thread ------------------------------------------------- */

/* scrypt costs tens of milliseconds and 32 MiB: on the event loop, a burst
 * of logins (or of guesses) would stall every other request. One thread
 * checks passwords in order; a bounded queue refuses the excess. */
#define LOGIN_QUEUE_MAX 32

struct login_job {
	struct login_job *next;
	struct admin_op *op;
	struct store_admin rec; /* the admin's record, if found */
	int found;
	char pw[ADMIN_PASSWORD_MAX + 1]; /* secret */
	size_t len;
};

struct admin_login_worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct login_job *head, *tail; /* owned */
	unsigned queued;
	int stop;
};

static void *login_main(void *arg)
{
	struct admin_login_worker *w = arg;
	struct login_job *job;
	int rc, stop;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->head && !w->stop)
			pthread_cond_wait(&w->cond, &w->lock);
		job = w->head;
		if (!job)
			break;
		w->head = job->next;
		if (!w->head)
			w->tail = NULL;
		w->queued--;
		stop = w->stop;
		pthread_mutex_unlock(&w->lock);
		if (stop) {
			rc = 401; /* shutting down: the answer is lost anyway */
		} else if (job->found) {
			rc = admin_password_verify(&job->rec, job->pw,
						   job->len) == 0
				 ? 0
				 : 401;
		} else {
			admin_password_burn(job->pw, job->len);
			rc = 401;
		}
		admin_op_post(job->op, rc);
		OPENSSL_cleanse(job, sizeof *job);
		free(job);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int admin_login_init(struct admin *a)
{
	struct admin_login_worker *w = calloc(1, sizeof *w);

	if (!w)
		return -1;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (pthread_create(&w->thread, NULL, login_main, w) != 0) {
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return -1;
	}
	a->login = w;
	if (RAND_bytes(a->cred_key, sizeof a->cred_key) != 1)
		/* Without a key the cache would be guessable: keep it empty
		 * by never matching (expires 0). */
		memset(a->creds, 0, sizeof a->creds);
	a->fail_tokens = ADMIN_FAIL_RATE;
	a->fail_last_ms = admin_now_ms();
	a->ev_fail_summary = evtimer_new(a->base, fail_summary, a);
	return a->ev_fail_summary ? 0 : -1;
}

/* After the mailbox closed: jobs still queued post into it and are freed
 * there. */
void admin_login_fini(struct admin *a)
{
	struct admin_login_worker *w = a->login;

	if (w) {
		pthread_mutex_lock(&w->lock);
		w->stop = 1;
		pthread_cond_signal(&w->cond);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		free(w);
		a->login = NULL;
	}
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

/* A failed login: audit it here if this node leads, or have the request
 * relayed to the leader, which audits it. */
static void login_failed(struct admin_op *op, const char *user)
{
	struct admin *a = op->a;
	char detail[STORE_TEXT_MAX];
	struct store_node leader;

	snprintf(detail, sizeof detail, "user=%s peer=%s path=%.64s", user,
		 op->peer, op->route ? op->route->pattern : "?");
	if (!fail_take(a))
		return;
	/* Only the leader can write the audit record: a follower relays the
	 * failing request there, where it fails again and is recorded with
	 * the client's address (believed because this node signs in with
	 * its certificate). */
	if (a->consensus && !op->from_node && !admin_is_leader(a) &&
	    admin_leader_node(a, &leader) == 0) {
		op->relay_login = 1;
		return;
	}
	log_warn(ADMIN_TAG, "login.fail %s", detail);
	audit_write(a, "login.fail", detail);
}

static void login_verified(struct admin_op *op, int rc)
{
	admin_step_fn done = op->after_login;

	if (rc == 0) {
		if (op->cred_mac_ok)
			cred_insert(op->a, op->cred_mac, &op->rec,
				    admin_now_ms());
		snprintf(op->actor, sizeof op->actor, "%s", op->rec.name);
	} else {
		login_failed(op, op->rec.name);
	}
	OPENSSL_cleanse(op->cred_mac, sizeof op->cred_mac);
	done(op, rc);
}

void admin_login_check(struct admin_op *op, admin_step_fn done)
{
	struct admin *a = op->a;
	struct admin_login_worker *w = a->login;
	struct evkeyvalq *h = evhttp_request_get_input_headers(op->req);
	const char *hdr = evhttp_find_header(h, "Authorization");
	char user[ADMIN_NAME_MAX + 1], pw[ADMIN_PASSWORD_MAX + 1];
	struct login_job *job = NULL;
	struct store_read *r;
	size_t len = 0;
	int found;

	op->after_login = done;
	if (!hdr) {
		done(op, 401); /* a first call without credentials: no audit */
		return;
	}
	if (admin_basic_parse(hdr, user, pw, &len) != 0) {
		login_failed(op, "?");
		done(op, 401);
		return;
	}
	memset(&op->rec, 0, sizeof op->rec);
	found = store_read_begin(a->store, &r) == 0;
	if (found) {
		found = store_admin_get(r, user, &op->rec) == 0;
		store_read_end(r);
	}
	snprintf(op->rec.name, sizeof op->rec.name, "%s", user);
	op->cred_mac_ok = cred_mac(a, user, pw, len, op->cred_mac) == 0;
	if (found && op->cred_mac_ok &&
	    cred_lookup(a, op->cred_mac, &op->rec, admin_now_ms()) == 0) {
		OPENSSL_cleanse(pw, sizeof pw);
		login_verified(op, 0);
		return;
	}
	job = calloc(1, sizeof *job);
	pthread_mutex_lock(&w->lock);
	if (!job || w->queued >= LOGIN_QUEUE_MAX) {
		pthread_mutex_unlock(&w->lock);
		free(job);
		OPENSSL_cleanse(pw, sizeof pw);
		done(op, 503);
		return;
	}
	job->op = op;
	job->rec = op->rec;
	job->found = found;
	memcpy(job->pw, pw, len + 1);
	job->len = len;
	OPENSSL_cleanse(pw, sizeof pw);
	admin_op_hold(op, login_verified);
	if (w->tail)
		w->tail->next = job;
	else
		w->head = job;
	w->tail = job;
	w->queued++;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}
