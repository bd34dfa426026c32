/* uac_options: the trunk keepalive — every N seconds the signaling thread
 * sends an OPTIONS to each SIP trunk's peer (its address, port and the
 * profile's outgoing transport), answers a 401 or 407 once with the
 * credentials of the challenge's realm (uac_auth.h, the realms table), and
 * keeps what came back: each trunk's reachability, for status listings.
 * In memory on the node, never replicated.
 *
 * A trunk is reachable when its last probe got a final response from it
 * (any status but 408 and 503, which nta also makes up for a timeout or a
 * transport error). Over TLS, a peer whose certificate ward refused
 * (call_trunk.h) got nothing: the probe's status is then 502 and
 * tls_refused says why. One probe per trunk is in flight at a time; a probe
 * still unanswered at the next round is left to finish (nta times it out).
 *
 * Threading: the signaling thread only; REPORT runs there. */
#ifndef WARD_SIP_UAC_OPTIONS_H
#define WARD_SIP_UAC_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "node/sip/directory.h"

#define SIP_KEEPALIVE_TRUNKS 256

struct sip_trunk_status {
	char name[SIP_DIR_NAME_MAX];
	int removed;	     /* the trunk is gone from the directory */
	int reachable;	     /* its peer answered the last probe */
	int status;	     /* that answer's status; 0: none yet */
	char auth[16];	     /* the algorithm a challenge was answered with */
	int auth_refused;    /* still 401/407 after our answer */
	uint64_t checked_ms; /* wall clock of the last answer (or timeout) */
	unsigned rtt_ms;     /* request to final response */
	uint64_t probes;     /* probes sent */
	/* Why ward refused the TLS connection it opened to the peer
	 * (call_trunk.h; then status is 502); "" when it did not. */
	char tls_refused[96];
};

typedef void (*sip_keepalive_report_fn)(void *arg,
					const struct sip_trunk_status *st);

struct nta_agent_s;
struct sip_keepalive;

/* Probes every EVERY_S seconds from AGENT (borrowed, must outlive it)
 * with From FROM_URI ("sip:ward@HOST", copied), reading trunks and realm
 * credentials from DIR (borrowed). REPORT(ARG, ...) runs after every
 * probe's end and for each trunk removed. 0 or -1. */
int sip_keepalive_new(struct nta_agent_s *agent,
		      const struct sip_directory *dir, const char *from_uri,
		      unsigned every_s, sip_keepalive_report_fn report,
		      void *arg, struct sip_keepalive **out);
/* Cancels the probes in flight and frees. Accepts NULL. */
void sip_keepalive_free(struct sip_keepalive *k);

/* Called about once a second (NOW_MS: monotonic): starts a round when one
 * is due. */
void sip_keepalive_tick(struct sip_keepalive *k, uint64_t now_ms);

#endif
