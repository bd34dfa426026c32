/* routes_join: the member's side of joining a node (docs/join.md). A new
 * node holds the one-time token "node add" issued and comes twice; both
 * requests reach admin_route_join, told apart by their route, and both are
 * served by the leader (a follower relays them):
 *
 *  1. POST /v1/join/certs: check the token (not spent), issue the node's
 *     six certificates with the CA key for the public keys it sent, and
 *     seal the cluster KEK to its X25519 key. Nothing is written.
 *  2. POST /v1/join: check the token, check that the certificates it sends
 *     are the CA's for this node and that its wrapped keys open under the
 *     KEK and match them; record node (spare), certificates and keys in one
 *     command guarded by the token still being there; add the server to
 *     Raft (spare, caught up, voter); then consume the token and record the
 *     node a voter in one command. The token is spent only by a join that
 *     succeeded: a node that could not catch up may ask again with the same
 *     token until it expires.
 *
 * Every refusal of a token is audited (join.fail). */
#include "node/admin/admin_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/log.h"
#include "node/admin/admin_pki.h"
#include "node/nodepki.h"

#define JOIN_CERTS_PATH "/v1/join/certs"

static void join_refuse(struct admin_op *op, int status, const char *why)
{
	/* Counted and summarised, never written per attempt: whoever calls
	 * here has proven nothing yet. */
	log_warn(ADMIN_TAG, "join refused: name=%s peer=%s reason=%s",
		 op->u.join.name, op->peer, why);
	admin_fail_count(op, ADMIN_GATE_JOIN, op->u.join.name, why);
	admin_op_error(op, status, "join refused: %s", why);
}

/* Checks op->u.join's token against the store: 0 with op->node (the
 * joining node's record) and op->guard (the token record) filled, or -1
 * with the request answered (and audited). */
static int join_token_ok(struct admin_op *op)
{
	struct admin_req_join *q = &op->u.join;
	struct store_join_token jt;
	struct store_node *n = &op->node;
	struct store_read *r;
	char rhost[STORE_ADDR_MAX];
	uint8_t sha[32];
	uint64_t id;
	unsigned rport;
	int have_token, have_node;
	const void *val;

	snprintf(op->actor, sizeof op->actor, "node:%.58s", q->name);
	if (admin_join_token_parse(q->token, strlen(q->token), &id, sha) != 0) {
		join_refuse(op, 401, "malformed token");
		return -1;
	}
	if (admin_op_read_begin(op, &r) != 0)
		return -1;
	have_token = store_join_token_get(r, q->name, &jt) == 0;
	have_node = store_node_find(r, q->name, n) == 0;
	if (have_token &&
	    (store_get(r, STORE_T_JOIN_TOKENS, q->name, strlen(q->name), &val,
		       &op->guard_len) != 0 ||
	     op->guard_len > sizeof op->guard))
		have_token = 0;
	else if (have_token)
		memcpy(op->guard, val, op->guard_len);
	store_read_end(r);
	addr_split(q->raft_address, ADDR_PORT_OPTIONAL, rhost, sizeof rhost,
		   &rport);
	if (!have_token) {
		if (have_node && n->state != STORE_NODE_JOINING)
			join_refuse(op, 409, "token already used");
		else
			join_refuse(op, 401, "no such token");
		return -1;
	}
	switch (admin_join_token_check(&jt, id, sha, admin_now_ms(), rhost)) {
	case ADMIN_TOKEN_OK:
		break;
	case ADMIN_TOKEN_EXPIRED:
		join_refuse(op, 401, "token expired");
		return -1;
	case ADMIN_TOKEN_HOST:
		join_refuse(op, 401,
			    "token issued for another host than the Raft "
			    "address's");
		return -1;
	default:
		join_refuse(op, 401, "wrong token");
		return -1;
	}
	if (!have_node || n->id != id ||
	    (n->state != STORE_NODE_JOINING && n->state != STORE_NODE_SPARE)) {
		join_refuse(op, 409, "the node record is gone or not joining");
		return -1;
	}
	return 0;
}

/* ---- what both phases read -------------------------------------------- */

