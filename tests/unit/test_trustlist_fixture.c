/* test_trustlist_fixture: shared helpers of the trust-list tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tests/unit/test_trustlist_fixture.h"

const char tlf_sgn_content[] =
    "<device>\n  <deviceProtocol>SIP</deviceProtocol>\n"
    "  <sshUserId>ward</sshUserId>\n</device>\n";

const char *tlf_path(const char *name)
{
	/* A few buffers in turn, so that a path may be passed to a helper
	 * that asks for another. */
	static char paths[8][1024];
	static unsigned next;
	char *path = paths[next++ % 8];

	snprintf(path, sizeof paths[0], "%s/%s", TRUSTLIST_TEST_DATA, name);
	return path;
}

uint8_t *tlf_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (f == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

void tlf_write(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		fail_msg("cannot create %s", path);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

void tlf_cert_load(const char *name, struct tlf_cert *out)
{
	char file[256];
	unsigned char *der = NULL;
	X509 *x;
	FILE *f;
	int n;

	snprintf(file, sizeof file, "%s.crt", name);
	if ((f = fopen(tlf_path(file), "r")) == NULL)
		fail_msg("cannot open %s", tlf_path(file));
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	n = i2d_X509(x, &der);
	assert_true(n > 0);
	out->der = malloc((size_t)n);
	assert_non_null(out->der);
	memcpy(out->der, der, (size_t)n);
	out->len = (size_t)n;
	OPENSSL_free(der);
	X509_free(x);
}

void tlf_cert_free(struct tlf_cert *c)
{
	free(c->der);
	c->der = NULL;
	c->len = 0;
}

EVP_PKEY *tlf_key_load(const char *name)
{
	char file[256];
	EVP_PKEY *k;
	FILE *f;

	snprintf(file, sizeof file, "%s.key", name);
	if ((f = fopen(tlf_path(file), "r")) == NULL)
		fail_msg("cannot open %s", tlf_path(file));
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(k);
	return k;
}

void tlf_set_add(struct tlf_set *s, unsigned function, const char *cert,
		 const char *dns, const char *ip)
{
	assert_true(s->n < TLF_SET_MAX);
	tlf_cert_load(cert, &s->certs[s->n]);
	s->e[s->n] = (struct trustlist_entry){
	    .function = function,
	    .cert_der = s->certs[s->n].der,
	    .cert_len = s->certs[s->n].len,
	    .dns_name = dns,
	    .ip = ip,
	};
	s->n++;
}

void tlf_set_free(struct tlf_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		tlf_cert_free(&s->certs[i]);
	s->n = 0;
}

void tlf_ctl_set(struct tlf_set *s, const char *sast_a, const char *sast_b)
{
	*s = (struct tlf_set){0};
	tlf_set_add(s, TRUSTLIST_FN_SAST, sast_a, NULL, NULL);
	tlf_set_add(s, TRUSTLIST_FN_SAST, sast_b, NULL, NULL);
	tlf_set_add(s, TRUSTLIST_FN_CCM_TFTP, "ccm1", "node1.ward.test",
		    "192.0.2.1");
	tlf_set_add(s, TRUSTLIST_FN_CCM_TFTP, "ccm2", "node2.ward.test",
		    "2001:db8::2");
	tlf_set_add(s, TRUSTLIST_FN_CAPF, "capf", NULL, NULL);
	tlf_set_add(s, TRUSTLIST_FN_HTTPS, "https1", "node1.ward.test",
		    "192.0.2.1");
}

void tlf_itl_set(struct tlf_set *s, const char *tftp)
{
	*s = (struct tlf_set){0};
	tlf_set_add(s, TRUSTLIST_FN_TFTP, tftp, "node1.ward.test", "192.0.2.1");
	tlf_set_add(s, TRUSTLIST_FN_CAPF, "capf", NULL, NULL);
	tlf_set_add(s, TRUSTLIST_FN_CCM, "ccm1", "node1.ward.test",
		    "192.0.2.1");
	tlf_set_add(s, TRUSTLIST_FN_CCM, "ccm2", "node2.ward.test",
		    "2001:db8::2");
}

uint8_t *tlf_build(enum trustlist_kind kind, const struct tlf_set *set,
		   const char *signer, enum trustlist_sig sig, size_t *len)
{
	struct trustlist_options o = {.sig = sig, .timestamp = TLF_TIMESTAMP};
	struct tlf_cert c;
	struct trustlist_signer s;
	uint8_t *out = NULL;
	char err[256] = "";
	int rc;

	tlf_cert_load(signer, &c);
	s = (struct trustlist_signer){c.der, c.len, tlf_key_load(signer)};
	rc = trustlist_build(kind, set->e, set->n, &s, &o, &out, len, err,
			     sizeof err);
	if (rc)
		fail_msg("trustlist_build: %s: %s", trustlist_strerror(rc),
			 err);
	EVP_PKEY_free(s.key);
	tlf_cert_free(&c);
	return out;
}

uint8_t *tlf_build_sgn(const char *signer, enum trustlist_sig sig, size_t *len)
{
	struct trustlist_options o = {.sig = sig, .timestamp = TLF_TIMESTAMP};
	struct tlf_cert c;
	struct trustlist_signer s;
	uint8_t *out = NULL;
	char err[256] = "";
	int rc;

	tlf_cert_load(signer, &c);
	s = (struct trustlist_signer){c.der, c.len, tlf_key_load(signer)};
	rc = trustlist_sgn_build(TLF_SGN_NAME, (const uint8_t *)tlf_sgn_content,
				 strlen(tlf_sgn_content), &s, &o, &out, len,
				 err, sizeof err);
	if (rc)
		fail_msg("trustlist_sgn_build: %s: %s", trustlist_strerror(rc),
			 err);
	EVP_PKEY_free(s.key);
	tlf_cert_free(&c);
	return out;
}

size_t tlf_header_field(const uint8_t *buf, size_t len, uint8_t tag)
{
	size_t hlen, off = 0;

	assert_true(len >= 10);
	hlen = (size_t)buf[8] << 8 | buf[9];
	while (off + 3 <= hlen && buf[off] != 13) {
		if (buf[off] == tag)
			return off;
		off += 3 + ((size_t)buf[off + 1] << 8 | buf[off + 2]);
	}
	fail_msg("no tag %u in the header", tag);
	return 0;
}

void tlf_resign(uint8_t *buf, size_t len, const char *name)
{
	/* The signature TLV is found by walking the header's top-level
	 * TLVs, not through the parser, which may refuse what the test
	 * changed. Tag 8 opens tag 7 in the files ward writes. */
	size_t at = tlf_header_field(buf, len, 12), sig_len, after;
	size_t info = tlf_header_field(buf, len, 7);
	EVP_PKEY *key = tlf_key_load(name);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const EVP_MD *md = buf[info + 6] == TRUSTLIST_DIGEST_SHA1 ? EVP_sha1()
			   : buf[info + 6] == TRUSTLIST_DIGEST_SHA512
			       ? EVP_sha512()
			       : EVP_sha256();
	size_t n;

	assert_int_equal(buf[info + 3], 8);
	sig_len = (size_t)buf[at + 1] << 8 | buf[at + 2];
	after = at + 3 + sig_len;
	n = sig_len;
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, md, NULL, key), 1);
	assert_int_equal(EVP_DigestSignUpdate(ctx, buf, at), 1);
	assert_int_equal(EVP_DigestSignUpdate(ctx, buf + after, len - after),
			 1);
	assert_int_equal(EVP_DigestSignFinal(ctx, buf + at + 3, &n), 1);
	assert_int_equal(n, sig_len);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
}

