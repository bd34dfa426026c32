/* config: wardd's settings — one INI file, every setting declared once with
 * its bounds and default (node/config.c), overridable from the command line. */
#ifndef WARD_NODE_CONFIG_H
#define WARD_NODE_CONFIG_H

#include <stddef.h>

#define CONFIG_PATH_MAX 512
#define CONFIG_ADDR_MAX 128
#define CONFIG_NAME_MAX 64

struct config {
	char sip_listen[CONFIG_ADDR_MAX]; /* sip.listen: addresses, commas */
	unsigned sip_port;                /* sip.port (UDP, TCP); 0: off */
	unsigned sip_tls_port;            /* sip.tls_port; 0: no TLS */
	unsigned sip_node_port;           /* sip.node_port: node-to-node TLS */
	unsigned sip_keepalive_s;         /* sip.keepalive_s (CRLF) */
	unsigned sip_rate_per_source;     /* sip.rate_per_source msgs/s */
	unsigned sip_conn_per_source;     /* sip.conn_per_source TCP/TLS */
	unsigned sip_silent_s;            /* sip.silent_s: first message due */
	unsigned sip_max_connections;     /* sip.max_connections TCP/TLS */
	unsigned sip_trunk_options_s;     /* sip.trunk_options_s keepalive */
	char sip_digest[64];              /* sip.digest_algorithms */
	char sip_conference_number[64];   /* sip.conference_number */
	unsigned sip_max_calls;           /* sip.max_calls on this node */
	unsigned sip_max_calls_per_device; /* sip.max_calls_per_device */
	unsigned sip_ring_s;              /* sip.ring_s unanswered */
	unsigned sip_overload_delay_ms;   /* sip.overload_delay_ms, 0: off */
	unsigned sip_overload_retry_after_s; /* sip.overload_retry_after_s */
	unsigned sip_min_se_s;            /* sip.min_se_s session timers */
	unsigned sip_presence_max;        /* sip.presence_max subscriptions */
	unsigned sip_presence_per_watcher; /* sip.presence_per_watcher (each) */
	char name[CONFIG_NAME_MAX];         /* node.name */
	char data_dir[CONFIG_PATH_MAX];     /* node.data_dir */
	char user[64];                      /* node.user; "": as started */
	char log_level[16];                 /* node.log_level */
	char raft_listen[CONFIG_ADDR_MAX];  /* raft.listen, host:port */
	unsigned election_timeout_ms;       /* raft.election_timeout_ms */
	unsigned heartbeat_ms;              /* raft.heartbeat_ms */
	unsigned snapshot_threshold;        /* raft.snapshot_threshold */
	unsigned snapshot_trailing;         /* raft.snapshot_trailing */
	char admin_listen[CONFIG_ADDR_MAX]; /* admin.listen, host:port */
	unsigned admin_max_connections;     /* admin.max_connections */
	unsigned admin_login_burst;         /* admin.login_burst */
	unsigned admin_login_per_min;       /* admin.login_per_min */
	unsigned admin_fail_summary_s;      /* admin.fail_summary_s */
	unsigned admin_audit_prune_s;       /* admin.audit_prune_s */
	unsigned store_map_size_mb;         /* store.map_size_mb */
	char tftp_listen[CONFIG_ADDR_MAX];  /* tftp.listen, UDP host:port */
	char tftp_http_listen[CONFIG_ADDR_MAX]; /* tftp.http_listen, TCP */
	unsigned tftp_max_transfers;        /* tftp.max_transfers */
	unsigned tftp_max_per_client;       /* tftp.max_per_client */
	unsigned tftp_timeout_ms;           /* tftp.timeout_ms */
	unsigned tftp_http_max_conns;       /* tftp.http_max_connections */
	unsigned tftp_sign_threads;         /* tftp.sign_threads */
	char capf_listen[CONFIG_ADDR_MAX];  /* capf.listen, TCP host:port */
	unsigned capf_max_sessions;         /* capf.max_sessions */
	unsigned capf_session_timeout_ms;   /* capf.session_timeout_ms */
	unsigned capf_idle_timeout_ms;      /* capf.idle_timeout_ms */
	char media_address[CONFIG_ADDR_MAX]; /* media.address; "": sip.listen's first */
	unsigned media_port_min;            /* media.port_min */
	unsigned media_port_max;            /* media.port_max */
	unsigned media_max_calls;           /* media.max_calls */
	unsigned media_max_conferences;     /* media.max_conferences */
	unsigned media_conference_size;     /* media.conference_size */
	char media_suites[160];             /* media.crypto_suites */
	unsigned media_allow_bridge;        /* media.allow_rtp_bridge 0/1 */
	char media_hold_music[CONFIG_PATH_MAX]; /* media.hold_music */
};

/* Fills every field with its default. */
void config_defaults(struct config *c);

/* Reads PATH over the current values. Unknown sections or keys, values out
 * of bounds and malformed lines are errors: errmsg says "PATH:LINE: why". */
int config_load(struct config *c, const char *path, char *errmsg,
		size_t errcap);

/* Sets "section.key" to VALUE with the same checks as the file. */
int config_set(struct config *c, const char *key, const char *value,
	       char *errmsg, size_t errcap);

/* Cross-field checks once everything is read (data_dir set, addresses
 * parse). */
int config_check(const struct config *c, char *errmsg, size_t errcap);

#endif
