/* wardd's parts: the daemon's state, shared by main.c (the start-up ladder,
 * signals, stopping), wardd_cluster.c (consensus, the certificate watcher,
 * bootstrap and join) and wardd_checks.c (the data directory's checks).
 * Internal to wardd: nothing outside node/main.c and its parts includes it.
 * Everything here runs on the main loop unless it says otherwise. */
#ifndef WARD_NODE_WARDD_H
#define WARD_NODE_WARDD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "node/config.h"
#include "node/identity.h"
#include "node/join.h"
#include "node/sip/directory.h"
#include "node/sip/media.h"

#define TAG "wardd"

struct wardd {
	struct config cfg;
	const char *cfg_path;
	char store_dir[CONFIG_PATH_MAX + 16];
	char raft_dir[CONFIG_PATH_MAX + 16];
	char cert_path[CONFIG_PATH_MAX + 16];
	char key_path[CONFIG_PATH_MAX + 16];
	char kek_path[CONFIG_PATH_MAX + 16];
	struct identity id;
	int lock_fd;
	struct event_base *base;     /* owned */
	struct store *store;	     /* owned */
	struct consensus *consensus; /* owned */
	struct admin *admin;	     /* owned */
	struct certs *certs;	     /* owned: the certificate watcher */
	struct keystore *ks;	     /* owned: the KEK and unwrapped keys */
	struct tftp *tftp;	     /* owned: the TFTP role */
	struct event *ev_signal[3];  /* owned: TERM, INT, HUP */
	struct event *ev_change;     /* owned: woken by the Raft thread */
	struct event *ev_stop;	     /* owned: leadership handed over */
	struct event *ev_deadline;   /* owned: stop even if it was not */
	struct event *ev_certs;	     /* owned: the watcher's timer */
	/* The signaling role (wardd_sip.c). */
	struct sip_role *sip;		  /* owned */
	struct sip_dirstore *sip_dir;	  /* owned */
	struct sip_directory sip_dirview; /* the role borrows it */
	struct event *ev_sip;		  /* owned: start/restart checks */
	uint8_t sip_tls_fp[32];		  /* TLS files the role runs with */
	unsigned sip_keepalive_s;	  /* the keepalive it runs with */
	int sip_failed;			  /* could not listen: given up */
	struct wardd_sipreg *sipreg;	  /* owned: changes for the leader */
	struct wardd_sipfail *sipfail;	  /* owned: failures for the audit */
	/* The media thread and the table the B2BUA calls (wardd_media.c);
	 * started with the signaling role, freed after it. */
	struct wardd_media *media;    /* owned */
	struct sip_media media_table; /* the role borrows it */
	int media_failed;	      /* could not start: calls pass SDP */
	struct wardd_capture *capture; /* owned: the key log (capture) */
	int sip_addr_busy;		  /* its address on its way to the leader */
	/* The CAPF role (wardd_capf.c). */
	struct capf *capf;	/* owned */
	struct event *ev_capf;	/* owned: start checks */
	int capf_failed;	/* could not start: given up */
	struct wardd_capf_relay *capf_relay; /* owned: writes for the leader */
	int stopping;
	int fatal; /* stopping because of an error: exit 1 */
	atomic_int exit_code;
};

/* main.c */
/* Stops the daemon: hands leadership over first when this node leads. */
void wardd_begin_stop(struct wardd *w, const char *why);

/* wardd_checks.c */
int wardd_mkdir(const char *path, char *errmsg, size_t errcap);
/* One wardd per data directory: two would corrupt each other's Raft log. */
int wardd_lock(struct wardd *w, char *errmsg, size_t errcap);
/* The data directory must be one node's, of one cluster, whole. */
int wardd_check_data(struct wardd *w, int have_identity, char *errmsg,
		     size_t errcap);
/* --rebuild-store: sets the damaged store aside for a rebuild. */
int wardd_set_store_aside(struct wardd *w, int have_identity, char *errmsg,
			  size_t errcap);

/* wardd_cluster.c */
int wardd_start_consensus(struct wardd *w, uint64_t node_id, char *errmsg,
			  size_t errcap);
/* Starts watching once this node is a member (consensus runs). */
int wardd_watch_certs(struct wardd *w, char *errmsg, size_t errcap);
/* One look of the certificate watcher; stops the daemon on a fatal error. */
void wardd_certs_look(struct wardd *w);
/* admin hook: POST /v1/cluster/init accepted. */
int wardd_bootstrap(void *arg, const char *cluster_id, char *errmsg,
		    size_t errcap);
int wardd_join(struct wardd *w, const char *url, const char *token,
	       const struct join_pin *pin, char *errmsg, size_t errcap);

/* wardd_sip.c */
/* A timer that starts the signaling role once this node is a member of an
 * initialised cluster, and restarts it when its certificate or trusted CAs
 * change. A role that cannot listen is logged, not fatal: the rest of the
 * node keeps working. */
int wardd_sip_init(struct wardd *w);
void wardd_sip_look(struct wardd *w);
void wardd_sip_fini(struct wardd *w);
/* admin hook: the trunk keepalive's last word on TRUNK, as JSON text. */
int wardd_sip_trunk_status(void *arg, const char *trunk, char **out);
/* wardd_calls.c: the admin hook of GET /v1/calls (admin.h calls_json);
 * ARG is the struct wardd. */
int wardd_calls_json(void *arg, char **out);
/* wardd_sip.c: the admin hook of GET /v1/capture/DEVICE/keys (admin.h
 * capture_keys_json); ARG is the struct wardd. */
int wardd_capture_keys(void *arg, const char *device, char **out);
/* wardd_capf.c: starts the CAPF role once the node has its CAPF
 * certificate and consensus runs; stop before consensus_stop, fini
 * after. */
int wardd_capf_init(struct wardd *w);
void wardd_capf_stop(struct wardd *w);
void wardd_capf_fini(struct wardd *w);

/* wardd_sipaddr.c: publishes where the signaling role listens (HOST,
 * PORT, TLS_PORT, NODE_PORT: 0 for none) in this node's record when the
 * record says otherwise — once per start or change, never per tick. Main
 * thread. */
void wardd_sipaddr_publish(struct wardd *w, const char *host, unsigned port,
			   unsigned tls_port, unsigned node_port);

/* wardd_sipreg.c */
struct admin_reg_change;
/* The relay of registration changes to the leader (a follower cannot
 * propose): a queue and a main-loop timer. */
int wardd_sipreg_init(struct wardd *w);
/* Any thread (the signaling thread): queues C, coalesced by device. */
void wardd_sipreg_queue(struct wardd *w, const struct admin_reg_change *c);
/* After the signaling role stopped (nothing queues any more). */
void wardd_sipreg_fini(struct wardd *w);

/* wardd_sipfail.c: the signaling role's failures, to the admin gate. */
struct sockaddr;
int wardd_sipfail_init(struct wardd *w);
/* The core's fail hook (signaling thread; ARG is the wardd). */
void wardd_sipfail_hook(void *arg, const struct sockaddr *src,
			const char *name, const char *why);
/* Main loop: hands what was counted to the admin gate. */
void wardd_sipfail_drain(struct wardd *w);
/* After the signaling role stopped. */
void wardd_sipfail_fini(struct wardd *w);

#endif
