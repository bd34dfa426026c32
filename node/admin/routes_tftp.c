/* routes_tftp: the files phones fetch from the TFTP role — static files an
 * operator uploads (ring lists, locales, firmware loads) and the bytes a
 * node serves under a name, so that an operator (and the tests) can see
 * exactly what a phone gets.
 *
 * An upload is a series of chunk writes followed by one commit
 * (store/tftpfiles.h says why): POST /v1/tftp/chunks per chunk, then
 * POST /v1/tftp/files with the name, size and SHA-256, which the leader
 * accepts only once every chunk is in its store and the joined bytes hash
 * to what was announced. Replacing or deleting a file drops the chunks no
 * other name uses, in the same command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <openssl/evp.h>

#include "common/hex.h"
#include "node/admin/admin_int.h"
#include "node/admin/admin_pki.h"
#include "store/tftpfiles.h"

#define TFTP_JSON_FILE_MAX (4u << 20)

/* Names the TFTP role builds itself: an upload may not shadow them. */
static int tftp_name_reserved(const char *name)
{
	size_t n = strlen(name);

	return strcmp(name, "CTLFile.tlv") == 0 ||
	       strcmp(name, "ITLFile.tlv") == 0 ||
	       strncmp(name, "ITLSEP", 6) == 0 ||
	       strncmp(name, "XMLDefault.cnf.xml", 18) == 0 ||
	       (strncmp(name, "SEP", 3) == 0 && strstr(name, ".cnf.xml")) ||
	       (n > 4 && strcmp(name + n - 4, ".sgn") == 0);
}

static json_t *file_json(const struct store_tftp_file *f)
{
	char fp[HEX_SHA256_TEXT_LEN];

	hex_sha256_text(f->sha256, fp);
	return json_pack("{s:s, s:I, s:s, s:I, s:s}", "name", f->name, "size",
			 (json_int_t)f->size, "sha256", fp, "uploaded_ms",
			 (json_int_t)f->uploaded_ms, "uploaded_by",
			 f->uploaded_by);
}

static int list_one(void *arg, const struct store_tftp_file *f)
{
	json_array_append_new(arg, file_json(f));
	return 0;
}

void admin_route_tftp_files_list(struct admin_op *op)
{
	json_t *list = json_array();
	struct store_read *r;
	int rc;

	if (admin_op_read_begin(op, &r) != 0) {
		json_decref(list);
		return;
	}
	rc = store_tftp_file_each(r, list_one, list);
	store_read_end(r);
	if (rc) {
		json_decref(list);
		admin_op_fail(op, rc, "reading the uploaded files");
		return;
	}
	admin_op_reply(op, 200, json_pack("{s:o}", "files", list));
}

/* The body as a JSON object; NULL after answering 400. */
static json_t *body_json(struct admin_op *op)
{
	json_error_t e;
	json_t *j = json_loadb(op->body ? op->body : "", op->body_len, 0, &e);

	if (!j || !json_is_object(j)) {
		json_decref(j);
		admin_op_error(op, 400, "the body is not a JSON object");
		return NULL;
	}
	return j;
}

/* ---- chunks ------------------------------------------------------------- */

static void chunk_written(struct admin_op *op, int rc)
{
	if (rc) {
		admin_op_fail(op, rc, "writing the chunk");
		return;
	}
	admin_op_reply(op, 201,
		       json_pack("{s:I}", "index", (json_int_t)op->id));
}

/* The upload's record says when its last chunk came: an upload idle
 * past tftp_upload_idle_hours is collected (store_cmd_gc_tftp_uploads). */
static int stamp_upload(struct store_cmd *cmd, const uint8_t sha256[32])
{
	struct store_tftp_upload u = {.last_ms = admin_now_ms(),
				      .state = STORE_TFTP_UPLOAD_ACTIVE};

	memcpy(u.sha256, sha256, 32);
	return store_cmd_put_tftp_upload(cmd, &u);
}

