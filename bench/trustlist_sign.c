/* bench_trustlist_sign: what signing and checking the files phones read
 * costs — a .sgn of a 1, 2 and 4 KiB configuration file signed with
 * RSA-2048 and RSA-4096 (SHA-1, and SHA-512), an .enc.sgn of 4 KiB
 * (encrypted to an RSA-2048 device certificate and signed), verifying a
 * .sgn against the ITL, and building the ITL. Software keys (the tests'
 * fixed keys); a token signs far slower. Median of RUNS runs of N files.
 * Not a test: it prints figures and the conditions they were taken in.
 *
 *   bench_trustlist_sign [-n FILES] [-r RUNS]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "trustlist/sgn.h"
#include "trustlist/trustlist.h"

struct cert {
	uint8_t *der;
	int len;
	EVP_PKEY *key;
};

static void load(const char *name, struct cert *c)
{
	char path[1024];
	FILE *f;
	X509 *x;

	snprintf(path, sizeof path, "%s/%s.crt", BENCH_DATA, name);
	if ((f = fopen(path, "r")) == NULL ||
	    (x = PEM_read_X509(f, NULL, NULL, NULL)) == NULL) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	c->der = NULL;
	c->len = i2d_X509(x, &c->der);
	X509_free(x);
	snprintf(path, sizeof path, "%s/%s.key", BENCH_DATA, name);
	if ((f = fopen(path, "r")) == NULL ||
	    (c->key = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

enum job { SGN, ENC, VERIFY, ITL };

struct setup {
	const char *what;
	enum job job;
	struct cert *signer;
	enum trustlist_sig sig;
	size_t size;
};

static struct cert tftp, tftp4k, dev, cm, capf;
static struct trustlist *itl;

/* One file of S; returns 0 or exits. */
static void one(const struct setup *s, const uint8_t *content)
{
	struct trustlist_signer signer = {
	    s->signer->der, (size_t)s->signer->len, s->signer->key};
	struct trustlist_options o = {.sig = s->sig};
	uint8_t *out = NULL;
	size_t len;
	int rc = 0;

	switch (s->job) {
	case SGN:
		rc = trustlist_sgn_build("SEP001122334455.cnf.xml", content,
					 s->size, &signer, &o, &out, &len, NULL,
					 0);
		break;
	case ENC:
		rc = trustlist_encsgn_build("SEP001122334455.cnf.xml", content,
					    s->size, dev.der, (size_t)dev.len,
					    &signer, &o, &out, &len, NULL, 0);
		break;
	case VERIFY: {
		static uint8_t *file;
		static size_t file_len;
		struct trustlist *tl;

		if (!file && trustlist_sgn_build("SEP001122334455.cnf.xml",
						 content, s->size, &signer, &o,
						 &file, &file_len, NULL, 0))
			exit(1);
		rc = trustlist_sgn_parse(file, file_len, &tl, NULL, 0) ||
		     trustlist_sgn_verify(tl, itl, NULL, 0);
		trustlist_free(tl);
		break;
	}
	case ITL: {
		struct trustlist_entry e[3] = {
		    {TRUSTLIST_FN_TFTP, tftp.der, (size_t)tftp.len,
		     "node1.ward.test", "192.0.2.1"},
		    {TRUSTLIST_FN_CCM, cm.der, (size_t)cm.len,
		     "node1.ward.test", "192.0.2.1"},
		    {TRUSTLIST_FN_CAPF, capf.der, (size_t)capf.len, NULL, NULL},
		};

		rc = trustlist_build(TRUSTLIST_ITL, e, 3, &signer, &o, &out,
				     &len, NULL, 0);
		break;
	}
	}
	if (rc) {
		fprintf(stderr, "%s failed: %s\n", s->what,
			trustlist_strerror(rc));
		exit(1);
	}
	free(out);
}

int main(int argc, char **argv)
{
	int n = 200, runs = 5, opt;
	uint8_t content[4096];

	while ((opt = getopt(argc, argv, "n:r:")) != -1) {
		if (opt == 'n')
			n = atoi(optarg);
		else if (opt == 'r')
			runs = atoi(optarg);
		else {
			fprintf(stderr, "usage: %s [-n FILES] [-r RUNS]\n",
				argv[0]);
			return 2;
		}
	}
	if (n < 1 || runs < 1 || runs > 99)
		return 2;
	load("tftp1", &tftp);
	load("sast-4096", &tftp4k);
	load("ccm2", &dev);
	load("ccm1", &cm);
	load("capf", &capf);
	for (size_t i = 0; i < sizeof content; i++)
		content[i] = (uint8_t)("<cfg>x</cfg>\n"[i % 13]);
	{
		struct trustlist_signer sg = {tftp.der, (size_t)tftp.len,
					      tftp.key};
		struct trustlist_entry e = {TRUSTLIST_FN_TFTP, tftp.der,
					    (size_t)tftp.len, NULL, NULL};
		uint8_t *f;
		size_t l;

		if (trustlist_build(TRUSTLIST_ITL, &e, 1, &sg, NULL, &f, &l,
				    NULL, 0) ||
		    trustlist_parse(f, l, &itl, NULL, 0))
			return 1;
		free(f);
	}

	const struct setup setups[] = {
	    {".sgn 1 KiB, RSA-2048 SHA-1", SGN, &tftp, TRUSTLIST_SIG_RSA_SHA1,
	     1024},
	    {".sgn 2 KiB, RSA-2048 SHA-1", SGN, &tftp, TRUSTLIST_SIG_RSA_SHA1,
	     2048},
	    {".sgn 4 KiB, RSA-2048 SHA-1", SGN, &tftp, TRUSTLIST_SIG_RSA_SHA1,
	     4096},
	    {".sgn 4 KiB, RSA-2048 SHA-512", SGN, &tftp,
	     TRUSTLIST_SIG_RSA_SHA512, 4096},
	    {".sgn 4 KiB, RSA-4096 SHA-1", SGN, &tftp4k, TRUSTLIST_SIG_RSA_SHA1,
	     4096},
	    {".enc.sgn 4 KiB, RSA-2048", ENC, &tftp, TRUSTLIST_SIG_RSA_SHA1,
	     4096},
	    {"verify .sgn 4 KiB against the ITL", VERIFY, &tftp,
	     TRUSTLIST_SIG_RSA_SHA1, 4096},
	    {"ITL (4 records), RSA-2048 SHA-1", ITL, &tftp,
	     TRUSTLIST_SIG_RSA_SHA1, 0},
	};

	printf("bench_trustlist_sign: %d files per run, median of %d runs, "
	       "1 thread, %ld CPUs online, %s, software keys\n",
	       n, runs, sysconf(_SC_NPROCESSORS_ONLN),
	       OpenSSL_version(OPENSSL_VERSION));
	printf("%-40s %12s %12s\n", "", "files/s", "us/file");
	for (size_t i = 0; i < sizeof setups / sizeof *setups; i++) {
		double t[99];

		for (int r = 0; r < runs; r++) {
			double t0 = now_s();

			for (int k = 0; k < n; k++)
				one(&setups[i], content);
			t[r] = now_s() - t0;
		}
		qsort(t, (size_t)runs, sizeof *t, cmp);
		printf("%-40s %12.0f %12.1f\n", setups[i].what, n / t[runs / 2],
		       t[runs / 2] * 1e6 / n);
	}
	trustlist_free(itl);
	return 0;
}
