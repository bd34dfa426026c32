/* directory: what the signaling role needs to know about the provisioned
 * cluster — devices with their security profile, digest users with their
 * HA1s, the realm and the nonce secret — behind a small table of callbacks,
 * so that the role reads the replicated store (or, in tests and benchmarks,
 * an in-memory table) through one seam.
 *
 * Every callback runs on the signaling thread and fills caller-owned
 * structs; nothing returned stays borrowed past the call. Returns: 0 found,
 * SIP_DIR_NOTFOUND, or -1 on an error reading the data (the caller then
 * refuses the request: fail closed). */
#ifndef WARD_SIP_DIRECTORY_H
#define WARD_SIP_DIRECTORY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "node/sip/digest.h"

#define SIP_DIR_NOTFOUND 1
#define SIP_DIR_FORBIDDEN 2
#define SIP_DIR_NAME_MAX 64
#define SIP_DIR_SUBJECT_MAX 512
#define SIP_DIR_GROUP_MAX 3
#define SIP_DIR_REALM_MAX 128

enum sip_secmode {
	SIP_SECMODE_NONSECURE = 0,
	SIP_SECMODE_AUTHENTICATED,
	SIP_SECMODE_ENCRYPTED,
};

/* Transport bits (profile's allowed transports, a message's transport). */
#define SIP_TP_UDP 1u
#define SIP_TP_TCP 2u
#define SIP_TP_TLS 4u

/* Trunk profile permissions (the seed's check boxes). */
#define SIP_TRUNK_ALLOW_REFER 1u    /* out-of-dialog REFER */
#define SIP_TRUNK_ALLOW_NOTIFY 2u   /* unsolicited NOTIFY */
#define SIP_TRUNK_ALLOW_REPLACES 4u /* INVITE with Replaces */
#define SIP_TRUNK_ALLOW_PRESENCE 8u /* presence SUBSCRIBE */
#define SIP_TRUNK_APP_AUTH 16u	    /* application-level authorization */

/* Methods an application user may send (application-level authorization). */
#define SIP_METHOD_BIT_INVITE 1u
#define SIP_METHOD_BIT_REFER 2u
#define SIP_METHOD_BIT_NOTIFY 4u
#define SIP_METHOD_BIT_SUBSCRIBE 8u
#define SIP_METHOD_BIT_MESSAGE 16u
#define SIP_METHOD_BIT_OPTIONS 32u
#define SIP_METHOD_BIT_OTHER 64u

/* A phone or a trunk with the fields of its security profile. */
struct sip_device {
	char name[SIP_DIR_NAME_MAX];	    /* SEP<MAC> or the trunk's name */
	char digest_user[SIP_DIR_NAME_MAX]; /* "" when none */
	int is_trunk;
	/* The profile's security mode in force: only a secure (mixed)
	 * cluster checks a device's certificate against its profile, so
	 * elsewhere every device and trunk is SIP_SECMODE_NONSECURE whatever
	 * its profile says (the seed: without device authentication in the
	 * cluster there is no signaling or media encryption) — no leg of its
	 * calls receives keys or rises above non-secure. */
	enum sip_secmode mode;
	unsigned transports; /* SIP_TP_* allowed */
	int digest;	     /* profile: enable digest authentication */
	unsigned nonce_validity_s;
	unsigned trunk_flags;			/* SIP_TRUNK_*, trunks only */
	char x509_subject[SIP_DIR_SUBJECT_MAX]; /* trunks in a secure mode */
	unsigned in_port; /* trunks: the profile's incoming port, 0: any */
	uint64_t group[SIP_DIR_GROUP_MAX]; /* node ids, failover order */
	unsigned ngroup;		   /* 0: any node */
	int encrypted_or_reject; /* profile: a call below encrypted gets 488 */
	int has_lsc;			   /* an LSC is on record */
	uint8_t lsc_fp[32];		   /* its SHA-256 fingerprint */
};

/* A digest user (end or application user). */
struct sip_user {
	uint8_t ha1[SIP_DIGEST_HA1_MAX]; /* unwrapped; wiped by the caller */
	size_t ha1_len;			 /* 0: no credentials for this alg */
	unsigned methods;		 /* SIP_METHOD_BIT_*, app users */
	int is_app;
};

#define SIP_ROUTE_MAX 4

/* Where a dialled number goes (the dial plan, `route` below). */
struct sip_route {
	char devices[SIP_ROUTE_MAX][SIP_DIR_NAME_MAX]; /* phones or a trunk */
	unsigned ndevices;
	char number[SIP_DIR_NAME_MAX];	  /* the line (directory number) */
	char partition[SIP_DIR_NAME_MAX]; /* for logs and call lists */
};

/* Cluster-wide settings the role reads. */
struct sip_cluster {
	char realm[SIP_DIR_REALM_MAX];
	int secure; /* mixed mode: device security settings enforced */
	uint8_t nonce_secret[SIP_DIGEST_SECRET_LEN];
	unsigned default_nonce_validity_s;
};

#define SIP_DIR_HOST_MAX 256
#define SIP_DIR_PASSWORD_MAX 129

/* Where a SIP trunk's peer listens: the keepalive's destination. */
struct sip_trunk_peer {
	char name[SIP_DIR_NAME_MAX];
	char host[SIP_DIR_HOST_MAX]; /* IP literal or host name */
	unsigned port;
	unsigned transport; /* one SIP_TP_*: the profile's outgoing one */
};

