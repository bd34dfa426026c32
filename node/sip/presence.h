/* presence: SUBSCRIBE/NOTIFY (RFC 6665) for the presence (PIDF, RFC 3863)
 * and dialog (RFC 4235) event packages of devices and lines, allowed only
 * between presence groups that permit it (docs/sip.md, "Presence").
 *
 * The watcher is the digest user that authenticated the SUBSCRIBE (for a
 * trunk without digest, the trunk's application user); the watched is the
 * Request-URI user, a line (directory number) or a device name, and its
 * presence group is the group of that device's digest user. A device
 * without a digest user, and a user without a group, have no group: only
 * the cluster default (presence_default) can let them be watched or
 * watch. Members of one group may watch each other unless the group has a
 * rule for itself.
 *
 * Transport-less like the core: SUBSCRIBEs come in through
 * sip_presence_subscribe (the core calls it once digest and the device or
 * trunk checks passed), NOTIFYs go out through the send hook — those of a
 * SUBSCRIBE queued and sent by sip_presence_flush, which the agent calls
 * after each message and each tick, so that a NOTIFY never leaves before
 * the 200 of its SUBSCRIBE; those of events at once. One NOTIFY per
 * subscription is in flight at a time; a change meanwhile is sent when it is
 * answered (full state each time). A NOTIFY answered with an error (481, 408 on
 * timeout, any other failure) ends the subscription.
 *
 * Bounded: at most max_subs subscriptions per node and max_per_watcher per
 * watcher (503 beyond), 4 dialogs remembered per watched device, strings
 * from the wire copied only up to fixed sizes (400 beyond).
 *
 * Threading: one per signaling thread, not shared. */
#ifndef WARD_SIP_PRESENCE_H
#define WARD_SIP_PRESENCE_H

#include <stddef.h>
#include <stdint.h>

#include <sofia-sip/sip.h>

#include "node/sip/dialog_event.h"
#include "node/sip/directory.h"

struct sip_reply;
struct sip_peer;

enum sip_presence_package {
	SIP_PRESENCE_PKG_PRESENCE = 0, /* application/pidf+xml */
	SIP_PRESENCE_PKG_DIALOG,       /* application/dialog-info+xml */
};

struct sip_presence_config {
	size_t max_subs;	  /* per node (10,000) */
	unsigned max_per_watcher; /* per watcher (64) */
	unsigned min_expires;	  /* 423 below (60 s) */
	unsigned max_expires;	  /* clamped to (3600 s) */
	unsigned default_expires; /* without Expires (3600 s) */
};

void sip_presence_config_defaults(struct sip_presence_config *cfg);

/* One NOTIFY to send; every pointer valid during the send call only. */
struct sip_presence_notify {
	const char *request_uri; /* the subscriber's Contact URI */
	const char *route;	 /* its route set as a header value, "" none */
	const char *call_id;
	const char *from; /* our end: "<uri>;tag=..." */
	const char *to;	  /* the subscriber: "<uri>;tag=..." */
	uint32_t cseq;
	const char *event;	  /* "presence" or "dialog" */
	const char *state;	  /* Subscription-State value */
	const char *content_type; /* NULL: no body */
	const char *body;
	size_t body_len;
	/* Where the SUBSCRIBE came from: NOTIFYs go back over the same
	 * connection when it still exists (TCP, TLS). */
	unsigned transport; /* SIP_TP_* */
	const struct sockaddr_storage *source;
};

/* Sends N as a client transaction whose final response the caller passes
 * to sip_presence_on_response. Returns 0, or -1 if it could not be sent
 * (the subscription then ends). */
typedef int (*sip_presence_send_fn)(void *arg,
				    const struct sip_presence_notify *n);

/* 1 if DEVICE has a binding on this node, else 0. */
typedef int (*sip_presence_registered_fn)(void *arg, const char *device);

struct sip_presence;

/* DIR is borrowed and must outlive the object; REGISTERED (with ARG)
 * answers for the initial state. Returns 0 or -1 (no memory). */
int sip_presence_new(const struct sip_presence_config *cfg,
		     const struct sip_directory *dir,
		     sip_presence_registered_fn registered, void *arg,
		     struct sip_presence **out);
void sip_presence_free(struct sip_presence *p);

