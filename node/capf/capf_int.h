/* capf_int: what server.c (sockets, TLS, timers, the thread) and
 * session.c (the protocol steps) share. Everything runs on the CAPF
 * thread unless it says otherwise. */
#ifndef WARD_CAPF_INT_H
#define WARD_CAPF_INT_H

#include <pthread.h>
#include <stdint.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "node/capf/capf.h"
#include "node/capf/capf_msg.h"
#include "store/capf.h"
#include "store/prov.h"

#define CAPF_TAG "capf"
#define CAPF_IN_PROGRESS_MAX 16 /* "request in progress" a phone may send */

enum capf_step {
	CAPF_S_AUTH = 0,  /* auth request sent, waiting for the answer */
	CAPF_S_CHECKING,  /* the string is checked on the checker thread */
	CAPF_S_KEYGEN,	  /* key generate request sent */
	CAPF_S_STORE,	  /* store certificate request sent */
	CAPF_S_FETCH_LSC, /* fetch request (LSC) sent */
	CAPF_S_FETCH_MIC, /* fetch request (MIC) sent */
	CAPF_S_DELETE,	  /* delete request sent */
	CAPF_S_COMMIT,	  /* waiting for Raft */
	CAPF_S_CLOSING,	  /* end session sent, flushing */
};

struct capf_session {
	struct capf *c;
	uint64_t sid; /* never reused: completions find it by this */
	uint32_t wire_id;
	struct capf_session *prev, *next;
	struct bufferevent *bev; /* owned */
	struct event *deadline;	 /* owned */
	enum capf_step step;
	unsigned in_progress;
	char peer[80];
	char addr[48]; /* the peer's address, no port */
	int connected; /* the TLS handshake completed */
	char device[STORE_NAME_MAX];
	/* The CN of a certificate the phone showed in the TLS handshake
	 * (unverified: it only picks the auth type asked for first). */
	char hint[STORE_NAME_MAX];
	uint8_t auth_type;	 /* in the last auth request sent */
	int asked_again;	 /* a second auth request, with the op's type */
	struct store_capf_op op; /* as read when authenticated */
	struct store_capf_op progress; /* as last proposed */
	int have_progress;
	int failing;  /* the failed try is being recorded */
	int starting; /* the step to "in progress" is being recorded */
	X509 *lsc;    /* owned: issued, not yet committed */
	X509 *mic;    /* owned: the phone's MIC, verified against the mic-root
			 trust entries, recorded with the next write when it
			 is not the one on record */
	char result[STORE_CAPF_RESULT_MAX];
	uint8_t out[CAPF_MSG_MAX]; /* the message being built */
};

struct capf_done {
	uint64_t sid;
	int rc;
	int check; /* 1: a string check (rc 0 = right), 0: a commit */
	struct capf_done *next;
};

/* A string to check off the event loop (scrypt: tens of ms). */
struct capf_check {
	uint64_t sid;
	struct store_capf_op op;
	char pw[STORE_CAPF_STRING_MAX + 2]; /* secret */
	struct capf_check *next;
};
#define CAPF_CHECKS_MAX 64 /* queued checks; more: "retry later" */

struct capf {
	struct capf_config cfg;
	/* cfg's strings, copied: capf_reload_tls reads the files again. */
	char listen[128];
	char *cert_file, *key_file, *ca_file; /* owned */
	struct store *store;	     /* borrowed */
	struct keystore *ks;	     /* borrowed */
	struct consensus *consensus; /* borrowed */
	uint64_t node_id;
	char actor[STORE_NAME_MAX];
	SSL_CTX *tls; /* owned */
	X509 *ca;     /* owned: the cluster CA */
	struct event_base *base;
	struct evconnlistener *listener;
	int port;
	pthread_t thread;
	int running;
	struct event *ev_stop, *ev_done, *ev_summary;
	struct capf_session *sessions;
	unsigned n_sessions;
	uint64_t next_sid;
	uint32_t next_wire;

	pthread_mutex_t lock; /* guards done, checks and stats */
	struct capf_done *done;
	pthread_cond_t check_cv;
	pthread_t checker;
	int checker_running, check_stop;
	struct capf_check *checks;
	unsigned n_checks;
	struct capf_stats stats;
	struct capf_stats logged; /* at the last summary */
};

/* server.c: counts one event (any thread). */
void capf_count(struct capf *c, size_t offset);
#define CAPF_COUNT(c, field) capf_count((c), offsetof(struct capf_stats, field))
/* server.c: counts a failure of S's peer and hands it to the node's
 * summary (capf_config.failed) with REASON. */
void capf_fail(struct capf_session *s, size_t offset, const char *reason);
#define CAPF_FAIL(s, field, reason)                                            \
	capf_fail((s), offsetof(struct capf_stats, field), (reason))

/* server.c: sends the message built in s->out (LEN bytes) in one write. */
int capf_send(struct capf_session *s, size_t len);
/* server.c: sends end session {REASON[, INFO]} and closes after the flush. */
void capf_end(struct capf_session *s, uint8_t reason, const char *info);
/* server.c: "retry later" and close (a follower cannot write). */
void capf_retry_later(struct capf_session *s);
/* server.c: proposes W when this node leads, or hands it to the leader
 * (*RELAYED set) when it follows; either way the session continues in
 * capf_session_committed with the result. 0, or -1 (nothing proposed). */
int capf_write(struct capf_session *s, const struct store_capf_write *w,
	       int *relayed);
uint64_t capf_now_ms(void);

/* server.c: queues the check of PW against s->op for the checker thread;
 * capf_session_checked follows on this thread. 0, or -1 (queue full). */
int capf_check_submit(struct capf_session *s, const char *pw);

/* session.c: the protocol. */
void capf_session_checked(struct capf_session *s, int ok);
void capf_session_begin(struct capf_session *s);
void capf_session_on_msg(struct capf_session *s, const struct capf_msg *m);
void capf_session_committed(struct capf_session *s, int rc);

#endif
