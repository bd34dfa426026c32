/* admin_gate: what an unauthenticated client may cost the admin API — a
 * token bucket of logins per client address, and the failures (logins,
 * joins) counted in memory per source address and per user, summarised
 * into a bounded number of audit records per window. Fixed-size tables:
 * however many addresses or names a client makes up, the gate holds the
 * same memory. Pure: no socket, no store, no clock (callers pass the time),
 * so that tests drive it directly. One thread (the admin loop). */
#ifndef WARD_ADMIN_GATE_H
#define WARD_ADMIN_GATE_H

#include <stddef.h>
#include <stdint.h>

/* Client addresses as text (an IPv6 address is at most 45 characters). */
#define ADMIN_GATE_ADDR_MAX 48
/* Buckets kept; beyond, a full (idle) bucket or the oldest one is reused. */
#define ADMIN_GATE_BUCKETS 1024
/* Sources and users counted per window; failures beyond are counted in
 * one overflow line. */
#define ADMIN_GATE_SOURCES 64
#define ADMIN_GATE_USERS 64
/* Names kept per source in its summary. */
#define ADMIN_GATE_NAMES 4
/* Audit records of one summary: one per source, one for the users, one
 * for the overflow. */
#define ADMIN_GATE_RECORDS_MAX (ADMIN_GATE_SOURCES + 2)

enum admin_gate_kind {
	ADMIN_GATE_LOGIN = 0, /* wrong or malformed admin credentials */
	ADMIN_GATE_JOIN,      /* a refused join token */
	ADMIN_GATE_SIP,	      /* SIP digest or authorization refusals */
	ADMIN_GATE_CAPF,      /* enrolment: an unknown or unscheduled device,
				 a malformed or stalled session, EST refused */
	ADMIN_GATE__KINDS
};

struct admin_gate_config {
	unsigned burst;	  /* logins a fresh address may make at once */
	unsigned per_min; /* tokens added per minute */
};

struct admin_gate; /* opaque */

/* 0, or -1 (out of memory). Zero fields of CFG take the defaults
 * (burst 10, 30 per minute). */
int admin_gate_new(const struct admin_gate_config *cfg,
		   struct admin_gate **out);
/* Accepts NULL. */
void admin_gate_free(struct admin_gate *g);

/* A login from ADDR (borrowed; truncated to ADMIN_GATE_ADDR_MAX - 1) at
 * NOW_MS: 0 if it may go (a token was taken), else the whole seconds until
 * the next token (at least 1): the Retry-After to send. */
unsigned admin_gate_take(struct admin_gate *g, const char *addr,
			 uint64_t now_ms);

/* Counts one failure of KIND from ADDR naming NAME (the user or node name
 * tried; "" or NULL if the request named none). REASON (may be NULL) is
 * kept as the source's last reason. Returns 1 if this was the first
 * failure of the window (the caller arms its summary timer), else 0. */
int admin_gate_fail(struct admin_gate *g, enum admin_gate_kind kind,
		    const char *addr, const char *name, const char *reason);
/* The same for COUNT failures at once (a summary another part of the
 * node made: the SIP role's counts). */
int admin_gate_fail_n(struct admin_gate *g, enum admin_gate_kind kind,
		      const char *addr, const char *name, const char *reason,
		      unsigned count);
/* Failures counted since the last summary. */
unsigned admin_gate_pending(const struct admin_gate *g);

/* One audit record of a summary: ACTION "login.fail", "join.fail",
 * "sip.fail", "capf.fail", "login.fail.users" or "auth.fail.more";
 * DETAIL printable text. */
typedef void (*admin_gate_emit_fn)(void *arg, const char *action,
				   const char *detail);
/* Emits the window's summary through EMIT (at most ADMIN_GATE_RECORDS_MAX
 * records; none when nothing failed) and starts a new window. Returns the
 * number of records emitted. */
unsigned admin_gate_summary(struct admin_gate *g, unsigned window_s,
			    admin_gate_emit_fn emit, void *arg);

#endif
