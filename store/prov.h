/* prov: the provisioning data of the store — phone and trunk security
 * profiles, devices, users, realms, node groups, registrations and the
 * cluster's wrapped secrets (docs/store.md, "Provisioning").
 *
 * Same contract as store.h: records decode into caller-owned structs whose
 * strings live in fixed arrays (the one exception, the LSC of a device,
 * points into the read transaction); reads work from any thread; writes are
 * commands built here and proposed through consensus.
 *
 * Secrets (digest HA1 values, realm passwords, the digest nonce secret) are
 * stored only wrapped under the cluster KEK with pki_wrap and the AAD
 * pki_aad(TABLE, key) — TABLE the table's name ("users", "realms",
 * "secrets"), key the record's key bytes (its name, without a NUL) — so a
 * wrapped value moved to another record does not unwrap. The store never
 * unwraps; the roles that need the plaintext do, and wipe it after use.
 */
#ifndef WARD_STORE_PROV_H
#define WARD_STORE_PROV_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define STORE_DESC_MAX 128	/* descriptions */
#define STORE_DN_MAX 32		/* directory number: 1..31 of 0-9 * # + */
#define STORE_LINES_MAX 8	/* lines of one device */
#define STORE_GROUP_NODES_MAX 3 /* nodes of a node group */
#define STORE_CSS_PARTITIONS_MAX 16 /* partitions of a calling search space */
#define STORE_PASSWORD_MAX 128	/* realm password, bytes */
#define STORE_SMALL_WRAPPED_MAX                                                \
	160 /* a wrapped HA1 set, password, secret:                            \
	       >= STORE_PASSWORD_MAX + 29 (the                                 \
	       pki_wrap overhead) */

/* ---- names ------------------------------------------------------------ */

/* 1 if NAME is a provisioning name: 1..63 of A-Z a-z 0-9 . _ -, not
 * starting with '.' or '-' (a path segment of the admin API). Profiles, users, realms, node groups and
 * trunks are named so. */
int store_prov_name_valid(const char *name);
/* 1 if NAME is a phone name: "SEP" and 12 upper-case hex digits. */
int store_phone_name_valid(const char *name);
/* 1 if DN is a directory number: 1..31 of 0-9 * # +. */
int store_dn_valid(const char *dn);

/* ---- enumerations (values are stored: never renumber) ------------------ */

enum store_device_mode {
	STORE_DEVMODE_NON_SECURE = 0,
	STORE_DEVMODE_AUTHENTICATED = 1, /* TLS, mutual authentication */
	STORE_DEVMODE_ENCRYPTED = 2,	 /* TLS + SRTP */
};
/* "non-secure", "authenticated", "encrypted"; "unknown" out of range. */
const char *store_device_mode_name(enum store_device_mode m);
int store_device_mode_parse(const char *name, enum store_device_mode *out);

enum store_transport {
	STORE_TRANSPORT_TCP_UDP = 0, /* profiles: either */
	STORE_TRANSPORT_TCP = 1,
	STORE_TRANSPORT_UDP = 2,
	STORE_TRANSPORT_TLS = 3,
};
/* "tcp+udp", "tcp", "udp", "tls". */
const char *store_transport_name(enum store_transport t);
int store_transport_parse(const char *name, enum store_transport *out);

enum store_capf_auth {
	STORE_CAPF_AUTH_STRING = 0,	  /* by authentication string */
	STORE_CAPF_AUTH_NULL = 1,	  /* by null string */
	STORE_CAPF_AUTH_EXISTING_LSC = 2, /* existing certificate, LSC first */
	STORE_CAPF_AUTH_EXISTING_MIC = 3, /* existing certificate, MIC first */
};
/* "auth-string", "null-string", "existing-lsc", "existing-mic". */
const char *store_capf_auth_name(enum store_capf_auth a);
int store_capf_auth_parse(const char *name, enum store_capf_auth *out);

enum store_settings_access {
	STORE_SETTINGS_ENABLED = 0,
	STORE_SETTINGS_DISABLED = 1,
	STORE_SETTINGS_RESTRICTED = 2,
};
/* "enabled", "disabled", "restricted". */
const char *store_settings_access_name(enum store_settings_access a);
int store_settings_access_parse(const char *name,
				enum store_settings_access *out);

