/* config: a table of settings parsed with inih. */
#include "node/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/log.h"
#include "sdp/sdes.h"

enum config_kind { CONFIG_STR, CONFIG_UINT, CONFIG_ADDR, CONFIG_LEVEL };

struct config_def {
	const char *key; /* section.key */
	enum config_kind kind;
	size_t offset;
	size_t size;            /* strings: capacity */
	unsigned long min, max; /* numbers */
	const char *def;
};

#define STR(key, field, def)                                                   \
	{key, CONFIG_STR, offsetof(struct config, field),                      \
	 sizeof(((struct config *)0)->field), 0, 0, def}
#define ADDR(key, field, def)                                                  \
	{key, CONFIG_ADDR, offsetof(struct config, field),                     \
	 sizeof(((struct config *)0)->field), 0, 0, def}
#define UINT(key, field, lo, hi, def)                                          \
	{key, CONFIG_UINT, offsetof(struct config, field), 0, lo, hi, def}

static const struct config_def config_defs[] = {
	STR("node.name", name, ""),
	STR("node.data_dir", data_dir, ""),
	/* Started as root: become this user, keeping only the right to
	 * bind ports below 1024 (docs/wardd.md). */
	STR("node.user", user, ""),
	{"node.log_level", CONFIG_LEVEL, offsetof(struct config, log_level),
	 sizeof(((struct config *)0)->log_level), 0, 0, "info"},
	ADDR("raft.listen", raft_listen, "127.0.0.1:9443"),
	UINT("raft.election_timeout_ms", election_timeout_ms, 100, 60000,
	     "300"),
	UINT("raft.heartbeat_ms", heartbeat_ms, 10, 10000, "50"),
	UINT("raft.snapshot_threshold", snapshot_threshold, 16, 10000000,
	     "4096"),
	UINT("raft.snapshot_trailing", snapshot_trailing, 0, 10000000,
	     "1024"),
	ADDR("admin.listen", admin_listen, "127.0.0.1:8443"),
	/* What clients may cost this node (docs/house-rules.md). */
	UINT("admin.max_connections", admin_max_connections, 4, 65536, "256"),
	UINT("admin.login_burst", admin_login_burst, 1, 10000, "10"),
	UINT("admin.login_per_min", admin_login_per_min, 1, 60000, "30"),
	UINT("admin.fail_summary_s", admin_fail_summary_s, 1, 3600, "60"),
	UINT("admin.audit_prune_s", admin_audit_prune_s, 1, 86400, "60"),
	/* Where the LMDB map starts (it grows online): 4 GiB holds 100,000
	 * devices with room to spare (docs/store.md, "Map size"). */
	UINT("store.map_size_mb", store_map_size_mb, 1, 1048576, "4096"),
	/* Phones fetch from port 69 (TFTP) and 6970 (HTTP) of their node. */
	ADDR("tftp.listen", tftp_listen, "0.0.0.0:69"),
	ADDR("tftp.http_listen", tftp_http_listen, "0.0.0.0:6970"),
	UINT("tftp.max_transfers", tftp_max_transfers, 1, 100000, "1024"),
	UINT("tftp.max_per_client", tftp_max_per_client, 1, 100000, "8"),
	UINT("tftp.timeout_ms", tftp_timeout_ms, 100, 255000, "1000"),
	UINT("tftp.http_max_connections", tftp_http_max_conns, 1, 100000,
	     "1024"),
	UINT("tftp.sign_threads", tftp_sign_threads, 1, 16, "2"),
	/* The CAPF role (docs/capf.md). */
	/* "": the admin API's host, port 3804 (a local cluster gives each
	 * node its own loopback address). */
	STR("capf.listen", capf_listen, ""),
	UINT("capf.max_sessions", capf_max_sessions, 1, 100000, "256"),
	UINT("capf.session_timeout_ms", capf_session_timeout_ms, 1000, 600000,
	     "30000"),
	UINT("capf.idle_timeout_ms", capf_idle_timeout_ms, 500, 600000,
	     "10000"),
	/* The signaling role (docs/sip.md). */
	STR("sip.listen", sip_listen, "127.0.0.1"),
	UINT("sip.port", sip_port, 0, 65535, "5060"),
	UINT("sip.tls_port", sip_tls_port, 0, 65535, "5061"),
	UINT("sip.node_port", sip_node_port, 0, 65535, "5062"),
	UINT("sip.keepalive_s", sip_keepalive_s, 0, 3600, "30"),
	UINT("sip.rate_per_source", sip_rate_per_source, 0, 1000000, "200"),
	UINT("sip.conn_per_source", sip_conn_per_source, 0, 65535, "32"),
	UINT("sip.silent_s", sip_silent_s, 0, 3600, "5"),
	UINT("sip.max_connections", sip_max_connections, 16, 1000000, "16384"),
	UINT("sip.trunk_options_s", sip_trunk_options_s, 0, 86400, "30"),
	STR("sip.digest_algorithms", sip_digest, "SHA-512-256,SHA-256,MD5"),
	STR("sip.conference_number", sip_conference_number, ""),
	UINT("sip.max_calls", sip_max_calls, 1, 1000000, "10000"),
	UINT("sip.max_calls_per_device", sip_max_calls_per_device, 1, 1000,
	     "8"),
	UINT("sip.ring_s", sip_ring_s, 5, 3600, "120"),
	UINT("sip.min_se_s", sip_min_se_s, 90, 86400, "90"),
	UINT("sip.overload_delay_ms", sip_overload_delay_ms, 0, 10000, "100"),
	UINT("sip.overload_retry_after_s", sip_overload_retry_after_s, 1, 3600,
	     "2"),
	UINT("sip.presence_max", sip_presence_max, 1, 1000000, "10000"),
	UINT("sip.presence_per_watcher", sip_presence_per_watcher, 1, 10000,
	     "64"),
	/* The media relay of the key manager role (docs/keymgr.md). */
	STR("media.address", media_address, ""),
	UINT("media.port_min", media_port_min, 1024, 65534, "16384"),
	UINT("media.port_max", media_port_max, 1025, 65535, "32767"),
	/* Two port pairs per call: the default range holds 4,096 calls. */
	UINT("media.max_calls", media_max_calls, 1, 1000000, "4096"),
	UINT("media.max_conferences", media_max_conferences, 0, 100000, "64"),
	UINT("media.conference_size", media_conference_size, 3, 64, "8"),
	STR("media.crypto_suites", media_suites,
	    "AEAD_AES_256_GCM,AEAD_AES_128_GCM,AES_CM_128_HMAC_SHA1_80"),
	UINT("media.allow_rtp_bridge", media_allow_bridge, 0, 1, "1"),
	/* Raw 8 kHz G.711 µ-law played to a held phone; "": none. */
	STR("media.hold_music", media_hold_music, ""),
};

