/* bench_admin_writer: one admin client writing a parameter at a steady
 * rate through one node, for bench/admin_failover.sh. Each write is a PUT
 * of sip_keepalive_s over one kept-alive HTTPS connection (a new one after
 * a failure), sent at its slot of the schedule or, if the one before ran
 * late, right after it. Prints one line per write ("<start ms> <took ms>
 * <HTTP status> <error>", status 0 when no answer came) and a summary:
 *
 *   done writes=N failed=F max_ms=M
 *
 * Usage: bench_admin_writer URL CA_FILE RATE SECONDS
 * (credentials in WARD_USER and WARD_PASSWORD). Not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

struct answer {
	char body[512];
	size_t len;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t add = size * n, room = sizeof a->body - 1 - a->len;

	memcpy(a->body + a->len, p, add < room ? add : room);
	a->len += add < room ? add : room;
	a->body[a->len] = '\0';
	return add;
}

int main(int argc, char **argv)
{
	const char *user = getenv("WARD_USER"), *pw = getenv("WARD_PASSWORD");
	struct curl_slist *h = NULL;
	unsigned long writes = 0, failed = 0;
	double rate, secs, t0, max_ms = 0;
	char url[512], userpw[256], hdr[64];
	CURL *c;

	if (argc != 5 || !user || !pw) {
		fprintf(stderr,
			"usage: WARD_USER=.. WARD_PASSWORD=.. "
			"bench_admin_writer URL CA_FILE RATE SECONDS\n");
		return 2;
	}
	rate = atof(argv[3]);
	secs = atof(argv[4]);
	if (rate <= 0 || secs <= 0)
		return 2;
	snprintf(url, sizeof url, "%s/v1/params/sip_keepalive_s", argv[1]);
	snprintf(userpw, sizeof userpw, "%s:%s", user, pw);
	/* The client's deadline, as wardctl says it. */
	snprintf(hdr, sizeof hdr, "X-Ward-Timeout: %d", 30);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, hdr);
	c = curl_easy_init();
	if (!c || !h)
		return 1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CAINFO, argv[2]);
	/* The cluster CA is the trust; loopback names are not the point. */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
	curl_easy_setopt(c, CURLOPT_USERPWD, userpw);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	t0 = now_ms();
	for (unsigned long i = 0;; i++) {
		double slot = t0 + i * 1e3 / rate, start, took;
		struct answer a = {0};
		char body[64];
		long status = 0;
		CURLcode cc;

		if (slot - t0 >= secs * 1e3)
			break;
		while (now_ms() < slot)
			usleep((useconds_t)((slot - now_ms()) * 1e3) + 1);
		snprintf(body, sizeof body, "{\"value\":\"%lu\"}",
			 10 + i % 3000);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
		start = now_ms();
		cc = curl_easy_perform(c);
		took = now_ms() - start;
		if (cc == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		a.body[strcspn(a.body, "\r\n")] = '\0';
		writes++;
		if (status != 200)
			failed++;
		if (took > max_ms)
			max_ms = took;
		printf("%.0f %.1f %ld %s\n", start - t0, took, status,
		       status == 200	? ""
		       : cc != CURLE_OK ? curl_easy_strerror(cc)
					: a.body);
	}
	printf("done writes=%lu failed=%lu max_ms=%.1f\n", writes, failed,
	       max_ms);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	curl_global_cleanup();
	return 0;
}
