/* x509match: a trunk profile's X.509 subject names against a peer
 * certificate's subject and subjectAltName DNS entries. */
#include "node/sip/x509match.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define MAX_RDN 16
#define VALUE_MAX 256

struct rdn {
	int nid;
	size_t len;
	char value[VALUE_MAX];
};

void sip_x509_names_of(const struct x509_st *leaf, struct sip_x509_names *out)
{
	const X509_NAME *s;
	GENERAL_NAMES *alt;
	int len;

	memset(out, 0, sizeof *out);
	if (!leaf)
		return;
	s = X509_get_subject_name(leaf);
	len = s ? i2d_X509_NAME(s, NULL) : -1;
	if (len > 0 && (size_t)len <= sizeof out->subject) {
		unsigned char *p = out->subject;
		if (i2d_X509_NAME(s, &p) == len)
			out->subject_len = (size_t)len;
	}
	alt = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; alt && i < sk_GENERAL_NAME_num(alt) &&
			out->ndns < SIP_X509_DNS_MAX;
	     i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(alt, i);
		const unsigned char *d;
		int n;

		if (g->type != GEN_DNS)
			continue;
		d = ASN1_STRING_get0_data(g->d.dNSName);
		n = ASN1_STRING_length(g->d.dNSName);
		/* no embedded NUL: the name is compared as a string */
		if (n <= 0 || n >= SIP_X509_DNS_LEN || memchr(d, 0, (size_t)n))
			continue;
		memcpy(out->dns[out->ndns], d, (size_t)n);
		out->dns[out->ndns++][n] = '\0';
	}
	GENERAL_NAMES_free(alt);
}

/* If P starts with "TYPE=" (spaces allowed before '='), TYPE an attribute
 * type OpenSSL knows (short or long name, any case, or a dotted OID): its
 * NID, with *AFTER just past the '='. Else NID_undef. */
static int dn_type(const char *p, const char **after)
{
	char t[64];
	size_t n = 0, k;
	int nid;

	while (n < sizeof t - 1 &&
	       (isalnum((unsigned char)p[n]) || p[n] == '.' || p[n] == '-')) {
		t[n] = p[n];
		n++;
	}
	for (k = n; p[k] == ' '; k++)
		;
	if (!n || p[k] != '=')
		return NID_undef;
	t[n] = '\0';
	nid = OBJ_txt2nid(t);
	if (nid == NID_undef) {
		for (size_t i = 0; i < n; i++)
			t[i] = (char)toupper((unsigned char)t[i]);
		nid = OBJ_txt2nid(t);
	}
	if (nid != NID_undef)
		*after = p + k + 1;
	return nid;
}

static int hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0'
					 : tolower((unsigned char)c) - 'a' + 10;
}

/* One attribute value from P into R: quoted, or up to ',' or ';' or the
 * end, or a space before the next DN's first "TYPE="; '\' escapes a
 * character or gives one byte as two hex digits; trailing spaces are not
 * part of it. Clears *OK when it does not fit or a quote is not closed.
 * Returns where it stopped. */
static const char *dn_value(const char *p, struct rdn *r, int *ok)
{
	size_t n = 0, keep = 0;
	const char *after;

	while (*p == ' ')
		p++;
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			if (n == VALUE_MAX - 1)
				*ok = 0;
			else
				r->value[n++] = *p;
		}
		if (*p != '"')
			*ok = 0;
		else
			p++;
		keep = n;
		while (*p == ' ')
			p++;
	} else {
		while (*p && *p != ',' && *p != ';') {
			char ch;
			int escaped = 0;

			if (isspace((unsigned char)*p)) {
				const char *q = p;
				while (isspace((unsigned char)*q))
					q++;
				if (!*q || dn_type(q, &after) != NID_undef)
					break;
			}
			if (*p == '\\' && isxdigit((unsigned char)p[1]) &&
			    isxdigit((unsigned char)p[2])) {
				ch = (char)(hexval(p[1]) << 4 | hexval(p[2]));
				p += 3;
				escaped = 1;
			} else if (*p == '\\' && p[1]) {
				ch = p[1];
				p += 2;
				escaped = 1;
			} else {
				ch = *p++;
			}
			if (n == VALUE_MAX - 1) {
				*ok = 0;
				continue;
			}
			r->value[n++] = ch;
			if (escaped || ch != ' ')
				keep = n;
		}
	}
	r->len = keep;
	r->value[keep] = '\0';
	return p;
}

/* The DN R[0..K) equals the subject N holds, as X509_NAMEs, in the order
 * given or reversed. */
static int dn_matches(const struct rdn *r, size_t k,
		      const struct sip_x509_names *n)
{
	const unsigned char *d = n->subject;
	X509_NAME *subj;
	int match = 0;

	if (!n->subject_len)
		return 0;
	subj = d2i_X509_NAME(NULL, &d, (long)n->subject_len);
	if (!subj)
		return 0;
	for (int rev = 0; rev < 2 && !match; rev++) {
		X509_NAME *x = X509_NAME_new();
		int ok = x != NULL;

		for (size_t i = 0; ok && i < k; i++) {
			const struct rdn *e = &r[rev ? k - 1 - i : i];
			ok = X509_NAME_add_entry_by_NID(
				 x, e->nid, MBSTRING_UTF8,
				 (const unsigned char *)e->value, (int)e->len,
				 -1, 0) == 1;
		}
		match = ok && X509_NAME_cmp(x, subj) == 0;
		X509_NAME_free(x);
	}
	X509_NAME_free(subj);
	return match;
}

static int bare_matches(const char *p, size_t len,
			const struct sip_x509_names *n, const char *cn)
{
	if (cn && strlen(cn) == len && strncasecmp(cn, p, len) == 0)
		return 1;
	for (unsigned i = 0; i < n->ndns; i++)
		if (strlen(n->dns[i]) == len &&
		    strncasecmp(n->dns[i], p, len) == 0)
			return 1;
	return 0;
}

int sip_x509_names_match(const char *list, const struct sip_x509_names *n,
			 const char *cn)
{
	static const char sep[] = " \t,;";
	struct rdn rdns[MAX_RDN], spill;
	const char *p = list, *after;

	if (!list)
		return 0;
	while (*p) {
		size_t k = 0;
		int ok = 1;

		p += strspn(p, sep);
		if (!*p)
			break;
		if (dn_type(p, &after) == NID_undef) {
			size_t len = strcspn(p, sep);
			if (bare_matches(p, len, n, cn))
				return 1;
			p += len;
			continue;
		}
		for (;;) {
			int nid = dn_type(p, &after);
			struct rdn *r = k < MAX_RDN ? &rdns[k] : &spill;

			if (k == MAX_RDN)
				ok = 0;
			else
				k++;
			r->nid = nid;
			p = dn_value(after, r, &ok);
			if (*p != ',' && *p != ';')
				break;
			for (p++; isspace((unsigned char)*p); p++)
				;
			if (dn_type(p, &after) == NID_undef)
				break; /* a bare name follows the DN */
		}
		if (ok && dn_matches(rdns, k, n))
			return 1;
	}
	return 0;
}
