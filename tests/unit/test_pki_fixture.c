/* test_pki_fixture: what the pki tests share — temporary directories,
 * a CA and keys, files, and running the openssl command-line tool (the
 * reference the tests compare against). Each test program declares what it
 * uses from test_pki_fixture.h. */
#include "test_pki_fixture.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

char *pki_fx_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *dir;

	if (!base || !*base)
		base = "/tmp";
	if (asprintf(&dir, "%s/ward-pki-test.XXXXXX", base) < 0)
		return NULL;
	if (!mkdtemp(dir)) {
		free(dir);
		return NULL;
	}
	return dir;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

void pki_fx_rmdir(char *dir)
{
	if (!dir)
		return;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

int pki_fx_write(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (!f)
		return -1;
	if (n && fwrite(p, 1, n, f) != n)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

char *pki_fx_run(const char *fmt, ...)
{
	char *cmd, *out = NULL;
	size_t len = 0, cap = 0;
	char buf[512];
	va_list ap;
	FILE *p;
	size_t n;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return NULL;
	p = popen(cmd, "r");
	free(cmd);
	if (!p)
		return NULL;
	while ((n = fread(buf, 1, sizeof buf, p)) > 0) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			out = realloc(out, cap);
		}
		memcpy(out + len, buf, n);
		len += n;
	}
	if (pclose(p) != 0) {
		free(out);
		return NULL;
	}
	if (!out)
		out = calloc(1, 1);
	else
		out[len] = '\0';
	/* No trailing newline: callers compare a single line. */
	while (len && (out[len - 1] == '\n' || out[len - 1] == '\r'))
		out[--len] = '\0';
	return out;
}

X509 *pki_fx_ca(enum pki_key_type type, EVP_PKEY **key)
{
	char err[256] = "";
	X509 *ca;

	if (pki_key_generate(type, key))
		return NULL;
	if (pki_ca_create(*key, PKI_FX_CLUSTER, "lab", 0, &ca, err,
			  sizeof err)) {
		fprintf(stderr, "pki_ca_create: %s\n", err);
		EVP_PKEY_free(*key);
		*key = NULL;
		return NULL;
	}
	return ca;
}

X509 *pki_fx_issue(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *key,
		   enum pki_role role, uint64_t node_id)
{
	struct pki_subject subj = {
	    .common_name = "node1",
	    .dns = "node1.example.net",
	    .ip = "127.0.0.2",
	    .cluster_id = PKI_FX_CLUSTER,
	    .node_id = node_id,
	};
	char err[256] = "";
	X509 *x;

	if (pki_issue(ca, ca_key, key, role, &subj, 0, &x, err, sizeof err)) {
		fprintf(stderr, "pki_issue(%s): %s\n", pki_role_name(role),
			err);
		return NULL;
	}
	return x;
}

char *pki_fx_write_cert(const char *dir, const char *name, X509 *x)
{
	char *path, *pem;
	size_t len;
	int rc;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return NULL;
	if (pki_cert_to_pem(x, &pem, &len)) {
		free(path);
		return NULL;
	}
	rc = pki_fx_write(path, pem, len);
	free(pem);
	if (rc) {
		free(path);
		return NULL;
	}
	return path;
}
