/* consensus/server: one Raft server on its own thread — the init ladder that
 * wires libuv, the transport, C-raft's uv I/O, the store FSM and raft, and
 * the shutdown that unwinds it.
 *
 * raft_start() runs on the caller's thread, before the Raft thread exists:
 * loading the log and restoring the snapshot happen there, so their errors
 * (corrupt metadata, address in use) come back from consensus_start() itself.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "consensus/internal.h"
#include "consensus/transport.h"

/* Reconnect quickly to a peer that came back: C-raft waits this long
 * between attempts (its default, 1 s, would dominate a restart). */
#define CONSENSUS_CONNECT_RETRY_MS 100

static void wake_cb(uv_async_t *a);
static void consensus_fail(struct consensus *c);

/* Once raft_close() is called the raft fields may be freed at any time:
 * the status then stays as it was, without a leader.
 *
 * Also watches for stalls: time the loop spent outside its poll between two
 * checks is time the Raft thread was busy or blocked, during which nothing
 * commits. Each one longer than CONSENSUS_STALL_WARN_MS is logged. */
static void check_cb(uv_check_t *h)
{
	struct consensus *c = h->data;
	uint64_t now = uv_hrtime(), idle = uv_metrics_idle_time(&c->loop);
	uint64_t busy = (now - c->check_ns) - (idle - c->idle_ns);

	if (c->check_ns != 0 && busy >= CONSENSUS_STALL_WARN_MS * 1000000ull)
		log_warn(
		    CONSENSUS_TAG,
		    "server %llu: Raft thread busy for %llu ms in one loop "
		    "turn",
		    (unsigned long long)c->id,
		    (unsigned long long)(busy / 1000000));
	c->check_ns = now;
	c->idle_ns = idle;
	if (!c->closing && c->fsm.failed)
		consensus_fail(c);
	if (!c->closing)
		consensus_status_refresh(c);
}

static void tick_cb(uv_timer_t *t)
{
	struct consensus *c = t->data;

	if (c->closing)
		return;
	consensus_change_tick(c);
	consensus_status_refresh(c);
}

static void close_handles(struct consensus *c)
{
	uv_close((uv_handle_t *)&c->wake, NULL);
	uv_close((uv_handle_t *)&c->check, NULL);
	uv_close((uv_handle_t *)&c->tick, NULL);
}

static void server_close_cb(struct raft *r)
{
	struct consensus *c = r->data;

	/* Whatever C-raft did not answer while closing is answered now. */
	consensus_loop_fail_all(c, CONSENSUS_ESHUTDOWN);
	close_handles(c);
}

/* After a failure the loop keeps running, to answer requests with
 * CONSENSUS_EFAILED, until consensus_stop(). */
static void failed_close_cb(struct raft *r)
{
	struct consensus *c = r->data;
	int stopping;

	consensus_loop_fail_all(c, CONSENSUS_EFAILED);
	c->raft_closed = 1;
	pthread_mutex_lock(&c->lock);
	stopping = c->stopping;
	pthread_mutex_unlock(&c->lock);
	if (stopping)
		close_handles(c);
}

/* The state machine failed: a node whose store no longer follows the log
 * must not lead (it would answer from stale data) nor vote (it would help
 * elect on a log it cannot apply). C-raft 0.15 has no way to keep a server
 * running as a non-voter of its own accord, so the node closes its Raft
 * instance: the others stop hearing from it and elect without it. The
 * status says failed, with the reason, until a restart. */
static void consensus_fail(struct consensus *c)
{
	log_error(CONSENSUS_TAG,
		  "server %llu: state machine failed (%s): leaving Raft (no "
		  "leading, no voting); every request now fails. Repair the "
		  "store (wardd --rebuild-store) and restart",
		  (unsigned long long)c->id, c->fsm.failed_reason);
	c->closing = 1;
	pthread_mutex_lock(&c->lock);
	c->failed = 1;
	c->status.failed = 1;
	snprintf(c->status.failed_reason, sizeof c->status.failed_reason, "%s",
		 c->fsm.failed_reason);
	c->status.role = CONSENSUS_ROLE_NONE;
	c->status.leader_id = 0;
	c->status.leader_address[0] = '\0';
	pthread_mutex_unlock(&c->lock);
	consensus_loop_fail_queue(c, CONSENSUS_EFAILED);
	raft_close(&c->raft, failed_close_cb);
	if (c->on_change != NULL)
		c->on_change(c->on_change_arg);
}

