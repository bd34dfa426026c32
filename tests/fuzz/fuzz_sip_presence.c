/* libFuzzer target of presence (node/sip/presence.h): sofia's parser, then
 * a SUBSCRIBE handed to presence as if digest had passed — new
 * subscriptions, refreshes, unsubscribes against a small table — with the
 * NOTIFYs rendered and answered and the watched devices' events in
 * between. The first byte picks the watcher, the answer to the last
 * NOTIFY and whether an event or a tick follows; the rest is the
 * message. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip_parser.h>
#include <sofia-sip/su.h>

#include "node/sip/core.h"
#include "node/sip/directory_mem.h"
#include "node/sip/presence.h"

static const char dirtext[] = "realm ward.test\n"
			      "presence_default disallow\n"
			      "pgroup staff allow=staff\n"
			      "pgroup lobby disallow=staff\n"
			      "user alice pw pgroup=staff\n"
			      "user bob pw pgroup=staff\n"
			      "user eve pw pgroup=lobby\n"
			      "device SEP001122334455 user=alice line=1001\n"
			      "device SEP00AABBCCDDEE user=bob line=1002\n";

static struct sip_presence *pres;
static struct sip_dirmem *mem;
static struct sip_directory dir;
static char last_call[SIP_PRESENCE_CALLID_MAX];
static uint32_t last_cseq;

static int on_send(void *arg, const struct sip_presence_notify *n)
{
	(void)arg;
	/* Everything a sender reads must be there and terminated. */
	if (!n->request_uri || !n->from || !n->to || !n->state ||
	    strlen(n->call_id) >= sizeof last_call ||
	    (n->body && strlen(n->body) != n->body_len))
		__builtin_trap();
	snprintf(last_call, sizeof last_call, "%s", n->call_id);
	last_cseq = n->cseq;
	return 0;
}

static int on_registered(void *arg, const char *device)
{
	(void)arg;
	return device[3] == '0';
}

static void setup(void)
{
	struct sip_presence_config cfg;
	char err[128];

	su_init();
	if (sip_dirmem_parse(dirtext, &mem, err, sizeof err) != 0)
		__builtin_trap();
	sip_dirmem_directory(mem, &dir);
	sip_presence_config_defaults(&cfg);
	cfg.max_subs = 8;
	cfg.max_per_watcher = 4;
	if (sip_presence_new(&cfg, &dir, on_registered, NULL, &pres) != 0)
		__builtin_trap();
	sip_presence_set_sender(pres, on_send, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const watchers[] = {"alice", "eve", "", "bob"};
	static const int answers[] = {200, 481, 408, 100};
	static uint64_t now = 1800000000000ull;
	struct sip_reply rep;
	msg_t *m;
	sip_t *sip;

	if (!pres)
		setup();
	if (size < 1)
		return 0;
	m = msg_make(sip_default_mclass(), 0, data + 1, size - 1);
	sip = m ? sip_object(m) : NULL;
	/* What the core guarantees before presence sees a request. */
	if (sip && sip->sip_request && sip->sip_from && sip->sip_to &&
	    sip->sip_call_id && sip->sip_cseq && !sip->sip_error &&
	    sip->sip_request->rq_method == sip_method_subscribe) {
		memset(&rep, 0, sizeof rep);
		sip_presence_subscribe(pres, sip, watchers[data[0] & 3], NULL,
				       now, &rep);
		if (rep.status < 100 || rep.status > 699)
			__builtin_trap();
	}
	msg_destroy(m);
	sip_presence_flush(pres);
	if (last_call[0])
		sip_presence_on_response(pres, last_call, last_cseq,
					 answers[(data[0] >> 2) & 3]);
	if (data[0] & 0x10) {
		struct sip_dialog_event ev = {
		    .device =
			data[0] & 0x20 ? "SEP00AABBCCDDEE" : "SEP001122334455",
		    .line = "",
		    .call_id = "c1",
		    .peer = "<&>",
		    .state = (enum sip_dialog_state)((data[0] >> 5) % 6),
		};
		sip_presence_on_event(pres, &ev);
	}
	if (data[0] & 0x40) {
		now += 700000;
		sip_presence_tick(pres, now);
	}
	sip_presence_flush(pres);
	return 0;
}