/* ---- phone security profiles (table phone_profiles, key = name) ------- */

#define STORE_PP_DIGEST_AUTH (1u << 0)	  /* enable digest authentication */
#define STORE_PP_TFTP_ENCRYPTED (1u << 1) /* TFTP encrypted config */
#define STORE_PP_EXCLUDE_DIGEST                                                \
	(1u << 2)		      /* leave digest credentials out          \
					 of the config file */
#define STORE_PP_PC_PORT (1u << 3)    /* phone's PC port enabled */
#define STORE_PP_WEB_ACCESS (1u << 4) /* phone's web server enabled */
#define STORE_PP_GARP (1u << 5)	      /* gratuitous ARP accepted */
#define STORE_PP_VOICE_VLAN (1u << 6) /* PC port may reach voice VLAN */
#define STORE_PP_SPAN_PC (1u << 7)    /* span to PC port */
/* "Encrypted or reject": a call of this profile's phone that cannot be
 * encrypted end to end gets 488 instead of falling back. */
#define STORE_PP_ENCRYPTED_OR_REJECT (1u << 8)
#define STORE_PP_ALL 0x1ffu

struct store_phone_profile {
	char name[STORE_NAME_MAX];
	char description[STORE_DESC_MAX];
	uint32_t mode;		   /* enum store_device_mode */
	uint32_t transport;	   /* enum store_transport */
	uint32_t flags;		   /* STORE_PP_* */
	uint32_t nonce_validity_s; /* 0: the cluster parameter
				      digest_nonce_validity_s */
	uint32_t capf_auth;	   /* enum store_capf_auth */
	uint32_t key_size;	   /* RSA bits for CAPF: 1024, 2048, 4096 */
	uint32_t settings_access;  /* enum store_settings_access */
	uint64_t created_ms, changed_ms;
	char srst[STORE_NAME_MAX]; /* v2: SRST reference (store/srst.h), ""
				      none */
};

/* ---- SIP trunk security profiles (table trunk_profiles, key = name) ---- */

#define STORE_TP_DIGEST_AUTH (1u << 0)	/* enable digest authentication */
#define STORE_TP_PRESENCE_SUB (1u << 1) /* accept presence subscription */
#define STORE_TP_OOD_REFER (1u << 2)	/* accept out-of-dialog REFER */
#define STORE_TP_UNSOL_NOTIFY (1u << 3) /* accept unsolicited NOTIFY */
#define STORE_TP_REPLACES (1u << 4)	/* accept Replaces header */
#define STORE_TP_APP_AUTH (1u << 5)	/* application-level authz */
#define STORE_TP_ALL 0x3fu

struct store_trunk_profile {
	char name[STORE_NAME_MAX];
	char description[STORE_DESC_MAX];
	uint32_t mode;			    /* enum store_device_mode */
	uint32_t in_transport;		    /* enum store_transport */
	uint32_t out_transport;		    /* TCP, UDP or TLS */
	uint32_t in_port;		    /* 1..65535 */
	char x509_subjects[STORE_TEXT_MAX]; /* peer DNs or names, separated by
					       spaces or commas; "" none */
	uint32_t flags;			    /* STORE_TP_* */
	uint32_t nonce_validity_s;	    /* 0: the cluster parameter */
	uint64_t created_ms, changed_ms;
};

/* The default profiles, one per device security mode, created at cluster
 * init (and by the leader for a cluster that lacks them). I in 0..2 (the
 * mode); *out filled with time 0. STORE_EINVAL past the last. */
#define STORE_DEFAULT_PROFILES 3
int store_phone_profile_default(unsigned i, struct store_phone_profile *out);
int store_trunk_profile_default(unsigned i, struct store_trunk_profile *out);

/* ---- devices (table devices, key = name) ------------------------------ */

enum store_device_kind {
	STORE_DEVICE_PHONE = 1, /* name "SEP" + MAC */
	STORE_DEVICE_TRUNK = 2, /* SIP trunk: peer host and port */
};
/* "phone", "trunk". */
const char *store_device_kind_name(enum store_device_kind k);
int store_device_kind_parse(const char *name, enum store_device_kind *out);