static void wake_cb(uv_async_t *a)
{
	struct consensus *c = a->data;
	int stopping;

	pthread_mutex_lock(&c->lock);
	stopping = c->stopping;
	pthread_mutex_unlock(&c->lock);
	if (!stopping) {
		if (c->failed)
			consensus_loop_fail_queue(c, CONSENSUS_EFAILED);
		else
			consensus_loop_drain(c);
		return;
	}
	if (c->failed) {
		/* Else failed_close_cb closes them when it runs. */
		if (c->raft_closed)
			close_handles(c);
		return;
	}
	if (c->closing)
		return;
	c->closing = 1;
	pthread_mutex_lock(&c->lock);
	c->status.role = CONSENSUS_ROLE_NONE;
	c->status.leader_id = 0;
	c->status.leader_address[0] = '\0';
	pthread_mutex_unlock(&c->lock);
	consensus_loop_fail_queue(c, CONSENSUS_ESHUTDOWN);
	raft_close(&c->raft, server_close_cb);
}

static void *consensus_thread(void *arg)
{
	struct consensus *c = arg;
	sigset_t pipe;

	/* A peer that dies mid-write must give EPIPE, not kill the process:
	 * SIGPIPE from a write goes to the writing thread, and blocked here it
	 * stays pending without effect. The process-wide disposition is the
	 * program's business. */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);
	consensus_aio_reaper_adopt();
	uv_run(&c->loop, UV_RUN_DEFAULT);
	return NULL;
}

static void start_close_cb(struct raft *r)
{
	struct consensus *c = r->data;

	c->closing = 2;
}

/* Closes a raft instance that never got its thread, on the caller's. */
static void close_unstarted(struct consensus *c)
{
	c->raft.data = c;
	raft_close(&c->raft, start_close_cb);
	while (c->closing != 2)
		uv_run(&c->loop, UV_RUN_ONCE);
}

static int config_check(const struct consensus_config *cfg, char *errmsg,
			size_t errcap)
{
	int n_tls;

	if (cfg == NULL || cfg->id == 0 || cfg->address == NULL ||
	    cfg->dir == NULL || cfg->store == NULL) {
		consensus_errf(errmsg, errcap,
			       "raft: id, address, dir and store needed");
		return CONSENSUS_EINVAL;
	}
	n_tls = (cfg->tls_cert != NULL) + (cfg->tls_key != NULL) +
		(cfg->tls_ca != NULL) + (cfg->cluster_id != NULL);
	if (n_tls != 0 && n_tls != 4) {
		/* Half a TLS setup must not quietly fall back to plain TCP. */
		consensus_errf(errmsg, errcap,
			       "raft: tls_cert, tls_key, tls_ca and cluster_id "
			       "go together");
		return CONSENSUS_EINVAL;
	}
	return 0;
}

/* Copies the TLS settings and makes the transport C-raft will use. On
 * failure nothing of the transport is left to free (the copies are freed
 * with c). */
static int transport_setup(struct consensus *c,
			   const struct consensus_config *cfg, char *errmsg,
			   size_t errcap)
{
	SSL_CTX *ctx;
	int rc, rv;

	if (cfg->tls_cert == NULL) {
		rv = consensus_transport_init(&c->transport, &c->loop);
		return rv == 0 ? 0 : consensus_from_raft(rv);
	}
	c->tls = 1;
	c->tls_cert = strdup(cfg->tls_cert);
	c->tls_key = strdup(cfg->tls_key);
	c->tls_ca = strdup(cfg->tls_ca);
	c->cluster_id = strdup(cfg->cluster_id);
	if (c->tls_cert == NULL || c->tls_key == NULL || c->tls_ca == NULL ||
	    c->cluster_id == NULL)
		return CONSENSUS_ENOMEM;
	rc = consensus_tls_ctx_new(c->tls_cert, c->tls_key, c->tls_ca,
				   c->cluster_id, c->id, &ctx, errmsg, errcap);
	if (rc != 0)
		return rc;
	rv = consensus_transport_tls_init(&c->transport, &c->loop, ctx,
					  c->cluster_id);
	if (rv != 0)
		return consensus_from_raft(rv);
	consensus_transport_tls_set_peer_check(&c->transport, cfg->peer_check,
					       cfg->peer_check_arg);
	return 0;
}

static void transport_free(struct consensus *c)
{
	if (c->tls)
		consensus_transport_tls_close(&c->transport);
	else
		consensus_transport_close(&c->transport);
}

static void tls_free(struct consensus *c)
{
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tls_ca);
	free(c->cluster_id);
}

