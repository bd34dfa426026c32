/* dialog_event: what the B2BUA tells the rest of the role about a
 * device's calls (for presence and dialog-state watchers, RFC 4235), and
 * the registrar about its registrations. Delivered on the signaling thread
 * through the hook in struct sip_core (core_int.h); nothing in an event
 * stays borrowed past the call. */
#ifndef WARD_SIP_DIALOG_EVENT_H
#define WARD_SIP_DIALOG_EVENT_H

enum sip_dialog_state {
	SIP_DLG_REGISTERED = 0, /* device registered (no dialog) */
	SIP_DLG_UNREGISTERED,	/* last binding gone (no dialog) */
	SIP_DLG_TRYING,		/* INVITE sent or received */
	SIP_DLG_EARLY,		/* ringing */
	SIP_DLG_CONFIRMED,	/* answered: talking */
	SIP_DLG_TERMINATED,	/* ended */
};

struct sip_dialog_event {
	const char *device;  /* the device the event is about */
	const char *line;    /* its line (directory number); "" unknown */
	const char *call_id; /* "" for registration events */
	const char *peer;    /* the other party's number; "" unknown */
	int initiator;	     /* the device placed the call */
	enum sip_dialog_state state;
};

typedef void (*sip_dialog_event_fn)(void *arg,
				    const struct sip_dialog_event *ev);

#endif
