/* fuzz_admin_json: feeds arbitrary bytes to everything of the admin API
 * that reads client input without a socket — every request body parser
 * (both join phases with their per-role certificates and keys, trust
 * store, security tokens, CTL, security mode), base64 as pasted, the Basic
 * credentials header, join tokens, paths, query strings and addresses,
 * and the provisioning bodies of every resource (prov_req.h).
 * None may crash, read out of bounds, leave a field without its
 * terminating NUL or claim a length beyond its buffer. The first byte
 * picks the parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/admin/admin_auth.h"
#include "node/admin/admin_req.h"
#include "node/admin/prov_req.h"
#include "store/dialplan.h"

#define CASES 19

static void check_str(const char *s, size_t cap)
{
	if (!memchr(s, '\0', cap))
		abort();
}

/* Present: every role has a certificate, NUL-terminated at its length,
 * and a key; absent: nothing. */
static void check_join_pki(const struct admin_req_join_pki *p)
{
	for (int i = 0; i < NODEPKI_ROLES; i++) {
		if (p->has_certs != (p->cert_len[i] > 0) ||
		    p->cert_len[i] >= ADMIN_JOIN_PEM_MAX ||
		    strlen(p->cert[i]) != p->cert_len[i])
			abort();
		if (p->has_keys != (p->key_len[i] > 0) ||
		    p->key_len[i] > STORE_WRAPPED_MAX)
			abort();
	}
}

/* The loose decoder against the strict one: what it decodes encodes back
 * to a text the strict decoder reads as the same bytes. */
static void check_b64(const char *text, size_t n)
{
	static uint8_t out[512], again[512];
	long got = admin_b64_decode_loose(text, n, out, sizeof out);
	char *enc;

	if (got < 0)
		return;
	if (got > (long)sizeof out)
		abort();
	enc = admin_b64_encode_alloc(out, (size_t)got);
	if (!enc)
		return;
	if (admin_b64_decode(enc, strlen(enc), again, sizeof again, 0) != got ||
	    memcmp(out, again, (size_t)got) != 0)
		abort();
	free(enc);
}

/* A provisioning body (the next byte picks the resource) applied onto a
 * fresh record and onto itself again: every text field stays terminated,
 * the password's length is its length, lists stay in bounds, and the
 * record checks and renders without a fault. */
static void fuzz_prov(const uint8_t *data, size_t size)
{
	static union prov_rec rec;
	static struct prov_extra x;
	const struct prov_kind *k;
	char err[256];
	json_t *o;

	if (size == 0)
		return;
	k = prov_kind_get((enum prov_kind_id)(data[0] % PROV__COUNT));
	prov_rec_init(k, &rec, "seed");
	if (prov_req_apply(k, data + 1, size - 1, &rec, &x, 1, err,
			   sizeof err) != 0) {
		check_str(err, sizeof err);
		if (x.password[0] || x.password_len)
			abort(); /* a refused body leaves no secret */
		return;
	}
	check_str(x.password, sizeof x.password);
	if (x.password_len != strlen(x.password) ||
	    x.n_nodes > STORE_GROUP_NODES_MAX)
		abort();
	check_str(prov_rec_name(k, &rec), STORE_NAME_MAX);
	if (k->id == PROV_DEVICE) {
		if (rec.device.n_lines > STORE_LINES_MAX)
			abort();
		for (uint32_t i = 0; i < rec.device.n_lines; i++)
			if (!store_dn_valid(rec.device.lines[i]))
				abort();
		check_str(rec.device.peer_host, sizeof rec.device.peer_host);
		check_str(rec.device.css, sizeof rec.device.css);
		for (uint32_t i = 0; i < rec.device.n_lines; i++)
			if (rec.device.line_partitions[i][0] &&
			    !store_prov_name_valid(
				rec.device.line_partitions[i]))
				abort();
	}
	if (k->id == PROV_CSS) {
		if (rec.css.n_partitions > STORE_CSS_PARTITIONS_MAX)
			abort();
		for (uint32_t i = 0; i < rec.css.n_partitions; i++)
			if (!store_prov_name_valid(rec.css.partitions[i]))
				abort();
	}
	/* A pattern that got in is one the store would accept. */
	if (k->id == PROV_ROUTE_PATTERN && rec.route_pattern.pattern[0] &&
	    dialplan_pattern_check(rec.route_pattern.pattern, NULL, 0) != 0)
		abort();
	prov_rec_check(k, &rec, &x, err, sizeof err);
	o = prov_render(k, &rec, NULL, NULL);
	json_decref(o);
	/* The same body again, as a change of what it made. */
	prov_req_apply(k, data + 1, size - 1, &rec, &x, 0, err, sizeof err);
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
	/* Too large for the stack; one input at a time. */
	static struct admin_req_join_pki pki;
	static struct admin_req_join_ask ask;
	static struct admin_req_trust trust;
	static struct admin_req_token token;
	static struct admin_req_ctl ctl;
	struct admin_req_mode mode;
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
	switch (data[-1] % CASES) {
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
		rc = admin_req_parse_join(data, size, &u.join, &pki, err,
					  sizeof err);
		if (!rc && !addr_valid(u.join.raft_address, 0))
			abort();
		if (!rc)
			check_join_pki(&pki);
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
		if (addr_split(text, ADDR_PORT_OPTIONAL, host, sizeof host,
			       &port) == 0)
			check_str(host, sizeof host);
		break;
	case 12:
		rc = admin_req_parse_join_certs(data, size, &u.join, &ask, err,
						sizeof err);
		for (int i = 0; !rc && i < NODEPKI_ROLES; i++)
			if (ask.key_len[i] == 0 ||
			    ask.key_len[i] > ADMIN_JOIN_PUBKEY_MAX)
				abort();
		if (!rc && !addr_valid(u.join.admin_address, 0))
			abort();
		break;
	case 13:
		rc = admin_req_parse_trust(data, size, &trust, err, sizeof err);
		if (!rc &&
		    (!admin_name_valid(trust.category) || trust.cert_len == 0 ||
		     trust.cert_len > sizeof trust.cert))
			abort();
		break;
	case 14:
		rc = admin_req_parse_token(data, size, &token, err, sizeof err);
		if (!rc) {
			check_str(token.label, sizeof token.label);
			if (!token.label[0] || token.cert_len == 0 ||
			    token.cert_len > sizeof token.cert)
				abort();
		}
		break;
	case 15:
		rc = admin_req_parse_ctl(data, size, &ctl, err, sizeof err);
		if (!rc && (ctl.file_len == 0 || ctl.file_len > STORE_FILE_MAX))
			abort();
		break;
	case 16:
		rc = admin_req_parse_mode(data, size, &mode, err, sizeof err);
		if (!rc && !admin_name_valid(mode.mode))
			abort();
		break;
	case 17:
		check_b64(text, size);
		break;
	case 18:
		fuzz_prov(data, size);
		break;
	}
	if (rc != 0 && rc != 400 && rc != 413)
		abort();
	if (rc)
		check_str(err, sizeof err);
	free(text);
	return 0;
}
