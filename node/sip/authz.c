/* authz: authorization of requests other than REGISTER, in the seed's
 * order — on trunks the profile's permissions first (out-of-dialog REFER,
 * unsolicited NOTIFY, INVITE with Replaces, presence SUBSCRIBE), then
 * digest, then the application user's allowed methods; on devices digest
 * and the device checks. An out-of-dialog INVITE that passes goes to the
 * call table, a SUBSCRIBE to presence (presence.h); the rest gets 480 or
 * 501. */
#include "node/sip/core_int.h"

#include <stdio.h>
#include <string.h>

#include <sofia-sip/sip_header.h>

#include "common/log.h"

#define TAG "sip"

static unsigned method_bit(const sip_t *sip)
{
	switch (sip->sip_request->rq_method) {
	case sip_method_invite:
		return SIP_METHOD_BIT_INVITE;
	case sip_method_refer:
		return SIP_METHOD_BIT_REFER;
	case sip_method_notify:
		return SIP_METHOD_BIT_NOTIFY;
	case sip_method_subscribe:
		return SIP_METHOD_BIT_SUBSCRIBE;
	case sip_method_message:
		return SIP_METHOD_BIT_MESSAGE;
	case sip_method_options:
		return SIP_METHOD_BIT_OPTIONS;
	default:
		return SIP_METHOD_BIT_OTHER;
	}
}

static int out_of_dialog(const sip_t *sip)
{
	return !sip->sip_to->a_tag;
}

/* Presence and dialog state are both presence subscriptions to the
 * trunk profile. */
static int is_presence(const sip_t *sip)
{
	return sip->sip_event && sip->sip_event->o_type &&
	       (strcasecmp(sip->sip_event->o_type, "presence") == 0 ||
		strcasecmp(sip->sip_event->o_type, "dialog") == 0);
}

/* The profile's permission this request needs, with its refusal reason;
 * NULL if it needs none. */
static const char *trunk_refusal(const sip_t *sip, unsigned flags)
{
	switch (sip->sip_request->rq_method) {
	case sip_method_refer:
		if (out_of_dialog(sip) && !(flags & SIP_TRUNK_ALLOW_REFER))
			return "Out-of-dialog REFER Not Allowed";
		break;
	case sip_method_notify:
		if (out_of_dialog(sip) && !(flags & SIP_TRUNK_ALLOW_NOTIFY))
			return "Unsolicited NOTIFY Not Allowed";
		break;
	case sip_method_invite:
		if (sip->sip_replaces && !(flags & SIP_TRUNK_ALLOW_REPLACES))
			return "Replaces Not Allowed";
		break;
	case sip_method_subscribe:
		if (is_presence(sip) && !(flags & SIP_TRUNK_ALLOW_PRESENCE))
			return "Presence Subscription Not Allowed";
		break;
	default:
		break;
	}
	return NULL;
}

/* An out-of-dialog INVITE goes to the call table (call.h); a SUBSCRIBE to
 * presence, with WATCHER the digest user it authenticated as (else the
 * device's or trunk's own user). */
static void not_routed_yet(struct sip_core *c, const sip_t *sip,
			   const char *caller, const char *watcher,
			   const struct sip_peer *peer, uint64_t now_ms,
			   struct sip_reply *out)
{
	switch (sip->sip_request->rq_method) {
	case sip_method_subscribe:
		sip_presence_subscribe(c->presence, sip, watcher, peer, now_ms,
				       out);
		break;
	case sip_method_invite:
		if (!sip->sip_to->a_tag) {
			out->status = 0;
			out->call = 1;
			snprintf(out->caller, sizeof out->caller, "%s", caller);
			break;
		}
		core_reply(out, 480, "Temporarily Unavailable");
		break;
	default:
		core_reply(out, 501, "Not Implemented");
		break;
	}
}

/* A trunk in a secure mode: the peer certificate must be one the
 * profile's X.509 subject names name — its whole subject DN, or its CN or
 * a subjectAltName DNS entry (x509match.h). */
static int trunk_subject_ok(const struct sip_device *t,
			    const struct sip_peer *peer)
{
	if (!peer->cert.present || !peer->cert.verified)
		return 0;
	return sip_x509_names_match(t->x509_subject, &peer->cert.names,
				    peer->cert.cn);
}

void core_handle_trunk(struct sip_core *c, const sip_t *sip,
		       const struct sip_device *trunk,
		       const struct sip_peer *peer, uint64_t now_ms,
		       struct sip_reply *out)
{
	const char *why;
	struct sip_authn authn = {0};
	char src[64];
	unsigned validity = trunk->nonce_validity_s
				? trunk->nonce_validity_s
				: c->cluster.default_nonce_validity_s;

