/* provdefaults: what every cluster must hold for provisioning — the
 * default phone and trunk security profiles (one per device security
 * mode) and the digest nonce secret — added at cluster init and, for a
 * cluster made before they existed, by the leader at start.
 *
 * Admin thread (init) or wardd's main loop (the leader's look); no state.
 */
#ifndef WARD_NODE_PROVDEFAULTS_H
#define WARD_NODE_PROVDEFAULTS_H

#include <stddef.h>
#include <stdint.h>

#include "keystore/keystore.h"
#include "store/store.h"

/* Adds to CMD, with PUT_NEW (so two leaders racing cannot both add), each
 * default the store read R lacks (R NULL: a new cluster, all of them), and
 * a fresh nonce secret wrapped by KS (which must hold the KEK) if there is
 * none. *ADDED receives how many records were added (0: nothing
 * to do; the command then holds nothing of ours). 0, or -1 with errmsg. */
int provdefaults_cmd(struct store_cmd *cmd, struct store_read *r,
		     struct keystore *ks, uint64_t now_ms, unsigned *added,
		     char *errmsg, size_t errcap);

/* 1 if R lacks any of them (cheap: a few gets). */
int provdefaults_missing(struct store_read *r);

#endif
