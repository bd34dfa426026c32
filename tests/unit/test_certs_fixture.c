/* test_certs_fixture: see test_certs_fixture.h. */
#include "tests/unit/test_certs_fixture.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <openssl/pem.h>

#include "node/provdefaults.h"

char *cfx_tmpdir(void)
{
	char *dir = strdup("/tmp/ward-certs-test.XXXXXX");

	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	return dir;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

void cfx_rmdir(char *dir)
{
	if (!dir)
		return;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

struct store_cmd *cfx_cmd(void)
{
	struct store_cmd *c;

	assert_int_equal(store_cmd_new(&c, 1, 1000, "test"), 0);
	return c;
}

int cfx_apply_raw(struct cfx *f, const void *buf, size_t len)
{
	int rcs[8] = {0};
	unsigned n = 0;

	assert_int_equal(store_apply(f->s, ++f->index, buf, len, rcs, 8, &n),
			 0);
	assert_int_equal(n, 1);
	return rcs[0];
}

int cfx_apply(struct cfx *f, struct store_cmd *cmd)
{
	void *buf;
	size_t len;
	int rc;

	assert_int_equal(store_cmd_finish(cmd, &buf, &len), 0);
	store_cmd_free(cmd);
	rc = cfx_apply_raw(f, buf, len);
	free(buf);
	return rc;
}

void cfx_make(struct cfx *f, uint64_t node_id)
{
	struct store_cluster cl = {0};
	struct store_node n = {0};
	struct store_cert cert;
	struct store_key key;
	struct store_cmd *cmd;
	uint8_t *der = NULL, *wrapped = NULL;
	char errmsg[512] = "", name[16];
	unsigned added;

	memset(f, 0, sizeof *f);
	f->dir = cfx_tmpdir();
	f->node_id = node_id;
	snprintf(f->store_dir, sizeof f->store_dir, "%s/store", f->dir);
	snprintf(f->kek_path, sizeof f->kek_path, "%s/kek", f->dir);
	snprintf(f->cert_file, sizeof f->cert_file, "%s/https.pem", f->dir);
	snprintf(f->key_file, sizeof f->key_file, "%s/https.key", f->dir);
	assert_int_equal(mkdir(f->store_dir, 0700), 0);
	assert_int_equal(store_open(f->store_dir, &f->s, errmsg, sizeof errmsg),
			 0);
	snprintf(name, sizeof name, "n%llu", (unsigned long long)node_id);
	nodepki_names_make(name, "127.0.0.2:8443", "127.0.0.2:9443",
			   CFX_CLUSTER, node_id, &f->names);
	assert_int_equal(keystore_new(f->kek_path, &f->ks), KEYSTORE_OK);
	if (nodepki_cluster_create(f->ks, PKI_KEY_ECDSA_P256, "lab", &f->names,
				   &f->pki, errmsg, sizeof errmsg) != 0)
		fail_msg("cluster: %s", errmsg);
	assert_int_equal(keystore_kek_save(f->ks, NULL, 0), KEYSTORE_OK);

	snprintf(cl.id, sizeof cl.id, "%s", CFX_CLUSTER);
	snprintf(cl.name, sizeof cl.name, "lab");
	cl.schema_version = STORE_SCHEMA_VERSION;
	memcpy(cl.kek_id, f->pki.kek_id, sizeof cl.kek_id);
	memcpy(cl.ca_sha256, f->pki.ca_sha256, 32);
	n.id = node_id;
	snprintf(n.name, sizeof n.name, "%s", name);
	snprintf(n.raft_addr, sizeof n.raft_addr, "127.0.0.2:9443");
	snprintf(n.admin_addr, sizeof n.admin_addr, "127.0.0.2:8443");
	n.state = STORE_NODE_VOTER;
	cmd = cfx_cmd();
	assert_int_equal(nodepki_cert_record(f->pki.ca, 0, PKI_ROLE_CA, 1, 1,
					     &cert, &der, errmsg,
					     sizeof errmsg),
			 0);
	assert_int_equal(keystore_key_wrap(f->ks, 0, PKI_ROLE_CA, f->pki.ca_key,
					   &key, &wrapped),
			 KEYSTORE_OK);
	assert_int_equal(store_cmd_put_cert(cmd, STORE_OP_PUT_NEW, &cert), 0);
	assert_int_equal(store_cmd_put_key(cmd, &key), 0);
	free(der);
	free(wrapped);
	if (nodepki_cmd_put_set(cmd, f->ks, node_id, &f->pki.node, 1, errmsg,
				sizeof errmsg) != 0)
		fail_msg("set: %s", errmsg);
	assert_int_equal(store_cmd_put_cluster(cmd, &cl), 0);
	assert_int_equal(store_cmd_put_node(cmd, STORE_OP_PUT_NEW, &n), 0);
	/* As cluster init writes them. */
	assert_int_equal(provdefaults_cmd(cmd, NULL, f->ks, 1, &added, errmsg,
					  sizeof errmsg),
			 0);
	assert_int_equal(cfx_apply(f, cmd), 0);
}

void cfx_free(struct cfx *f)
{
	store_close(f->s);
	nodepki_cluster_clear(&f->pki);
	keystore_free(f->ks);
	f->ks = NULL;
	cfx_rmdir(f->dir);
	f->dir = NULL;
	f->s = NULL;
}

uint32_t cfx_regenerate(struct cfx *f, uint64_t owner, enum pki_role role,
			EVP_PKEY **key_out)
{
	struct store_read *r;
	struct store_cert old, next;
	struct store_key key;
	struct store_cmd *cmd = cfx_cmd();
	struct pki_subject subj;
	struct nodepki_names names = f->names;
	uint8_t *old_der, *der = NULL, *wrapped = NULL;
	char errmsg[512] = "";
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	uint32_t gen;

	assert_int_equal(store_read_begin(f->s, &r), 0);
	assert_int_equal(
	    store_cert_get(r, owner, (enum store_cert_role)role, &old), 0);
	/* The record points into the read: keep a copy for the guard. */
	old_der = malloc(old.der_len);
	assert_non_null(old_der);
	memcpy(old_der, old.der, old.der_len);
	old.der = old_der;
	store_read_end(r);
	names.node_id = owner;
	nodepki_subject(&names, &subj);
	assert_int_equal(
	    pki_key_generate(nodepki_role_key_type(role, PKI_KEY_ECDSA_P256),
			     &k),
	    0);
	if (pki_issue(f->pki.ca, f->pki.ca_key, k, role, &subj, 0, &x, errmsg,
		      sizeof errmsg) != 0)
		fail_msg("issue: %s", errmsg);
	gen = old.generation + 1;
	assert_int_equal(nodepki_cert_record(x, owner, role, gen, 2, &next,
					     &der, errmsg, sizeof errmsg),
			 0);
	assert_int_equal(
	    keystore_key_wrap(f->ks, owner, role, k, &key, &wrapped),
	    KEYSTORE_OK);
	assert_int_equal(store_cmd_replace_cert(cmd, &old, &next), 0);
	assert_int_equal(store_cmd_put_key(cmd, &key), 0);
	assert_int_equal(cfx_apply(f, cmd), 0);
	free(old_der);
	free(der);
	free(wrapped);
	X509_free(x);
	if (key_out)
		*key_out = k;
	else
		EVP_PKEY_free(k);
	return gen;
}

void cfx_file_sha(const char *path, uint8_t out[32])
{
	assert_int_equal(nodepki_file_sha256(path, out), 0);
}

int cfx_pem_count(const char *path)
{
	FILE *fp = fopen(path, "r");
	X509 *x;
	int n = 0;

	if (!fp)
		return -1;
	while ((x = PEM_read_X509(fp, NULL, NULL, NULL)) != NULL) {
		n++;
		X509_free(x);
	}
	fclose(fp);
	return n;
}
