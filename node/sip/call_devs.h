/* call_devs: how many calls each device takes part in, for
 * max_calls_per_device (call.h) — kept as calls gain and lose devices, so
 * that an INVITE reads a count instead of walking every call.
 *
 * A call counts once for each distinct device name among its two sides (a
 * device in a call with itself: once), whatever the name (a phone, a
 * trunk, a conference's "conference" side, a "member-N" placeholder) and
 * whatever the call's state: what a walk of the calls' sides gives. The
 * table holds one entry per name counted above zero; an entry whose count
 * falls to zero leaves it.
 *
 * Memory: each call in the table brings two entries (call_devs_enter) and
 * takes two away (call_devs_leave). A call has at most two names, so
 * counting the names of the calls in the table never needs more: a side
 * replaced mid-call (transfer, Replaces) is counted without a failure
 * path. About 80 bytes per entry; the buckets are sized once from the
 * node's max_calls.
 *
 * Threading: the call table's (one signaling thread). */
#ifndef WARD_SIP_CALL_DEVS_H
#define WARD_SIP_CALL_DEVS_H

#include <stddef.h>

struct call_dev;

struct call_devs {
	struct call_dev **bucket; /* owned */
	size_t nbuckets;	  /* power of two */
	struct call_dev *spare;	  /* owned: entries not counting a name */
	size_t names;		  /* entries counting a name */
};

/* An empty table for up to MAX_CALLS calls: 0, or -1 (no memory). */
int call_devs_init(struct call_devs *t, unsigned max_calls);
/* Frees every entry. Accepts a table never initialised (zeroed). */
void call_devs_close(struct call_devs *t);

/* A call between devices A and B (borrowed, NUL-terminated) joins the
 * table: 0, or -1 (no memory: nothing counted). */
int call_devs_enter(struct call_devs *t, const char *a, const char *b);
/* The call between A and B (as last counted) leaves the table. */
void call_devs_leave(struct call_devs *t, const char *a, const char *b);
/* A call in the table changes devices: its names A and B as last counted
 * are taken off with call_devs_sub, the new ones counted with
 * call_devs_add. Never fails. */
void call_devs_sub(struct call_devs *t, const char *a, const char *b);
void call_devs_add(struct call_devs *t, const char *a, const char *b);

/* The calls in the table DEVICE takes part in. */
unsigned call_devs_calls(const struct call_devs *t, const char *device);

#endif