int consensus_reload_tls(struct consensus *c, char *errmsg, size_t errcap)
{
	SSL_CTX *ctx;
	int rc, stopping;

	if (c == NULL)
		return CONSENSUS_EINVAL;
	if (!c->tls) {
		consensus_errf(errmsg, errcap,
			       "raft: this server runs without TLS");
		return CONSENSUS_EINVAL;
	}
	/* Files are read here, not on the Raft thread: a slow disk must not
	 * stall heartbeats, and the caller gets the reason at once. */
	rc = consensus_tls_ctx_new(c->tls_cert, c->tls_key, c->tls_ca,
				   c->cluster_id, c->id, &ctx, errmsg, errcap);
	if (rc != 0)
		return rc;
	pthread_mutex_lock(&c->lock);
	stopping = c->stopping;
	pthread_mutex_unlock(&c->lock);
	if (stopping) {
		SSL_CTX_free(ctx);
		return CONSENSUS_ESHUTDOWN;
	}
	consensus_transport_tls_set_ctx(&c->transport, ctx);
	log_info(CONSENSUS_TAG, "server %llu: TLS certificate reloaded (%s)",
		 (unsigned long long)c->id, c->tls_cert);
	return 0;
}

int consensus_start(const struct consensus_config *cfg, struct consensus **out,
		    char *errmsg, size_t errcap)
{
	struct consensus *c;
	int rv, rc;

	rc = config_check(cfg, errmsg, errcap);
	if (rc != 0)
		return rc;
	rc = consensus_raft_version_check(errmsg, errcap);
	if (rc != 0)
		return rc;
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return CONSENSUS_ENOMEM;
	c->id = cfg->id;
	c->store = cfg->store;
	c->election_ms = cfg->election_timeout_ms
			     ? cfg->election_timeout_ms
			     : CONSENSUS_DEFAULT_ELECTION_MS;
	c->heartbeat_ms = cfg->heartbeat_ms ? cfg->heartbeat_ms
					    : CONSENSUS_DEFAULT_HEARTBEAT_MS;
	c->snapshot_threshold = cfg->snapshot_threshold
				    ? cfg->snapshot_threshold
				    : CONSENSUS_DEFAULT_SNAPSHOT_THRESHOLD;
	c->snapshot_trailing = cfg->snapshot_trailing
				   ? cfg->snapshot_trailing
				   : CONSENSUS_DEFAULT_SNAPSHOT_TRAILING;
	c->on_change = cfg->on_change;
	c->on_change_arg = cfg->on_change_arg;
	c->q_tail = &c->q_head;
	c->address = strdup(cfg->address);
	c->dir = strdup(cfg->dir);
	if (c->address == NULL || c->dir == NULL) {
		rc = CONSENSUS_ENOMEM;
		goto err_after_alloc;
	}
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		rc = CONSENSUS_ENOMEM;
		goto err_after_alloc;
	}
	if (uv_loop_init(&c->loop) != 0 ||
	    uv_loop_configure(&c->loop, UV_METRICS_IDLE_TIME) != 0) {
		consensus_errf(errmsg, errcap, "raft: cannot create a loop");
		rc = CONSENSUS_ENOMEM;
		goto err_after_mutex;
	}
	rc = transport_setup(c, cfg, errmsg, errcap);
	if (rc != 0)
		goto err_after_loop;
	rv = raft_uv_init(&c->io, &c->loop, c->dir, &c->transport);
	if (rv != 0) {
		consensus_errf(errmsg, errcap, "raft: open %s: %s", c->dir,
			       c->io.errmsg);
		rc = consensus_from_raft_io(rv);
		goto err_after_transport;
	}
	raft_uv_set_connect_retry_delay(&c->io, CONSENSUS_CONNECT_RETRY_MS);
	/* C-raft 0.15's uv I/O implements async_work (the version 2 field)
	 * but still says version 1, and raft refuses asynchronous snapshots
	 * from a version 1 I/O. Say what it is. Only on the release checked
	 * above (raft_version.c): another may mean something else by it. */
	if (c->io.version < 2 && c->io.async_work != NULL)
		c->io.version = 2;
	consensus_fsm_init(&c->fsm, c->store, &c->raft);
	consensus_fsm_enable_async(&c->fsm, &c->io);
	/* raft_init() loads the metadata (term, vote) through the uv I/O. */
	rv = raft_init(&c->raft, &c->io, &c->fsm.fsm, c->id, c->address);
	if (rv != 0) {
		consensus_errf(errmsg, errcap, "raft: load %s: %s", c->dir,
			       raft_errmsg(&c->raft));
		rc = consensus_from_raft_io(rv);
		goto err_after_io;
	}
	c->raft.data = c;
	raft_set_election_timeout(&c->raft, c->election_ms);
	raft_set_heartbeat_timeout(&c->raft, c->heartbeat_ms);
	raft_set_pre_vote(&c->raft, true);
	raft_set_snapshot_threshold(&c->raft, c->snapshot_threshold);
	raft_set_snapshot_trailing(&c->raft, c->snapshot_trailing);
	/* A follower busy with a snapshot of its own drops an InstallSnapshot
	 * without an answer, and the leader then waits this long before it
	 * sends again: C-raft's 30 s left a restarted follower behind for
	 * that long. A too short wait only costs a duplicate transfer. */
	raft_set_install_snapshot_timeout(
	    &c->raft, c->election_ms * 10 > CONSENSUS_MIN_INSTALL_MS
			  ? c->election_ms * 10
			  : CONSENSUS_MIN_INSTALL_MS);

	uv_async_init(&c->loop, &c->wake, wake_cb);
	uv_check_init(&c->loop, &c->check);
	uv_timer_init(&c->loop, &c->tick);
	c->wake.data = c->check.data = c->tick.data = c;

	rv = raft_start(&c->raft);
	if (rv != 0) {
		/* C-raft does not copy a transport's reason (a listen that
		 * failed) into its own message. */
		const char *why = raft_errmsg(&c->raft);

		if (!why || !*why)
			why = c->transport.errmsg[0] ? c->transport.errmsg
						     : raft_strerror(rv);
		consensus_errf(errmsg, errcap, "raft: start %s: %s", c->dir,
			       why);
		rc = consensus_from_raft_io(rv);
		goto err_after_raft;
	}
	uv_check_start(&c->check, check_cb);
	uv_timer_start(&c->tick, tick_cb, CONSENSUS_STATUS_TICK_MS,
		       CONSENSUS_STATUS_TICK_MS);
	consensus_status_refresh(c);
	c->notify = 1;
	c->notify_due = 1;

	/* Published first: on_change may run on the new thread at once and
	 * use the handle. */
	*out = c;
	if (pthread_create(&c->thread, NULL, consensus_thread, c) != 0) {
		*out = NULL;
		consensus_errf(errmsg, errcap, "raft: cannot start the thread");
		rc = CONSENSUS_ENOMEM;
		goto err_after_raft;
	}
	log_info(CONSENSUS_TAG, "server %llu on %s started (%s, %s)",
		 (unsigned long long)c->id, c->address, c->dir,
		 c->tls ? "mutual TLS" : "plain TCP, unauthenticated");
	return 0;

