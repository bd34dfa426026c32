/* http: the same files over plain HTTP (port 6970), as phones of this
 * family fetch them — GET and HEAD only, from the TFTP file cache.
 *
 * A small server of its own rather than evhttp: evhttp in libevent 2.1 has
 * no bound on connections or on header size per connection that we can
 * set, and the house rule wants both. A request head is at most
 * HTTP_HEAD_MAX bytes; a connection that sends more, or stays idle or
 * slow past http_idle_s, is closed; beyond http_max_conns new
 * connections are closed at once. Responses reference the cached blob
 * (no copy), so a slow reader holds one reference, not a buffer. */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/errmsg.h"
#include "common/log.h"
#include "node/tftp/tftp_int.h"

#define HTTP_HEAD_MAX 4096

struct tftp_http {
	struct tftp *t;		    /* borrowed: the role */
	struct evconnlistener *lis; /* owned */
	unsigned n_conns;
	unsigned port;
	struct http_conn *conns; /* owned list */
};

struct http_conn {
	struct http_conn *next, *prev;
	struct tftp_http *h;
	struct bufferevent *bev;     /* owned */
	int close_after;	     /* close once the reply is written */
	int head_only;		     /* of the request waiting */
	struct tftp_files_wait wait; /* while its file is being signed */
	char target[TFTP_NAME_MAX + 1];
};

static void on_read(struct bufferevent *bev, void *arg);

static void conn_free(struct http_conn *c)
{
	struct tftp_http *h = c->h;

	if (c->prev)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	h->n_conns--;
	tftp_files_wait_cancel(&c->wait);
	bufferevent_free(c->bev);
	free(c);
}

static void blob_release(const void *data, size_t len, void *arg)
{
	tftp_blob_unref(arg);
}

static void reply(struct http_conn *c, int status, const char *reason,
		  struct tftp_blob *blob, int head_only)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t len = blob ? blob->len : strlen(reason) + 1;

	evbuffer_add_printf(out,
			    "HTTP/1.1 %d %s\r\n"
			    "Content-Type: %s\r\n"
			    "Content-Length: %zu\r\n"
			    "Connection: %s\r\n\r\n",
			    status, reason,
			    blob ? "application/octet-stream" : "text/plain",
			    len, c->close_after ? "close" : "keep-alive");
	if (head_only) {
		tftp_blob_unref(blob);
		return;
	}
	if (!blob) {
		evbuffer_add_printf(out, "%s\n", reason);
		return;
	}
	if (blob->len == 0 || evbuffer_add_reference(out, blob->data, blob->len,
						     blob_release, blob) != 0)
		tftp_blob_unref(blob);
}

/* Handles one complete request head (NUL-terminated, without the blank
 * line). Returns 0, or -1 to drop the connection. */
/* Answers a lookup's result; BLOB (OK only) is a reference, transferred. */
static void respond(struct http_conn *c, enum tftp_files_result res,
		    struct tftp_blob *blob, const char *why, const char *target,
		    int head_only)
{
	struct tftp *t = c->h->t;

	switch (res) {
	case TFTP_FILES_OK:
		t->c.http_served++;
		reply(c, 200, "OK", blob, head_only);
		return;
	case TFTP_FILES_NOT_FOUND:
		t->c.http_refused++;
		reply(c, 404, "Not Found", NULL, head_only);
		return;
	case TFTP_FILES_REFUSED:
		t->c.http_refused++;
		reply(c, 403, "Forbidden", NULL, head_only);
		return;
	default:
		log_warn(TAG, "http %s: %s", target, why);
		reply(c, 503, "Service Unavailable", NULL, head_only);
		return;
	}
}

static int on_head(struct http_conn *c, char *head)
{
	struct tftp *t = c->h->t;
	char *line_end = strstr(head, "\r\n"), *method, *target, *version,
	     *save = NULL, *hdr;
	struct tftp_blob *blob = NULL;
	enum tftp_files_result res;
	const char *why;
	int head_only;

	if (line_end)
		*line_end = '\0';
	method = strtok_r(head, " ", &save);
	target = strtok_r(NULL, " ", &save);
	version = strtok_r(NULL, " ", &save);
	if (!method || !target || !version ||
	    strncmp(version, "HTTP/1.", 7) != 0) {
		c->close_after = 1;
		t->c.http_refused++;
		reply(c, 400, "Bad Request", NULL, 0);
		return 0;
	}
	c->close_after = strcmp(version, "HTTP/1.0") == 0;
	for (hdr = line_end ? line_end + 2 : NULL; hdr && *hdr;) {
		char *e = strstr(hdr, "\r\n");

		if (e)
			*e = '\0';
		if (strncasecmp(hdr, "Connection:", 11) == 0) {
			const char *v = hdr + 11;

			while (*v == ' ' || *v == '\t')
				v++;
			if (strcasecmp(v, "close") == 0)
				c->close_after = 1;
			else if (strcasecmp(v, "keep-alive") == 0)
				c->close_after = 0;
		}
		hdr = e ? e + 2 : NULL;
	}
	head_only = strcmp(method, "HEAD") == 0;
	if (!head_only && strcmp(method, "GET") != 0) {
		t->c.http_refused++;
		reply(c, 405, "Method Not Allowed", NULL, 0);
		return 0;
	}
	/* The path is "/NAME"; names are never percent-encoded (only
	 * [A-Za-z0-9._-/] are valid), and a query string is ignored. */
	if (target[0] != '/') {
		t->c.http_refused++;
		reply(c, 400, "Bad Request", NULL, 0);
		return 0;
	}
	target++;
	target[strcspn(target, "?")] = '\0';
	res = tftp_lookup(t, target, &blob, &why, &c->wait);
	if (res == TFTP_FILES_PENDING) {
		/* Read nothing more until it is answered: requests are
		 * answered in order, and a waiting client buffers nothing. */
		snprintf(c->target, sizeof c->target, "%s", target);
		c->head_only = head_only;
		bufferevent_disable(c->bev, EV_READ);
		return 0;
	}
	respond(c, res, blob, why, target, head_only);
	return 0;
}