void admin_route_tftp_chunk(struct admin_op *op)
{
	json_t *j = body_json(op), *jidx;
	const char *sha, *data;
	uint8_t sha256[32], *buf;
	struct store_cmd *cmd;
	long n;

	if (!j)
		return;
	sha = json_string_value(json_object_get(j, "sha256"));
	data = json_string_value(json_object_get(j, "data"));
	jidx = json_object_get(j, "index");
	if (!sha || hex_sha256_parse(sha, sha256) != 0 || !data ||
	    !json_is_integer(jidx) || json_integer_value(jidx) < 0 ||
	    json_integer_value(jidx) >= STORE_TFTP_CHUNKS_MAX) {
		json_decref(j);
		admin_op_error(op, 400,
			       "expected {\"sha256\": the whole file's, "
			       "\"index\": 0..%u, \"data\": base64}",
			       STORE_TFTP_CHUNKS_MAX - 1);
		return;
	}
	op->id = (uint64_t)json_integer_value(jidx);
	buf = malloc(STORE_TFTP_CHUNK_MAX);
	n = buf ? admin_b64_decode_loose(data, strlen(data), buf,
					 STORE_TFTP_CHUNK_MAX)
		: -1;
	json_decref(j);
	if (n <= 0) {
		free(buf);
		admin_op_error(op, 400, "data: 1..%u bytes of base64",
			       STORE_TFTP_CHUNK_MAX);
		return;
	}
	cmd = admin_op_cmd(op);
	if (cmd && (store_cmd_put_tftp_chunk(cmd, sha256, (uint32_t)op->id, buf,
					     (size_t)n) != 0 ||
		    stamp_upload(cmd, sha256) != 0)) {
		store_cmd_free(cmd);
		cmd = NULL;
		admin_op_error(op, 500, "building the change failed");
	}
	free(buf);
	if (!cmd)
		return;
	admin_op_propose(op, cmd, chunk_written);
	store_cmd_free(cmd);
}

/* ---- commit and delete -------------------------------------------------- */

struct uses_ctx {
	const uint8_t *sha256;
	const char *except;
	int used;
};

static int uses_one(void *arg, const struct store_tftp_file *f)
{
	struct uses_ctx *u = arg;

	if (strcmp(f->name, u->except) != 0 &&
	    memcmp(f->sha256, u->sha256, 32) == 0)
		u->used = 1;
	return 0;
}

/* Deletes OLD's chunks unless another name than OLD's (or a file with the
 * digest KEEP, may be NULL) uses them. */
static int drop_chunks(struct store_read *r, struct store_cmd *cmd,
		       const struct store_tftp_file *old, const uint8_t *keep)
{
	struct uses_ctx u = {.sha256 = old->sha256, .except = old->name};
	int rc;

	if (keep && memcmp(keep, old->sha256, 32) == 0)
		return 0;
	if ((rc = store_tftp_file_each(r, uses_one, &u)) || u.used)
		return rc;
	for (uint32_t i = 0; i < old->n_chunks; i++)
		if ((rc = store_cmd_del_tftp_chunk(cmd, old->sha256, i)))
			return rc;
	return 0;
}

/* 0 if every chunk of F is in the store and they hash to F's digest, else
 * -1 with the reason in WHY. */