/* The cluster record, and this member's KEK checked against it and held
 * by the keystore: release it (keystore_kek_release) after 0. */
static int join_cluster_kek(struct admin_op *op, struct store_cluster *cl)
{
	static const uint8_t zero[PKI_KEK_ID_LEN];
	struct store_read *r;
	char why[512] = "";
	int rc = -1;

	if (store_read_begin(op->a->store, &r) == 0) {
		rc = store_cluster_get(r, cl);
		store_read_end(r);
	}
	if (rc != 0) {
		admin_op_error(op, 503, "the cluster record is not here yet");
		return -1;
	}
	if (memcmp(cl->kek_id, zero, sizeof zero) == 0) {
		admin_op_error(op, 409, "this cluster has no PKI to join with");
		return -1;
	}
	if (admin_pki_kek_acquire(op->a, cl, why, sizeof why) != 0) {
		log_error(ADMIN_TAG, "join: %s", why);
		admin_op_error(op, 500,
			       "this member cannot use the cluster KEK");
		return -1;
	}
	return 0;
}

/* ---- phase 1: POST /v1/join/certs ------------------------------------- */

struct join_ask {
	/* The body but the fields both phases share (op->u.join). */
	struct admin_req_join_ask req;
	/* The joiner's public keys, then its certificates. */
	struct nodepki_set set;
};

static void join_ask_free(void *ctx)
{
	struct join_ask *k = ctx;

	if (!k)
		return;
	nodepki_set_clear(&k->set);
	free(k);
}

/* The body (admin_req_parse_join_certs), then each public key as pki
 * takes it. */
static int join_ask_parse(struct admin_op *op, struct join_ask *k, char *errmsg,
			  size_t errcap)
{
	int rc;

	rc = admin_req_parse_join_certs(op->body, op->body_len, &op->u.join,
					&k->req, errmsg, errcap);
	if (rc != 0)
		return rc;
	for (int i = 0; i < NODEPKI_ROLES; i++) {
		char why[200] = "";

		if (pki_pubkey_from_der(k->req.key[i], k->req.key_len[i],
					&k->set.key[i], why, sizeof why) != 0) {
			snprintf(errmsg, errcap, "keys.%s: %s",
				 pki_role_name(nodepki_roles[i]), why);
			return 400;
		}
	}
	return 0;
}

static json_t *join_grant_json(struct admin_op *op,
			       const struct store_cluster *cl, X509 *ca,
			       const struct join_ask *k,
			       const uint8_t sealed[PKI_KEK_SEALED_LEN])
{
	char kek_id[2 * PKI_KEK_ID_LEN + 1];
	char sealed_b64[4 * ((PKI_KEK_SEALED_LEN + 2) / 3) + 1];
	json_t *certs = json_object(), *out = NULL;
	char *pem = NULL;
	size_t len;

	admin_hex(cl->kek_id, sizeof cl->kek_id, kek_id);
	admin_b64_encode(sealed, PKI_KEK_SEALED_LEN, sealed_b64, 0);
	for (int i = 0; certs && i < NODEPKI_ROLES; i++) {
		if (pki_cert_to_pem(k->set.cert[i], &pem, &len) != 0 ||
		    json_object_set_new(certs, pki_role_name(nodepki_roles[i]),
					json_string(pem)) != 0)
			goto out;
		free(pem);
		pem = NULL;
	}
	if (!certs || pki_cert_to_pem(ca, &pem, &len) != 0)
		goto out;
	out = json_pack("{s:s, s:s, s:I, s:s, s:s, s:O, s:s}", "cluster_id",
			cl->id, "cluster_name", cl->name, "node_id",
			(json_int_t)op->node.id, "kek_id", kek_id, "ca", pem,
			"certs", certs, "kek_sealed", sealed_b64);
out:
	free(pem);
	json_decref(certs);
	return out;
}

/* Issues the joiner's set with the CA key the keystore lends; keeps a
 * reference to the CA certificate for the answer. */
struct join_issue {
	struct nodepki_set *set;
	const struct nodepki_names *names;
	X509 *ca; /* owned reference, taken here */
	char *errmsg;
	size_t errcap;
};

