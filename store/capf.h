/* capf (store): the certificate enrolment operation scheduled for each
 * device — what the CAPF role does when the device calls, how it must
 * authenticate, the key it asks for, and how far it got (docs/capf.md).
 *
 * Table capf_ops, key = device name, one record per device that has (or
 * had) an operation. Same contract as store.h: records decode into
 * caller-owned structs with fixed arrays; reads from any thread; writes
 * are commands built here and proposed through consensus.
 *
 * The authentication string is never stored: only a salted scrypt hash
 * (store_capf_auth_hash), compared in constant time
 * (store_capf_auth_check). The string itself is shown once, to the admin
 * who scheduled the operation.
 *
 * Writes: an admin schedules or cancels; the CAPF role records progress
 * (in progress, done, failed) and counts wrong authentication strings —
 * only for a device that has an operation pending, and at most max_tries
 * times per schedule, after which the operation is locked (failed) until
 * an admin schedules it again. Devices without an operation never cause a
 * write (the house rule). An operation past its deadline reads as expired
 * (store_capf_op_state_at) without a write.
 */
#ifndef WARD_STORE_CAPF_H
#define WARD_STORE_CAPF_H

#include <stddef.h>
#include <stdint.h>

#include "store/prov.h"
#include "store/store.h"

/* Values are stored: never renumber. */
enum store_capf_opkind {
	STORE_CAPF_OP_NONE = 0,
	STORE_CAPF_OP_INSTALL = 1, /* install or upgrade the LSC */
	STORE_CAPF_OP_DELETE = 2,
	STORE_CAPF_OP_TROUBLESHOOT = 3, /* fetch and report certificates */
};
/* "none", "install", "delete", "troubleshoot". */
const char *store_capf_opkind_name(enum store_capf_opkind k);
int store_capf_opkind_parse(const char *name, enum store_capf_opkind *out);

enum store_capf_key {
	STORE_CAPF_KEY_RSA = 0,
	STORE_CAPF_KEY_EC = 1,
};
/* "rsa-1024", "rsa-2048", "rsa-4096", "ec-p256", "ec-p384" <-> (type,
 * bits); NULL / STORE_EINVAL for other pairs. */
const char *store_capf_key_name(uint32_t type, uint32_t bits);
int store_capf_key_parse(const char *name, uint32_t *type, uint32_t *bits);

enum store_capf_state {
	STORE_CAPF_PENDING = 0,
	STORE_CAPF_IN_PROGRESS = 1,
	STORE_CAPF_DONE = 2,
	STORE_CAPF_FAILED = 3,
	STORE_CAPF_EXPIRED = 4, /* only as read by store_capf_op_state_at */
};
/* "pending", "in-progress", "done", "failed", "expired". */
const char *store_capf_state_name(enum store_capf_state s);

#define STORE_CAPF_SALT_LEN 16
#define STORE_CAPF_HASH_LEN 32
#define STORE_CAPF_STRING_MIN 4
#define STORE_CAPF_STRING_MAX 16
#define STORE_CAPF_TRIES_DEFAULT 3
#define STORE_CAPF_TRIES_MAX 100
#define STORE_CAPF_RESULT_MAX 256

struct store_capf_op {
	char device[STORE_NAME_MAX]; /* from the key */
	uint32_t op;		     /* enum store_capf_opkind */
	uint32_t auth;		     /* enum store_capf_auth (prov.h) */
	uint32_t key_type;	     /* enum store_capf_key */
	uint32_t key_bits;	     /* RSA 1024/2048/4096, EC 256/384 */
	uint64_t deadline_ms;	     /* unix ms; 0: none */
	/* STORE_CAPF_AUTH_STRING only (else zero): scrypt of the string */
	uint8_t salt[STORE_CAPF_SALT_LEN];
	uint8_t hash[STORE_CAPF_HASH_LEN];
	uint32_t max_tries;	     /* 1..STORE_CAPF_TRIES_MAX */
	uint32_t failed_tries;	     /* wrong strings / signatures so far */
	uint32_t state;		     /* enum store_capf_state, never EXPIRED */
	char reason[STORE_DESC_MAX]; /* failed: why; "" otherwise */
	char result[STORE_CAPF_RESULT_MAX]; /* troubleshoot: what was
					       fetched; "" otherwise */
	char serial[STORE_SERIAL_MAX];	    /* done install: the LSC's; "" */
	uint64_t not_after_s;		    /* done install: its expiry */
	char batch[STORE_NAME_MAX];	    /* bulk scheduling id; "" none */
	char by[STORE_NAME_MAX];	    /* admin who scheduled it */
	uint64_t created_ms, changed_ms;
};

/* Checks what encode checks: valid enumerations, key pair, tries, a hash
 * exactly for the string mode, a serial exactly when done after install.
 * 0 or STORE_EINVAL with the reason in ERRMSG (may be NULL). */
int store_capf_op_check(const struct store_capf_op *r, char *errmsg,
			size_t errcap);