static int chunks_complete(struct store_read *r,
			   const struct store_tftp_file *f, char *why,
			   size_t whycap)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t got[32];
	uint64_t left = f->size;
	int rc = -1;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		snprintf(why, whycap, "out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < f->n_chunks; i++) {
		size_t want =
			   left < f->chunk_size ? (size_t)left : f->chunk_size,
		       n;
		const uint8_t *p;

		if (store_tftp_chunk_get(r, f->sha256, i, &p, &n) != 0) {
			snprintf(why, whycap, "chunk %u of %u is missing", i,
				 f->n_chunks);
			goto out;
		}
		if (n != want) {
			snprintf(why, whycap,
				 "chunk %u holds %zu bytes, not %zu", i, n,
				 want);
			goto out;
		}
		EVP_DigestUpdate(md, p, n);
		left -= n;
	}
	EVP_DigestFinal_ex(md, got, NULL);
	if (memcmp(got, f->sha256, 32) != 0) {
		snprintf(why, whycap,
			 "the chunks do not hash to the sha256 given");
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

static void committed(struct admin_op *op, int rc)
{
	if (rc == STORE_ENOTFOUND || rc == STORE_EEXIST) {
		admin_op_error(op, 409,
			       "the file was changed meanwhile by another "
			       "upload: retry");
		return;
	}
	if (rc) {
		admin_op_fail(op, rc, "storing the file");
		return;
	}
	admin_op_reply_kept(op, 201);
}

/* Parses the commit body into F; 0, or -1 after answering. */
static int commit_parse(struct admin_op *op, struct store_tftp_file *f)
{
	json_t *j = body_json(op), *size, *chunk;
	const char *name, *sha;

	if (!j)
		return -1;
	memset(f, 0, sizeof *f);
	name = json_string_value(json_object_get(j, "name"));
	sha = json_string_value(json_object_get(j, "sha256"));
	size = json_object_get(j, "size");
	chunk = json_object_get(j, "chunk_size");
	if (!name || !sha || hex_sha256_parse(sha, f->sha256) != 0 ||
	    !json_is_integer(size) || !json_is_integer(chunk)) {
		json_decref(j);
		admin_op_error(op, 400,
			       "expected {\"name\", \"size\", \"sha256\", "
			       "\"chunk_size\"}");
		return -1;
	}
	if (!store_tftp_name_valid(name) || tftp_name_reserved(name)) {
		admin_op_error(op, 400,
			       "name \"%.255s\": 1..255 bytes of letters, "
			       "digits, '.', '_', '-' in '/'-separated parts, "
			       "none starting with '.'; not a name the node "
			       "builds itself (trust lists, configuration "
			       "files, .sgn)",
			       name);
		json_decref(j);
		return -1;
	}
	snprintf(f->name, sizeof f->name, "%s", name);
	if (json_integer_value(size) < 0 ||
	    json_integer_value(size) > STORE_TFTP_FILE_MAX ||
	    json_integer_value(chunk) < 1 ||
	    json_integer_value(chunk) > STORE_TFTP_CHUNK_MAX) {
		json_decref(j);
		admin_op_error(op, 413,
			       "size: at most %u bytes, in chunks of 1..%u",
			       STORE_TFTP_FILE_MAX, STORE_TFTP_CHUNK_MAX);
		return -1;
	}
	f->size = (uint64_t)json_integer_value(size);
	f->chunk_size = (uint32_t)json_integer_value(chunk);
	f->n_chunks = store_tftp_n_chunks(f->size, f->chunk_size);
	f->uploaded_ms = admin_now_ms();
	snprintf(f->uploaded_by, sizeof f->uploaded_by, "%s", op->actor);
	json_decref(j);
	return 0;
}

void admin_route_tftp_file_commit(struct admin_op *op)
{
	struct store_tftp_file f, old;
	struct store_tftp_upload up;
	struct store_read *r;
	struct store_cmd *cmd;
	char why[160], detail[STORE_TEXT_MAX], fp[HEX_SHA256_TEXT_LEN];
	int have_old, have_up, rc;

	if (commit_parse(op, &f) != 0)
		return;
	if (admin_op_read_begin(op, &r) != 0)
		return;
	have_up = store_tftp_upload_get(r, f.sha256, &up) == STORE_OK;
	if (have_up && up.state == STORE_TFTP_UPLOAD_COLLECTING) {
		store_read_end(r);
		admin_op_error(op, 409,
			       "the upload was idle too long and its chunks "
			       "are being removed: upload the file again");
		return;
	}
	if (chunks_complete(r, &f, why, sizeof why) != 0) {
		store_read_end(r);
		admin_op_error(op, 409, "%s: upload every chunk first", why);
		return;
	}
	rc = store_tftp_file_get(r, f.name, &old);
	have_old = rc == 0;
	cmd = admin_op_cmd(op);
	if (!cmd) {
		store_read_end(r);
		return;
	}
	hex_sha256_text(f.sha256, fp);
	snprintf(detail, sizeof detail, "name=%s size=%llu %s", f.name,
		 (unsigned long long)f.size, fp);
	/* Guarded on the upload record as read: an upload the leader began
	 * to collect meanwhile is not committed. */
	if ((rc && rc != STORE_ENOTFOUND) ||
	    (have_up && store_cmd_end_tftp_upload(cmd, &up)) ||
	    store_cmd_put_tftp_file(cmd, have_old ? &old : NULL, &f) ||
	    (have_old && drop_chunks(r, cmd, &old, f.sha256)) ||
	    store_cmd_audit(cmd, "tftp.upload", detail)) {
		store_read_end(r);
		store_cmd_free(cmd);
		admin_op_error(op, 500, "building the change failed");
		return;
	}
	store_read_end(r);
	admin_op_keep_answer(op, file_json(&f));
	admin_op_propose(op, cmd, committed);
	store_cmd_free(cmd);
}

/* ?node=ID into *NODE (unchanged when absent); 0, or -1 after answering. */
static int query_node(struct admin_op *op, uint64_t *node)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(op->req);
	char v[24], *end;

	if (!uri ||
	    !admin_query_value(evhttp_uri_get_query(uri), "node", v, sizeof v))
		return 0;
	*node = strtoull(v, &end, 10);
	if (!v[0] || *end || *node == 0) {
		admin_op_error(op, 400, "node: a node id");
		return -1;
	}
	return 0;
}

