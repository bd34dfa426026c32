/* call_trunk: the SIP trunk side of a call (call.h). A dialled number the
 * dial plan routes to a trunk (a route pattern in the caller's calling
 * search space) goes to the trunk's peer — its host and port on record,
 * over the trunk profile's outgoing transport — instead of a registered
 * binding; a 401 or 407 from the trunk is answered once with the
 * credentials of the realm the challenge names (uac_auth.h), by the same
 * INVITE re-sent in the same dialog (CSeq + 1) with an Authorization or
 * Proxy-Authorization header. An INVITE from a trunk needs nothing here:
 * the core authorised it, the dial plan routes it with the trunk as the
 * caller (its CSS), and the call table places it like a phone's.
 *
 * A TLS connection ward opens to a trunk's peer carries nothing before
 * the peer's certificate passed sip_call_trunk_tls_check (tls_peer.h's
 * outgoing check, set by the signaling thread): chained to cafile.pem,
 * rooted at a trunk-peer entry, the cluster CA or a mic-root (as for a
 * trunk calling in), and one the profile's X.509 subject names name when
 * it lists any. A refused connection is closed with nothing written; the
 * refusal is noted (sip_call_trunk_tls_note) so that the caller gets 502
 * and the keepalive reports it.
 *
 * A trunk leg's security level is at most authenticated (call.c); SDES
 * keys reach it only under the leg rule: an encrypted-mode trunk profile
 * over TLS with a verified peer (sip_call_trunk_keys) — checked by the
 * core for a trunk calling in, by the outgoing check for one ward calls.
 *
 * Threading: the signaling thread (the call table's); nothing is kept
 * between calls but the last refusals of outgoing connections. */
#ifndef WARD_SIP_CALL_TRUNK_H
#define WARD_SIP_CALL_TRUNK_H

#include <stddef.h>

#include <sofia-sip/nta.h>
#include <sofia-sip/sip.h>

#include "node/sip/core.h"
#include "node/sip/directory.h"
#include "node/sip/registrar.h"
#include "node/sip/tls_peer.h"
#include "node/sip/uac_auth.h"

/* A trunk target's uri is shorter than this (the call table's flow). */
#define SIP_CALL_TRUNK_URI_MAX 128
/* A refusal's reason is shorter than this. */
#define SIP_CALL_TRUNK_WHY_MAX 96

/* When device NAME (one of a route's devices) is a trunk whose peer the
 * directory lists: 0 with DEV (the trunk's record) and TARGET filled —
 * uri "sip:NUMBER@HOST:PORT;transport=T", which is also where every
 * request of the trunk's dialog goes, and the transport; the address
 * fields are those of an IP literal host (family 0 for a host name,
 * resolved by the stack). 1 when NAME is no trunk (or unknown); -1 when
 * it is a trunk that cannot be reached (no peer listed, a host or number
 * that does not fit or holds characters a URI cannot carry). */
int sip_call_trunk_target(const struct sip_directory *dir, const char *name,
			  const char *number, struct sip_device *dev,
			  struct sip_reg_contact *target);

/* Whether a leg to or from trunk DEV over TRANSPORT (SIP_TP_*) may hold
 * SDES keys: an encrypted-mode profile over TLS whose peer is VERIFIED
 * (sip_call_trunk_cert_ok for a trunk calling in; for one ward calls, the
 * outgoing check lets nothing through otherwise). */
int sip_call_trunk_keys(const struct sip_device *dev, unsigned transport,
			int verified);

/* Whether a trunk DEV calling in from PEER came over TLS with a
 * certificate the core verified (chain to cafile.pem, a trunk-peer, LSC
 * or MIC root) and, when the profile lists X.509 subject names, one they
 * name: the inbound side of sip_call_trunk_cert_ok. */
int sip_call_trunk_in_verified(const struct sip_device *dev,
			       const struct sip_peer *peer);

/* Whether CERT (a TLS peer's certificate as tls_peer.h records it) is one
 * trunk DEV's peer may present: present, its chain verified by libssl
 * against cafile.pem and rooted at a trunk-peer entry, the cluster CA or
 * a mic-root (trust_root of DIR), and — when the profile lists X.509
 * subject names — one they name (x509match.h). 1, or 0 with WHY (for the
 * log: no secret, no subject). */
int sip_call_trunk_cert_ok(const struct sip_directory *dir,
			   const struct sip_device *dev,
			   const struct sip_tls_cert *cert, char *why,
			   size_t whycap);

/* The outgoing check (tls_peer.h) of a TLS connection ward opened to SA
 * whose peer presented CERT. The trunk it reached: one whose profile goes
 * out over TLS at SA's port, at SA's address (an IP literal) or at a host
 * name CERT names (CN or DNS name, as RFC 5922 asks of a server). For a
 * trunk: 0 when sip_call_trunk_cert_ok, else -1; TRUNK holds its name.
 * For no trunk: 0 (libssl's chain check applies), unless CERT is rooted
 * at a trunk-peer entry (a trunk's certificate at an address no trunk is
 * on record with): -1. WHY says why on -1. */
int sip_call_trunk_tls_check(const struct sip_directory *dir,
			     const struct sockaddr *sa,
			     const struct sip_tls_cert *cert, char *trunk,
			     size_t tcap, char *why, size_t whycap);

/* The outgoing check as tls_peer.h calls it, ARG the directory (a const
 * struct sip_directory *): sip_call_trunk_tls_check, a refusal logged
 * (the trunk, the address, why) and noted. */
int sip_call_trunk_tls_hook(void *arg, const struct sockaddr *sa,
			    const struct sip_tls_cert *cert);

/* Notes that a connection to TRUNK's peer was refused for WHY (now);
 * sip_call_trunk_tls_refused: 1 (WHY filled, may be NULL) when one was
 * since SINCE_MS (wall clock), else 0. This thread's last 16 trunks. */
void sip_call_trunk_tls_note(const char *trunk, const char *why);
int sip_call_trunk_tls_refused(const char *trunk, uint64_t since_ms, char *why,
			       size_t whycap);

/* The trunk answered ward's INVITE ORQ (in dialog LEG, requests going to
 * FLOW) with the challenge RESP (a 401 or 407): the same INVITE — its
 * Request-URI, headers and body — sent again with the answer made by
 * AUTH from the credentials of the challenge's realm (realm_cred of DIR).
 * Returns the new transaction (CB with MAGIC gets its responses), or
 * NULL when no challenge is usable, the realm has no credentials, or the
 * request cannot be made; ORQ is left to the caller. */
nta_outgoing_t *sip_call_trunk_answer(struct sip_uac_auth *auth,
				      const struct sip_directory *dir,
				      nta_leg_t *leg, const char *flow,
				      nta_outgoing_t *orq, const sip_t *resp,
				      nta_response_f *cb,
				      nta_outgoing_magic_t *magic);

#endif
