/* tftp: the TFTP role of a node — phones fetch their trust lists and
 * configuration over TFTP (UDP) or plain HTTP, from one file cache built
 * from the replicated store (tftp_files.h).
 *
 * The role runs its own libevent loop in its own thread, so a flood of
 * TFTP requests never delays the admin API. Every transfer gets a fresh
 * UDP port; transfers are bounded in total and per client address, and
 * HTTP connections in number and idle time: an unauthenticated peer costs
 * bounded memory and CPU, and nothing it sends causes a store write.
 */
#ifndef WARD_TFTP_H
#define WARD_TFTP_H

#include <stddef.h>
#include <stdint.h>

struct store;

struct tftp_config {
	const char *listen;	 /* UDP "host:port"; borrowed for new */
	const char *http_listen; /* TCP "host:port", NULL or "": none */
	unsigned max_transfers;	 /* concurrent TFTP transfers */
	unsigned max_per_client; /* concurrent transfers per address */
	unsigned timeout_ms;	 /* retransmission timeout (base) */
	unsigned max_retries;	 /* timeouts before a transfer is dropped */
	unsigned http_max_conns; /* concurrent HTTP connections */
	unsigned http_idle_s;	 /* HTTP idle/slow-client timeout */
	size_t cache_bytes;	 /* file cache budget */
	const char *pki_dir; /* DATA/pki: the TFTP certificate and key that sign
			      files; NULL: none */
	struct keystore *ks; /* holds the TFTP key and the KEK (borrowed,
			      outlives the role); NULL: DATA/pki, DATA/kek */
};

/* Fills C with the defaults (listen "0.0.0.0:69", HTTP "0.0.0.0:6970"). */
void tftp_config_defaults(struct tftp_config *c);

struct tftp; /* opaque */

/* Creates the role and binds its sockets (so that a process can drop
 * privileges afterwards); STORE is borrowed and must outlive the role.
 * Nothing runs before tftp_start. */
int tftp_new(const struct tftp_config *cfg, struct store *store,
	     struct tftp **out, char *errmsg, size_t errcap);

/* Starts the role's thread. */
int tftp_start(struct tftp *t, char *errmsg, size_t errcap);

/* The node this process is (for its ITL); 0 until it has an identity.
 * Any thread. */
void tftp_set_node(struct tftp *t, uint64_t node_id);

/* Cached files are checked again at their next request. Store changes
 * need no call (the role watches the applied index); this is for inputs
 * outside the store. Any thread, cheap (an atomic increment). */
void tftp_notify(struct tftp *t);

/* The bound ports (useful when configured as 0). */
unsigned tftp_port(const struct tftp *t);
unsigned tftp_http_port(const struct tftp *t);

/* The bytes node NODE_ID serves as NAME, built from STORE (borrowed) now,
 * without the role's cache: for the admin API, any thread. 0 with *out
 * malloc'ed (transferred) and *len; 1 not found; 2 refused; -1 error;
 * WHY gets the reason of a refusal or error. */
struct keystore;
int tftp_file_build(struct store *store, struct keystore *ks,
		    const char *pki_dir, uint64_t node_id, const char *name,
		    uint8_t **out, size_t *len, char *why, size_t whycap);

/* What phone DEVICE gets from node NODE_ID and why: a JSON document
 * (docs/tftp.md) in *out, malloc'ed (transferred, free()). 0, 1 if no
 * such phone, -1 on error. Any thread. */
int tftp_device_explain(struct store *store, struct keystore *ks,
			const char *pki_dir, uint64_t node_id,
			const char *device, char **out);

/* Stops the thread (if started), ends every transfer and frees. Accepts
 * NULL. */
void tftp_free(struct tftp *t);

#endif