static int join_issue_set(X509 *ca, EVP_PKEY *ca_key, void *arg)
{
	struct join_issue *ji = arg;

	if (X509_up_ref(ca) != 1)
		return -1;
	ji->ca = ca;
	return nodepki_set_issue(ji->set, ca, ca_key, ji->names, ji->errmsg,
				 ji->errcap);
}

static void join_certs(struct admin_op *op)
{
	struct join_ask *k = calloc(1, sizeof *k);
	struct store_cluster cl;
	struct store_read *r;
	struct nodepki_names names;
	enum pki_key_type want = PKI_KEY_RSA2048;
	uint8_t sealed[PKI_KEK_SEALED_LEN];
	char errmsg[512] = "", v[32];
	struct join_issue ji = {0};
	X509 *ca = NULL;
	json_t *answer;
	int rc;

	if (!k) {
		admin_op_error(op, 500, "out of memory");
		return;
	}
	op->ctx = k;
	op->ctx_free = join_ask_free;
	rc = join_ask_parse(op, k, errmsg, sizeof errmsg);
	if (rc) {
		admin_op_error(op, rc, "%s", errmsg);
		return;
	}
	if (join_token_ok(op) != 0)
		return;
	if (store_read_begin(op->a->store, &r) == 0) {
		if (store_param_get(r, "cert_key_type", v, sizeof v) == 0)
			pki_key_type_parse(v, &want);
		store_read_end(r);
	}
	for (int i = 0; i < NODEPKI_ROLES; i++)
		if (pki_key_type_of(k->set.key[i]) !=
		    (int)nodepki_role_key_type(nodepki_roles[i], want)) {
			admin_op_reply(
			    op, 409,
			    json_pack("{s:s, s:s}", "error",
				      "this cluster issues certificates for "
				      "keys of another type",
				      "key_type", pki_key_type_name(want)));
			return;
		}
	if (join_cluster_kek(op, &cl) != 0)
		return;
	nodepki_names_make(op->node.name, op->u.join.admin_address,
			   op->u.join.raft_address, cl.id, op->node.id, &names);
	ji = (struct join_issue){.set = &k->set,
				 .names = &names,
				 .errmsg = errmsg,
				 .errcap = sizeof errmsg};
	rc = -1;
	if (store_read_begin(op->a->store, &r) == 0) {
		rc = nodepki_ca_use(r, op->a->ks, join_issue_set, &ji, errmsg,
				    sizeof errmsg);
		store_read_end(r);
	}
	ca = ji.ca;
	if (rc == 0 && keystore_kek_seal(op->a->ks, k->req.kex, cl.id,
					 op->node.id, sealed) != 0) {
		snprintf(errmsg, sizeof errmsg, "sealing the KEK failed");
		rc = -1;
	}
	keystore_kek_release(op->a->ks);
	answer = rc == 0 ? join_grant_json(op, &cl, ca, k, sealed) : NULL;
	X509_free(ca);
	if (!answer) {
		log_error(ADMIN_TAG, "join of %s: %s", op->node.name,
			  errmsg[0] ? errmsg : "out of memory");
		admin_op_error(op, 500, "issuing the certificates failed: %s",
			       errmsg[0] ? errmsg : "out of memory");
		return;
	}
	log_info(ADMIN_TAG,
		 "issued the certificates of joining node %s (%" PRIu64
		 ") for %s",
		 op->node.name, op->node.id, op->peer);
	admin_op_reply(op, 200, answer);
}

/* ---- phase 2: POST /v1/join ------------------------------------------- */

static void join_done(struct admin_op *op, int rc)
{
	struct store_cluster cl;
	struct store_read *r;

	if (rc == STORE_ENOTFOUND) {
		admin_op_error(op, 409, "join refused: token already used");
		return;
	}
	if (rc) {
		admin_op_fail(op, rc, "recording the node as a voter");
		return;
	}
	memset(&cl, 0, sizeof cl);
	if (store_read_begin(op->a->store, &r) == 0) {
		store_cluster_get(r, &cl);
		store_read_end(r);
	}
	log_info(ADMIN_TAG, "node %s (%" PRIu64 ") joined as a voter",
		 op->node.name, op->node.id);
	admin_op_reply(op, 200,
		       json_pack("{s:s, s:s, s:I, s:s}", "cluster_id", cl.id,
				 "cluster_name", cl.name, "node_id",
				 (json_int_t)op->node.id, "leader",
				 op->a->node_name));
}

