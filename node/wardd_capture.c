/* wardd_capture: capture windows to the key log (wardd_capture.h). */
#include "node/wardd_capture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "node/keymgr/keylog.h"
#include "node/keymgr/sdpmap.h"
#include "store/capture.h"

#define TAGC "capture"

struct wardd_capture {
	struct store *store;   /* borrowed */
	struct keylog *log;    /* owned */
	struct event *ev_tick; /* owned */
	uint64_t dropped_told; /* keylog_dropped at the last warning */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	wardd_capture_tick(arg, now_ms());
}

struct wardd_capture *wardd_capture_new(struct store *store,
					struct event_base *base, size_t max,
					char *errmsg, size_t errcap)
{
	struct wardd_capture *c = calloc(1, sizeof *c);
	struct timeval second = {1, 0};

	if (!c) {
		snprintf(errmsg, errcap, "capture: out of memory");
		return NULL;
	}
	c->store = store;
	c->log = keylog_new(max, errmsg, errcap);
	if (!c->log)
		goto err_after_alloc;
	if (base) {
		c->ev_tick = event_new(base, -1, EV_PERSIST, on_tick, c);
		if (!c->ev_tick || event_add(c->ev_tick, &second) != 0) {
			snprintf(errmsg, errcap, "capture: timer");
			goto err_after_log;
		}
	}
	if (!keylog_is_locked(c->log))
		log_warn(TAGC, "key log not locked in memory (RLIMIT_MEMLOCK)");
	return c;
err_after_log:
	if (c->ev_tick)
		event_free(c->ev_tick);
	keylog_free(c->log);
err_after_alloc:
	free(c);
	return NULL;
}

void wardd_capture_free(struct wardd_capture *c)
{
	if (!c)
		return;
	if (c->ev_tick)
		event_free(c->ev_tick);
	keylog_free(c->log);
	free(c);
}

uint64_t wardd_capture_until(struct wardd_capture *c, const char *device,
			     uint64_t now)
{
	struct store_capture rec;
	struct store_read *r;
	int rc;

	if (!c || !device || !device[0] ||
	    store_read_begin(c->store, &r) != STORE_OK)
		return 0;
	rc = store_capture_get(r, device, &rec);
	store_read_end(r);
	return rc == STORE_OK && store_capture_active(&rec, now) ? rec.until_ms
								 : 0;
}

static uint64_t until_now(void *arg, const char *device)
{
	struct wardd_capture *c = arg;

	return wardd_capture_until(c, device, now_ms());
}

static void peer_text(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
		port = ntohs(s4->sin_port);
		snprintf(out, cap, "%s:%u", host, port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
		port = ntohs(s6->sin6_port);
		snprintf(out, cap, "[%s]:%u", host, port);
	} else {
		snprintf(out, cap, "-");
	}
}

static unsigned port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(
		    ((const struct sockaddr_in *)(const void *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(
		    ((const struct sockaddr_in6 *)(const void *)ss)->sin6_port);
	return 0;
}

void wardd_capture_note(struct wardd_capture *c, const char *call_id,
			const char *const devices[2],
			const struct sdpmap_call *map)
{
	uint64_t now = now_ms(), until[2];
	size_t n = sdpmap_streams(map), logged = 0, moved = 0;

	if (!c)
		return;
	for (int d = 0; d < 2; d++)
		until[d] = wardd_capture_until(c, devices[d], now);
	if (!until[0] && !until[1])
		return;
	for (size_t i = 0; i < n; i++) {
		struct relay_leg_config legs[2];
		char peer[2][KEYLOG_ADDR_MAX];
		struct keylog_stream s;

		if (!sdpmap_relay_legs(map, i, legs))
			continue;
		memset(&s, 0, sizeof s);
		s.call_id = call_id;
		s.stream = (unsigned)i;
		s.now_ms = now;
		for (int sd = 0; sd < 2; sd++) {
			s.leg_device[sd] = devices[sd];
			s.ward_port[sd] = port_of(&legs[sd].local);
			peer_text(&legs[sd].remote, peer[sd], sizeof peer[sd]);
			s.peer[sd] = peer[sd];
		}
		if (!sdpmap_stream_changed(map, i)) {
			/* The same keys: a side that moved takes its
			 * entries along. */
			for (int sd = 0; sd < 2; sd++)
				if (sdpmap_stream_moved(map, i, sd))
					moved += keylog_moved(
					    c->log, &s, sd,
					    sdpmap_stream_keys(map, i));
			continue;
		}
		for (int d = 0; d < 2; d++) {
			/* A call between two captured legs of one device
			 * logs once. */
			if (!until[d] || (d == 1 && until[0] &&
					  strcmp(devices[0], devices[1]) == 0))
				continue;
			s.device = devices[d];
			s.until_ms = until[d];
			logged +=
			    keylog_note(c->log, &s, sdpmap_stream_keys(map, i));
		}
	}
	/* Never the keys: that they were logged, for the record. */
	if (logged)
		log_info(TAGC, "call %s: %zu key(s) logged for capture",
			 call_id, logged);
	if (moved)
		log_info(TAGC, "call %s: %zu logged key(s) moved to a new peer",
			 call_id, moved);
	if (keylog_dropped(c->log) != c->dropped_told) {
		c->dropped_told = keylog_dropped(c->log);
		log_warn(TAGC, "key log full: %llu key(s) not logged",
			 (unsigned long long)c->dropped_told);
	}
}

size_t wardd_capture_tick(struct wardd_capture *c, uint64_t now)
{
	size_t n;

	if (!c || keylog_count(c->log) == 0)
		return 0;
	n = keylog_expire(c->log, now, until_now, c);
	if (n)
		log_info(TAGC, "%zu logged key(s) wiped: capture window ended",
			 n);
	return n;
}

static int entry_json(void *arg, const struct keylog_entry *e)
{
	json_t *list = arg;

	json_array_append_new(
	    list,
	    json_pack("{s:s, s:s, s:i, s:s#, s:s, s:s, s:s, s:s, s:s, s:i, "
		      "s:s, s:I, s:I}",
		      "call_id", e->call_id, "device", e->device, "stream",
		      (int)e->stream, "leg", &e->leg, (size_t)1, "leg_device",
		      e->leg_device, "direction", e->direction, "sender",
		      e->sender, "suite", sdes_suite_name(e->suite), "inline",
		      e->inline_key, "ward_port", (int)e->ward_port, "peer",
		      e->peer, "at_ms", (json_int_t)e->at_ms, "until_ms",
		      (json_int_t)e->until_ms));
	return 0;
}

int wardd_capture_keys_json(struct wardd_capture *c, const char *device,
			    char **out)
{
	json_t *list = json_array(), *doc;

	*out = NULL;
	doc = json_pack("{s:o}", "entries", list);
	if (!list || !doc) {
		json_decref(doc);
		return -1;
	}
	if (c)
		keylog_each(c->log, device, now_ms(), entry_json, list);
	*out = json_dumps(doc, JSON_COMPACT);
	/* jansson's copies of the keys go with it: its allocator does not
	 * wipe, so the strings are wiped here first. */
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *k = json_object_get(json_array_get(list, i), "inline");
		const char *v = json_string_value(k);

		if (v)
			OPENSSL_cleanse((char *)v, strlen(v));
	}
	json_decref(doc);
	return *out ? 0 : -1;
}

size_t wardd_capture_entries(struct wardd_capture *c)
{
	return c ? keylog_count(c->log) : 0;
}