err_after_raft:
	uv_close((uv_handle_t *)&c->wake, NULL);
	uv_close((uv_handle_t *)&c->check, NULL);
	uv_close((uv_handle_t *)&c->tick, NULL);
	close_unstarted(c);
	raft_uv_close(&c->io);
	goto err_after_transport;
err_after_io:
	raft_uv_close(&c->io);
err_after_transport:
	uv_run(&c->loop, UV_RUN_DEFAULT); /* let closing handles finish */
	transport_free(c);
	consensus_fsm_close(&c->fsm);
err_after_loop:
	uv_loop_close(&c->loop);
err_after_mutex:
	pthread_mutex_destroy(&c->lock);
err_after_alloc:
	tls_free(c);
	free(c->address);
	free(c->dir);
	free(c);
	return rc;
}

void consensus_stop(struct consensus *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = 1;
	pthread_mutex_unlock(&c->lock);
	/* An apply waiting for disk space gives up (its entry is applied
	 * again at the next start). */
	consensus_fsm_stop(&c->fsm);
	uv_async_send(&c->wake);
	pthread_join(c->thread, NULL);

	raft_uv_close(&c->io);
	uv_run(&c->loop, UV_RUN_DEFAULT);
	transport_free(c);
	consensus_fsm_close(&c->fsm);
	if (uv_loop_close(&c->loop) != 0)
		log_warn(CONSENSUS_TAG, "server %llu: loop closed with handles",
			 (unsigned long long)c->id);
	pthread_mutex_destroy(&c->lock);
	log_info(CONSENSUS_TAG, "server %llu stopped",
		 (unsigned long long)c->id);
	tls_free(c);
	free(c->address);
	free(c->dir);
	free(c);
}
