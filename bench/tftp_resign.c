/* bench_tftp_resign: what a change costs the TFTP role's cache — a store
 * of N phones in mixed mode (a real LMDB store, the node's RSA-2048 TFTP
 * key), then:
 *   - first pass: every phone's SEP<MAC>.cnf.xml.sgn built and signed
 *     (what a cluster-wide security-mode change costs: every file anew);
 *   - a pass after an unrelated store change: every file re-rendered and
 *     found unchanged (no signature);
 *   - a pass after one phone changed: one signature, N-1 checks.
 * Median of RUNS runs of each pass.
 *
 *   bench_tftp_resign [PHONES] [RUNS] [cpu]   (cpu: CPU time, not wall)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "node/tftp/tftp_files.h"
#include "pki/pki.h"
#include "store/prov.h"
#include "store/store.h"

#define UUID "00000000-0000-4000-8000-000000000001"

static struct store *s;
static uint64_t idx;

static int use_cpu;

/* Wall time, or this process's CPU time: on a shared machine the wall
 * time counts other processes' turns too. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(use_cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC,
		      &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void apply(struct store_cmd *c)
{
	void *buf;
	size_t len;
	int rcs[1];
	unsigned n;

	if (store_cmd_finish(c, &buf, &len) != 0 ||
	    store_apply(s, ++idx, buf, len, rcs, 1, &n) != 0 || rcs[0] != 0) {
		fprintf(stderr, "apply failed\n");
		exit(1);
	}
	store_cmd_free(c);
	free(buf);
}

static struct store_cmd *cmd(void)
{
	struct store_cmd *c;

	store_cmd_new(&c, 1, 1000, "bench");
	return c;
}

static void dev_name(unsigned i, char out[16])
{
	snprintf(out, 16, "SEP%012X", i);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Fetches every phone's .sgn at generation GEN; seconds taken. */
static double pass(struct tftp_files *f, unsigned n, uint64_t gen)
{
	double t0 = now();
	char name[40], dev[16];

	for (unsigned i = 0; i < n; i++) {
		struct tftp_blob *b;
		const char *why;

		dev_name(i, dev);
		snprintf(name, sizeof name, "%s.cnf.xml.sgn", dev);
		if (tftp_files_get(f, gen, 1, name, &b, &why, NULL) !=
		    TFTP_FILES_OK) {
			fprintf(stderr, "%s: %s\n", name, why);
			exit(1);
		}
		tftp_blob_unref(b);
	}
	return now() - t0;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 2000;
	int runs = argc > 2 ? atoi(argv[2]) : 3;

	use_cpu = argc > 3 && strcmp(argv[3], "cpu") == 0;
	char dir[] = "/tmp/ward-bench-resign.XXXXXX", path[256], err[256];
	struct store_cluster cl = {.schema_version = STORE_SCHEMA_VERSION,
				   .security_mode = STORE_SECURITY_MIXED};
	struct store_node node = {.id = 1,
				  .name = "n1",
				  .admin_addr = "127.0.0.2:8443",
				  .state = STORE_NODE_VOTER,
				  .roles = STORE_ROLE_TFTP | STORE_ROLE_CAPF};
	struct store_phone_profile p;
	struct store_cmd *c;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	FILE *fp;
	double first[16], unchanged[16], one[16];
	size_t size = 0;
	uint64_t gen = 1;

	if (runs < 1 || runs > 16 || !mkdtemp(dir))
		return 2;
	snprintf(path, sizeof path, "%s/store", dir);
	mkdir(path, 0700);
	if (store_open(path, &s, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	snprintf(cl.id, sizeof cl.id, UUID);
	snprintf(cl.name, sizeof cl.name, "bench");
	c = cmd();
	store_cmd_put_cluster(c, &cl);
	store_cmd_put_node(c, STORE_OP_PUT, &node);
	store_phone_profile_default(STORE_DEVMODE_AUTHENTICATED, &p);
	store_cmd_put_phone_profile(c, STORE_OP_PUT, &p);
	apply(c);
	for (unsigned i = 0; i < n; i++) {
		struct store_device d = {.kind = STORE_DEVICE_PHONE,
					 .model = "8841",
					 .n_lines = 2,
					 .caps =
					     STORE_CAP_TLS | STORE_CAP_SRTP};

		dev_name(i, d.name);
		snprintf(d.profile, sizeof d.profile, "%s", p.name);
		snprintf(d.lines[0], sizeof d.lines[0], "%u", 10000 + i);
		snprintf(d.lines[1], sizeof d.lines[1], "%u", 50000 + i);
		snprintf(d.description, sizeof d.description,
			 "phone %u, floor %u", i, i % 7);
		c = cmd();
		store_cmd_put_device(c, NULL, &d);
		apply(c);
	}
	/* The node's TFTP key, as wardd keeps it in DATA/pki. */
	snprintf(path, sizeof path, "%s/pki", dir);
	mkdir(path, 0700);
	pki_key_generate(PKI_KEY_RSA2048, &key);
	pki_ca_create(key, UUID, "bench", 0, &cert, err, sizeof err);
	snprintf(path, sizeof path, "%s/pki/tftp.pem", dir);
	fp = fopen(path, "w");
	PEM_write_X509(fp, cert);
	fclose(fp);
	snprintf(path, sizeof path, "%s/pki/tftp.key", dir);
	fp = fopen(path, "w");
	PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL);
	fclose(fp);
	snprintf(path, sizeof path, "%s/pki", dir);

	for (int r = 0; r < runs; r++) {
		struct tftp_files *f;
		struct store_read *rd;
		struct store_device old, next;
		struct tftp_files_stats st;

		tftp_files_new(s, 1u << 30, &f);
		tftp_files_set_pki_dir(f, path);
		first[r] = pass(f, n, gen++);
		unchanged[r] = pass(f, n, gen++);
		store_read_begin(s, &rd);
		store_device_get(rd, "SEP000000000007", &old);
		store_read_end(rd);
		next = old;
		snprintf(next.description, sizeof next.description, "run %d",
			 r);
		c = cmd();
		store_cmd_put_device(c, &old, &next);
		apply(c);
		one[r] = pass(f, n, gen++);
		tftp_files_stats(f, &st);
		size = st.bytes / st.entries;
		tftp_files_free(f);
	}
	qsort(first, (size_t)runs, sizeof *first, cmp_d);
	qsort(unchanged, (size_t)runs, sizeof *unchanged, cmp_d);
	qsort(one, (size_t)runs, sizeof *one, cmp_d);
	printf("%u phones, signed config ~%zu bytes, RSA-2048 SHA-1, one "
	       "thread, median of %d runs, %s time:\n",
	       n, size, runs, use_cpu ? "CPU" : "wall");
	printf("  every file signed anew (security-mode change): %.3f s = "
	       "%.0f files/s, %.2f ms each -> 10000 phones: %.1f s\n",
	       first[runs / 2], n / first[runs / 2], first[runs / 2] * 1e3 / n,
	       first[runs / 2] / n * 10000);
	printf("  after an unrelated change (re-render, no signature): "
	       "%.3f s = %.1f us per file\n",
	       unchanged[runs / 2], unchanged[runs / 2] * 1e6 / n);
	printf("  after one phone changed (1 signature, %u checks): %.3f s\n",
	       n - 1, one[runs / 2]);
	store_close(s);
	EVP_PKEY_free(key);
	X509_free(cert);
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	if (system(path) != 0)
		return 1;
	return 0;
}
