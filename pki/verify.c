/* verify: chains to the cluster CA, and the node identity that NODE
 * certificates carry in their URI SANs. */
#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "pki/internal.h"

#define URI_NODE "ward://node/"
#define URI_CLUSTER "ward://cluster/"

int pki_trust_new(X509 *const *cas, size_t n, X509_STORE **out)
{
	X509_STORE *st;

	*out = NULL;
	st = X509_STORE_new();
	if (!st)
		return PKI_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!cas[i] || X509_STORE_add_cert(st, cas[i]) != 1) {
			X509_STORE_free(st);
			ERR_clear_error();
			return cas[i] ? PKI_ECRYPTO : PKI_EINVAL;
		}
	}
	X509_STORE_set_flags(st, X509_V_FLAG_X509_STRICT);
	*out = st;
	return PKI_OK;
}

int pki_verify(X509_STORE *trust, X509 *cert, STACK_OF(X509) * untrusted,
	       time_t at, char *errmsg, size_t errcap)
{
	X509_STORE_CTX *ctx;
	int ok, err;

	if (!trust || !cert)
		return pki_fail(errmsg, errcap, PKI_EINVAL,
				"nothing to verify");
	ctx = X509_STORE_CTX_new();
	if (!ctx)
		return PKI_ENOMEM;
	if (X509_STORE_CTX_init(ctx, trust, cert, untrusted) != 1) {
		X509_STORE_CTX_free(ctx);
		return pki_fail_ssl(errmsg, errcap, PKI_ECRYPTO, "verify");
	}
	if (at)
		X509_STORE_CTX_set_time(ctx, 0, at);
	ok = X509_verify_cert(ctx);
	err = X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	if (ok == 1)
		return PKI_OK;
	return pki_fail(errmsg, errcap, PKI_EVERIFY,
			"certificate not trusted: %s",
			X509_verify_cert_error_string(err));
}

/* Decimal 1..UINT64_MAX, no sign, no leading zero. */
static int pki_parse_id(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 20 || s[0] == '0')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return 0;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	*out = v;
	return 1;
}

int pki_node_identity(X509 *cert, char cluster_id[PKI_UUID_LEN + 1],
		      uint64_t *node_id, char *errmsg, size_t errcap)
{
	GENERAL_NAMES *gens;
	int crit = 0, n_node = 0, n_cluster = 0, rc = PKI_EFORMAT;
	const size_t lnode = strlen(URI_NODE), lcl = strlen(URI_CLUSTER);

	cluster_id[0] = '\0';
	*node_id = 0;
	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, NULL);
	if (!gens) {
		ERR_clear_error();
		return pki_fail(errmsg, errcap, PKI_EFORMAT,
				crit == -2
				    ? "certificate has two SAN extensions"
				    : "certificate names no node: no SAN");
	}
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const char *u;
		size_t len;

		if (g->type != GEN_URI)
			continue;
		u = (const char *)ASN1_STRING_get0_data(
		    g->d.uniformResourceIdentifier);
		len =
		    (size_t)ASN1_STRING_length(g->d.uniformResourceIdentifier);
		if (memchr(u, '\0', len)) {
			pki_fail(errmsg, errcap, PKI_EFORMAT,
				 "URI SAN holds a NUL byte");
			goto out;
		}
		if (len > lnode && strncmp(u, URI_NODE, lnode) == 0) {
			if (n_node++ ||
			    !pki_parse_id(u + lnode, len - lnode, node_id)) {
				pki_fail(errmsg, errcap, PKI_EFORMAT,
					 "certificate names no single valid "
					 "node id");
				goto out;
			}
		} else if (len == lcl + PKI_UUID_LEN &&
			   strncmp(u, URI_CLUSTER, lcl) == 0) {
			memcpy(cluster_id, u + lcl, PKI_UUID_LEN);
			cluster_id[PKI_UUID_LEN] = '\0';
			if (n_cluster++ || !pki_uuid_valid(cluster_id)) {
				pki_fail(errmsg, errcap, PKI_EFORMAT,
					 "certificate names no single valid "
					 "cluster id");
				goto out;
			}
		} else if (len >= 5 && strncasecmp(u, "ward:", 5) == 0) {
			pki_fail(errmsg, errcap, PKI_EFORMAT,
				 "unknown ward URI SAN");
			goto out;
		}
	}
	if (n_node != 1 || n_cluster != 1) {
		pki_fail(errmsg, errcap, PKI_EFORMAT,
			 "not a node certificate: it names %s",
			 n_node ? "no cluster" : "no node");
		goto out;
	}
	rc = PKI_OK;
out:
	GENERAL_NAMES_free(gens);
	if (rc) {
		cluster_id[0] = '\0';
		*node_id = 0;
	}
	return rc;
}

int pki_verify_node(X509_STORE *trust, X509 *cert, const char *cluster_id,
		    uint64_t node_id, char *errmsg, size_t errcap)
{
	char cid[PKI_UUID_LEN + 1];
	uint64_t id;
	int rc;

	if ((rc = pki_verify(trust, cert, NULL, 0, errmsg, errcap)))
		return rc;
	if ((rc = pki_node_identity(cert, cid, &id, errmsg, errcap)))
		return PKI_EVERIFY;
	if (!cluster_id || strcasecmp(cid, cluster_id) != 0)
		return pki_fail(errmsg, errcap, PKI_EVERIFY,
				"certificate of cluster %s, not of this one",
				cid);
	if (node_id && id != node_id)
		return pki_fail(errmsg, errcap, PKI_EVERIFY,
				"certificate of node %" PRIu64
				", the peer claims to be node %" PRIu64,
				id, node_id);
	return PKI_OK;
}
