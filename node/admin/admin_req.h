/* admin_req: the JSON bodies the admin API accepts, parsed and validated
 * into fixed-size structs. Pure functions (no socket), so that the fuzzer
 * and the tests drive them directly. Internal to node/admin/.
 *
 * Every parser takes the raw body (borrowed, not NUL-terminated), rejects
 * more than ADMIN_BODY_MAX bytes with 413, anything but one JSON object with
 * the expected fields of the expected types with 400, and writes a reason
 * fit for the client into errmsg. Unknown fields are refused, so that a typo
 * is an error and not a silently ignored setting. */
#ifndef WARD_ADMIN_REQ_H
#define WARD_ADMIN_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "node/admin/admin_auth.h"
#include "store/store.h"

#define ADMIN_BODY_MAX (64u * 1024)

/* POST /v1/cluster/init */
struct admin_req_init {
	char token[ADMIN_SECRET_TEXT_LEN + 1]; /* secret */
	char cluster_name[ADMIN_NAME_MAX + 1];
	char admin[ADMIN_NAME_MAX + 1];
	char password[ADMIN_PASSWORD_MAX + 1]; /* secret */
	size_t password_len;
};

/* POST /v1/nodes */
struct admin_req_node_add {
	char name[ADMIN_NAME_MAX + 1];
	char host[STORE_ADDR_MAX]; /* "address": a host, a port is dropped */
};

/* POST /v1/join */
struct admin_req_join {
	char token[ADMIN_JOIN_TOKEN_MAX]; /* secret */
	char name[ADMIN_NAME_MAX + 1];
	char raft_address[STORE_ADDR_MAX];
	char admin_address[STORE_ADDR_MAX];
	uint8_t https_sha256[32];
};

/* POST /v1/leader/transfer: node is "" for "any up-to-date voter". */
struct admin_req_transfer {
	char node[ADMIN_NAME_MAX + 1];
};

/* PUT /v1/params/NAME */
struct admin_req_param {
	char value[STORE_TEXT_MAX];
};

/* POST /v1/admins and PUT /v1/admins/NAME/password (name unused there). */
struct admin_req_admin {
	char name[ADMIN_NAME_MAX + 1];
	char password[ADMIN_PASSWORD_MAX + 1]; /* secret */
	size_t password_len;
};

/* Each returns 0, 400 or 413 (an HTTP status) with errmsg set. The structs
 * are zeroed first; the caller wipes the secret fields when done. */
int admin_req_parse_init(const void *body, size_t len,
			 struct admin_req_init *out, char *errmsg,
			 size_t errcap);
int admin_req_parse_node_add(const void *body, size_t len,
			     struct admin_req_node_add *out, char *errmsg,
			     size_t errcap);
int admin_req_parse_join(const void *body, size_t len,
			 struct admin_req_join *out, char *errmsg,
			 size_t errcap);
/* An empty body means {}. */
int admin_req_parse_transfer(const void *body, size_t len,
			     struct admin_req_transfer *out, char *errmsg,
			     size_t errcap);
int admin_req_parse_param(const void *body, size_t len,
			  struct admin_req_param *out, char *errmsg,
			  size_t errcap);
int admin_req_parse_admin_add(const void *body, size_t len,
			      struct admin_req_admin *out, char *errmsg,
			      size_t errcap);
int admin_req_parse_password(const void *body, size_t len,
			     struct admin_req_admin *out, char *errmsg,
			     size_t errcap);

/* Query string helpers. consistent: 1 if "consistent=1" (or "true") is
 * present. limit: N of "limit=N" clamped into [1, max], DEF when absent;
 * -1 if present but not a number. */
int admin_query_consistent(const char *query);
long admin_query_limit(const char *query, long def, long max);

/* Splits PATH into at most MAX segments of at most ADMIN_NAME_MAX bytes
 * each, into SEGS (each ADMIN_NAME_MAX + 1 bytes). Returns the count, or -1
 * if the path does not start with '/', has an empty segment (other than a
 * trailing '/'), a segment too long, more segments than MAX, or a character
 * outside the unreserved set (no percent-escapes: no name needs one). */
int admin_path_split(const char *path, char segs[][ADMIN_NAME_MAX + 1],
		     int max);

#endif
