/* config: the configuration files the TFTP role generates from the store —
 * SEP<MAC>.cnf.xml per phone and XMLDefault.cnf.xml (tftp_config.h). */
#include "node/tftp/tftp_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/hex.h"
#include "keystore/keystore.h"
#include "pki/pki.h"
#include "store/prov.h"
#include "store/srst.h"
#include "store/store.h"

#define SIP_PORT 5060 /* a node that has not published its SIP ports yet */
#define SIP_TLS_PORT 5061
#define CAPF_PORT 3804

struct xbuf {
	char *p;
	size_t len, cap;
	int failed;
};

static void xput(struct xbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void xput(struct xbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		char *q = realloc(b->p, b->cap * 2 + (size_t)n);
		if (!q) {
			b->failed = 1;
			return;
		}
		b->p = q;
		b->cap = b->cap * 2 + (size_t)n;
	}
}

/* S with &, <, >, " and ' escaped, into OUT (CAP bytes, cut to fit). */
static const char *esc(const char *s, char *out, size_t cap)
{
	size_t o = 0;

	for (; *s && o + 7 < cap; s++) {
		const char *r = NULL;

		switch (*s) {
		case '&':
			r = "&amp;";
			break;
		case '<':
			r = "&lt;";
			break;
		case '>':
			r = "&gt;";
			break;
		case '"':
			r = "&quot;";
			break;
		case '\'':
			r = "&apos;";
			break;
		}
		if (r) {
			memcpy(out + o, r, strlen(r));
			o += strlen(r);
		} else if ((unsigned char)*s >= 0x20) {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
	return out;
}

/* The host of a node's "host:port" address ([v6] brackets dropped). */
static void node_host(const struct store_node *n, char *out, size_t cap)
{
	const char *a = n->admin_addr, *end;

	if (a[0] == '[') {
		a++;
		end = strchr(a, ']');
	} else {
		end = strrchr(a, ':');
	}
	if (!end)
		end = a + strlen(a);
	snprintf(out, cap, "%.*s", (int)(end - a), a);
}

/* A member with the SIP address and ports its node record publishes (a
 * port of 0, none, is left out), or, until the node published them, its
 * admin host and the default ports. */
static void xml_member(struct xbuf *b, const struct store_node *n,
		       unsigned prio)
{
	char host[STORE_ADDR_MAX], e[2][256];
	int published = n->sip_host[0] != '\0';
	unsigned sip = published ? n->sip_port : SIP_PORT,
		 tls = published ? n->sip_tls_port : SIP_TLS_PORT;

	if (published)
		snprintf(host, sizeof host, "%s", n->sip_host);
	else
		node_host(n, host, sizeof host);
	xput(b,
	     "      <member priority=\"%u\">\n"
	     "        <callManager>\n"
	     "          <name>%s</name>\n"
	     "          <ports>\n",
	     prio, esc(n->name, e[0], sizeof e[0]));
	if (sip)
		xput(b, "            <sipPort>%u</sipPort>\n", sip);
	if (tls)
		xput(b, "            <securedSipPort>%u</securedSipPort>\n",
		     tls);
	xput(b,
	     "          </ports>\n"
	     "          <processNodeName>%s</processNodeName>\n"
	     "        </callManager>\n"
	     "      </member>\n",
	     esc(host, e[1], sizeof e[1]));
}

struct nodes_ctx {
	struct xbuf *b;
	uint32_t role; /* 0: voters and spares, else nodes with this role */
	unsigned n;
	int capf;
};

static int each_node(void *arg, const void *key, size_t klen, const void *val,
		     size_t vlen)
{
	struct nodes_ctx *c = arg;
	struct store_node n;
	char host[STORE_ADDR_MAX], e[256];

	if (klen != 8 || store_node_decode(val, vlen, &n) != 0)
		return 0;
	n.id = store_key_to_u64(key);
	if (n.state != STORE_NODE_VOTER && n.state != STORE_NODE_SPARE)
		return 0;
	if (c->capf) {
		if (!(n.roles & STORE_ROLE_CAPF) && n.roles)
			return 0;
		node_host(&n, host, sizeof host);
		xput(c->b,
		     "    <capf>\n"
		     "      <phonePort>%u</phonePort>\n"
		     "      <processNodeName>%s</processNodeName>\n"
		     "    </capf>\n",
		     CAPF_PORT, esc(host, e, sizeof e));
		return 0;
	}
	xml_member(c->b, &n, c->n++);
	return 0;
}

/* The SRST reference NAME ("" none): where the phone registers when no
 * member answers, and the certificate it trusts there (base64 DER) when
 * one is configured and its trust entry is present. */
static void xml_srst(struct xbuf *b, struct store_read *r, const char *name)
{
	struct store_srst s;
	struct store_trust t;
	char e[2][256];

	if (!name[0] || store_srst_get(r, name, &s) != 0)
		return;
	xput(b,
	     "    <srstInfo>\n"
	     "      <name>%s</name>\n"
	     "      <srstOption>Enable</srstOption>\n"
	     "      <userModifiable>false</userModifiable>\n"
	     "      <isSecure>%s</isSecure>\n"
	     "      <sipIpAddr1>%s</sipIpAddr1>\n"
	     "      <sipPort1>%u</sipPort1>\n",
	     esc(s.name, e[0], sizeof e[0]), s.tls_port ? "true" : "false",
	     esc(s.address, e[1], sizeof e[1]), s.sip_port);
	if (s.tls_port)
		xput(b, "      <securedSipPort1>%u</securedSipPort1>\n",
		     s.tls_port);
	if (s.certificate[0] && store_trust_get(r, s.certificate, &t) == 0 &&
	    t.category == STORE_TRUST_SRST) {
		char *b64 = malloc(4 * ((t.der_len + 2) / 3) + 1);

		if (!b64) {
			b->failed = 1;
			return;
		}
		EVP_EncodeBlock((unsigned char *)b64, t.der, (int)t.der_len);
		xput(b, "      <certificate>%s</certificate>\n", b64);
		free(b64);
	}
	xput(b, "    </srstInfo>\n");
}

/* The node group's members in failover order, or every member; then the
 * SRST reference SRST ("" none). */
static void xml_group(struct xbuf *b, struct store_read *r, const char *group,
		      const char *srst)
{
	struct store_node_group g;
	struct nodes_ctx c = {.b = b};
	char e[256];

	xput(b, "  <devicePool>\n    <callManagerGroup>\n");
	if (group[0] && store_node_group_get(r, group, &g) == 0) {
		xput(b, "      <name>%s</name>\n      <members>\n",
		     esc(g.name, e, sizeof e));
		for (uint32_t i = 0; i < g.n_nodes; i++) {
			struct store_node n;

			if (store_node_get(r, g.nodes[i], &n) == 0)
				xml_member(b, &n, i);
		}
	} else {
		xput(b, "      <name>all-nodes</name>\n      <members>\n");
		store_each(r, STORE_T_NODES, NULL, 0, each_node, &c);
	}
	xput(b, "      </members>\n    </callManagerGroup>\n");
	xml_srst(b, r, srst);
	xput(b, "  </devicePool>\n");
}

static void xml_capf(struct xbuf *b, struct store_read *r, unsigned auth,
		     unsigned key_size)
{
	struct nodes_ctx c = {.b = b, .capf = 1};

	xput(b,
	     "  <capfAuthMode>%u</capfAuthMode>\n"
	     "  <capfKeySize>%u</capfKeySize>\n"
	     "  <capfList>\n",
	     auth, key_size);
	store_each(r, STORE_T_NODES, NULL, 0, each_node, &c);
	xput(b, "  </capfList>\n");
}

/* Device security mode as phones of this family number it. */
static unsigned mode_code(uint32_t mode)
{
	return mode == STORE_DEVMODE_ENCRYPTED	     ? 3
	       : mode == STORE_DEVMODE_AUTHENTICATED ? 2
						     : 1;
}

/* Transport: 1 TCP, 2 UDP, 3 TLS, 4 TCP and UDP. */
static unsigned transport_code(uint32_t t)
{
	return t == STORE_TRANSPORT_TCP	  ? 1
	       : t == STORE_TRANSPORT_UDP ? 2
	       : t == STORE_TRANSPORT_TLS ? 3
					  : 4;
}

static char *xml_finish(struct xbuf *b, size_t *len)
{
	if (b->failed) {
		free(b->p);
		return NULL;
	}
	*len = b->len;
	return b->p;
}

static int xbuf_init(struct xbuf *b)
{
	memset(b, 0, sizeof *b);
	b->cap = 4096;
	b->p = malloc(b->cap);
	return b->p ? 0 : -1;
}

/* The digest user's MD5 HA1 as hex into OUT ("" when it has none or it
 * does not unwrap). A SECRET: the caller wipes OUT. */
static void digest_ha1(struct store_read *r, const char *user,
		       const uint8_t *kek, struct keystore *ks, char out[33])
{
	struct store_user u;
	uint8_t aad[128], set[STORE_HA1_SET_LEN + 16];
	size_t aad_len, n = 0;

	out[0] = '\0';
	if (store_user_get(r, user, &u) != 0 || u.ha1_len == 0 ||
	    pki_aad("users", u.name, strlen(u.name), aad, sizeof aad,
		    &aad_len) != 0)
		return;
	if (ks) {
		char err[128];
		int ok;

		if (keystore_kek_acquire(ks, NULL, err, sizeof err) != 0)
			return;
		ok = keystore_unwrap(ks, "users", u.name, strlen(u.name),
				     u.ha1_wrapped, u.ha1_len, set, sizeof set,
				     &n) == 0;
		keystore_kek_release(ks);
		if (ok && n == STORE_HA1_SET_LEN)
			hex_encode(set + STORE_HA1_MD5_OFF, 16, out);
	} else if (kek &&
		   pki_unwrap(kek, aad, aad_len, u.ha1_wrapped, u.ha1_len, set,
			      sizeof set, &n) == 0 &&
		   n == STORE_HA1_SET_LEN) {
		hex_encode(set + STORE_HA1_MD5_OFF, 16, out);
	}
	OPENSSL_cleanse(set, sizeof set);
}

int tftp_config_default(struct store_read *r, char **out, size_t *len)
{
	struct xbuf b;

	if (xbuf_init(&b) != 0)
		return TFTP_CONFIG_ERROR;
	xput(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Default>\n");
	xml_group(&b, r, "", "");
	xml_capf(&b, r, 0, 2048);
	xput(&b, "</Default>\n");
	*out = xml_finish(&b, len);
	return *out ? 0 : TFTP_CONFIG_ERROR;
}

int tftp_config_device(struct store_read *r, const char *device,
		       const struct tftp_config_opts *o, char **out,
		       size_t *len, struct tftp_config_info *info)
{
	struct store_device d;
	struct store_phone_profile p;
	char e[4][512], ha1[33] = "";
	struct xbuf b;
	uint32_t f;
	int rc;

	memset(info, 0, sizeof *info);
	rc = store_device_get(r, device, &d);
	if (rc == STORE_ENOTFOUND || rc == STORE_EINVAL ||
	    (rc == 0 && d.kind != STORE_DEVICE_PHONE))
		return TFTP_CONFIG_NOT_FOUND;
	if (rc != 0 || store_phone_profile_get(r, d.profile, &p) != 0)
		return TFTP_CONFIG_ERROR;
	info->mode = p.mode;
	info->encrypt =
	    o->encrypted_param || (p.flags & STORE_PP_TFTP_ENCRYPTED);
	info->has_digest = d.digest_user[0] != 0;
	info->caps = d.caps;
	info->changed_ms =
	    d.changed_ms > p.changed_ms ? d.changed_ms : p.changed_ms;
	f = p.flags;
	if (xbuf_init(&b) != 0)
		return TFTP_CONFIG_ERROR;
	xput(&b,
	     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	     "<device>\n"
	     "  <fullConfig>%s</fullConfig>\n"
	     "  <deviceProtocol>SIP</deviceProtocol>\n"
	     "  <name>%s</name>\n",
	     o->stub ? "false" : "true", esc(d.name, e[0], sizeof e[0]));
	if (o->stub) {
		/* The stub a phone reads before fetching .enc.sgn: nothing
		 * secret, the hash of the certificate it must decrypt with. */
		xput(&b,
		     "  <certHash>%s</certHash>\n"
		     "  <encrConfig>true</encrConfig>\n"
		     "</device>\n",
		     o->cert_md5_hex);
		*out = xml_finish(&b, len);
		return *out ? 0 : TFTP_CONFIG_ERROR;
	}
	xput(&b, "  <description>%s</description>\n  <model>%s</model>\n",
	     esc(d.description, e[1], sizeof e[1]),
	     esc(d.model, e[2], sizeof e[2]));
	xml_group(&b, r, d.node_group, p.srst);
	xput(&b,
	     "  <deviceSecurityMode>%u</deviceSecurityMode>\n"
	     "  <transportLayerProtocol>%u</transportLayerProtocol>\n"
	     "  <securityProfile>%s</securityProfile>\n",
	     mode_code(p.mode), transport_code(p.transport),
	     esc(p.name, e[3], sizeof e[3]));
	xml_capf(&b, r, p.capf_auth, p.key_size);
	xput(&b,
	     "  <encrConfig>%s</encrConfig>\n"
	     "  <vendorConfig>\n"
	     "    <pcPort>%d</pcPort>\n"
	     "    <settingsAccess>%u</settingsAccess>\n"
	     "    <webAccess>%d</webAccess>\n"
	     "    <garp>%d</garp>\n"
	     "    <voiceVlanAccess>%d</voiceVlanAccess>\n"
	     "    <spanToPCPort>%d</spanToPCPort>\n"
	     "  </vendorConfig>\n",
	     o->encrypted ? "true" : "false",
	     /* phones of this family: 0 enabled, 1 disabled;
		settings access 1 enabled, 0 disabled, 2 restricted */
	     !(f & STORE_PP_PC_PORT),
	     p.settings_access == STORE_SETTINGS_DISABLED     ? 0u
	     : p.settings_access == STORE_SETTINGS_RESTRICTED ? 2u
							      : 1u,
	     !(f & STORE_PP_WEB_ACCESS), !(f & STORE_PP_GARP),
	     !(f & STORE_PP_VOICE_VLAN), !!(f & STORE_PP_SPAN_PC));
	if (o->encrypted && (o->kek || o->ks) && d.digest_user[0] &&
	    !(f & STORE_PP_EXCLUDE_DIGEST))
		digest_ha1(r, d.digest_user, o->kek, o->ks, ha1);
	xput(&b, "  <sipProfile>\n    <sipLines>\n");
	for (uint32_t i = 0; i < d.n_lines; i++) {
		xput(&b,
		     "      <line button=\"%u\">\n"
		     "        <featureLabel>%s</featureLabel>\n"
		     "        <name>%s</name>\n",
		     i + 1, d.lines[i], d.lines[i]);
		if (d.digest_user[0] && !(f & STORE_PP_EXCLUDE_DIGEST)) {
			xput(&b, "        <authName>%s</authName>\n",
			     esc(d.digest_user, e[0], sizeof e[0]));
			/* Credentials only where nobody else can read
			 * them: inside the encrypted file. */
			if (ha1[0])
				xput(&b, "        <authHash>%s</authHash>\n",
				     ha1);
		}
		xput(&b, "      </line>\n");
	}
	xput(&b, "    </sipLines>\n  </sipProfile>\n</device>\n");
	OPENSSL_cleanse(ha1, sizeof ha1);
	*out = xml_finish(&b, len);
	return *out ? 0 : TFTP_CONFIG_ERROR;
}