#define N_DEFS (sizeof config_defs / sizeof *config_defs)

static int config_def_set(struct config *c, const struct config_def *d,
			  const char *value, char *errmsg, size_t errcap)
{
	char *field = (char *)c + d->offset;
	unsigned long v;
	enum log_level lvl;
	struct addr a;
	int arc;
	char *end;

	switch (d->kind) {
	case CONFIG_LEVEL:
		if (log_level_parse(value, &lvl) != 0) {
			snprintf(errmsg, errcap,
				 "%s: \"%s\" is not one of error, warn, info, "
				 "debug",
				 d->key, value);
			return -1;
		}
		/* fall through */
	case CONFIG_STR:
	case CONFIG_ADDR:
		if (strlen(value) >= d->size) {
			snprintf(errmsg, errcap, "%s: longer than %zu bytes",
				 d->key, d->size - 1);
			return -1;
		}
		arc = d->kind == CONFIG_ADDR ? addr_parse(value, 0, &a) : 0;
		if (arc != ADDR_OK) {
			snprintf(errmsg, errcap,
				 "%s: \"%s\" is not host:port (%s)", d->key,
				 value, addr_strerror(arc));
			return -1;
		}
		snprintf(field, d->size, "%s", value);
		return 0;
	case CONFIG_UINT:
		errno = 0;
		v = strtoul(value, &end, 10);
		if (errno || *end || end == value || value[0] == '-' ||
		    v < d->min || v > d->max) {
			snprintf(errmsg, errcap,
				 "%s: \"%s\" is not a number from %lu to %lu",
				 d->key, value, d->min, d->max);
			return -1;
		}
		*(unsigned *)(void *)field = (unsigned)v;
		return 0;
	}
	return -1;
}

