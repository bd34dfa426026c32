/* certs: wardd's certificate watcher — keeps this node's role certificates
 * in DATA/pki in step with the store and switches the services that use
 * them, and, on the leader, keeps every node's ITL current.
 *
 * The store is the source: when a certificate of this node changes there (a
 * new generation, or the first one after init or join), the watcher has
 * the keystore unwrap its key and hold it (the node's role keys, which the
 * roles sign with), writes DATA/pki/<role>.pem (leaf, CA) and .key (0600),
 * and switches the service: https → DATA/https.* and the
 * admin API reloads; node → Raft reloads its TLS. Certificates are
 * published to the cluster before their owner switches, by construction.
 *
 * ITLs: a node's ITL lists its TFTP, CallManager and CAPF certificates and
 * is signed with its TFTP key. Only the leader can propose, and the leader
 * holds every wrapped key and the KEK, so the leader rebuilds the ITL of
 * any node whose stored ITL does not list that node's current certificates
 * (signed with that node's TFTP key, as if the node had done it).
 *
 * Runs on wardd's main loop: certs_check() from a short timer and whenever
 * consensus reports a change. A look costs one comparison of the store's
 * applied index when nothing was applied, one read transaction otherwise.
 */
#ifndef WARD_NODE_CERTS_H
#define WARD_NODE_CERTS_H

#include <stddef.h>
#include <stdint.h>

#include "pki/pki.h"

struct keystore;
struct store;

/* Called back on the thread that calls certs_check(), except DONE. */
struct certs_hooks {
	/* DATA/https.pem and .key were replaced: reload the admin API. */
	int (*https)(void *arg, char *errmsg, size_t errcap);
	/* The SHA-256 of the certificate the admin API serves now (others
	 * than the watcher switch it: cluster init, joining). Optional. */
	void (*https_served)(void *arg, uint8_t out[32]);
	/* DATA/pki/node.pem and .key were replaced: reload Raft's TLS. */
	int (*node)(void *arg, char *errmsg, size_t errcap);
	/* DATA/pki/capf.pem and .key were replaced: the CAPF role shows
	 * them to the next phones. Optional. */
	int (*capf)(void *arg, char *errmsg, size_t errcap);
	/* 1 if this node leads (only the leader proposes ITLs). */
	int (*is_leader)(void *arg);
	/* Proposes the encoded command CMD (borrowed). Returns 0 and later
	 * calls DONE(DONE_ARG, rc) exactly once, on any thread; or returns
	 * non-zero and never calls it. */
	int (*propose)(void *arg, const void *cmd, size_t len,
		       void (*done)(void *done_arg, int rc), void *done_arg);
	void *arg;
};

struct certs_config {
	const char *data_dir;  /* DATA (borrowed, copied) */
	const char *cert_file; /* what the admin API serves: DATA/https.pem */
	const char *key_file;  /* DATA/https.key */
	const char *node_name; /* for the audit of ITL updates */
	uint64_t node_id;
	struct store *store; /* borrowed: must outlive the watcher */
	/* The process's key store (borrowed: must outlive the watcher), for
	 * DATA/kek; NULL: the watcher makes one of its own. */
	struct keystore *keystore;
	struct certs_hooks hooks;
};

struct certs; /* opaque */

/* Notes which certificates are in use now (the files on disk). */
int certs_new(const struct certs_config *cfg, struct certs **out, char *errmsg,
	      size_t errcap);
/* Accepts NULL. No proposal may be in flight (stop consensus first). */
void certs_free(struct certs *w);

/* One look. 0, or -1 with errmsg when the node must stop: DATA/kek is
 * missing or not the cluster's KEK. Failures that may heal (a file that
 * could not be written, a reload refused) are logged and retried at the
 * next look. */
int certs_check(struct certs *w, char *errmsg, size_t errcap);

/* The SHA-256 of the certificate of ROLE in use. 0, or -1 if none. */
int certs_in_use(const struct certs *w, enum pki_role role, uint8_t out[32]);

/* Checks the KEK of KS (DATA/kek, named in messages by DATA_DIR) against
 * the cluster record in S: 0 it is the cluster's KEK, 1 the store has no
 * cluster record yet, -1 with errmsg (missing, unreadable, too open,
 * another KEK, or a cluster older than the PKI). KS holds no KEK after. */
int certs_kek_check(struct keystore *ks, const char *data_dir, struct store *s,
		    char *errmsg, size_t errcap);

#endif