/* The credentials ward answers a trunk's challenge for a realm with. */
struct sip_realm_cred {
	char user[SIP_DIR_NAME_MAX];
	char password[SIP_DIR_PASSWORD_MAX]; /* unwrapped: the caller wipes */
};

typedef int (*sip_trunk_peer_fn)(void *arg, const struct sip_trunk_peer *t);

struct sip_directory_ops {
	/* The device NAME names (device name, or a line's number). */
	int (*device_by_name)(void *ctx, const char *name,
			      struct sip_device *out);
	/* The trunk whose peer address is SA (port ignored when the trunk
	 * names none). */
	int (*trunk_by_addr)(void *ctx, const struct sockaddr *sa,
			     struct sip_device *out);
	/* USER's HA1 for ALG; unknown users are SIP_DIR_NOTFOUND. */
	int (*user)(void *ctx, const char *user, enum sip_digest_alg alg,
		    struct sip_user *out);
	int (*cluster)(void *ctx, struct sip_cluster *out);
	/* What the trust store says of the CA certificate whose SHA-256 is
	 * FP: SIP_TRUST_MIC_ROOT (a `mic-root` entry: manufacturers' CAs),
	 * SIP_TRUST_LSC_CA (the cluster CA, which issues LSCs),
	 * SIP_TRUST_TRUNK_PEER (a `trunk-peer` entry: a SIP trunk peer's
	 * certificate or its CA; it authenticates trunks, never phones), or
	 * SIP_DIR_NOTFOUND. */
	int (*trust_root)(void *ctx, const uint8_t fp[32]);
	/* The dial plan: where the device CALLER (a phone or a trunk, by
	 * name) goes when it dials NUMBER. Partitions and the caller's
	 * calling search space decide: the first partition of the CSS, in
	 * its order, that holds NUMBER wins. 0 with OUT filled (the devices
	 * that have the line, phones or a trunk); SIP_DIR_NOTFOUND when no
	 * partition the caller may reach holds it — a number in a partition
	 * outside the caller's CSS is answered exactly like one that does
	 * not exist (404), so it is never revealed; SIP_DIR_FORBIDDEN when
	 * the winning entry is a blocking pattern (403). NULL in a directory
	 * without a dial plan. */
	int (*route)(void *ctx, const char *caller, const char *number,
		     struct sip_route *out);
	/* Presence authorization (presence.h). The presence group of the
	 * digest user USER into GROUP ("" none): 0, or SIP_DIR_NOTFOUND for
	 * an unknown user. */
	int (*presence_group)(void *ctx, const char *user,
			      char group[SIP_DIR_NAME_MAX]);
	/* The rule of group WATCHER for watching group WATCHED: 0 with
	 * *ALLOW 1 (allow) or 0 (disallow), or SIP_DIR_NOTFOUND (none). */
	int (*presence_rule)(void *ctx, const char *watcher,
			     const char *watched, int *allow);
	/* The cluster's default for pairs without a rule: 1 allow, 0
	 * disallow. Any of the three NULL: no presence (refused). */
	int (*presence_default)(void *ctx);
	/* The node the replicated registrations table says holds DEVICE:
	 * 0 with *NODE_ID, or SIP_DIR_NOTFOUND. NULL: only this node's
	 * bindings count (presence of devices on other nodes unseen). */
	int (*registration)(void *ctx, const char *device, uint64_t *node_id);
	/* Calls FN for each SIP trunk's peer until FN returns non-zero.
	 * 0, or -1 when the directory cannot be read. NULL: no trunks. */
	int (*trunk_each)(void *ctx, sip_trunk_peer_fn fn, void *arg);
	/* The credentials of REALM (the realms table), the password
	 * unwrapped into OUT (the caller wipes it); SIP_DIR_NOTFOUND when
	 * the realm has none. NULL: no realms. */
	int (*realm_cred)(void *ctx, const char *realm,
			  struct sip_realm_cred *out);
	/* Calls between nodes (call_node.h). The current member (spare or
	 * voter) whose NODE certificate has SHA-256 FP: 0 with *NODE_ID, or
	 * SIP_DIR_NOTFOUND. NULL: no calls between nodes. */
	int (*node_by_cert)(void *ctx, const uint8_t fp[32], uint64_t *node_id);
	/* Where member NODE_ID's node-to-node listener is (its node record):
	 * 0 with HOST (an IP literal) and *PORT, SIP_DIR_NOTFOUND when it is
	 * not a member or publishes none. NULL: no calls between nodes. */
	int (*node_sip)(void *ctx, uint64_t node_id,
			char host[SIP_DIR_HOST_MAX], unsigned *port);
	/* The lines (directory numbers) of device NAME, by its name, in
	 * the device's order: up to MAX into OUT, their count returned (0
	 * for no such device), -1 when unreadable. NULL: a caller's line
	 * is the user part of its From (barge, call_conf.c). */
	int (*device_lines)(void *ctx, const char *name,
			    char out[][SIP_DIR_NAME_MAX], unsigned max);
};

#define SIP_TRUST_MIC_ROOT 10
#define SIP_TRUST_LSC_CA 11
#define SIP_TRUST_TRUNK_PEER 12

struct sip_directory {
	const struct sip_directory_ops *ops; /* borrowed, static */
	void *ctx;			     /* borrowed */
};

#endif
