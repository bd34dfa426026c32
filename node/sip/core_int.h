/* core_int: the core's state, shared by core.c, register.c and authz.c
 * only. */
#ifndef WARD_SIP_CORE_INT_H
#define WARD_SIP_CORE_INT_H

#include "node/sip/core.h"
#include "node/sip/limit.h"

struct sip_core {
	struct sip_core_config cfg;
	const struct sip_directory *dir; /* borrowed */
	struct sip_core_hooks hooks;
	struct sip_cluster cluster; /* re-read every tick */
	struct sip_digest *digest;  /* owned */
	struct sip_registrar *reg;  /* owned */
	struct sip_limit *limit;    /* owned */
	struct sip_presence *presence; /* owned */
	struct sip_core_stats stats;
	uint64_t last_summary_ms;
	struct sip_overload *overload; /* borrowed; NULL: none */
	unsigned overload_retry_s;
	unsigned overload_jitter;
	uint64_t overload_logged; /* stats.overloaded at the last log line */
};

/* Who passed digest authentication, for the checks after it. */
struct sip_authn {
	char user[SIP_DIGEST_FIELD_MAX];
	unsigned methods; /* app user's allowed methods */
	int is_app;
};

/* Outcome of core_authenticate(): 0 authenticated (AUTHN filled), 1 the
 * reply is set (challenge, 400, or drop). */
int core_authenticate(struct sip_core *c, const sip_t *sip,
		      const struct sip_peer *peer, uint64_t now_ms,
		      unsigned validity_s, const char *expect_user, int proxy,
		      struct sip_authn *authn, struct sip_reply *out);

/* A refusal to summarise (the fail hook): from PEER, naming NAME. */
void core_fail(struct sip_core *c, const struct sip_peer *peer,
	       const char *name, const char *why);

/* Sets the answer. */
void core_reply(struct sip_reply *out, int status, const char *phrase);
/* Appends "NAME: VALUE" as an extra header line (truncating: never
 * called with outside data longer than a challenge). */
void core_reply_hdr(struct sip_reply *out, const char *name, const char *value);

/* The device checks every authenticated request of a device passes:
 * security mode and transport (only in a secure cluster), certificate,
 * node group. 0 if allowed, else the 403 is set and the reason logged. */
int core_check_device(struct sip_core *c, const struct sip_device *dev,
		      const struct sip_peer *peer, const char *method,
		      struct sip_reply *out);

void core_handle_register(struct sip_core *c, const sip_t *sip,
			  const struct sip_peer *peer, uint64_t now_ms,
			  struct sip_reply *out);
void core_handle_trunk(struct sip_core *c, const sip_t *sip,
		       const struct sip_device *trunk,
		       const struct sip_peer *peer, uint64_t now_ms,
		       struct sip_reply *out);
void core_handle_device_request(struct sip_core *c, const sip_t *sip,
				const struct sip_peer *peer, uint64_t now_ms,
				struct sip_reply *out);

/* The peer's address as text ("1.2.3.4:5060", "[::1]:5060"). */
void core_peer_text(const struct sip_peer *peer, char *out, size_t cap);

#endif