/* Called with a watched device's name when a subscription to it is
 * accepted or refreshed, and as the device is looked at again (every
 * POLL_TICKS seconds): the agent tells the member that handles its calls
 * (presence_node.h), at most once a minute. */
typedef void (*sip_presence_watch_fn)(void *arg, const char *device);
void sip_presence_set_watch(struct sip_presence *p, sip_presence_watch_fn fn,
			    void *arg);

/* Where NOTIFYs go (the agent); without a sender a SUBSCRIBE gets 480. */
void sip_presence_set_sender(struct sip_presence *p, sip_presence_send_fn send,
			     void *arg);

/* The SUBSCRIBE SIP (borrowed) from PEER, authenticated as WATCHER ("" if
 * no user is known), at NOW_MS: a new subscription, a refresh or an
 * unsubscribe (Expires: 0). Fills OUT — 200 with Expires and the To tag
 * (OUT->to_tag), 403 for a pair of groups that may not, 404, 423, 481,
 * 489, 400 — and queues the NOTIFY that follows. */
void sip_presence_subscribe(struct sip_presence *p, const sip_t *sip,
			    const char *watcher, const struct sip_peer *peer,
			    uint64_t now_ms, struct sip_reply *out);

/* What happened to a device (registration, or a call from the B2BUA):
 * NOTIFYs its watchers (sent at once, or when the one in flight is
 * answered). EV is borrowed for the call. */
void sip_presence_on_event(struct sip_presence *p,
			   const struct sip_dialog_event *ev);

/* The final STATUS of the NOTIFY with CALL_ID and CSEQ (408 for a
 * timeout). */
void sip_presence_on_response(struct sip_presence *p, const char *call_id,
			      uint32_t cseq, int status);

/* Sends what is queued. */
void sip_presence_flush(struct sip_presence *p);

/* Once a second: subscriptions past their expiry get their final NOTIFY
 * (terminated;reason=timeout). */
void sip_presence_tick(struct sip_presence *p, uint64_t now_ms);

struct sip_presence_stats {
	uint64_t subscriptions; /* live now */
	uint64_t accepted, refused, notifies, notify_failures, ended;
};
void sip_presence_stats(const struct sip_presence *p,
			struct sip_presence_stats *out);

/* ---- pieces, exposed for the tests ------------------------------------- */

/* What a watched device is doing, as the bodies show it. */
#define SIP_PRESENCE_DIALOGS 4
#define SIP_PRESENCE_CALLID_MAX 128

struct sip_presence_dialog {
	char call_id[SIP_PRESENCE_CALLID_MAX];
	char peer[SIP_DIR_NAME_MAX]; /* the other party's number, "" */
	int initiator;
	enum sip_dialog_state state; /* TRYING .. TERMINATED */
};

struct sip_presence_state {
	int registered;
	unsigned ndialogs;
	struct sip_presence_dialog dialogs[SIP_PRESENCE_DIALOGS];
};

/* The PIDF document (RFC 3863, with the RPID activity on-the-phone, RFC
 * 4480, while a call is up) of ENTITY ("sip:1001@host") in state S, or
 * the dialog-info document (RFC 4235, state="full", VERSION) into OUT
 * (CAP bytes). Every string is XML-escaped. Returns the length, or -1 if
 * it does not fit. */
int sip_presence_pidf(const char *entity, const struct sip_presence_state *s,
		      char *out, size_t cap);
int sip_presence_dialog_info(const char *entity, uint32_t version,
			     const struct sip_presence_state *s, char *out,
			     size_t cap);

/* 1 if an Accept header list (NULL: none, which means the package's
 * type) accepts the package's body type. */
int sip_presence_accepts(const sip_accept_t *accept,
			 enum sip_presence_package pkg);

/* The permission check alone: may WATCHER_GROUP watch WATCHED_GROUP
 * ("" no group), given RULE, the watcher group's rule for the watched
 * group (1 allow, 0 disallow, -1 none), and DEFAULT_ALLOW, the cluster
 * default. */
int sip_presence_permitted(const char *watcher_group, const char *watched_group,
			   int rule, int default_allow);

/* Reads the groups of WATCHER (a digest user) and of DEV's digest user
 * through DIR and decides: 1 allowed, 0 not (also when the directory has
 * no presence data: fail closed), -1 the directory failed. */
int sip_presence_authorize(const struct sip_directory *dir, const char *watcher,
			   const struct sip_device *dev);

#endif
