/* explain: what a phone gets from a node's TFTP role and why — for
 * `wardctl tftp files DEVICE` (GET /v1/tftp/devices/NAME). Each of the
 * phone's names is built exactly as it would be served (tftp_file_build),
 * and the policy that chose it is spelled out. */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "node/tftp/tftp.h"
#include "node/tftp/tftp_source.h"
#include "store/prov.h"
#include "store/store.h"

struct facts {
	int mixed, param, profile_flag, have_lsc, digest, exclude;
	char profile[STORE_NAME_MAX], lsc_fp[HEX_SHA256_TEXT_LEN];
	const char *cert; /* "LSC", "MIC" or "" */
	char digest_user[STORE_NAME_MAX];
	uint32_t mode;
};

static int read_facts(struct store *s, const char *device, struct facts *f)
{
	struct store_read *r;
	struct store_cluster cl;
	struct store_device d;
	struct store_phone_profile p;
	struct store_device_lsc l;
	char v[16];
	int rc = 0;

	memset(f, 0, sizeof *f);
	f->cert = "";
	if (store_read_begin(s, &r) != 0)
		return -1;
	if (store_device_get(r, device, &d) != 0 ||
	    d.kind != STORE_DEVICE_PHONE) {
		rc = 1;
		goto out;
	}
	if (store_cluster_get(r, &cl) != 0 ||
	    store_phone_profile_get(r, d.profile, &p) != 0) {
		rc = -1;
		goto out;
	}
	f->mixed = cl.security_mode == STORE_SECURITY_MIXED;
	f->param =
	    store_param_get(r, "tftp_encrypted_config", v, sizeof v) == 0 &&
	    strcmp(v, "true") == 0;
	f->profile_flag = !!(p.flags & STORE_PP_TFTP_ENCRYPTED);
	f->exclude = !!(p.flags & STORE_PP_EXCLUDE_DIGEST);
	f->mode = p.mode;
	snprintf(f->profile, sizeof f->profile, "%s", p.name);
	snprintf(f->digest_user, sizeof f->digest_user, "%s", d.digest_user);
	f->digest = d.digest_user[0] != 0;
	if (tftp_source_device_cert(r, device, &l, &f->cert) == 0) {
		f->have_lsc = 1;
		hex_sha256_text(l.sha256, f->lsc_fp);
	}
out:
	store_read_end(r);
	return rc;
}

/* One name: built as served, with the reason of the policy. */
static json_t *file_entry(struct store *s, struct keystore *ks,
			  const char *pki_dir, uint64_t node, const char *name,
			  const char *reason)
{
	uint8_t *data = NULL, md[32];
	size_t len = 0;
	char why[256], fp[HEX_SHA256_TEXT_LEN];
	int rc = tftp_file_build(s, ks, pki_dir, node, name, &data, &len, why,
				 sizeof why);
	json_t *e = json_pack("{s:s, s:b, s:s}", "name", name, "served",
			      rc == 0, "why", reason);

	if (rc == 0) {
		EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL);
		hex_sha256_text(md, fp);
		json_object_set_new(e, "size", json_integer((json_int_t)len));
		json_object_set_new(e, "sha256", json_string(fp));
	} else if (why[0]) {
		json_object_set_new(e, "error", json_string(why));
	}
	free(data);
	return e;
}

int tftp_device_explain(struct store *s, struct keystore *ks,
			const char *pki_dir, uint64_t node, const char *device,
			char **out)
{
	struct facts f;
	char plain[64], sgn[64], enc[64], asked[160], cert[120], why[2][120];
	int encrypt, rc;
	json_t *doc, *files;

	*out = NULL;
	rc = read_facts(s, device, &f);
	if (rc != 0)
		return rc;
	encrypt = f.mixed && (f.param || f.profile_flag) && f.have_lsc;
	snprintf(plain, sizeof plain, "%s.cnf.xml", device);
	snprintf(sgn, sizeof sgn, "%s.cnf.xml.sgn", device);
	snprintf(enc, sizeof enc, "%s.cnf.xml.enc.sgn", device);
	snprintf(asked, sizeof asked, "%s",
		 f.param && f.profile_flag ? "by the parameter "
					     "tftp_encrypted_config and the "
					     "profile"
		 : f.param		   ? "by the parameter "
					     "tftp_encrypted_config"
		 : f.profile_flag	   ? "by the profile"
					   : "no (parameter and profile off)");
	snprintf(cert, sizeof cert, "%s%s%s", f.have_lsc ? f.cert : "none",
		 f.have_lsc ? " " : "", f.have_lsc ? f.lsc_fp : "");
	snprintf(why[0], sizeof why[0],
		 "signed stub (fullConfig false, certHash of the %s): the "
		 "configuration is encrypted",
		 f.cert);
	snprintf(why[1], sizeof why[1],
		 "signed and encrypted to the device's %s with a fresh "
		 "AES-128 key",
		 f.cert);
	files = json_array();
	json_array_append_new(
	    files, file_entry(s, ks, pki_dir, node, plain,
			      f.mixed ? "refused: mixed mode serves signed "
					"configuration files only"
				      : "unsigned: the cluster is non-secure"));
	json_array_append_new(
	    files,
	    file_entry(
		s, ks, pki_dir, node, sgn,
		!f.mixed  ? "not served: the cluster is non-secure"
		: encrypt ? why[0]
			  : "signed with this node's TFTP key, not encrypted"));
	json_array_append_new(
	    files,
	    file_entry(s, ks, pki_dir, node, enc,
		       encrypt	  ? why[1]
		       : !f.mixed ? "not served: the cluster is non-secure"
		       : !(f.param || f.profile_flag)
			   ? "not served: encryption is not asked"
			   : "not served: the device has no certificate "
			     "(LSC or MIC, RSA) to encrypt to"));
	doc = json_pack("{s:s, s:I, s:s, s:s, s:s, s:{s:s, s:s, s:b}, s:o}",
			"device", device, "node", (json_int_t)node,
			"cluster_mode", f.mixed ? "mixed" : "non-secure",
			"profile", f.profile, "device_security_mode",
			store_device_mode_name(f.mode), "encryption", "asked",
			asked, "certificate", cert, "active", encrypt, "files",
			files);
	if (doc && f.digest && !f.exclude)
		json_object_set_new(
		    doc, "digest",
		    json_string(
			encrypt
			    ? "the digest user and its credential (MD5 HA1) "
			      "are in the encrypted file only"
			    : "WARNING: the digest user is named in a file "
			      "that is not encrypted; its credentials are in "
			      "no file until encryption is on (parameter "
			      "tftp_encrypted_config or the profile) and the "
			      "phone has an LSC or MIC"));
	*out = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
	json_decref(doc);
	return *out ? 0 : -1;
}