/* Model capabilities. */
#define STORE_CAP_TLS (1u << 0)
#define STORE_CAP_SRTP (1u << 1)
#define STORE_CAP_ENC_CONFIG (1u << 2) /* encrypted config files */
#define STORE_CAP_MIC (1u << 3)	       /* has a manufacturer certificate */
#define STORE_CAP_ALL 0xfu

struct store_device {
	char name[STORE_NAME_MAX];
	uint32_t kind; /* enum store_device_kind */
	char description[STORE_DESC_MAX];
	char model[STORE_NAME_MAX];
	uint32_t caps;		      /* STORE_CAP_* */
	char profile[STORE_NAME_MAX]; /* phone profile (phones) or trunk
					 profile (trunks) */
	uint32_t n_lines;	      /* 0..STORE_LINES_MAX */
	char lines[STORE_LINES_MAX][STORE_DN_MAX];
	/* version 2 (a version 1 record reads as "" everywhere): the
	 * partition of each line ("" the none-partition, which every calling
	 * search space reaches) and the device's calling search space ("":
	 * none, so only the none-partition). */
	char line_partitions[STORE_LINES_MAX][STORE_NAME_MAX];
	char css[STORE_NAME_MAX];
	char digest_user[STORE_NAME_MAX]; /* "" none */
	char node_group[STORE_NAME_MAX];  /* "" none: any node */
	char peer_host[STORE_ADDR_MAX];	  /* trunks: host name or address */
	uint32_t peer_port;		  /* trunks: 1..65535; phones 0 */
	uint64_t created_ms, changed_ms;
};

/* Why DEV cannot use profile P (mode or transport needs TLS, encrypted
 * needs SRTP, TFTP encrypted config needs the capability): 0, or
 * STORE_EINVAL with the reason in errmsg. The trunk variant checks mode
 * and transports against TLS. */
int store_device_check_phone_profile(const struct store_device *dev,
				     const struct store_phone_profile *p,
				     char *errmsg, size_t errcap);
int store_device_check_trunk_profile(const struct store_device *dev,
				     const struct store_trunk_profile *p,
				     char *errmsg, size_t errcap);

/* A device's locally significant certificate, written by CAPF (table
 * device_lsc, key = device name). der points into the buffer decoded
 * (for getters: valid until store_read_end()). */
struct store_device_lsc {
	char device[STORE_NAME_MAX]; /* from the key */
	const uint8_t *der;	     /* borrowed; 1..STORE_DER_MAX bytes */
	size_t der_len;
	uint8_t sha256[32]; /* fingerprint of the DER */
	char serial[STORE_SERIAL_MAX];
	uint64_t not_after_s;
	uint64_t issued_ms;
};

/* A device's manufacturer-installed certificate (MIC), as the registrar,
 * CAPF or the admin saw it, is kept in the same record (table device_mic,
 * key = device name; issued_ms: when it was recorded). The TFTP role
 * encrypts a config to the LSC, else to the MIC. */

/* ---- users (table users, key = name) ---------------------------------- */

enum store_user_kind {
	STORE_USER_END = 1, /* a phone's digest user */
	STORE_USER_APP = 2, /* an application behind a trunk */
};
const char *store_user_kind_name(enum store_user_kind k); /* "end", "app" */

/* SIP methods and requests an application user may send. */
#define STORE_SIP_INVITE (1u << 0)
#define STORE_SIP_SUBSCRIBE (1u << 1) /* presence subscription */
#define STORE_SIP_NOTIFY (1u << 2)    /* unsolicited NOTIFY */
#define STORE_SIP_REFER (1u << 3)     /* out-of-dialog REFER */
#define STORE_SIP_REPLACES (1u << 4)  /* INVITE with Replaces */
#define STORE_SIP_MESSAGE (1u << 5)
#define STORE_SIP_OPTIONS (1u << 6)
#define STORE_SIP_PUBLISH (1u << 7)
#define STORE_SIP_INFO (1u << 8)
#define STORE_SIP_UPDATE (1u << 9)
#define STORE_SIP_ALL 0x3ffu
/* Name of one bit ("invite", ..., "replaces"); NULL if not a single known
 * bit. */