/* The ?name= of the request into NAME; 0, or -1 after answering. */
static int query_name(struct admin_op *op, char *name, size_t cap)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(op->req);

	if (!uri ||
	    !admin_query_value(evhttp_uri_get_query(uri), "name", name, cap) ||
	    !store_tftp_name_valid(name)) {
		admin_op_error(op, 400, "?name=FILE: a valid TFTP file name");
		return -1;
	}
	return 0;
}

static void deleted(struct admin_op *op, int rc)
{
	if (rc == STORE_ENOTFOUND) {
		admin_op_error(op, 404, "no uploaded file of that name");
		return;
	}
	if (rc) {
		admin_op_fail(op, rc, "deleting the file");
		return;
	}
	admin_op_reply(op, 200, json_pack("{s:b}", "deleted", 1));
}

void admin_route_tftp_file_delete(struct admin_op *op)
{
	char name[STORE_TFTP_NAME_MAX + 2], detail[STORE_TEXT_MAX];
	struct store_tftp_file old;
	struct store_read *r;
	struct store_cmd *cmd;
	int rc;

	if (query_name(op, name, sizeof name) != 0)
		return;
	if (admin_op_read_begin(op, &r) != 0)
		return;
	rc = store_tftp_file_get(r, name, &old);
	if (rc) {
		store_read_end(r);
		if (rc == STORE_ENOTFOUND)
			admin_op_error(op, 404, "no uploaded file \"%s\"",
				       name);
		else
			admin_op_fail(op, rc, "reading the file");
		return;
	}
	cmd = admin_op_cmd(op);
	if (!cmd) {
		store_read_end(r);
		return;
	}
	snprintf(detail, sizeof detail, "name=%s", name);
	if (store_cmd_del_tftp_file(cmd, name) ||
	    drop_chunks(r, cmd, &old, NULL) ||
	    store_cmd_audit(cmd, "tftp.delete", detail)) {
		store_read_end(r);
		store_cmd_free(cmd);
		admin_op_error(op, 500, "building the change failed");
		return;
	}
	store_read_end(r);
	admin_op_propose(op, cmd, deleted);
	store_cmd_free(cmd);
}

