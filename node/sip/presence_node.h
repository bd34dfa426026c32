/* presence_node: dialog state (RFC 4235) of devices across nodes, without
 * a store write per call state change (docs/sip.md, "Presence across
 * nodes").
 *
 * A watcher subscribes on node X to a device whose calls node Y handles
 * (the node its registration names). X tells Y once that it watches the
 * device, and again at most every SIP_PNODE_ANNOUNCE_S seconds while it
 * does (an "x-ward-watch" PUBLISH on the node listener); Y remembers that
 * interest for SIP_PNODE_TTL_S seconds and, while it lasts, sends each
 * call state change of the device (trying, early, confirmed, terminated)
 * to X in an "x-ward-dialog" PUBLISH, which X hands to its presence
 * table as if the call were its own. Both requests go over the node
 * listeners, authenticated by the NODE certificates (call_node.h); only
 * a current member's are believed.
 *
 * Bounded: SIP_PNODE_SLOTS devices remembered on each side (the oldest
 * entry replaced), SIP_PNODE_PER_DEV members per device, bodies of at
 * most SIP_PNODE_BODY_MAX bytes; the agent keeps at most
 * SIP_PNODE_IN_FLIGHT requests in flight (beyond, an event is dropped
 * and counted: the next one carries the device's state again).
 *
 * Wire format: Content-Type application/x-ward-presence, lines
 * "key=value" ending in LF: watch "device=D"; dialog "device=D",
 * "line=L", "call-id=C", "peer=P", "initiator=0|1",
 * "state=trying|early|confirmed|terminated", each exactly once, in any
 * order. device, line and peer: 0..63 (device 1..63) of
 * [A-Za-z0-9._+*#-]; call-id 1..127 visible ASCII characters.
 *
 * Threading: the signaling thread's; nothing shared. */
#ifndef WARD_SIP_PRESENCE_NODE_H
#define WARD_SIP_PRESENCE_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "node/sip/dialog_event.h"
#include "node/sip/directory.h"

#define SIP_PNODE_SLOTS 4096
#define SIP_PNODE_PER_DEV 4
#define SIP_PNODE_ANNOUNCE_S 60
#define SIP_PNODE_TTL_S 180
#define SIP_PNODE_BODY_MAX 512
#define SIP_PNODE_IN_FLIGHT 256
#define SIP_PNODE_CALLID_MAX 128

#define SIP_PNODE_EVENT_WATCH "x-ward-watch"
#define SIP_PNODE_EVENT_DIALOG "x-ward-dialog"
#define SIP_PNODE_CTYPE "application/x-ward-presence"

struct sip_pnode;

/* 0, or -1 (no memory). */
int sip_pnode_new(struct sip_pnode **out);
void sip_pnode_free(struct sip_pnode *t);

/* Watcher side: 1 when member NODE should hear (again) that this node
 * watches DEVICE — never told, told another member, or told
 * SIP_PNODE_ANNOUNCE_S ago — and then it counts as told; 0 otherwise. */
int sip_pnode_announce_due(struct sip_pnode *t, const char *device,
			   uint64_t node, uint64_t now_ms);

/* Holder side: member NODE watches DEVICE for SIP_PNODE_TTL_S from
 * NOW_MS. */
void sip_pnode_watch(struct sip_pnode *t, const char *device, uint64_t node,
		     uint64_t now_ms);

/* The members watching DEVICE now, into OUT: their number. */
size_t sip_pnode_watchers(const struct sip_pnode *t, const char *device,
			  uint64_t now_ms, uint64_t out[SIP_PNODE_PER_DEV]);

/* What a PUBLISH carries. */
struct sip_pnode_msg {
	int dialog; /* 0 watch, 1 dialog */
	char device[SIP_DIR_NAME_MAX];
	char line[SIP_DIR_NAME_MAX];
	char call_id[SIP_PNODE_CALLID_MAX];
	char peer[SIP_DIR_NAME_MAX];
	int initiator;
	enum sip_dialog_state state; /* TRYING..TERMINATED */
};

/* The bodies: the length written into OUT (CAP bytes), or -1 when a
 * value is not of the format above or does not fit. */
int sip_pnode_watch_body(const char *device, char *out, size_t cap);
int sip_pnode_dialog_body(const struct sip_dialog_event *ev, char *out,
			  size_t cap);

/* Parses the body BODY (LEN bytes, any bytes) of a PUBLISH whose Event
 * is EVENT: 0 with OUT, or -1 when anything is off (unknown event, key,
 * value, a duplicate or a missing key, a line without LF, too long). */
int sip_pnode_parse(const char *event, const char *body, size_t len,
		    struct sip_pnode_msg *out);

/* OUT as the dialog event it carries (pointers into M). */
void sip_pnode_event(const struct sip_pnode_msg *m,
		     struct sip_dialog_event *out);

#endif
