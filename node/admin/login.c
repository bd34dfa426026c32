/* login: who is calling. Basic credentials are checked against the admins
 * table with scrypt, then remembered for a minute under an HMAC so that a
 * client's next calls cost a hash, not a KDF. Logins that need scrypt are
 * throttled per client address; failures are counted in memory and written
 * as one summary per window (docs/house-rules.md). */
#include "node/admin/admin_int.h"

#include <stdio.h>
#include <stdlib.h>
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
 * checks passwords in order; a bounded queue refuses the excess. Hashing
 * new passwords and generating keys run on a second worker, so that a
 * login never waits behind them either. */
#define LOGIN_QUEUE_MAX 32
#define WORK_QUEUE_MAX 8

struct login_job {
	struct store_admin rec; /* the admin's record, if found */
	int found;
	char pw[ADMIN_PASSWORD_MAX + 1]; /* secret */
	size_t len;
};

static void login_job_free(void *p)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, sizeof(struct login_job));
	free(p);
}

/* Login thread. */
static int login_run(void *p)
{
	struct login_job *job = p;
	int rc;

	if (!job->found) {
		admin_password_burn(job->pw, job->len);
		rc = 401;
	} else {
		rc = admin_password_verify(&job->rec, job->pw, job->len) == 0
			 ? 0
			 : 401;
	}
	OPENSSL_cleanse(job->pw, sizeof job->pw);
	return rc;
}

static void limits_default(struct admin_limits *l)
{
	if (!l->max_connections)
		l->max_connections = 256;
	if (!l->login_burst)
		l->login_burst = 10;
	if (!l->login_per_min)
		l->login_per_min = 30;
	if (!l->fail_summary_s)
		l->fail_summary_s = 60;
	if (!l->prune_every_s)
		l->prune_every_s = 60;
	if (!l->prune_batch)
		l->prune_batch = 256;
}

int admin_login_init(struct admin *a)
{
	struct admin_gate_config gc;

	limits_default(&a->limits);
	gc.burst = a->limits.login_burst;
	gc.per_min = a->limits.login_per_min;
	if (admin_worker_new(LOGIN_QUEUE_MAX, &a->login) != 0 ||
	    admin_worker_new(WORK_QUEUE_MAX, &a->work) != 0 ||
	    admin_gate_new(&gc, &a->gate) != 0)
		return -1;
	if (RAND_bytes(a->cred_key, sizeof a->cred_key) != 1)
		/* Without a key the cache would be guessable: keep it empty
		 * by never matching (expires 0). */
		memset(a->creds, 0, sizeof a->creds);
	a->ev_fail_summary = evtimer_new(a->base, fail_summary, a);
	return a->ev_fail_summary ? 0 : -1;
}

/* After the mailbox closed: jobs still queued post into it and are freed
 * there. */
