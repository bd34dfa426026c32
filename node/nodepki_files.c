/* nodepki_files: the PKI files of a data directory — DATA/pki/ca.pem,
 * DATA/pki/<role>.pem (leaf then CA) and <role>.key (0600), and the copy of
 * the HTTPS pair the admin API serves. Every file is replaced atomically
 * (temporary file in the same directory, fsync, rename, fsync of the
 * directory), so a service reloading at any moment reads a whole file. */
#include "node/nodepki.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "common/errmsg.h"
#include "common/file.h"

#define NODEPKI_FILE_MAX (1u << 20)

void nodepki_kek_path(const char *data_dir, char *out, size_t cap)
{
	snprintf(out, cap, "%s/kek", data_dir);
}

void nodepki_path(const char *data_dir, const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s/pki%s%s", data_dir, name ? "/" : "",
		 name ? name : "");
}

static int pki_dir_make(const char *data_dir, char *errmsg, size_t errcap)
{
	char dir[NODEPKI_PATH_MAX];

	nodepki_path(data_dir, NULL, dir, sizeof dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		errmsg_set(errmsg, errcap, "%s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* PEM of the certificates (and KEY, if not NULL) in a memory BIO. The
 * text holds a secret when KEY is given: the caller wipes it. */
static int pem_text(X509 *const *certs, int n, EVP_PKEY *key, char **out,
		    size_t *len)
{
	/* Secure memory is wiped when freed. */
	BIO *b = BIO_new(key ? BIO_s_secmem() : BIO_s_mem());
	char *p;
	long got;
	int ok = b != NULL;

	*out = NULL;
	for (int i = 0; ok && i < n; i++)
		ok = PEM_write_bio_X509(b, certs[i]);
	if (ok && key)
		ok = PEM_write_bio_PKCS8PrivateKey(b, key, NULL, NULL, 0, NULL,
						   NULL);
	got = ok ? BIO_get_mem_data(b, &p) : 0;
	if (got > 0) {
		*out = malloc((size_t)got);
		if (*out) {
			memcpy(*out, p, (size_t)got);
			*len = (size_t)got;
		}
	}
	BIO_free(b);
	return *out ? 0 : -1;
}

static int write_pem(const char *path, X509 *const *certs, int n, EVP_PKEY *key,
		     char *errmsg, size_t errcap)
{
	char *text;
	size_t len = 0;
	int rc;

	if (pem_text(certs, n, key, &text, &len) != 0) {
		errmsg_set(errmsg, errcap, "%s: out of memory", path);
		return -1;
	}
	rc = file_write_atomic(path, text, len, key ? 0600 : 0644, errmsg,
			       errcap);
	if (key)
		OPENSSL_cleanse(text, len);
	free(text);
	return rc;
}

int nodepki_write_ca(const char *data_dir, X509 *ca, char *errmsg,
		     size_t errcap)
{
	char path[NODEPKI_PATH_MAX];

	if (pki_dir_make(data_dir, errmsg, errcap) != 0)
		return -1;
	nodepki_path(data_dir, "ca.pem", path, sizeof path);
	return write_pem(path, &ca, 1, NULL, errmsg, errcap);
}

int nodepki_write_role(const char *data_dir, enum pki_role role, X509 *leaf,
		       X509 *ca, EVP_PKEY *key, char *errmsg, size_t errcap)
{
	X509 *chain[2] = {leaf, ca};
	char path[NODEPKI_PATH_MAX], name[32];

	if (pki_dir_make(data_dir, errmsg, errcap) != 0)
		return -1;
	/* The key first: a reader that sees the new certificate finds the
	 * key that goes with it. */
	snprintf(name, sizeof name, "%s.key", pki_role_name(role));
	nodepki_path(data_dir, name, path, sizeof path);
	if (write_pem(path, NULL, 0, key, errmsg, errcap) != 0)
		return -1;
	snprintf(name, sizeof name, "%s.pem", pki_role_name(role));
	nodepki_path(data_dir, name, path, sizeof path);
	return write_pem(path, chain, ca ? 2 : 1, NULL, errmsg, errcap);
}

int nodepki_write_set(const char *data_dir, X509 *ca,
		      const struct nodepki_set *s, char *errmsg, size_t errcap)
{
	if (nodepki_write_ca(data_dir, ca, errmsg, errcap) != 0)
		return -1;
	for (int i = 0; i < NODEPKI_ROLES; i++)
		if (nodepki_write_role(data_dir, nodepki_roles[i], s->cert[i],
				       ca, s->key[i], errmsg, errcap) != 0)
			return -1;
	return 0;
}

/* The whole of PATH (at most NODEPKI_FILE_MAX bytes), malloc'ed. */
static int read_file(const char *path, char **out, size_t *len, char *errmsg,
		     size_t errcap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	ssize_t got;

	*out = NULL;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size <= 0 || st.st_size > NODEPKI_FILE_MAX) {
		errmsg_set(errmsg, errcap, "%s: %s", path,
			   fd < 0 ? strerror(errno)
				  : "not a small regular file");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*out = malloc((size_t)st.st_size);
	got = *out ? read(fd, *out, (size_t)st.st_size) : -1;
	close(fd);
	if (got != st.st_size) {
		errmsg_set(errmsg, errcap, "%s: short read", path);
		free(*out);
		*out = NULL;
		return -1;
	}
	*len = (size_t)got;
	return 0;
}

static int copy_file(const char *from, const char *to, unsigned mode,
		     char *errmsg, size_t errcap)
{
	char *buf;
	size_t len = 0;
	int rc;

	if (read_file(from, &buf, &len, errmsg, errcap) != 0)
		return -1;
	rc = file_write_atomic(to, buf, len, mode, errmsg, errcap);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return rc;
}

int nodepki_install_https(const char *data_dir, const char *cert_file,
			  const char *key_file, char *errmsg, size_t errcap)
{
	char from[NODEPKI_PATH_MAX];

	nodepki_path(data_dir, "https.key", from, sizeof from);
	if (copy_file(from, key_file, 0600, errmsg, errcap) != 0)
		return -1;
	nodepki_path(data_dir, "https.pem", from, sizeof from);
	return copy_file(from, cert_file, 0644, errmsg, errcap);
}

int nodepki_file_sha256(const char *path, uint8_t out[32])
{
	FILE *f = fopen(path, "r");
	unsigned int n = 32;
	X509 *x;
	int rc;

	if (!f)
		return errno == ENOENT ? 1 : -1;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	rc = x && X509_digest(x, EVP_sha256(), out, &n) && n == 32 ? 0 : -1;
	X509_free(x);
	return rc;
}
