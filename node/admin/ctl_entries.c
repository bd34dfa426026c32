/* ctl_entries: what the cluster's Certificate Trust List must list, and
 * whether the stored one still does. The list is derived from the store
 * each time (tokens, node certificates, the CA), so that a regenerated
 * certificate or a new token makes the stored CTL stale at once, and the
 * comparison is by certificate (function + SHA-256), never by name. */
#include "node/admin/admin_pki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

static struct admin_ctl_entry *set_add(struct admin_ctl_set *s)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		struct admin_ctl_entry *v = realloc(s->v, cap * sizeof *v);

		if (!v)
			return NULL;
		s->v = v;
		s->cap = cap;
	}
	memset(&s->v[s->n], 0, sizeof s->v[0]);
	return &s->v[s->n++];
}

void admin_ctl_set_free(struct admin_ctl_set *s)
{
	if (!s)
		return;
	free(s->v);
	memset(s, 0, sizeof *s);
}

static int sha256(const uint8_t *p, size_t n, uint8_t out[32])
{
	unsigned int len = 0;

	return EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) == 1 && len == 32
		   ? 0
		   : -1;
}

/* ---- what the cluster needs -------------------------------------------- */

static int add_token(void *arg, const struct store_token *t)
{
	struct admin_ctl_set *s = arg;
	struct admin_ctl_entry *e = set_add(s);

	if (!e)
		return STORE_ENOMEM;
	e->function = TRUSTLIST_FN_SAST;
	e->der = t->der;
	e->der_len = t->der_len;
	if (sha256(t->der, t->der_len, e->sha256) != 0)
		return STORE_ENOMEM;
	snprintf(e->token, sizeof e->token, "%s", t->serial);
	snprintf(e->what, sizeof e->what, "token %.63s (serial %.64s)",
		 t->label, t->serial);
	return 0;
}

struct node_list {
	struct store_node *v;
	size_t n, cap;
	int rc;
};

static int collect_node(void *arg, const void *key, size_t klen,
			const void *val, size_t vlen)
{
	struct node_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		struct store_node *v = realloc(l->v, cap * sizeof *v);

		if (!v) {
			l->rc = STORE_ENOMEM;
			return 1;
		}
		l->v = v;
		l->cap = cap;
	}
	/* A record of a newer version is skipped, as store_node_find does. */
	if (store_node_decode(val, vlen, &l->v[l->n]) == 0)
		l->n++;
	return 0;
}

/* The host of "host:port" if it is an IP address, else "". */
static void addr_ip(const char *addr, char *out, size_t cap)
{
	struct addr a;

	out[0] = '\0';
	if (addr_parse(addr, ADDR_PORT_OPTIONAL, &a) == ADDR_OK &&
	    a.kind != ADDR_KIND_NAME && strlen(a.host) < cap)
		snprintf(out, cap, "%s", a.host);
}

static int add_node_certs(struct store_read *r, const struct store_node *n,
			  struct admin_ctl_set *s)
{
	static const struct {
		enum store_cert_role role;
		unsigned function;
	} listed[] = {
	    {STORE_CERT_CALLMANAGER, TRUSTLIST_FN_CCM},
	    {STORE_CERT_TFTP, TRUSTLIST_FN_TFTP},
	    {STORE_CERT_HTTPS, TRUSTLIST_FN_HTTPS},
	};

	for (size_t i = 0; i < sizeof listed / sizeof listed[0]; i++) {
		struct store_cert c;
		struct admin_ctl_entry *e;
		int rc = store_cert_get(r, n->id, listed[i].role, &c);

		if (rc == STORE_ENOTFOUND)
			continue; /* not joined yet */
		if (rc)
			return rc;
		e = set_add(s);
		if (!e)
			return STORE_ENOMEM;
		e->function = listed[i].function;
		e->der = c.der;
		e->der_len = c.der_len;
		memcpy(e->sha256, c.sha256, 32);
		snprintf(e->node, sizeof e->node, "%s", n->name);
		snprintf(e->role, sizeof e->role, "%s",
			 store_cert_role_name(listed[i].role));
		snprintf(e->dns_name, sizeof e->dns_name, "%s", n->name);
		addr_ip(n->raft_addr, e->ip, sizeof e->ip);
		snprintf(e->what, sizeof e->what, "%s %s", n->name, e->role);
	}
	return 0;
}