/* ---- what a node serves ------------------------------------------------- */

/* GET /v1/tftp/file?name=N[&node=ID][&format=json|raw]: the bytes node ID
 * (this node by default) serves as N, built from the store by the TFTP
 * role's own code (the tftp_file hook), so they are the bytes a phone
 * gets. */
void admin_route_tftp_file_get(struct admin_op *op)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(op->req);
	char name[STORE_TFTP_NAME_MAX + 2], v[24], why[256] = "",
						   fp[HEX_SHA256_TEXT_LEN];
	struct admin *a = op->a;
	uint64_t node = a->node_id;
	uint8_t *data = NULL, md[32];
	size_t len = 0;
	int format, rc;

	format = admin_pki_format(op,
				  ADMIN_FORMAT_BIT(ADMIN_FORMAT_JSON) |
				      ADMIN_FORMAT_BIT(ADMIN_FORMAT_RAW),
				  1);
	if (format < 0 || query_name(op, name, sizeof name) != 0)
		return;
	if (uri &&
	    admin_query_value(evhttp_uri_get_query(uri), "node", v, sizeof v)) {
		char *end;

		node = strtoull(v, &end, 10);
		if (!v[0] || *end || node == 0) {
			admin_op_error(op, 400, "node: a node id");
			return;
		}
	}
	if (!a->hooks.tftp_file) {
		admin_op_error(op, 501, "this node runs no TFTP role");
		return;
	}
	rc = a->hooks.tftp_file(a->hooks.arg, node, name, &data, &len, why,
				sizeof why);
	if (rc == ADMIN_TFTP_NOT_FOUND) {
		admin_op_error(op, 404, "node %llu serves no file \"%s\"",
			       (unsigned long long)node, name);
		return;
	}
	if (rc == ADMIN_TFTP_REFUSED) {
		admin_op_error(op, 403, "node %llu refuses \"%s\": %s",
			       (unsigned long long)node, name, why);
		return;
	}
	if (rc != 0) {
		admin_op_error(op, 500, "building \"%s\": %s", name, why);
		return;
	}
	if (format == ADMIN_FORMAT_RAW) {
		admin_op_reply_bytes(op, "application/octet-stream", NULL, data,
				     len);
	} else {
		EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL);
		hex_sha256_text(md, fp);
		json_t *ans = json_pack("{s:s, s:I, s:I, s:s}", "name", name,
					"node", (json_int_t)node, "size",
					(json_int_t)len, "sha256", fp);

		/* Whole in JSON up to a size wardctl takes; larger files
		 * with ?format=raw. */
		if (ans && len <= TFTP_JSON_FILE_MAX)
			json_object_set_new(ans, "file",
					    admin_json_b64(data, len));
		admin_op_reply(op, 200, ans);
	}
	free(data);
}

/* GET /v1/tftp/devices/NAME[?node=ID]: what the phone gets and why. */
void admin_route_tftp_device(struct admin_op *op)
{
	struct admin *a = op->a;
	uint64_t node = a->node_id;
	char *text = NULL;
	json_error_t e;
	json_t *doc;
	int rc;

	if (query_node(op, &node) != 0)
		return;
	if (!a->hooks.tftp_explain) {
		admin_op_error(op, 501, "this node runs no TFTP role");
		return;
	}
	rc = a->hooks.tftp_explain(a->hooks.arg, node, op->args[0], &text);
	if (rc == ADMIN_TFTP_NOT_FOUND) {
		admin_op_error(op, 404, "no phone \"%s\"", op->args[0]);
		return;
	}
	doc = rc == 0 ? json_loads(text, 0, &e) : NULL;
	free(text);
	if (!doc) {
		admin_op_error(op, 500, "explaining \"%s\" failed",
			       op->args[0]);
		return;
	}
	admin_op_reply(op, 200, doc);
}
