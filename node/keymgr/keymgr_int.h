/* keymgr_int: what the key manager's own files (the vault, calls, the media
 * relay) share. Not for other modules: outside node/keymgr keys are opaque. */
#ifndef WARD_NODE_KEYMGR_KEYMGR_INT_H
#define WARD_NODE_KEYMGR_KEYMGR_INT_H

#include <stdint.h>

#include "node/keymgr/keymgr.h"

/* One master key + salt; lives only in a vault slot (locked, not dumped). */
struct keymgr_key {
	enum sdes_suite suite;
	uint8_t key_len, salt_len;
	uint8_t key[SDES_KEY_MAX];
	uint8_t salt[SDES_SALT_MAX];
};

/* A zeroed slot from KM's pages, or NULL when KM is full (or out of
 * memory). Thread-safe. */
struct keymgr_key *keymgr_key_alloc(struct keymgr *km);
/* Wipes KEY and returns its slot. Accepts NULL. Thread-safe. */
void keymgr_key_release(struct keymgr *km, struct keymgr_key *key);

/* The generated (OUTBOUND 1) or imported (0) key of SIDE: borrowed, valid
 * until CALL is freed or that key is replaced; NULL when there is none. */
const struct keymgr_key *keymgr_call_key(const struct keymgr_call *call,
					 enum keymgr_side side, int outbound);

/* Moves the key ward generated toward SIDE from SRC into DST (replacing,
 * and wiping, DST's): an answer chose one of several keys offered. Both
 * calls of one key manager. */
void keymgr_call_move_generated(struct keymgr_call *dst,
				struct keymgr_call *src, enum keymgr_side side);

#endif