void tlf_splice(uint8_t **buf, size_t *len, size_t off, size_t del,
		const void *ins, size_t ins_len)
{
	size_t n = *len - del + ins_len;
	uint8_t *p = malloc(n ? n : 1);

	assert_non_null(p);
	assert_true(off + del <= *len);
	memcpy(p, *buf, off);
	if (ins_len)
		memcpy(p + off, ins, ins_len);
	memcpy(p + off + ins_len, *buf + off + del, *len - off - del);
	free(*buf);
	*buf = p;
	*len = n;
}

char *tlf_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *dir;

	if (!base || !*base)
		base = "/tmp";
	assert_true(asprintf(&dir, "%s/ward-trustlist-test.XXXXXX", base) > 0);
	assert_non_null(mkdtemp(dir));
	return dir;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void tlf_rmdir(char *dir)
{
	if (dir == NULL)
		return;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

struct trustlist *tlf_parse(const uint8_t *buf, size_t len, int sgn)
{
	struct trustlist *tl = NULL;
	char err[256] = "";
	int rc = sgn ? trustlist_sgn_parse(buf, len, &tl, err, sizeof err)
		     : trustlist_parse(buf, len, &tl, err, sizeof err);

	if (rc)
		fail_msg("parse: %s: %s", trustlist_strerror(rc), err);
	return tl;
}

/* ---- SoftHSM2 tokens ---------------------------------------------------- */

extern char **environ;

/* Runs ARGV (PATH lookup) with its output in DIR/tools.log; exit status. */
static int tlf_spawn(const char *dir, char *const argv[])
{
	posix_spawn_file_actions_t fa;
	char log[600];
	pid_t pid;
	int status;

	snprintf(log, sizeof log, "%s/tools.log", dir);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, log,
					 O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		return -1;
	posix_spawn_file_actions_destroy(&fa);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int tlf_softhsm_init(const char *dir)
{
	char conf[600], tokens[600];
	FILE *f;

	snprintf(tokens, sizeof tokens, "%s/tokens", dir);
	snprintf(conf, sizeof conf, "%s/softhsm2.conf", dir);
	if (mkdir(tokens, 0700) || (f = fopen(conf, "w")) == NULL)
		return -1;
	fprintf(f,
		"directories.tokendir = %s\nobjectstore.backend = file\n"
		"log.level = ERROR\n",
		tokens);
	fclose(f);
	return setenv("SOFTHSM2_CONF", conf, 1);
}

int tlf_token_make(const char *dir, const char *label, const char *name,
		   const char *id)
{
	char key[512], der[600];
	struct tlf_cert c;
	char *init[] = {"softhsm2-util", "--init-token",
			"--free",	 "--label",
			(char *)label,	 "--pin",
			"1234",		 "--so-pin",
			"5678",		 NULL};
	char *import[] = {"softhsm2-util", "--import", key,
			  "--label",	   "k",	       "--id",
			  (char *)id,	   "--token",  (char *)label,
			  "--pin",	   "1234",     NULL};
	char *cert[] = {"pkcs11-tool",	  "--module",	 TLF_SOFTHSM_MODULE,
			"--login",	  "--pin",	 "1234",
			"--write-object", der,		 "--type",
			"cert",		  "--id",	 (char *)id,
			"--token-label",  (char *)label, NULL};

	snprintf(key, sizeof key, "%s.key", tlf_path(name));
	snprintf(der, sizeof der, "%s/%s.der", dir, name);
	tlf_cert_load(name, &c);
	tlf_write(der, c.der, c.len);
	tlf_cert_free(&c);
	return tlf_spawn(dir, init) || tlf_spawn(dir, import) ||
		       tlf_spawn(dir, cert)
		   ? -1
		   : 0;
}
