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
 * A trunk leg's security level is at most authenticated (call.c); SDES
 * keys reach it only under the leg rule: an encrypted-mode trunk profile
 * over TLS (sip_call_trunk_keys).
 *
 * Threading: the call table's thread; nothing is kept between calls. */
#ifndef WARD_SIP_CALL_TRUNK_H
#define WARD_SIP_CALL_TRUNK_H

#include <stddef.h>

#include <sofia-sip/nta.h>
#include <sofia-sip/sip.h>

#include "node/sip/directory.h"
#include "node/sip/registrar.h"
#include "node/sip/uac_auth.h"

/* A trunk target's uri is shorter than this (the call table's flow). */
#define SIP_CALL_TRUNK_URI_MAX 128

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
 * SDES keys: an encrypted-mode profile over TLS. */
int sip_call_trunk_keys(const struct sip_device *dev, unsigned transport);

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