static const struct config_def *config_def_find(const char *key)
{
	for (size_t i = 0; i < N_DEFS; i++)
		if (strcmp(config_defs[i].key, key) == 0)
			return &config_defs[i];
	return NULL;
}

void config_defaults(struct config *c)
{
	char ignored[64];

	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < N_DEFS; i++)
		config_def_set(c, &config_defs[i], config_defs[i].def,
			       ignored, sizeof ignored);
}

int config_set(struct config *c, const char *key, const char *value,
	       char *errmsg, size_t errcap)
{
	const struct config_def *d = config_def_find(key);

	if (!d) {
		snprintf(errmsg, errcap, "unknown setting \"%s\"", key);
		return -1;
	}
	return config_def_set(c, d, value, errmsg, errcap);
}

struct config_parse {
	struct config *c;
	char err[256];
};

static int config_on_entry(void *user, const char *section, const char *name,
			   const char *value)
{
	struct config_parse *p = user;
	char key[128];

	if (snprintf(key, sizeof key, "%s.%s", section, name) >=
	    (int)sizeof key) {
		snprintf(p->err, sizeof p->err, "setting name too long");
		return 0;
	}
	return config_set(p->c, key, value, p->err, sizeof p->err) == 0;
}

int config_load(struct config *c, const char *path, char *errmsg,
		size_t errcap)
{
	struct config_parse p = {.c = c};
	FILE *f = fopen(path, "r");
	int line;

	if (!f) {
		snprintf(errmsg, errcap, "%s: %s", path, strerror(errno));
		return -1;
	}
	line = ini_parse_file(f, config_on_entry, &p);
	fclose(f);
	if (line != 0) {
		snprintf(errmsg, errcap, "%s:%d: %s", path, line,
			 p.err[0] ? p.err : "malformed line");
		return -1;
	}
	return 0;
}

int config_check(const struct config *c, char *errmsg, size_t errcap)
{
	if (!c->data_dir[0]) {
		snprintf(errmsg, errcap, "node.data_dir is not set");
		return -1;
	}
	if (!c->name[0]) {
		snprintf(errmsg, errcap, "node.name is not set");
		return -1;
	}
	for (const char *s = c->name; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		      *s == '-')) {
			snprintf(errmsg, errcap,
				 "node.name \"%s\": only letters, digits, "
				 "'.', '_' and '-'",
				 c->name);
			return -1;
		}
	}
	struct sdes_policy policy;

	if (sdes_policy_parse(c->media_suites, &policy) != 0) {
		snprintf(errmsg, errcap,
			 "media.crypto_suites \"%s\": unknown, repeated or "
			 "none",
			 c->media_suites);
		return -1;
	}
	if (c->media_address[0]) {
		struct in_addr a4;
		struct in6_addr a6;
		int ok = (inet_pton(AF_INET, c->media_address, &a4) == 1 &&
			  a4.s_addr != htonl(INADDR_ANY)) ||
			 (inet_pton(AF_INET6, c->media_address, &a6) == 1 &&
			  !IN6_IS_ADDR_UNSPECIFIED(&a6));

		if (!ok) {
			snprintf(errmsg, errcap,
				 "media.address \"%s\": an IPv4 or IPv6 "
				 "address phones can send to, not a name or "
				 "a wildcard",
				 c->media_address);
			return -1;
		}
	}
	if (c->media_port_min >= c->media_port_max) {
		snprintf(errmsg, errcap,
			 "media.port_min (%u) must be below media.port_max "
			 "(%u)",
			 c->media_port_min, c->media_port_max);
		return -1;
	}
	if (c->heartbeat_ms * 2 > c->election_timeout_ms) {
		snprintf(errmsg, errcap,
			 "raft.heartbeat_ms (%u) must be at most half of "
			 "raft.election_timeout_ms (%u)",
			 c->heartbeat_ms, c->election_timeout_ms);
		return -1;
	}
	return 0;
}
