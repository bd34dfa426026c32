/* capture: authorised packet-capture windows — an admin lets ward keep the
 * SRTP master keys of one device's calls for a bounded time (docs/
 * keymgr.md "Authorised capture"). Table STORE_T_CAPTURE, key = device
 * name. The record holds only the window: the keys themselves never reach
 * the store, the Raft log or the audit log — they live in the key log of
 * the node whose relay carries the call (node/keymgr/keylog.h).
 *
 * Same contract as store.h and prov.h: records decode into caller-owned
 * structs with fixed arrays; writes are commands built here.
 */
#ifndef WARD_STORE_CAPTURE_H
#define WARD_STORE_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "store/prov.h"
#include "store/store.h"

#define STORE_CAPTURE_MAX_S 3600 /* the longest window, seconds */

struct store_capture {
	char device[STORE_NAME_MAX]; /* a provisioned device's name */
	uint64_t started_ms;	     /* when the window opened */
	uint64_t until_ms;	     /* when it closes (> started_ms) */
	char by[STORE_NAME_MAX];     /* the admin who opened it */
};

/* 1 while REC's window is open at NOW_MS. */
int store_capture_active(const struct store_capture *rec, uint64_t now_ms);

int store_capture_encode(const struct store_capture *r, void *buf, size_t cap,
			 size_t *len);
int store_capture_decode(const void *buf, size_t len, struct store_capture *r);

/* Reads, as prov.h's getters and iterators. */
int store_capture_get(struct store_read *r, const char *device,
		      struct store_capture *out);
typedef int (*store_capture_fn)(void *arg, const struct store_capture *rec);
int store_capture_each(struct store_read *r, store_capture_fn fn, void *arg);

/* Opens (or replaces) REC's window. */
int store_cmd_put_capture(struct store_cmd *c, const struct store_capture *r);
/* Closes DEVICE's window; STORE_ENOTFOUND fails the command if there is
 * none. */
int store_cmd_del_capture(struct store_cmd *c, const char *device);

#endif