const char *store_sip_method_name(uint32_t bit);
/* Bit of a name (any case), 0 if unknown. */
uint32_t store_sip_method_parse(const char *name);

/* HA1 set, the plaintext that is wrapped: MD5 (16) | SHA-256 (32) |
 * SHA-512-256 (32), each H(user ":" realm ":" password). */
#define STORE_HA1_MD5_OFF 0
#define STORE_HA1_SHA256_OFF 16
#define STORE_HA1_SHA512_256_OFF 48
#define STORE_HA1_SET_LEN 80

struct store_user {
	char name[STORE_NAME_MAX]; /* also the digest user name */
	uint32_t kind;		   /* enum store_user_kind */
	char description[STORE_DESC_MAX];
	char presence_group[STORE_NAME_MAX]; /* "" none */
	uint32_t methods;	    /* app users: STORE_SIP_*; end users 0 */
	char realm[STORE_NAME_MAX]; /* realm the HA1 were computed for */
	uint8_t kek_id[8];	    /* KEK that wrapped them */
	uint32_t ha1_len;	    /* 0: no digest credentials */
	uint8_t ha1_wrapped[STORE_SMALL_WRAPPED_MAX]; /* pki_wrap of the HA1
							 set, AAD ("users",
							 name) */
	uint64_t created_ms, changed_ms;
};

/* Computes the HA1 set of USER, REALM and PASSWORD (NUL-terminated) into
 * OUT. A SECRET: wipe it with OPENSSL_cleanse. 0 or STORE_ENOMEM. */
int store_ha1_compute(const char *user, const char *realm, const char *password,
		      uint8_t out[STORE_HA1_SET_LEN]);

/* ---- realms (table realms, key = realm name) --------------------------- *
 * Credentials ward answers a trunk's 401/407 with, by the challenge's
 * realm. The password is recoverable: wrapped, AAD ("realms", name). */
struct store_realm {
	char name[STORE_NAME_MAX];
	char description[STORE_DESC_MAX];
	char user[STORE_NAME_MAX];
	uint8_t kek_id[8];
	uint32_t password_len; /* 1..STORE_SMALL_WRAPPED_MAX */
	uint8_t password_wrapped[STORE_SMALL_WRAPPED_MAX];
	uint64_t created_ms, changed_ms;
};

/* ---- node groups (table node_groups, key = name) ----------------------- */
struct store_node_group {
	char name[STORE_NAME_MAX];
	char description[STORE_DESC_MAX];
	uint32_t n_nodes;		       /* 1..STORE_GROUP_NODES_MAX */
	uint64_t nodes[STORE_GROUP_NODES_MAX]; /* node ids, failover order,
						  distinct, non-zero */
	uint64_t created_ms, changed_ms;
};

/* ---- the dial plan (docs/sip.md, "Dial plan"; matching: store/dialplan.h)
 * Partitions group lines and patterns; a calling search space lists the
 * partitions a device may reach, in the order they are searched. */

/* Table partitions, key = name. */
struct store_partition {
	char name[STORE_NAME_MAX];
	char description[STORE_DESC_MAX];
	uint64_t created_ms, changed_ms;
};

/* Table css, key = name. */
struct store_css {
	char name[STORE_NAME_MAX];
	char description[STORE_DESC_MAX];
	uint32_t n_partitions; /* 0..STORE_CSS_PARTITIONS_MAX */
	char partitions[STORE_CSS_PARTITIONS_MAX][STORE_NAME_MAX]; /* names,
					    search order, distinct */
	uint64_t created_ms, changed_ms;
};

enum store_route_action {
	STORE_ROUTE_TO_TRUNK = 0, /* the call goes to the SIP trunk `trunk` */
	STORE_ROUTE_BLOCK = 1,	  /* the call is refused (403) */
};
/* "route", "block"; "unknown" out of range. */
const char *store_route_action_name(enum store_route_action a);
int store_route_action_parse(const char *name, enum store_route_action *out);