static void join_added(struct admin_op *op, int rc)
{
	struct store_cmd *cmd;
	char detail[STORE_TEXT_MAX];

	if (rc) {
		log_warn(ADMIN_TAG, "node %s could not be added to Raft: %s",
			 op->node.name, consensus_strerror(rc));
		admin_op_fail(op, rc, "adding the node to Raft");
		return;
	}
	op->node.state = STORE_NODE_VOTER;
	snprintf(detail, sizeof detail, "name=%s id=%" PRIu64, op->node.name,
		 op->node.id);
	cmd = admin_op_cmd(op);
	if (!cmd)
		return;
	if (store_cmd_use_join_token(cmd, op->node.name) ||
	    store_cmd_put_node(cmd, STORE_OP_PUT, &op->node) ||
	    store_cmd_audit(cmd, "node.voter", detail)) {
		store_cmd_free(cmd);
		admin_op_error(op, 500, "building the change failed");
		return;
	}
	admin_op_propose(op, cmd, join_done);
	store_cmd_free(cmd);
}

static int call_add(struct admin_op *op, consensus_cb cb)
{
	return consensus_add(op->a->consensus, op->node.id, op->node.raft_addr,
			     cb, op);
}

static void join_spare(struct admin_op *op, int rc)
{
	if (rc == STORE_ENOTFOUND) {
		admin_op_error(op, 409, "join refused: token used meanwhile");
		return;
	}
	if (rc) {
		admin_op_fail(op, rc, "recording the node");
		return;
	}
	log_info(ADMIN_TAG, "node %s (%" PRIu64 ") at %s joining: catching up",
		 op->node.name, op->node.id, op->node.raft_addr);
	admin_op_call(op, call_add, join_added);
}

/* A node listening on a wildcard address is reached at its Raft host. */
static void join_admin_addr(const struct admin_req_join *q, char *out,
			    size_t cap)
{
	char host[STORE_ADDR_MAX], rhost[STORE_ADDR_MAX];
	unsigned port, rport;

	addr_split(q->admin_address, ADDR_PORT_OPTIONAL, host, sizeof host,
		   &port);
	addr_split(q->raft_address, ADDR_PORT_OPTIONAL, rhost, sizeof rhost,
		   &rport);
	if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
		addr_format(rhost, port, out, cap);
	else
		snprintf(out, cap, "%s", q->admin_address);
}

/* One role of the joiner: its certificate must be the CA's for this node
 * and role, its wrapped key must open under the KEK (bound to this node
 * and role) and be that certificate's key. Adds both to CMD. */
static int join_put_role(struct admin_op *op, struct store_cmd *cmd, X509 *ca,
			 const struct store_cluster *cl, int i,
			 const struct admin_req_join_pki *pki, char *errmsg,
			 size_t errcap)
{
	enum pki_role role = nodepki_roles[i];
	struct store_cert cert;
	struct store_key key = {.owner = op->node.id, .role = (uint32_t)role};
	uint8_t *der = NULL;
	X509 *x = NULL;
	int rc = -1;

	if (pki_cert_parse(pki->cert[i], pki->cert_len[i], &x, errmsg,
			   errcap) != 0 ||
	    nodepki_check_issued(ca, x, role, op->node.name, cl->id,
				 op->node.id, errmsg, errcap) != 0 ||
	    keystore_key_check(op->a->ks, op->node.id, role, pki->key[i],
			       pki->key_len[i], x, errmsg, errcap) != 0)
		goto out;
	if (nodepki_cert_record(x, op->node.id, role, 1, admin_now_ms(), &cert,
				&der, errmsg, errcap) != 0)
		goto out;
	if (role == PKI_ROLE_HTTPS &&
	    CRYPTO_memcmp(cert.sha256, op->u.join.https_sha256, 32) != 0) {
		snprintf(errmsg, errcap,
			 "https_sha256 is not the HTTPS certificate sent");
		goto out;
	}
	key.wrapped = pki->key[i];
	key.wrapped_len = pki->key_len[i];
	if (keystore_kek_id(op->a->ks, key.kek_id) != 0 ||
	    store_cmd_put_cert(cmd, STORE_OP_PUT, &cert) != 0 ||
	    store_cmd_put_key(cmd, &key) != 0) {
		snprintf(errmsg, errcap, "building the change failed");
		goto out;
	}
	rc = 0;
out:
	X509_free(x);
	free(der);
	return rc;
}

