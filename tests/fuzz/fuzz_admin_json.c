/* fuzz_admin_json: feeds arbitrary bytes to everything of the admin API
 * that reads client input without a socket — every request body parser,
 * the Basic credentials header, join tokens, paths, query strings and
 * addresses. None may crash, read out of bounds or leave a field without
 * its terminating NUL. The first byte picks the parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/admin/admin_auth.h"
#include "node/admin/admin_req.h"

static void check_str(const char *s, size_t cap)
{
	if (!memchr(s, '\0', cap))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	union {
		struct admin_req_init init;
		struct admin_req_node_add add;
		struct admin_req_join join;
		struct admin_req_transfer tr;
		struct admin_req_param param;
		struct admin_req_admin adm;
	} u;
	char err[256], *text, user[ADMIN_NAME_MAX + 1];
	char pw[ADMIN_PASSWORD_MAX + 1], host[STORE_ADDR_MAX];
	char segs[5][ADMIN_NAME_MAX + 1];
	uint8_t sha[32];
	uint64_t id;
	unsigned port;
	size_t len;
	int rc = 0;

	if (size == 0)
		return 0;
	data++;
	size--;
	/* NUL-terminated copy for the parsers of C strings. */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	switch (data[-1] % 12) {
	case 0:
		rc = admin_req_parse_init(data, size, &u.init, err, sizeof err);
		if (!rc) {
			check_str(u.init.token, sizeof u.init.token);
			check_str(u.init.password, sizeof u.init.password);
			if (strlen(u.init.password) != u.init.password_len)
				abort();
		}
		break;
	case 1:
		rc = admin_req_parse_node_add(data, size, &u.add, err,
					      sizeof err);
		if (!rc && !admin_name_valid(u.add.name))
			abort();
		break;
	case 2:
		rc = admin_req_parse_join(data, size, &u.join, err, sizeof err);
		if (!rc && !admin_addr_valid(u.join.raft_address))
			abort();
		break;
	case 3:
		rc = admin_req_parse_transfer(data, size, &u.tr, err,
					      sizeof err);
		break;
	case 4:
		rc = admin_req_parse_param(data, size, &u.param, err,
					   sizeof err);
		if (!rc)
			check_str(u.param.value, sizeof u.param.value);
		break;
	case 5:
		rc = admin_req_parse_admin_add(data, size, &u.adm, err,
					       sizeof err);
		break;
	case 6:
		rc = admin_req_parse_password(data, size, &u.adm, err,
					      sizeof err);
		break;
	case 7:
		if (admin_basic_parse(text, user, pw, &len) == 0 &&
		    (!admin_name_valid(user) || len > ADMIN_PASSWORD_MAX))
			abort();
		break;
	case 8:
		admin_join_token_parse(text, size, &id, sha);
		admin_secret_hash(text, size, sha);
		admin_sha256_parse(text, sha);
		break;
	case 9:
		if (admin_path_split(text, segs, 5) > 5)
			abort();
		break;
	case 10:
		admin_query_consistent(text);
		if (admin_query_limit(text, 100, 1000) > 1000)
			abort();
		break;
	case 11:
		if (admin_addr_split(text, host, sizeof host, &port) == 0)
			check_str(host, sizeof host);
		break;
	}
	if (rc != 0 && rc != 400 && rc != 413)
		abort();
	if (rc)
		check_str(err, sizeof err);
	free(text);
	return 0;
}