/* Table route_patterns, key = name; the index route_pattern_keys holds
 * PARTITION + NUL + PATTERN -> name, kept by the route pattern commands, so
 * a pattern is unique in its partition and a partition's patterns are one
 * key range. */
struct store_route_pattern {
	char name[STORE_NAME_MAX];
	char description[STORE_DESC_MAX];
	char partition[STORE_NAME_MAX]; /* "" the none-partition */
	char pattern[64];	    /* dialplan_pattern_check() accepts it */
	uint32_t action;	    /* enum store_route_action */
	char trunk[STORE_NAME_MAX]; /* route: a trunk device; block: "" */
	uint64_t created_ms, changed_ms;
};

/* ---- registrations (table registrations, key = device name) ----------- *
 * Which node holds a device's binding. Written only when that changes
 * (first registration, move, unregister, expiry), never on a refresh. */
enum store_reg_cert {
	STORE_REG_CERT_NONE = 0,
	STORE_REG_CERT_MIC = 1,
	STORE_REG_CERT_LSC = 2,
};
const char *store_reg_cert_name(enum store_reg_cert c); /* "none", ... */

struct store_registration {
	char device[STORE_NAME_MAX]; /* from the key */
	uint64_t node_id;	     /* owning node */
	uint32_t transport;	     /* UDP, TCP or TLS */
	char source[STORE_ADDR_MAX]; /* "host:port" of the device */
	uint32_t cert;		     /* enum store_reg_cert */
	uint8_t cert_sha256[32];     /* zero without a certificate */
	uint64_t expires_ms;
	uint64_t since_ms;
};

/* ---- secrets (table secrets, key = name) ------------------------------ */

/* 32 random bytes; every node's digest nonces are HMACs under it. */
#define STORE_SECRET_DIGEST_NONCE "digest_nonce"
#define STORE_SECRET_LEN 32

struct store_secret {
	char name[STORE_NAME_MAX]; /* from the key */
	uint8_t kek_id[8];
	uint32_t wrapped_len; /* 1..STORE_SMALL_WRAPPED_MAX */
	uint8_t wrapped[STORE_SMALL_WRAPPED_MAX]; /* AAD ("secrets", name) */
	uint64_t created_ms;
};

/* ---- codecs (contract of store.h's; fields from the key not encoded) --- */

int store_phone_profile_encode(const struct store_phone_profile *r, void *buf,
			       size_t cap, size_t *len);
int store_phone_profile_decode(const void *buf, size_t len,
			       struct store_phone_profile *r);
int store_trunk_profile_encode(const struct store_trunk_profile *r, void *buf,
			       size_t cap, size_t *len);
int store_trunk_profile_decode(const void *buf, size_t len,
			       struct store_trunk_profile *r);
int store_device_encode(const struct store_device *r, void *buf, size_t cap,
			size_t *len);
int store_device_decode(const void *buf, size_t len, struct store_device *r);
/* Fits in STORE_BLOB_RECORD_MAX; der borrowed from BUF on decode. */
int store_device_lsc_encode(const struct store_device_lsc *r, void *buf,
			    size_t cap, size_t *len);
int store_device_lsc_decode(const void *buf, size_t len,
			    struct store_device_lsc *r);
int store_user_encode(const struct store_user *r, void *buf, size_t cap,
		      size_t *len);
int store_user_decode(const void *buf, size_t len, struct store_user *r);
int store_realm_encode(const struct store_realm *r, void *buf, size_t cap,
		       size_t *len);
int store_realm_decode(const void *buf, size_t len, struct store_realm *r);
int store_node_group_encode(const struct store_node_group *r, void *buf,
			    size_t cap, size_t *len);
int store_node_group_decode(const void *buf, size_t len,
			    struct store_node_group *r);
int store_registration_encode(const struct store_registration *r, void *buf,
			      size_t cap, size_t *len);
int store_registration_decode(const void *buf, size_t len,
			      struct store_registration *r);
int store_secret_encode(const struct store_secret *r, void *buf, size_t cap,
			size_t *len);
int store_secret_decode(const void *buf, size_t len, struct store_secret *r);
int store_partition_encode(const struct store_partition *r, void *buf,
			   size_t cap, size_t *len);