void admin_login_fini(struct admin *a)
{
	admin_worker_free(a->login);
	a->login = NULL;
	admin_worker_free(a->work);
	a->work = NULL;
	admin_gate_free(a->gate);
	a->gate = NULL;
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

/* ---- failures: counted here, summarised later -------------------------- */

struct summary {
	struct admin *a;
	struct store_cmd *cmd; /* leader: the command being built */
	json_t *records;       /* follower: what goes to the leader */
	unsigned n;
};

static void summary_emit(void *arg, const char *action, const char *detail)
{
	struct summary *s = arg;

	log_warn(ADMIN_TAG, "%s %s", action, detail);
	if (s->cmd && store_cmd_audit(s->cmd, action, detail) == 0)
		s->n++;
	else if (s->records &&
		 json_array_append_new(s->records,
				       json_pack("{s:s, s:s}", "action", action,
						 "detail", detail)) == 0)
		s->n++;
}

static void summary_written(struct admin_op *op, int rc)
{
	if (rc != 0)
		log_warn(ADMIN_TAG, "failure summary not audited: %s",
			 consensus_strerror(rc));
	admin_op_finish(op);
}

static void summary_sent(void *arg, int status, const char *body, size_t len)
{
	if (status != 200)
		log_warn(ADMIN_TAG,
			 "failure summary not audited: the leader answered %d",
			 status);
}

/* The leader writes its summary in one command; a follower hands it to the
 * leader (POST /v1/audit/failures, as a member); with no leader it is only
 * logged. Either way one replicated write per window at most. */
void admin_fail_flush(struct admin *a)
{
	struct summary s = {.a = a};
	struct admin_op *op = NULL;
	int lead, sent = -1;

	if (!a->gate || !admin_gate_pending(a->gate))
		return;
	if (a->ev_fail_summary)
		evtimer_del(a->ev_fail_summary);
	lead = a->consensus && admin_is_leader(a);
	if (lead && (op = admin_op_new(a, NULL))) {
		snprintf(op->actor, sizeof op->actor, "node:%.40s",
			 a->node_name);
		s.cmd = admin_op_cmd(op); /* NULL: OP answered and finished */
	} else if (!lead && a->consensus) {
		s.records = json_array();
	}
	admin_gate_summary(a->gate, a->limits.fail_summary_s, summary_emit, &s);
	if (s.cmd) {
		if (s.n)
			admin_op_propose(op, s.cmd, summary_written);
		else
			admin_op_finish(op);
		store_cmd_free(s.cmd);
		return;
	}
	if (s.records && s.n)
		sent =
		    admin_member_post(a, "/v1/audit/failures",
				      json_pack("{s:O}", "records", s.records),
				      summary_sent, NULL, NULL);
	json_decref(s.records);
	if (s.n && sent != 0)
		log_warn(ADMIN_TAG, "failure summary only logged: no leader");
}

static void fail_summary(evutil_socket_t fd, short what, void *arg)
{
	admin_fail_flush(arg);
}

void admin_fail_count(struct admin_op *op, enum admin_gate_kind kind,
		      const char *name, const char *reason)
{
	struct admin *a = op->a;
	struct timeval tv = {a->limits.fail_summary_s, 0};

	if (admin_gate_fail(a->gate, kind, op->addr, name, reason) &&
	    a->ev_fail_summary)
		evtimer_add(a->ev_fail_summary, &tv);
}

void admin_sip_failures(struct admin *a, const char *addr, const char *name,
			const char *reason, unsigned count)
{
	struct timeval tv = {a->limits.fail_summary_s, 0};

	if (a->gate &&
	    admin_gate_fail_n(a->gate, ADMIN_GATE_SIP, addr, name, reason,
			      count) &&
	    a->ev_fail_summary)
		evtimer_add(a->ev_fail_summary, &tv);
}

void admin_audit_failure(struct admin *a, const char *action,
			 const char *detail)
{
	struct admin_op *op;
	struct store_cmd *cmd;

	log_warn(ADMIN_TAG, "%s %s", action, detail);
	if (!admin_is_leader(a))
		return;
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
	admin_op_propose(op, cmd, summary_written);
	store_cmd_free(cmd);
}

static int record_action_ok(const char *action)
{
	static const char *const ok[] = {"login.fail", "join.fail", "sip.fail",
					 "capf.fail",
					 "login.fail.users", "auth.fail.more"};

	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		if (strcmp(action, ok[i]) == 0)
			return 1;
	return 0;
}

static void failures_written(struct admin_op *op, int rc)
{
	if (rc) {
		admin_op_fail(op, rc, "writing the failure summary");
		return;
	}
	admin_op_reply(op, 200, json_pack("{s:b}", "written", 1));
}

/* The records come from a member (its certificate is the credential),
 * bounded in number and size, and only of the summary's actions. */
void admin_route_audit_failures(struct admin_op *op)
{
	json_error_t jerr;
	json_t *j, *list, *rec;
	struct store_cmd *cmd;
	struct store_node member;
	char detail[STORE_TEXT_MAX];
	const char *node;
	size_t i;

	if (admin_op_member(op, &member) != 0)
		return;
	node = member.name;
	j = json_loadb(op->body, op->body_len, 0, &jerr);
	list = json_object_get(j, "records");
	if (!json_is_array(list) || json_array_size(list) == 0 ||
	    json_array_size(list) > ADMIN_GATE_RECORDS_MAX) {
		json_decref(j);
		admin_op_error(op, 400, "want {\"records\": [1..%d]}",
			       ADMIN_GATE_RECORDS_MAX);
		return;
	}
	snprintf(op->actor, sizeof op->actor, "node:%.40s", node);
	cmd = admin_op_cmd(op);
	if (!cmd) {
		json_decref(j);
		return;
	}
	json_array_foreach(list, i, rec)
	{
		const char *action =
		    json_string_value(json_object_get(rec, "action"));
		const char *d =
		    json_string_value(json_object_get(rec, "detail"));

		if (!action || !d || !record_action_ok(action) ||
		    strlen(d) > STORE_TEXT_MAX - 64 ||
		    snprintf(detail, sizeof detail, "%s (seen by %s)", d,
			     node) < 0 ||
		    store_cmd_audit(cmd, action, detail) != 0) {
			json_decref(j);
			store_cmd_free(cmd);
			admin_op_error(op, 400, "record %zu refused", i);
			return;
		}
	}
	json_decref(j);
	admin_op_propose(op, cmd, failures_written);
	store_cmd_free(cmd);
}

/* ---- checking credentials ---------------------------------------------- */

static void login_verified(struct admin_op *op, int rc)
{
	admin_step_fn done = op->after_login;

	if (rc == 0) {
		if (op->cred_mac_ok)
			cred_insert(op->a, op->cred_mac, &op->rec,
				    admin_now_ms());
		snprintf(op->actor, sizeof op->actor, "%s", op->rec.name);
	} else if (rc == 401) {
		admin_fail_count(op, ADMIN_GATE_LOGIN, op->rec.name,
				 "wrong password or user");
	} else {
		rc = 503; /* shutting down */
	}
	OPENSSL_cleanse(op->cred_mac, sizeof op->cred_mac);
	admin_op_work_set(op, NULL, NULL);
	done(op, rc);
}

/* 0 if OP's client may make a login that costs something now; else the
 * request is answered 429 with Retry-After. */
static int login_throttle(struct admin_op *op, const char *name)
{
	unsigned wait = admin_gate_take(op->a->gate, op->addr, admin_now_ms());
	char secs[16];

	if (!wait)
		return 0;
	admin_fail_count(op, ADMIN_GATE_LOGIN, name, "throttled");
	snprintf(secs, sizeof secs, "%u", wait);
	evhttp_add_header(evhttp_request_get_output_headers(op->req),
			  "Retry-After", secs);
	op->after_login(op, 429);
	return -1;
}

void admin_login_check(struct admin_op *op, admin_step_fn done)
{
	struct admin *a = op->a;
	struct evkeyvalq *h = evhttp_request_get_input_headers(op->req);
	const char *hdr = evhttp_find_header(h, "Authorization");
	char user[ADMIN_NAME_MAX + 1], pw[ADMIN_PASSWORD_MAX + 1];
	struct login_job *job;
	struct store_read *r;
	size_t len = 0;
	int found;

	op->after_login = done;
	if (!hdr) {
		done(op, 401); /* a first call without credentials: no count */
		return;
	}
	if (admin_basic_parse(hdr, user, pw, &len) != 0) {
		OPENSSL_cleanse(pw, sizeof pw);
		if (login_throttle(op, "?") == 0) {
			admin_fail_count(op, ADMIN_GATE_LOGIN, "?",
					 "malformed credentials");
			done(op, 401);
		}
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
	/* A cached login costs an HMAC: it never waits for a token or for
	 * the scrypt queue. */
	if (found && op->cred_mac_ok &&
	    cred_lookup(a, op->cred_mac, &op->rec, admin_now_ms()) == 0) {
		OPENSSL_cleanse(pw, sizeof pw);
		login_verified(op, 0);
		return;
	}
	if (login_throttle(op, user) != 0) {
		OPENSSL_cleanse(pw, sizeof pw);
		return;
	}
	job = calloc(1, sizeof *job);
	if (!job) {
		OPENSSL_cleanse(pw, sizeof pw);
		done(op, 503);
		return;
	}
	job->rec = op->rec;
	job->found = found;
	memcpy(job->pw, pw, len + 1);
	job->len = len;
	OPENSSL_cleanse(pw, sizeof pw);
	admin_op_work_set(op, job, login_job_free);
	if (admin_op_work(op, a->login, login_run, login_verified) != 0) {
		admin_op_work_set(op, NULL, NULL);
		done(op, 503);
	}
}
