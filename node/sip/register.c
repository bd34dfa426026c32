/* register: REGISTER handled statelessly — authenticate, check the device,
 * update the in-memory bindings, answer with the current ones. */
#include "node/sip/core_int.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_util.h>
#include <sofia-sip/url.h>

/* Copies the unquoted value of contact parameter NAME ("" if absent). */
static void contact_param(const sip_contact_t *m, const char *name, char *out,
			  size_t cap)
{
	const char *v = msg_params_find(m->m_params, name);
	size_t o = 0;

	out[0] = '\0';
	if (!v)
		return;
	if (*v == '"')
		v++;
	for (; *v && *v != '"' && o + 1 < cap; v++)
		out[o++] = *v;
	out[o] = '\0';
}

static int parse_uint(const char *s, unsigned long max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s < '0' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end)
		return -1;
	*out = v > max ? (unsigned)max : (unsigned)v;
	return 0;
}

/* The Path header values joined by ", " (RFC 3327), or -1 if too long. */
static int path_text(const sip_t *sip, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = '\0';
	for (const sip_path_t *p = sip->sip_path; p; p = p->r_next) {
		char uri[SIP_REG_PATH_MAX];
		isize_t n = url_e(uri, sizeof uri, p->r_url);
		if (n < 0 || (size_t)n >= sizeof uri)
			return -1;
		uri[n] = '\0';
		n = snprintf(out + o, cap - o, "%s<%s>", o ? ", " : "", uri);
		if (n < 0 || (size_t)n >= cap - o)
			return -1;
		o += (size_t)n;
	}
	return 0;
}

static void fill_source(struct sip_reg_contact *b, const struct sip_peer *p)
{
	b->transport = (uint8_t)p->transport;
	b->family = (uint8_t)p->addr.ss_family;
	if (p->addr.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)&p->addr;
		memcpy(b->addr, &a->sin_addr, 4);
		b->port = ntohs(a->sin_port);
	} else if (p->addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)&p->addr;
		memcpy(b->addr, &a->sin6_addr, 16);
		b->port = ntohs(a->sin6_port);
	}
	if (p->cert.present && p->cert.verified) {
		b->cert = (uint8_t)p->cert.kind;
		memcpy(b->cert_fp, p->cert.fp, 32);
	}
}

/* The 200's Contact: every live binding with its remaining time. */
static void list_bindings(struct sip_core *c, const char *device, uint64_t now,
			  struct sip_reply *out)
{
	struct sip_reg_contact b[SIP_REG_CONTACTS];
	int n = sip_registrar_get(c->reg, device, now, b);
	size_t o = 0;

	out->contact[0] = '\0';
	for (int i = 0; i < n; i++) {
		char extra[SIP_REG_INSTANCE_MAX + 48] = "";
		int w;
		if (b[i].instance[0] && b[i].reg_id)
			snprintf(extra, sizeof extra,
				 ";+sip.instance=\"%s\";reg-id=%u",
				 b[i].instance, b[i].reg_id);
		w = snprintf(out->contact + o, sizeof out->contact - o,
			     "%s<%s>;expires=%llu%s", o ? ", " : "", b[i].uri,
			     (unsigned long long)(b[i].expires_at - now),
			     extra);
		if (w < 0 || (size_t)w >= sizeof out->contact - o) {
			out->contact[o] = '\0';
			break;
		}
		o += (size_t)w;
	}
}

void core_handle_register(struct sip_core *c, const sip_t *sip,
			  const struct sip_peer *peer, uint64_t now_ms,
			  struct sip_reply *out)
{
	struct sip_device dev;
	struct sip_authn authn;
	const char *aor = sip->sip_to->a_url->url_user;
	unsigned validity = c->cluster.default_nonce_validity_s;
	uint64_t now = now_ms / 1000;
	char path[SIP_REG_PATH_MAX];
	int r, found, outbound = 0, n = 0;
	const sip_contact_t *m;

