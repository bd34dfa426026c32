/* wardd_capture: authorised capture in wardd — joins the capture windows
 * of the store (store/capture.h) to the key log of the key manager role
 * (node/keymgr/keylog.h): the media table asks here, once a call's keys
 * are made or imported, whether a leg's device is under capture and logs
 * that stream's keys; a one-second timer wipes what left its window; the
 * admin API reads this node's log (GET /v1/capture/DEVICE/keys).
 *
 * Threads: the store and the key log are thread-safe; note runs on the
 * signaling thread, the timer and keys_json on the main (admin) thread. */
#ifndef WARD_NODE_WARDD_CAPTURE_H
#define WARD_NODE_WARDD_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct store;
struct sdpmap_call;
struct wardd_capture;

/* A key log of MAX entries (0: the default) over STORE (borrowed), its
 * timer on BASE (borrowed; NULL: none, the caller calls _tick). NULL with
 * ERRMSG when the log cannot be kept out of core dumps. */
struct wardd_capture *wardd_capture_new(struct store *store,
					struct event_base *base, size_t max,
					char *errmsg, size_t errcap);
/* Wipes the log. Accepts NULL. */
void wardd_capture_free(struct wardd_capture *c);

/* The end of DEVICE's open window at NOW_MS, 0 when none. */
uint64_t wardd_capture_until(struct wardd_capture *c, const char *device,
			     uint64_t now_ms);

/* After an answer applied to MAP (borrowed) of call CALL_ID between
 * DEVICES[0] (A) and DEVICES[1] (B) — a first answer, a re-offer's, or a
 * final answer repeating a provisional one: logs the keys of each stream
 * that got new ones, once per leg device under capture; a side that only
 * moved (sdpmap_stream_moved: the same keys at another address or port)
 * gives its logged entries the new peer. Accepts C NULL. */
void wardd_capture_note(struct wardd_capture *c, const char *call_id,
			const char *const devices[2],
			const struct sdpmap_call *map);

/* Wipes what left its window (the timer's work). */
size_t wardd_capture_tick(struct wardd_capture *c, uint64_t now_ms);

/* This node's log for DEVICE as JSON text ({"entries": [...]}), malloc'ed
 * into *OUT (transferred; it holds keys: the caller wipes and frees it).
 * 0 or -1. */
int wardd_capture_keys_json(struct wardd_capture *c, const char *device,
			    char **out);

/* Entries in the log (tests, status). */
size_t wardd_capture_entries(struct wardd_capture *c);

#endif