int store_partition_decode(const void *buf, size_t len,
			   struct store_partition *r);
int store_css_encode(const struct store_css *r, void *buf, size_t cap,
		     size_t *len);
int store_css_decode(const void *buf, size_t len, struct store_css *r);
int store_route_pattern_encode(const struct store_route_pattern *r, void *buf,
			       size_t cap, size_t *len);
int store_route_pattern_decode(const void *buf, size_t len,
			       struct store_route_pattern *r);

/* ---- reads (any thread) ------------------------------------------------ *
 * Getters: 0, STORE_ENOTFOUND, STORE_EINVAL for a NAME that cannot be a
 * key, STORE_ECORRUPT when the value disagrees with its key. Iterators
 * call FN for each record in key order, borrowed for the call; FN returns
 * 0 to go on, non-zero to stop (returned). Undecodable records are
 * skipped. */
int store_phone_profile_get(struct store_read *r, const char *name,
			    struct store_phone_profile *out);
typedef int (*store_phone_profile_fn)(void *arg,
				      const struct store_phone_profile *rec);
int store_phone_profile_each(struct store_read *r, store_phone_profile_fn fn,
			     void *arg);
int store_trunk_profile_get(struct store_read *r, const char *name,
			    struct store_trunk_profile *out);
typedef int (*store_trunk_profile_fn)(void *arg,
				      const struct store_trunk_profile *rec);
int store_trunk_profile_each(struct store_read *r, store_trunk_profile_fn fn,
			     void *arg);
int store_device_get(struct store_read *r, const char *name,
		     struct store_device *out);
typedef int (*store_device_fn)(void *arg, const struct store_device *rec);
int store_device_each(struct store_read *r, store_device_fn fn, void *arg);
/* Devices with line DN / digest user USER, through indexes kept by the
 * device commands (no scan). */
int store_device_each_by_line(struct store_read *r, const char *dn,
			      store_device_fn fn, void *arg);
int store_device_each_by_user(struct store_read *r, const char *user,
			      store_device_fn fn, void *arg);
int store_device_lsc_get(struct store_read *r, const char *device,
			 struct store_device_lsc *out);
int store_device_mic_get(struct store_read *r, const char *device,
			 struct store_device_lsc *out);
int store_user_get(struct store_read *r, const char *name,
		   struct store_user *out);
typedef int (*store_user_fn)(void *arg, const struct store_user *rec);
int store_user_each(struct store_read *r, store_user_fn fn, void *arg);
int store_realm_get(struct store_read *r, const char *name,
		    struct store_realm *out);
typedef int (*store_realm_fn)(void *arg, const struct store_realm *rec);
int store_realm_each(struct store_read *r, store_realm_fn fn, void *arg);
int store_node_group_get(struct store_read *r, const char *name,
			 struct store_node_group *out);
typedef int (*store_node_group_fn)(void *arg,
				   const struct store_node_group *rec);
int store_node_group_each(struct store_read *r, store_node_group_fn fn,
			  void *arg);
int store_registration_get(struct store_read *r, const char *device,
			   struct store_registration *out);
typedef int (*store_registration_fn)(void *arg,
				     const struct store_registration *rec);
int store_registration_each(struct store_read *r, store_registration_fn fn,
			    void *arg);
int store_secret_get(struct store_read *r, const char *name,
		     struct store_secret *out);
int store_partition_get(struct store_read *r, const char *name,
			struct store_partition *out);
typedef int (*store_partition_fn)(void *arg, const struct store_partition *rec);
int store_partition_each(struct store_read *r, store_partition_fn fn,
			 void *arg);
int store_css_get(struct store_read *r, const char *name,
		  struct store_css *out);
typedef int (*store_css_fn)(void *arg, const struct store_css *rec);
int store_css_each(struct store_read *r, store_css_fn fn, void *arg);
int store_route_pattern_get(struct store_read *r, const char *name,
			    struct store_route_pattern *out);
typedef int (*store_route_pattern_fn)(void *arg,
				      const struct store_route_pattern *rec);
int store_route_pattern_each(struct store_read *r, store_route_pattern_fn fn,
			     void *arg);