/* Certificates and keys of every role into CMD; an HTTP status or 0. */
static int join_put_pki(struct admin_op *op, struct store_cmd *cmd,
			const struct admin_req_join_pki *pki, char *errmsg,
			size_t errcap)
{
	struct store_cluster cl;
	struct store_read *r;
	struct store_cert c;
	X509 *ca = NULL;
	int rc = 0;

	if (!pki->has_certs || !pki->has_keys) {
		snprintf(errmsg, errcap,
			 "this cluster issues certificates: ask for them "
			 "first (POST " JOIN_CERTS_PATH
			 ") and send them with their wrapped keys");
		return 400;
	}
	if (join_cluster_kek(op, &cl) != 0)
		return -1; /* answered */
	if (store_read_begin(op->a->store, &r) == 0) {
		if (store_cert_get(r, 0, STORE_CERT_CA, &c) == 0)
			ca = nodepki_x509(c.der, c.der_len);
		store_read_end(r);
	}
	if (!ca) {
		snprintf(errmsg, errcap, "the cluster CA is missing");
		rc = 500;
	}
	for (int i = 0; rc == 0 && i < NODEPKI_ROLES; i++)
		if (join_put_role(op, cmd, ca, &cl, i, pki, errmsg, errcap) !=
		    0)
			rc = 400;
	keystore_kek_release(op->a->ks);
	X509_free(ca);
	return rc;
}

static void join_record(struct admin_op *op)
{
	struct admin_req_join *q = &op->u.join;
	struct store_node *n = &op->node;
	struct store_cmd *cmd;
	struct admin_req_join_pki *pki = malloc(sizeof *pki);
	char errmsg[512] = "", detail[STORE_TEXT_MAX];
	int rc;

	if (!pki) {
		admin_op_error(op, 500, "out of memory");
		return;
	}
	rc = admin_req_parse_join(op->body, op->body_len, q, pki, errmsg,
				  sizeof errmsg);
	if (rc) {
		admin_op_error(op, rc, "%s", errmsg);
		goto out;
	}
	if (join_token_ok(op) != 0)
		goto out;
	n->state = STORE_NODE_SPARE;
	snprintf(n->raft_addr, sizeof n->raft_addr, "%s", q->raft_address);
	join_admin_addr(q, n->admin_addr, sizeof n->admin_addr);
	memcpy(n->https_sha256, q->https_sha256, 32);
	snprintf(detail, sizeof detail,
		 "name=%s id=%" PRIu64 " raft=%s peer=%s", n->name, n->id,
		 n->raft_addr, op->peer);
	cmd = admin_op_cmd(op);
	if (!cmd)
		goto out;
	rc = join_put_pki(op, cmd, pki, errmsg, sizeof errmsg);
	if (rc) {
		store_cmd_free(cmd);
		if (rc > 0)
			join_refuse(op, rc, errmsg);
		goto out;
	}
	if (store_cmd_op(cmd, STORE_OP_EXPECT, STORE_T_JOIN_TOKENS, n->name,
			 strlen(n->name), op->guard, op->guard_len) ||
	    store_cmd_put_node(cmd, STORE_OP_PUT, n) ||
	    store_cmd_audit(cmd, "node.join", detail)) {
		store_cmd_free(cmd);
		admin_op_error(op, 500, "building the change failed");
		goto out;
	}
	admin_op_propose(op, cmd, join_spare);
	store_cmd_free(cmd);
out:
	free(pki);
}

void admin_route_join(struct admin_op *op)
{
	if (strcmp(op->route->pattern, JOIN_CERTS_PATH) == 0)
		join_certs(op);
	else
		join_record(op);
}