	if (!aor || !*aor || strlen(aor) >= SIP_DIR_NAME_MAX) {
		core_reply(out, 400, "Bad To");
		return;
	}
	r = c->dir->ops->device_by_name(c->dir->ctx, aor, &dev);
	if (r < 0) {
		core_reply(out, 503, "Service Unavailable");
		return;
	}
	found = r == 0 && !dev.is_trunk;
	if (found && dev.nonce_validity_s)
		validity = dev.nonce_validity_s;
	/* Unknown names are challenged like known ones; their credentials
	 * are checked against a dummy key, so the answers match. */
	if (!found || dev.digest) {
		const char *expect = found && dev.digest_user[0]
					 ? dev.digest_user
					 : "\001no user";
		if (core_authenticate(c, sip, peer, now_ms, validity, expect, 0,
				      &authn, out) != 0)
			return;
	}
	if (!found || core_check_device(c, &dev, peer, "REGISTER", out) != 0) {
		if (!found)
			core_reply(out, 403, "Forbidden");
		return;
	}
	if (path_text(sip, path, sizeof path) != 0) {
		core_reply(out, 400, "Path Too Long");
		return;
	}
	for (m = sip->sip_contact; m; m = m->m_next, n++) {
		struct sip_reg_contact b = {0};
		unsigned expires = c->cfg.default_expires;
		isize_t len;

		if (n >= SIP_REG_CONTACTS * 2) {
			core_reply(out, 400, "Too Many Contacts");
			return;
		}
		if (m->m_url->url_type == url_any) {
			/* "Contact: *" only with Expires: 0 (RFC 3261
			 * 10.3 step 6). */
			if (sip->sip_contact->m_next || !sip->sip_expires ||
			    sip->sip_expires->ex_delta != 0) {
				core_reply(out, 400, "Bad Wildcard Contact");
				return;
			}
			sip_registrar_remove_all(c->reg, dev.name);
			break;
		}
		if (m->m_expires) {
			if (parse_uint(m->m_expires, 0xffffffffUL, &expires)) {
				core_reply(out, 400, "Bad Expires");
				return;
			}
		} else if (sip->sip_expires) {
			expires = (unsigned)sip->sip_expires->ex_delta;
		}
		if (expires > c->cfg.max_expires)
			expires = c->cfg.max_expires;
		if (expires && expires < c->cfg.min_expires) {
			char v[16];
			snprintf(v, sizeof v, "%u", c->cfg.min_expires);
			core_reply(out, 423, "Interval Too Brief");
			core_reply_hdr(out, "Min-Expires", v);
			return;
		}
		len = url_e(b.uri, sizeof b.uri, m->m_url);
		if (len < 0 || (size_t)len >= sizeof b.uri) {
			core_reply(out, 400, "Contact Too Long");
			return;
		}
		b.uri[len] = '\0';
		contact_param(m, "+sip.instance", b.instance,
			      sizeof b.instance);
		{
			char rid[16];
			contact_param(m, "reg-id", rid, sizeof rid);
			if (rid[0] && parse_uint(rid, 65535, &b.reg_id)) {
				core_reply(out, 400, "Bad reg-id");
				return;
			}
		}
		if (b.instance[0] && b.reg_id)
			outbound = 1;
		memcpy(b.path, path, sizeof b.path);
		fill_source(&b, peer);
		if (sip_registrar_update(c->reg, dev.name, &b, expires, now)) {
			core_reply(out, 503, "Registrar Full");
			return;
		}
		if (expires && c->hooks.bound) {
			b.expires_at = now + expires;
			c->hooks.bound(c->hooks.arg, dev.name, &b);
		}
	}
	core_reply(out, 200, "OK");
	c->stats.registered++;
	list_bindings(c, dev.name, now, out);
	if (path[0])
		core_reply_hdr(out, "Path", path);
	if (outbound && sip_has_feature(sip->sip_supported, "outbound"))
		core_reply_hdr(out, "Require", "outbound");
}
