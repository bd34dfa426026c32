/* keylog: the key log of authorised capture — the SRTP master keys of the
 * calls of devices an admin put under capture, kept so that a capture of
 * those calls can be decrypted (docs/keymgr.md "Authorised capture").
 *
 * Only in this process's memory: entries live in pages this module maps
 * itself, mlock'ed where RLIMIT_MEMLOCK allows, MADV_DONTDUMP (refused:
 * no key log at all) and MADV_WIPEONFORK; never replicated, never written
 * to disk, never logged. Each entry carries the end of its capture window
 * and is wiped (OPENSSL_cleanse) once that passes, or once the window is
 * closed or shortened (keylog_expire asks the caller). Bounded: at most
 * the MAX entries given to keylog_new; beyond that new keys are refused
 * (counted), never older ones overwritten.
 *
 * Per relayed stream of a call four keys make the two directions:
 *   A->B: phone A sends with its key (leg A, sender "phone"), ward sends on
 *         to B with the key it generated toward B (leg B, sender "ward");
 *   B->A: the same the other way.
 * A key not made (yet) — an RTP leg — is not logged.
 *
 * Threads: a keylog is locked; any thread. */
#ifndef WARD_NODE_KEYMGR_KEYLOG_H
#define WARD_NODE_KEYMGR_KEYLOG_H

#include <stddef.h>
#include <stdint.h>

#include "node/keymgr/keymgr.h"

#define KEYLOG_DEFAULT_MAX 1024
#define KEYLOG_NAME_MAX 64
#define KEYLOG_CALL_ID_MAX 128
#define KEYLOG_ADDR_MAX 64
#define KEYLOG_INLINE_MAX 72 /* base64 of 46 bytes (64) + NUL */

/* One logged key. */
struct keylog_entry {
	char device[KEYLOG_NAME_MAX];	  /* the device under capture */
	char call_id[KEYLOG_CALL_ID_MAX]; /* the call's Call-ID */
	char
	    leg_device[KEYLOG_NAME_MAX]; /* the device of this leg ("" trunk) */
	unsigned stream;		 /* m-line, from 0 */
	char leg;			 /* 'A' caller, 'B' callee */
	char direction[5];		 /* "A->B" or "B->A" */
	char sender[6];			 /* "phone" or "ward" */
	enum sdes_suite suite;
	char inline_key[KEYLOG_INLINE_MAX]; /* secret: base64(key || salt),
					       as a=crypto's inline: */
	unsigned ward_port;		    /* ward's RTP port on this leg */
	char peer[KEYLOG_ADDR_MAX];	    /* the phone's SDP "addr:port",
					       as of the leg's last move */
	uint64_t at_ms, until_ms;
};

/* What keylog_note needs to know of one stream of a call. */
struct keylog_stream {
	const char *device;	   /* the device under capture (borrowed) */
	const char *call_id;	   /* borrowed */
	const char *leg_device[2]; /* per side; NULL or "" for a trunk */
	unsigned stream;
	unsigned ward_port[2]; /* per side */
	const char *peer[2];   /* per side, "addr:port" (borrowed) */
	uint64_t now_ms, until_ms;
};

struct keylog;

/* A key log of at most MAX entries (0: KEYLOG_DEFAULT_MAX). NULL with
 * ERRMSG when memory cannot be kept out of core dumps. */
struct keylog *keylog_new(size_t max, char *errmsg, size_t errcap);
/* Wipes and unmaps every entry. Accepts NULL. */
void keylog_free(struct keylog *kl);

/* Logs the keys of CALL (borrowed) for stream S->stream. Returns how many
 * keys were logged; keys that found no free entry are counted in
 * keylog_dropped. A window already closed (now >= until) logs nothing. */
size_t keylog_note(struct keylog *kl, const struct keylog_stream *s,
		   const struct keymgr_call *call);

/* Side SIDE of stream S->stream of call S->call_id moved to S->peer[SIDE]
 * (a re-INVITE, UPDATE or final answer at another address or port with
 * the same keys): each entry of that leg whose key is still CALL's
 * (borrowed) takes the new peer, under whichever device it was logged;
 * entries of keys a re-key replaced keep the address they were used at.
 * Logs nothing new. Returns how many entries changed. */
size_t keylog_moved(struct keylog *kl, const struct keylog_stream *s,
		    enum keymgr_side side, const struct keymgr_call *call);

/* The end of DEVICE's window as the caller knows it now: 0 when it is
 * closed. */
typedef uint64_t (*keylog_until_fn)(void *arg, const char *device);

/* Wipes every entry whose window has ended at NOW_MS — its own end, or
 * the one UNTIL (may be NULL) gives now, whichever is earlier. Returns
 * how many were wiped. */
size_t keylog_expire(struct keylog *kl, uint64_t now_ms, keylog_until_fn until,
		     void *arg);

/* Calls FN for each entry of DEVICE still in its window at NOW_MS (in no
 * set order), with the log locked (ENTRY borrowed for the call only: FN copies
 * what it needs and must not call back into KL). FN returns 0 to go on.
 * Returns the number of entries given. */
typedef int (*keylog_fn)(void *arg, const struct keylog_entry *entry);
size_t keylog_each(struct keylog *kl, const char *device, uint64_t now_ms,
		   keylog_fn fn, void *arg);

/* Entries in use; keys refused because the log was full. */
size_t keylog_count(struct keylog *kl);
uint64_t keylog_dropped(struct keylog *kl);
/* 1 when the entries are mlock'ed. */
int keylog_is_locked(const struct keylog *kl);

#endif