/* The file a connection waited for has been signed (or could not be):
 * answer, then go on with what the client sent meanwhile. */
static void on_ready(struct tftp_files_wait *w, enum tftp_files_result res,
		     struct tftp_blob *blob, const char *why)
{
	struct http_conn *c =
	    (struct http_conn *)((char *)w - offsetof(struct http_conn, wait));

	respond(c, res, res == TFTP_FILES_OK ? tftp_blob_ref(blob) : NULL, why,
		c->target, c->head_only);
	bufferevent_enable(c->bev, EV_READ);
	on_read(c->bev, c);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct http_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char head[HTTP_HEAD_MAX + 1];
	struct evbuffer_ptr end;

	while (!c->close_after && !c->wait.pprev) {
		end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
		if (end.pos < 0) {
			if (evbuffer_get_length(in) > HTTP_HEAD_MAX) {
				c->h->t->c.http_refused++;
				conn_free(c);
			}
			return;
		}
		if ((size_t)end.pos > HTTP_HEAD_MAX) {
			c->h->t->c.http_refused++;
			conn_free(c);
			return;
		}
		evbuffer_remove(in, head, (size_t)end.pos);
		head[end.pos] = '\0';
		evbuffer_drain(in, 4);
		if (on_head(c, head) != 0) {
			conn_free(c);
			return;
		}
	}
	if (c->wait.pprev)
		return; /* waiting for a file being signed */
	/* Closing: ignore anything else the client sends. */
	evbuffer_drain(in, evbuffer_get_length(in));
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct http_conn *c = arg;

	if (c->close_after)
		conn_free(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	conn_free(arg);
}

static void on_accept(struct evconnlistener *lis, evutil_socket_t fd,
		      struct sockaddr *sa, int salen, void *arg)
{
	struct tftp_http *h = arg;
	struct timeval idle = {h->t->cfg.http_idle_s, 0};
	struct http_conn *c;

	if (h->n_conns >= h->t->cfg.http_max_conns) {
		h->t->c.http_refused++;
		close(fd);
		return;
	}
	c = calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		return;
	}
	c->h = h;
	c->wait.ready = on_ready;
	c->bev = bufferevent_socket_new(h->t->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		close(fd);
		free(c);
		return;
	}
	c->next = h->conns;
	if (h->conns)
		h->conns->prev = c;
	h->conns = c;
	h->n_conns++;
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

int tftp_http_new(struct tftp *t, const char *listen, struct tftp_http **out,
		  char *errmsg, size_t errcap)
{
	struct tftp_http *h = calloc(1, sizeof *h);
	struct sockaddr_storage addr;
	socklen_t len;

	if (!h) {
		errmsg_set(errmsg, errcap, "tftp http: out of memory");
		return -1;
	}
	h->t = t;
	if (tftp_resolve(listen, SOCK_STREAM, &addr, &len, errmsg, errcap))
		goto err;
	h->lis = evconnlistener_new_bind(
	    t->base, on_accept, h,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    256, (struct sockaddr *)&addr, (int)len);
	if (!h->lis) {
		errmsg_set(errmsg, errcap, "tftp http listen %s: %s", listen,
			   strerror(errno));
		goto err;
	}
	len = sizeof addr;
	getsockname(evconnlistener_get_fd(h->lis), (struct sockaddr *)&addr,
		    &len);
	h->port = ntohs(addr.ss_family == AF_INET6
			    ? ((struct sockaddr_in6 *)&addr)->sin6_port
			    : ((struct sockaddr_in *)&addr)->sin_port);
	*out = h;
	return 0;
err:
	free(h);
	return -1;
}

unsigned tftp_http_port_of(const struct tftp_http *h)
{
	return h->port;
}

void tftp_http_free(struct tftp_http *h)
{
	if (!h)
		return;
	while (h->conns)
		conn_free(h->conns);
	evconnlistener_free(h->lis);
	free(h);
}
