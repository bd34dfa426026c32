/* http: wardctl's one HTTPS client call to the admin API — JSON in and out,
 * Basic credentials, TLS trust by CA or pinned fingerprint, no redirects —
 * and the mapping of every failure to an exit code. */
#ifndef WARD_TOOLS_WARDCTL_HTTP_H
#define WARD_TOOLS_WARDCTL_HTTP_H

#include <jansson.h>

struct wardctl;

#define HTTP_MAX_ANSWER (8u << 20) /* an answer larger is refused */

enum http_auth {
	HTTP_AUTH_NONE,	 /* the body carries its own token (init, join) */
	HTTP_AUTH_BASIC, /* ctx->user and its password (read if needed) */
};

/* METHOD ctx->url + PATH (an absolute path, already escaped; "?consistent=1"
 * is added to a GET when ctx->consistent). BODY (borrowed, NULL for none) is
 * sent as JSON. On a 2xx answer, *ANSWER is its JSON (transferred: the
 * caller json_decref()s it). Anything else is printed on ctx->err, *ANSWER
 * is NULL, and the exit code is returned (see http_status_exit()). With a
 * pin, the connection is refused before the request is sent unless the
 * server's certificate matches. Records the server certificate's digest in
 * ctx->peer_fp. */
int http_call(struct wardctl *ctx, const char *method, const char *path,
	      const json_t *body, enum http_auth auth, json_t **answer);

/* The exit code for an HTTP STATUS: 2xx OK, 401 EAUTH, other 4xx EREFUSED,
 * 5xx and anything unexpected (1xx, 3xx: redirects are not followed)
 * EUNAVAILABLE. */
int http_status_exit(long status);

/* "/v1/" PREFIX "/" + NAME escaped as one path segment + SUFFIX (may be
 * ""), into a malloc'd string (transferred), NULL on no memory. */
char *http_path(const char *prefix, const char *name, const char *suffix);

#endif
