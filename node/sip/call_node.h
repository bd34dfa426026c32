/* call_node: calls between nodes. A callee whose binding the replicated
 * registrations table puts on another member is reached through that
 * member: the B leg goes over node-to-node SIP over TLS to the member's
 * node listener (its node record: sip_host, sip_node_port), presenting
 * this node's NODE certificate; the member runs the callee side as for a
 * local call, its A leg being the node-to-node leg.
 *
 * Trust. The node listener's TLS context holds the NODE certificate and,
 * as its only CA, the cluster CA. A request there is served only when the
 * peer presented a certificate that chains to the cluster CA and is the
 * NODE certificate of a current member (spare or voter) of the node
 * records; anything else gets 403, its connection closed, and a log line.
 * Only then is the caller assertion believed: the header
 *
 *   Ward-Caller: DEVICE;level=encrypted|authenticated|nonsecure
 *
 * (the caller's device, authenticated by the first node, and the security
 * level of its leg there), sent with a P-Asserted-Identity naming the
 * caller's number. On the phones' ports these headers mean nothing: a
 * call's B leg is built afresh and never copies them.
 *
 * Threading: the call table's thread. */
#ifndef WARD_SIP_CALL_NODE_H
#define WARD_SIP_CALL_NODE_H

#include <stddef.h>
#include <stdint.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/tport.h>

#include "node/sip/core.h"
#include "node/sip/directory.h"
#include "node/sip/media.h"
#include "node/sip/registrar.h"
#include "node/sip/tls_peer.h"

#define SIP_CALL_NODE_HDR_MAX 768

/* What a side of a call holds when it is a node-to-node leg. */
struct sip_call_node_leg {
	nta_agent_t
	    *agent;	  /* the node listener's agent; NULL: not a node leg */
	uint64_t node_id; /* the member at the other end */
	int asserted;	  /* A leg: LEVEL came in the assertion */
	enum sip_level level;
	int refused; /* B leg: its member's listener failed the TLS check */
	/* B leg: the headers asserting the caller ("" for none). */
	char hdrs[SIP_CALL_NODE_HDR_MAX];
};

/* The caller as a member asserted it. */
struct sip_call_node_caller {
	char device[SIP_DIR_NAME_MAX];
	enum sip_level level;
	uint64_t node_id; /* the member that sent it */
};

/* Parses a Ward-Caller value (any text): 0 with OUT's device and level,
 * -1 when malformed (device of 1..63 characters of [A-Za-z0-9._-], then
 * ";level=" and one of the three level names, nothing else). */
int sip_call_node_parse_caller(const char *value,
			       struct sip_call_node_caller *out);

/* The headers asserting caller DEVICE (number USER, leg level LEVEL) from
 * this node at HOST, into OUT (CAP bytes): 0, or -1 when they do not fit. */
int sip_call_node_assert(char *out, size_t cap, const char *user,
			 const char *host, const char *device,
			 enum sip_level level);

/* The callee of CALLER dialling NUMBER on another member, when no route
 * device has a binding here: the first of the dial plan's devices that
 * the registrations table puts on a member other than SELF with a node
 * listener. 0 with DEV (the callee device) and TARGET (uri
 * "sip:NUMBER@HOST:PORT;transport=tls", the member's address and TLS) and
 * *NODE_ID; 480 none; 503 the directory could not be read. */
int sip_call_node_callee(const struct sip_directory *dir, uint64_t self,
			 const char *caller, const char *number,
			 struct sip_device *dev, struct sip_reg_contact *target,
			 uint64_t *node_id);

/* "sip:HOST:PORT;transport=tls" of member NODE_ID's node listener into
 * OUT: 0, or -1 when the directory names none. */
int sip_call_node_flow(const struct sip_directory *dir, uint64_t node_id,
		       char *out, size_t cap);

/* Whether the TLS peer at SA (the connection's address) presented the
 * NODE certificate of a current member: 0 with *NODE_ID, or -1 with WHY
 * (for the log). */
int sip_call_node_peer(const struct sip_directory *dir,
		       const struct sockaddr *sa, uint64_t *node_id, char *why,
		       size_t whycap);

/* The check of the server on the node agent's outgoing connections
 * (struct sip_tls_out_check, tls_peer.h; DIR_ARG the directory): 0 when
 * CERT chains to the cluster CA and is the NODE certificate of the
 * current member whose node record names SERVER as its node listener —
 * the member the call means to reach; otherwise -1, logged ("node leg to
 * ADDR refused before sending: REASON"), and the connection closes
 * before any request is written on it. */
int sip_call_node_server(void *dir_arg, const struct sockaddr *server,
			 const struct sip_tls_cert *cert);

/* The member whose dialog ward's tag TAG is ("HEX-wN", call_int.h
 * leg_tag): N, or 0 when TAG names none (not ward's, or malformed). */
uint64_t sip_call_node_of_tag(const char *tag);

/* TARGET for member NODE_ID, uri "sip:NUMBER@HOST:PORT;transport=tls":
 * 0, 1 when it has no node listener, -1 on a read error. */
int sip_call_node_target(const struct sip_directory *dir, uint64_t node_id,
			 const char *number, struct sip_reg_contact *target);

/* Whether member NODE_ID's record names SA as its node listener. */
int sip_call_node_at(const struct sip_directory *dir, uint64_t node_id,
		     const struct sockaddr *sa);

/* The caller assertion of request SIP: 0 with OUT, -1 when absent or
 * malformed (then the request is refused). */
int sip_call_node_caller_of(const sip_t *sip, struct sip_call_node_caller *out);

/* The level a member tells in request or response SIP over a node leg:
 * 0 with *OUT the lowest Call-Info security parameter (an unknown value
 * counts as nonsecure), -1 when SIP has none. Believed only on a node
 * leg (its dialog runs over the node listener, whose peers are members). */
int sip_call_node_told(const sip_t *sip, enum sip_level *out);

/* The level of a call whose callee's side a member carried: LEVEL, or
 * lower when the member's 2xx SIP says so in its Call-Info security
 * parameter (call.c, "Call security level"); a 2xx without one caps it at
 * nonsecure (fail closed). */
enum sip_level sip_call_node_level_cap(const sip_t *sip, enum sip_level level);

/* The gate of the node listener for request MSG (SIP) from PEER: 0 with
 * FROM when it is an out-of-dialog INVITE from a member with a caller
 * assertion (MSG still the caller's); otherwise MSG is answered (403 to a
 * non-member, *CLOSE set, logged; 400 without a valid assertion; 405 to
 * another method) and freed, and -1. */
int sip_call_node_admit(const struct sip_directory *dir, nta_agent_t *agent,
			msg_t *msg, sip_t *sip, const struct sip_peer *peer,
			struct sip_call_node_caller *from, int *close);

#endif