/* The patterns of PARTITION ("" the none-partition), through the index
 * (no scan), in pattern order. */
int store_route_pattern_each_in(struct store_read *r, const char *partition,
				store_route_pattern_fn fn, void *arg);
/* The same, only the patterns that match NUMBER (dialplan_pattern_match):
 * the others' records are not read. */
int store_route_pattern_each_match(struct store_read *r, const char *partition,
				   const char *number,
				   store_route_pattern_fn fn, void *arg);
/* The name of the pattern PATTERN of PARTITION into NAME (STORE_NAME_MAX):
 * 0 or STORE_ENOTFOUND. */
int store_route_pattern_find(struct store_read *r, const char *partition,
			     const char *pattern, char *name);

/* ---- commands --------------------------------------------------------- *
 * OP is STORE_OP_PUT (add or replace) or STORE_OP_PUT_NEW (add; the
 * command fails with STORE_EEXIST if the name is taken). Deletes fail the
 * command with STORE_ENOTFOUND if absent. Records are checked as encode
 * does (STORE_EINVAL). */
int store_cmd_put_phone_profile(struct store_cmd *c, enum store_op op,
				const struct store_phone_profile *r);
int store_cmd_del_phone_profile(struct store_cmd *c, const char *name);
int store_cmd_put_trunk_profile(struct store_cmd *c, enum store_op op,
				const struct store_trunk_profile *r);
int store_cmd_del_trunk_profile(struct store_cmd *c, const char *name);
/* Devices keep the line and digest-user indexes: OLD NULL adds NEXT
 * (STORE_EEXIST if taken); else the command is guarded on OLD (fails with
 * STORE_ENOTFOUND if the stored device changed meanwhile), and OLD's index
 * entries are replaced by NEXT's. Names must match. */
int store_cmd_put_device(struct store_cmd *c, const struct store_device *old,
			 const struct store_device *next);
/* Guarded on OLD; also drops its indexes, LSC, MIC and registration. */
int store_cmd_del_device(struct store_cmd *c, const struct store_device *old);
int store_cmd_put_device_lsc(struct store_cmd *c,
			     const struct store_device_lsc *r);
int store_cmd_del_device_lsc(struct store_cmd *c, const char *device);
/* The MIC: put or replace; the delete ignores an absent one. */
int store_cmd_put_device_mic(struct store_cmd *c,
			     const struct store_device_lsc *r);
int store_cmd_del_device_mic(struct store_cmd *c, const char *device);
int store_cmd_put_user(struct store_cmd *c, enum store_op op,
		       const struct store_user *r);
int store_cmd_del_user(struct store_cmd *c, const char *name);
int store_cmd_put_realm(struct store_cmd *c, enum store_op op,
			const struct store_realm *r);
int store_cmd_del_realm(struct store_cmd *c, const char *name);
int store_cmd_put_node_group(struct store_cmd *c, enum store_op op,
			     const struct store_node_group *r);
int store_cmd_del_node_group(struct store_cmd *c, const char *name);
int store_cmd_put_partition(struct store_cmd *c, enum store_op op,
			    const struct store_partition *r);
int store_cmd_del_partition(struct store_cmd *c, const char *name);
int store_cmd_put_css(struct store_cmd *c, enum store_op op,
		      const struct store_css *r);
int store_cmd_del_css(struct store_cmd *c, const char *name);
/* As the device helpers: OLD NULL adds NEXT (STORE_EEXIST if the name or
 * the partition's pattern is taken); else guarded on OLD, whose index
 * entry is replaced by NEXT's. Pattern syntax is checked (STORE_EINVAL). */
int store_cmd_put_route_pattern(struct store_cmd *c,
				const struct store_route_pattern *old,
				const struct store_route_pattern *next);
int store_cmd_del_route_pattern(struct store_cmd *c,
				const struct store_route_pattern *old);
/* Put or replace; the delete ignores an absent registration. */
int store_cmd_put_registration(struct store_cmd *c,
			       const struct store_registration *r);
int store_cmd_del_registration(struct store_cmd *c, const char *device);
int store_cmd_put_secret(struct store_cmd *c, enum store_op op,
			 const struct store_secret *r);

#endif