/* The state to show at NOW_MS: EXPIRED for a pending or in-progress
 * operation whose deadline has passed, else r->state. */
enum store_capf_state store_capf_op_state_at(const struct store_capf_op *r,
					     uint64_t now_ms);

/* 1 if the device may try again: pending (or in progress), not expired,
 * and failed_tries < max_tries. */
int store_capf_op_open(const struct store_capf_op *r, uint64_t now_ms);

/* 1 if S is an authentication string: 4..16 decimal digits. */
int store_capf_string_valid(const char *s);
/* A fresh random string of LEN (4..16) digits into OUT (LEN + 1 bytes).
 * A SECRET: wipe after showing it. 0, STORE_EINVAL or STORE_EIO. */
int store_capf_string_generate(size_t len, char *out);
/* Sets r->salt (fresh) and r->hash from the string S (scrypt, N = 2^14,
 * r = 8, p = 1: tens of milliseconds — not on an event loop). 0,
 * STORE_EINVAL (not a valid string) or STORE_ENOMEM. */
int store_capf_auth_hash(struct store_capf_op *r, const char *s);
/* 1 if S hashes to r->hash under r->salt (constant-time comparison), else
 * 0. Same cost as store_capf_auth_hash. */
int store_capf_auth_check(const struct store_capf_op *r, const char *s);

/* Codec (contract of store.h's; the device is not encoded). */
int store_capf_op_encode(const struct store_capf_op *r, void *buf, size_t cap,
			 size_t *len);
int store_capf_op_decode(const void *buf, size_t len, struct store_capf_op *r);

/* Reads. STORE_ENOTFOUND if the device has no record. */
int store_capf_op_get(struct store_read *r, const char *device,
		      struct store_capf_op *out);
typedef int (*store_capf_op_fn)(void *arg, const struct store_capf_op *rec);
int store_capf_op_each(struct store_read *r, store_capf_op_fn fn, void *arg);

/* Commands. The put is guarded on OLD when OLD is not NULL (the command
 * fails with STORE_ENOTFOUND if the stored record changed meanwhile: the
 * CAPF role's progress never overwrites a re-schedule, nor the reverse);
 * OLD NULL puts unconditionally (a schedule replaces any earlier one).
 * The delete ignores an absent record. */
int store_cmd_put_capf_op(struct store_cmd *c, const struct store_capf_op *old,
			  const struct store_capf_op *next);
int store_cmd_del_capf_op(struct store_cmd *c, const char *device);

/* ---- an outcome of the CAPF role or of EST (capf_write.c) -------------- */

/* One write of an enrolment session: the operation's next state, guarded
 * on the record as the session read or last wrote it (OLD), the device's
 * LSC put (PUT_LSC) or deleted (DEL_LSC), and one audit record. What the
 * node a phone reached proposes itself when it leads, or hands to the
 * leader (POST /v1/capf/relay) when it follows: the leader builds the very
 * same command from it, so a write relayed late after a re-schedule fails
 * on the guard instead of overwriting it. */
#define STORE_CAPF_ACTION_MAX 32
#define STORE_CAPF_WRITE_MAX (2 * STORE_RECORD_MAX + 2 * STORE_DER_MAX + 1024)

struct store_capf_write {
	struct store_capf_op old;    /* the guard; old.device = next.device */
	struct store_capf_op next;   /* next.device names the device */
	int put_lsc, del_lsc;	     /* at most one */
	struct store_device_lsc lsc; /* PUT_LSC: its device is next.device;
					der borrowed */
	int put_mic;		     /* the MIC the device showed, recorded */
	struct store_device_lsc mic; /* PUT_MIC: as lsc */
	char action[STORE_CAPF_ACTION_MAX]; /* "capf.<word>" */
	char detail[STORE_TEXT_MAX];	    /* never a secret */
};

/* What encode and store_cmd_capf_write check: both records valid for the
 * same phone name, the action a "capf." word, an LSC (a MIC) for that
 * device when put, not both put and delete of the LSC. 0 or STORE_EINVAL
 * (reason in ERRMSG, may be NULL). */
int store_capf_write_check(const struct store_capf_write *w, char *errmsg,
			   size_t errcap);
/* W into BUF (CAP bytes; STORE_CAPF_WRITE_MAX always suffices). 0 with
 * *LEN, STORE_EINVAL or STORE_ETOOBIG. */
int store_capf_write_encode(const struct store_capf_write *w, void *buf,
			    size_t cap, size_t *len);
/* BUF (LEN bytes, outside input: every length checked) into W; w->lsc.der
 * points into BUF (valid as long as BUF). 0, STORE_ECORRUPT,
 * STORE_EVERSION or STORE_EINVAL (decoded but not valid). */
int store_capf_write_decode(const void *buf, size_t len,
			    struct store_capf_write *w);
/* Adds W to C: the guarded put, the LSC put or delete, the audit record.
 * 0 or a store code (STORE_EINVAL for a W that does not check). */
int store_cmd_capf_write(struct store_cmd *c, const struct store_capf_write *w);

#endif
