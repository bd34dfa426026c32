/* directory_store: the sip_directory over the replicated store — devices,
 * their phone or trunk security profile, node groups and LSCs; users with
 * their HA1 set unwrapped by the keystore for the one lookup and wiped;
 * the realm (the cluster's name), security mode, nonce secret (unwrapped)
 * and default nonce validity; the trust store's MIC roots and the cluster
 * CA; the dial plan (`route`: the caller's device and CSS, the lines of
 * the devices by the line index, the route patterns of each partition by
 * their index; precedence in store/dialplan.h).
 *
 * Every callback opens and ends its own LMDB read transaction on the
 * calling (signaling) thread. The trunk list is cached and refreshed with
 * the cluster settings, once a second. */
#ifndef WARD_SIP_DIRECTORY_STORE_H
#define WARD_SIP_DIRECTORY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "keystore/keystore.h"
#include "node/sip/directory.h"
#include "store/store.h"

struct sip_dirstore;

/* STORE and KS are borrowed (both must outlive the directory). The
 * directory has KS hold the cluster KEK (DATA/kek, keystore_kek_acquire)
 * from here until sip_dirstore_free: -1 if it cannot (no KEK file yet). */
int sip_dirstore_new(struct store *store, struct keystore *ks,
		     struct sip_dirstore **out);
void sip_dirstore_free(struct sip_dirstore *d);

/* The directory view (valid until sip_dirstore_free). */
void sip_dirstore_directory(struct sip_dirstore *d, struct sip_directory *out);

#endif
