/* presence_body: the NOTIFY bodies (PIDF, dialog-info), the Accept check
 * and the permission decision between presence groups (presence.h). */
#include "node/sip/presence.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/sip_header.h>

struct out {
	char *p;
	size_t cap, len;
	int over;
};

static void put(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->over)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->over = 1;
		return;
	}
	o->len += (size_t)n;
}

/* S as XML character data or attribute text. Everything it carries (URIs,
 * Call-IDs, numbers) is ASCII: control characters (never valid in XML
 * 1.0) and bytes past ASCII (which might not be UTF-8) are dropped, so
 * the document stays well-formed whatever came from the wire. */
static void put_xml(struct out *o, const char *s)
{
	for (; s && *s && !o->over; s++) {
		switch (*s) {
		case '&':
			put(o, "&amp;");
			break;
		case '<':
			put(o, "&lt;");
			break;
		case '>':
			put(o, "&gt;");
			break;
		case '"':
			put(o, "&quot;");
			break;
		case '\'':
			put(o, "&apos;");
			break;
		default:
			if ((unsigned char)*s >= 0x20 &&
			    (unsigned char)*s < 0x7f)
				put(o, "%c", *s);
			break;
		}
	}
}

static int busy(const struct sip_presence_state *s)
{
	for (unsigned i = 0; i < s->ndialogs && i < SIP_PRESENCE_DIALOGS; i++)
		if (s->dialogs[i].state != SIP_DLG_TERMINATED)
			return 1;
	return 0;
}

int sip_presence_pidf(const char *entity, const struct sip_presence_state *s,
		      char *out, size_t cap)
{
	struct out o = {.p = out, .cap = cap};

	if (!cap)
		return -1;
	put(&o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
		"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
		"xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" "
		"xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" entity=\"");
	put_xml(&o, entity);
	put(&o,
	    "\">\r\n<tuple id=\"t1\"><status><basic>%s</basic></status>"
	    "</tuple>\r\n",
	    s->registered ? "open" : "closed");
	if (s->registered && busy(s))
		put(&o,
		    "<dm:person id=\"p1\"><rpid:activities>"
		    "<rpid:on-the-phone/></rpid:activities></dm:person>\r\n");
	put(&o, "</presence>\r\n");
	return o.over ? -1 : (int)o.len;
}

static const char *dialog_state_name(enum sip_dialog_state st)
{
	switch (st) {
	case SIP_DLG_TRYING:
		return "trying";
	case SIP_DLG_EARLY:
		return "early";
	case SIP_DLG_CONFIRMED:
		return "confirmed";
	default:
		return "terminated";
	}
}

int sip_presence_dialog_info(const char *entity, uint32_t version,
			     const struct sip_presence_state *s, char *out,
			     size_t cap)
{
	struct out o = {.p = out, .cap = cap};

	if (!cap)
		return -1;
	put(&o,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
	    "<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" "
	    "version=\"%u\" state=\"full\" entity=\"",
	    version);
	put_xml(&o, entity);
	put(&o, "\">\r\n");
	for (unsigned i = 0; i < s->ndialogs && i < SIP_PRESENCE_DIALOGS; i++) {
		const struct sip_presence_dialog *d = &s->dialogs[i];

		/* The id only has to be unique in the document. */
		put(&o, "<dialog id=\"d%u\" call-id=\"", i + 1);
		put_xml(&o, d->call_id);
		put(&o, "\" direction=\"%s\"><state>%s</state>",
		    d->initiator ? "initiator" : "recipient",
		    dialog_state_name(d->state));
		if (d->peer[0]) {
			put(&o, "<remote><identity>");
			put_xml(&o, d->peer);
			put(&o, "</identity></remote>");
		}
		put(&o, "</dialog>\r\n");
	}
	put(&o, "</dialog-info>\r\n");
	return o.over ? -1 : (int)o.len;
}

int sip_presence_accepts(const sip_accept_t *accept,
			 enum sip_presence_package pkg)
{
	const char *sub =
	    pkg == SIP_PRESENCE_PKG_PRESENCE ? "pidf+xml" : "dialog-info+xml";
	unsigned n = 0;

	if (!accept)
		return 1;
	/* Bounded: a list of hundreds of types is not worth reading. */
	for (; accept && n < 32; accept = accept->ac_next, n++) {
		const char *t = accept->ac_type; /* "type/subtype" */

		if (!t)
			continue;
		if (strcmp(t, "*/*") == 0 ||
		    strcasecmp(t, "application/*") == 0)
			return 1;
		if (strncasecmp(t, "application/", 12) == 0 &&
		    strcasecmp(t + 12, sub) == 0)
			return 1;
	}
	return 0;
}

int sip_presence_permitted(const char *watcher_group, const char *watched_group,
			   int rule, int default_allow)
{
	if (watcher_group[0] && watched_group[0] && rule >= 0)
		return rule ? 1 : 0;
	if (watcher_group[0] && strcmp(watcher_group, watched_group) == 0)
		return 1;
	return default_allow ? 1 : 0;
}

int sip_presence_authorize(const struct sip_directory *dir, const char *watcher,
			   const struct sip_device *dev)
{
	const struct sip_directory_ops *ops = dir->ops;
	char wg[SIP_DIR_NAME_MAX] = "", tg[SIP_DIR_NAME_MAX] = "";
	int r, rule = -1, def;

	if (!ops->presence_group || !ops->presence_rule ||
	    !ops->presence_default)
		return 0;
	if (watcher && watcher[0]) {
		r = ops->presence_group(dir->ctx, watcher, wg);
		if (r < 0)
			return -1;
		if (r != 0)
			wg[0] = '\0';
	}
	if (dev->digest_user[0]) {
		r = ops->presence_group(dir->ctx, dev->digest_user, tg);
		if (r < 0)
			return -1;
		if (r != 0)
			tg[0] = '\0';
	}
	if (wg[0] && tg[0]) {
		int allow = 0;

		r = ops->presence_rule(dir->ctx, wg, tg, &allow);
		if (r < 0)
			return -1;
		rule = r == 0 ? (allow ? 1 : 0) : -1;
	}
	def = ops->presence_default(dir->ctx);
	if (def < 0)
		return -1;
	return sip_presence_permitted(wg, tg, rule, def);
}