	core_peer_text(peer, src, sizeof src);
	/* The profile's incoming transport and port are where the trunk is
	 * heard at all, whatever the cluster's security mode. */
	if (!(trunk->transports & peer->transport) ||
	    (trunk->in_port && peer->local_port &&
	     peer->local_port != trunk->in_port)) {
		log_warn(TAG,
			 "%s from trunk %s at %s refused: not the profile's "
			 "incoming %s",
			 sip->sip_request->rq_method_name, trunk->name, src,
			 !(trunk->transports & peer->transport) ? "transport"
								: "port");
		core_reply(out, 403, "Forbidden");
		c->stats.forbidden++;
		core_fail(c, peer, trunk->name,
			  "not the trunk profile's incoming transport or port");
		return;
	}
	if (c->cluster.secure && trunk->mode != SIP_SECMODE_NONSECURE &&
	    (peer->transport != SIP_TP_TLS || !trunk_subject_ok(trunk, peer))) {
		log_warn(TAG,
			 "%s from trunk %s at %s refused: peer is not the "
			 "profile's X.509 subject over TLS",
			 sip->sip_request->rq_method_name, trunk->name, src);
		core_reply(out, 403, "Forbidden");
		c->stats.forbidden++;
		core_fail(c, peer, trunk->name,
			  "not the trunk profile's X.509 subject over TLS");
		return;
	}
	why = trunk_refusal(sip, trunk->trunk_flags);
	if (why) {
		log_info(TAG, "%s from trunk %s at %s refused: %s",
			 sip->sip_request->rq_method_name, trunk->name, src,
			 why);
		core_reply(out, 403, why);
		c->stats.forbidden++;
		core_fail(c, peer, trunk->name, why);
		return;
	}
	if (trunk->digest && core_authenticate(c, sip, peer, now_ms, validity,
					       NULL, 0, &authn, out) != 0)
		return;
	if (trunk->trunk_flags & SIP_TRUNK_APP_AUTH) {
		/* Application-level authorization needs an authenticated
		 * application user (the seed: digest must be on). */
		if (!trunk->digest || !authn.is_app ||
		    !(authn.methods & method_bit(sip))) {
			log_info(TAG,
				 "%s from trunk %s at %s refused: application "
				 "user %s not authorized",
				 sip->sip_request->rq_method_name, trunk->name,
				 src, authn.user[0] ? authn.user : "(none)");
			core_reply(out, 403, "Application Not Authorized");
			c->stats.forbidden++;
			core_fail(c, peer,
				  authn.user[0] ? authn.user : trunk->name,
				  "application user not authorized");
			return;
		}
	}
	not_routed_yet(c, sip, trunk->name,
		       authn.user[0] ? authn.user : trunk->digest_user, peer,
		       now_ms, out);
}

void core_handle_device_request(struct sip_core *c, const sip_t *sip,
				const struct sip_peer *peer, uint64_t now_ms,
				struct sip_reply *out)
{
	struct sip_device dev;
	struct sip_authn authn = {0};
	const char *who = sip->sip_from->a_url->url_user;
	unsigned validity = c->cluster.default_nonce_validity_s;
	int r, found;

	if (!who) {
		core_reply(out, 400, "Bad From");
		return;
	}
	/* A name longer than any device's is an unknown device, challenged
	 * like any other (RFC 4475 3.1.1.7 sends one). */
	r = strlen(who) >= SIP_DIR_NAME_MAX
		? 1
		: c->dir->ops->device_by_name(c->dir->ctx, who, &dev);
	if (r < 0) {
		core_reply(out, 503, "Service Unavailable");
		return;
	}
	found = r == 0 && !dev.is_trunk;
	if (found && dev.nonce_validity_s)
		validity = dev.nonce_validity_s;
	if (!found || dev.digest) {
		const char *expect = found && dev.digest_user[0]
					 ? dev.digest_user
					 : "\001no user";
		if (core_authenticate(c, sip, peer, now_ms, validity, expect, 1,
				      &authn, out) != 0)
			return;
	}
	if (!found) {
		core_reply(out, 403, "Forbidden");
		return;
	}
	if (core_check_device(c, &dev, peer, sip->sip_request->rq_method_name,
			      out) != 0)
		return;
	not_routed_yet(c, sip, dev.name,
		       authn.user[0] ? authn.user : dev.digest_user, peer,
		       now_ms, out);
}