int admin_ctl_expected(struct store_read *r, struct admin_ctl_set *out)
{
	struct node_list nodes = {0};
	struct store_cert ca;
	struct admin_ctl_entry *e;
	int rc;

	memset(out, 0, sizeof *out);
	rc = store_token_each(r, add_token, out);
	if (rc)
		goto err;
	rc = store_each(r, STORE_T_NODES, NULL, 0, collect_node, &nodes);
	if (nodes.rc)
		rc = nodes.rc;
	if (rc)
		goto err;
	for (size_t i = 0; i < nodes.n && rc == 0; i++)
		rc = add_node_certs(r, &nodes.v[i], out);
	if (rc)
		goto err;
	rc = store_cert_get(r, 0, STORE_CERT_CA, &ca);
	if (rc == 0) {
		e = set_add(out);
		if (!e) {
			rc = STORE_ENOMEM;
			goto err;
		}
		e->function = TRUSTLIST_FN_CAPF;
		e->der = ca.der;
		e->der_len = ca.der_len;
		memcpy(e->sha256, ca.sha256, 32);
		snprintf(e->role, sizeof e->role, "ca");
		snprintf(e->what, sizeof e->what, "the cluster CA");
	} else if (rc != STORE_ENOTFOUND) {
		goto err;
	}
	free(nodes.v);
	return 0;
err:
	free(nodes.v);
	admin_ctl_set_free(out);
	return rc;
}

/* ---- what a file lists ------------------------------------------------- */

int admin_ctl_listed(const struct trustlist *tl, struct admin_ctl_set *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < tl->n_records; i++) {
		const struct trustlist_record *rec = &tl->records[i];
		struct admin_ctl_entry *e = set_add(out);

		if (!e || sha256(rec->cert.data, rec->cert.len, e->sha256)) {
			admin_ctl_set_free(out);
			return STORE_ENOMEM;
		}
		e->function = rec->function;
		e->der = rec->cert.data;
		e->der_len = rec->cert.len;
		/* The parser made the subject safe to print. */
		snprintf(e->what, sizeof e->what, "%.150s",
			 rec->subject ? rec->subject : "?");
	}
	return 0;
}

static void describe(char *msg, size_t cap, const struct admin_ctl_entry *e)
{
	char fp[PKI_FP_TEXT_MAX];
	size_t len = strlen(msg);

	admin_pki_fp(e->sha256, 8, fp);
	snprintf(msg + len, cap - len, "%s%s %s (SHA-256 %s...)",
		 len && msg[len - 1] != ' ' ? ", " : "",
		 trustlist_function_name(e->function), e->what, fp);
}

int admin_ctl_compare(const struct admin_ctl_set *want,
		      const struct admin_ctl_set *have, char *msg, size_t cap)
{
	char *used = calloc(have->n + 1, 1);
	int missing = 0, extra = 0;
	char tail[512] = "";

	msg[0] = '\0';
	if (!used) {
		snprintf(msg, cap, "out of memory");
		return 0;
	}
	for (size_t i = 0; i < want->n; i++) {
		size_t j;

		for (j = 0; j < have->n; j++)
			if (!used[j] &&
			    have->v[j].function == want->v[i].function &&
			    memcmp(have->v[j].sha256, want->v[i].sha256, 32) ==
				0)
				break;
		if (j < have->n) {
			used[j] = 1;
			continue;
		}
		if (!missing++)
			snprintf(msg, cap, "missing: ");
		describe(msg, cap, &want->v[i]);
	}
	for (size_t j = 0; j < have->n; j++) {
		if (used[j])
			continue;
		if (!extra++)
			snprintf(tail, sizeof tail, "not wanted: ");
		describe(tail, sizeof tail, &have->v[j]);
	}
	free(used);
	if (extra) {
		size_t len = strlen(msg);

		snprintf(msg + len, cap - len, "%s%s", missing ? "; " : "",
			 tail);
	}
	return !missing && !extra;
}

/* ---- the stored CTL ---------------------------------------------------- */

