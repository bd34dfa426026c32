/* call: the back-to-back user agent — an authorised INVITE from a device
 * becomes two dialogs, A (the caller and ward) and B (ward and the
 * callee), each with its own Call-ID and tags; what one side sends in its
 * dialog ward sends in the other (provisional and final responses, ACK,
 * BYE, CANCEL, re-INVITE, UPDATE, INFO), with the SDP rewritten by the
 * media table or, without one, passed through under the leg rule for
 * a=crypto lines.
 *
 * The agent stays stateless for everything else: only an INVITE the core
 * authorised becomes a server transaction (nta_incoming_create) and nta
 * legs; nta then hands retransmissions, ACK, CANCEL and in-dialog requests
 * to this module before the stateless callback ever sees them.
 *
 * Threading: one table per signaling thread; every function runs on it. */
#ifndef WARD_SIP_CALL_H
#define WARD_SIP_CALL_H

#include <stddef.h>
#include <stdint.h>

#include <sofia-sip/nta.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/tport.h>

#include "node/sip/core.h"
#include "node/sip/dialog_event.h"
#include "node/sip/directory.h"
#include "node/sip/media.h"
#include "node/sip/registrar.h"

struct sip_call_config {
	unsigned max_calls;	 /* on this node; beyond: 503 */
	unsigned max_per_device; /* calls a device takes part in; beyond: 486 */
	unsigned ring_s;	 /* unanswered after this: CANCEL, 480 */
	unsigned min_se_s;	 /* session timers: shortest Session-Expires */
	/* Where ward is reached, for the Contact of both dialogs: the
	 * listener's address and ports (0: that transport is off). */
	char host[64];
	unsigned port, tls_port;
	/* The ad hoc conference factory (call_conf.c); "": none. */
	char conference_number[SIP_DIR_NAME_MAX];
};

/* 10,000 calls, 8 per device, 120 s of ringing. */
void sip_call_config_defaults(struct sip_call_config *cfg);

struct sip_calls;

/* The environment of the call table; every pointer borrowed and valid
 * until sip_calls_free. MEDIA may be NULL (SDP passed through), and so may
 * DIALOG_EVENT. */
struct sip_calls_env {
	nta_agent_t *agent;
	const struct sip_directory *dir;
	struct sip_registrar *reg;
	const struct sip_media *media;
	sip_dialog_event_fn dialog_event;
	void *dialog_arg;
	/* Calls between nodes (call_node.h): this node's id, the agent of
	 * its node listener (its only transport) and that port (NULL, 0:
	 * calls stay on this node). */
	uint64_t node_id;
	nta_agent_t *node_agent;
	unsigned node_port;
};

int sip_calls_new(const struct sip_call_config *cfg,
		  const struct sip_calls_env *env, struct sip_calls **out);
/* Ends every call (BYE or CANCEL to each side, as a node shutting down
 * would) and frees. Accepts NULL. */
void sip_calls_free(struct sip_calls *cs);

/* The core authorised INVITE MSG (transferred: freed or kept by the
 * server transaction in every case) parsed as SIP, from the device CALLER
 * (a phone or a trunk, by name) at PEER over TP (borrowed). Routes it by
 * the dial plan and places the call, or answers it: 404 unknown number,
 * 403 refused by the dial plan, 480 callee not registered, 486 busy (the
 * per-device bound), 503 over the node's bound, 481 an in-dialog INVITE
 * no dialog knows, 488 SDP refused. */
void sip_calls_invite(struct sip_calls *cs, msg_t *msg, sip_t *sip,
		      const struct sip_peer *peer, tport_t *tp,
		      const char *caller);

/* An INVITE on the node listener (call_node.h), MSG transferred: served
 * only from a member's NODE certificate with a well-formed caller
 * assertion (403 and *CLOSE set otherwise, logged); the call is then
 * placed as sip_calls_invite does, its A leg being the node-to-node leg
 * at the asserted level, on a binding of this node only. Other requests
 * out of dialog there get 403 (non-members) or 405. */
void sip_calls_node_request(struct sip_calls *cs, msg_t *msg, sip_t *sip,
			    const struct sip_peer *peer, tport_t *tp,
			    int *close);

/* The node agent refused the server at SERVER after its TLS handshake
 * (call_node.h sip_call_node_server): the calls still trying the member
 * whose node listener is there get 480 at the next tick, instead of
 * waiting for their INVITE's timeout. */
void sip_calls_node_refused(struct sip_calls *cs,
			    const struct sockaddr *server);

/* Once a second: rings past ring_s are cancelled. */
void sip_calls_tick(struct sip_calls *cs, uint64_t now_ms);

/* One call as listed (admin API, wardctl call list). */
struct sip_call_info {
	char call_id[96]; /* the A side's Call-ID */
	char caller[SIP_DIR_NAME_MAX], callee[SIP_DIR_NAME_MAX];
	char number[SIP_DIR_NAME_MAX]; /* dialled */
	const char *state;	       /* "ringing", "talking", "ending" */
	enum sip_level level;
	uint64_t started_ms, answered_ms; /* wall clock; 0: not answered */
};

/* Fills OUT with up to CAP calls; returns the number of calls. */
size_t sip_calls_list(struct sip_calls *cs, struct sip_call_info *out,
		      size_t cap);

/* Calls in progress (for counters and tests). */
size_t sip_calls_count(const struct sip_calls *cs);

/* The leg rule applied to SDP text without a media table: a=crypto lines
 * are kept only when TO_ENCRYPTED (the receiving leg is encrypted-mode
 * over TLS); without them an RTP/SAVP(F) m-line becomes RTP/AVP(F). SDP
 * (LEN bytes, any content) is written to OUT (CAP bytes, NUL-terminated).
 * *HAD_CRYPTO tells whether SDP offered keys. Returns the length written,
 * or -1 when OUT is too small or SDP holds a NUL. */
int sip_call_sdp_filter(const char *sdp, size_t len, int to_encrypted,
			char *out, size_t cap, int *had_crypto);

#endif