int admin_ctl_status_read(struct store_read *r, struct admin_ctl_status *st)
{
	struct admin_ctl_set want = {0}, have = {0};
	char err[512];
	int rc;

	memset(st, 0, sizeof *st);
	rc = store_ctl_get(r, &st->rec);
	if (rc == STORE_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	st->present = 1;
	if (trustlist_parse(st->rec.file, st->rec.file_len, &st->tl, err,
			    sizeof err) != 0) {
		snprintf(st->problem, sizeof st->problem,
			 "the stored CTL does not parse: %s", err);
		return 0;
	}
	for (size_t i = 0; i < st->tl->n_records; i++)
		if (st->tl->records[i].function == TRUSTLIST_FN_SAST)
			st->n_sast++;
	st->verifies =
	    trustlist_verify(st->tl, TRUSTLIST_CTL, NULL, err, sizeof err) == 0;
	if (!st->verifies) {
		snprintf(st->problem, sizeof st->problem,
			 "the stored CTL does not verify: %s", err);
		return 0;
	}
	rc = admin_ctl_expected(r, &want);
	if (rc == 0)
		rc = admin_ctl_listed(st->tl, &have);
	if (rc == 0) {
		st->current = admin_ctl_compare(&want, &have, st->problem,
						sizeof st->problem);
		if (!st->current) {
			char detail[sizeof st->problem];

			snprintf(detail, sizeof detail, "%s", st->problem);
			snprintf(st->problem, sizeof st->problem,
				 "the CTL is not current: %.700s", detail);
		}
	}
	admin_ctl_set_free(&want);
	admin_ctl_set_free(&have);
	return rc;
}

void admin_ctl_status_free(struct admin_ctl_status *st)
{
	if (!st)
		return;
	trustlist_free(st->tl);
	st->tl = NULL;
}

int admin_ctl_lists_sast(const struct admin_ctl_status *st,
			 const uint8_t want[32])
{
	uint8_t d[32];

	if (!st->tl)
		return 0;
	for (size_t i = 0; i < st->tl->n_records; i++) {
		const struct trustlist_record *rec = &st->tl->records[i];

		if (rec->function == TRUSTLIST_FN_SAST &&
		    sha256(rec->cert.data, rec->cert.len, d) == 0 &&
		    memcmp(d, want, 32) == 0)
			return 1;
	}
	return 0;
}

struct token_find {
	const uint8_t *sha256;
	const char *serial;
	char out_serial[STORE_SERIAL_MAX];
	char out_label[STORE_NAME_MAX];
	int found;
};

static int token_match(void *arg, const struct store_token *t)
{
	struct token_find *f = arg;
	uint8_t d[32];

	if (f->serial ? strcmp(t->serial, f->serial) != 0
		      : sha256(t->der, t->der_len, d) != 0 ||
			    memcmp(d, f->sha256, 32) != 0)
		return 0;
	snprintf(f->out_serial, sizeof f->out_serial, "%s", t->serial);
	snprintf(f->out_label, sizeof f->out_label, "%s", t->label);
	f->found = 1;
	return 1;
}

json_t *admin_ctl_status_json(struct store_read *r,
			      const struct admin_ctl_status *st)
{
	struct token_find f = {0};
	char fp[PKI_FP_TEXT_MAX];
	json_t *signers, *obj;

	if (!st->present)
		return json_null();
	signers = json_array();
	for (size_t i = 0; st->tl && i < st->tl->n_records; i++) {
		const struct trustlist_record *rec = &st->tl->records[i];
		uint8_t d[32];

		if (rec->function != TRUSTLIST_FN_SAST ||
		    sha256(rec->cert.data, rec->cert.len, d) != 0)
			continue;
		memset(&f, 0, sizeof f);
		f.sha256 = d;
		store_token_each(r, token_match, &f);
		admin_pki_fp(d, 32, fp);
		json_array_append_new(
		    signers, json_pack("{s:s?, s:s?, s:s, s:s, s:b}", "serial",
				       f.found ? f.out_serial : NULL, "label",
				       f.found ? f.out_label : NULL, "subject",
				       rec->subject ? rec->subject : "",
				       "sha256", fp, "registered", f.found));
	}
	memset(&f, 0, sizeof f);
	f.serial = st->rec.signer_serial;
	store_token_each(r, token_match, &f);
	admin_pki_fp(st->rec.sha256, 32, fp);
	obj = json_pack(
	    "{s:I, s:I, s:s, s:I, s:{s:s, s:s?}, s:o, s:I, s:b, s:b, s:s}",
	    "version", (json_int_t)st->rec.version, "size",
	    (json_int_t)st->rec.file_len, "sha256", fp, "signed_ms",
	    (json_int_t)st->rec.signed_ms, "signer", "serial",
	    st->rec.signer_serial, "label", f.found ? f.out_label : NULL,
	    "signers", signers, "records",
	    (json_int_t)(st->tl ? st->tl->n_records : 0), "verifies",
	    st->verifies, "current", st->current, "problem", st->problem);
	return obj;
}
