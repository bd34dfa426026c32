/* test_admin_harness: nodes of a test cluster in one process (real store,
 * real Raft, the admin API on its own event loop thread) and an HTTPS client
 * for them, shared by the admin end-to-end tests. */
#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <jansson.h>
#include <openssl/ssl.h>

#include "common/hex.h"
#include "consensus/consensus.h"
#include "node/admin/admin.h"
#include "node/join.h"
#include "node/tlscert.h"
#include "store/store.h"
#include "tests/unit/test_admin_harness.h"

struct node nodes[2];
char init_token[128];

static int free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static int raft_start(struct node *n, char *errmsg, size_t errcap)
{
	struct consensus_config cc = {
	    .id = n->id,
	    .address = n->raft_addr,
	    .dir = n->raft_dir,
	    .store = n->store,
	    .election_timeout_ms = 300,
	    .heartbeat_ms = 50,
	};

	return consensus_start(&cc, &n->consensus, errmsg, errcap);
}

/* admin hook, on the admin thread: what wardd's main does. */
static int bootstrap(void *arg, const char *cluster_id, char *errmsg,
		     size_t errcap)
{
	struct node *n = arg;

	(void)cluster_id;
	n->id = 1;
	if (consensus_bootstrap(n->raft_dir, 1, n->raft_addr, errmsg, errcap))
		return -1;
	if (raft_start(n, errmsg, errcap))
		return -1;
	admin_attach(n->admin, n->consensus, 1);
	return 0;
}

static void *loop_main(void *arg)
{
	struct node *n = arg;

	event_base_loop(n->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Store, certificate and admin API of a node; its loop does not run yet. */
void node_make(struct node *n, const char *name)
{
	struct admin_config ac;
	char errmsg[512];

	memset(n, 0, sizeof *n);
	snprintf(n->name, sizeof n->name, "%s", name);
	snprintf(n->dir, sizeof n->dir, "/tmp/ward-admin-e2e.XXXXXX");
	assert_non_null(mkdtemp(n->dir));
	snprintf(n->store_dir, sizeof n->store_dir, "%s/store", n->dir);
	snprintf(n->raft_dir, sizeof n->raft_dir, "%s/raft", n->dir);
	snprintf(n->cert, sizeof n->cert, "%s/https.pem", n->dir);
	snprintf(n->key, sizeof n->key, "%s/https.key", n->dir);
	assert_int_equal(mkdir(n->store_dir, 0700), 0);
	assert_int_equal(mkdir(n->raft_dir, 0700), 0);
	assert_int_equal(tlscert_ensure(n->cert, n->key, name, "127.0.0.1",
					errmsg, sizeof errmsg),
			 0);
	snprintf(n->raft_addr, sizeof n->raft_addr, "127.0.0.1:%d",
		 free_port());
	snprintf(n->admin_addr, sizeof n->admin_addr, "127.0.0.1:%d",
		 free_port());
	assert_int_equal(
	    store_open(n->store_dir, &n->store, errmsg, sizeof errmsg), 0);
	n->base = event_base_new();
	assert_non_null(n->base);
	ac = (struct admin_config){
	    .listen = n->admin_addr,
	    .cert_file = n->cert,
	    .key_file = n->key,
	    .data_dir = n->dir,
	    .node_name = n->name,
	    .raft_addr = n->raft_addr,
	    .admin_addr = n->admin_addr,
	    .hooks = {.bootstrap = bootstrap, .arg = n},
	    /* Failures are summarised each second here, not each minute. */
	    .limits = {.fail_summary_s = 1},
	};
	if (admin_new(n->base, &ac, n->store, &n->admin, errmsg,
		      sizeof errmsg) != 0)
		fail_msg("admin_new: %s", errmsg);
	snprintf(n->url, sizeof n->url, "https://%s", n->admin_addr);
}

void node_run(struct node *n)
{
	assert_int_equal(pthread_create(&n->thread, NULL, loop_main, n), 0);
	n->running = 1;
}

void node_stop(struct node *n)
{
	if (n->running) {
		event_base_loopexit(n->base, NULL);
		pthread_join(n->thread, NULL);
	}
	/* As wardd does: the admin goes first, Raft callbacks still owed
	 * land in its closed mailbox. */
	admin_free(n->admin);
	consensus_stop(n->consensus);
	event_base_free(n->base);
	store_close(n->store);
	nftw(n->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	memset(n, 0, sizeof *n);
}

int setup(void **state)
{
	char errmsg[256];

	(void)state;
	node_make(N1, "n1");
	assert_int_equal(admin_expect_init(N1->admin, errmsg, sizeof errmsg),
			 0);
	node_run(N1);
	return 0;
}

int teardown(void **state)
{
	(void)state;
	if (N2->base)
		node_stop(N2);
	node_stop(N1);
	return 0;
}

/* ---- the client ------------------------------------------------------- */

struct reply {
	long status;
	char body[256 * 1024];
	size_t len;
	char leader_hdr[80];
	int www_auth;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t add = size * n;

	if (r->len + add >= sizeof r->body)
		return 0;
	memcpy(r->body + r->len, p, add);
	r->len += add;
	r->body[r->len] = '\0';
	return add;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = size * n;

	if (len > 15 && strncasecmp(p, "X-Ward-Leader: ", 15) == 0)
		snprintf(r->leader_hdr, sizeof r->leader_hdr, "%.*s",
			 (int)strcspn(p + 15, "\r\n"), p + 15);
	if (len > 17 && strncasecmp(p, "WWW-Authenticate:", 17) == 0)
		r->www_auth = 1;
	return len;
}

/* Sends one request; USER may be NULL (no credentials). Returns the parsed
 * JSON answer (caller decrefs), status in *status. */
char last_leader_hdr[80];

json_t *call_node(struct node *n, const char *method, const char *path,
		  const char *body, const char *user, const char *pw,
		  long *status)
{
	static struct reply r;
	struct curl_slist *hdrs = NULL;
	char url[256], userpw[256];
	CURL *c = curl_easy_init();
	CURLcode cc;
	json_t *j;

	memset(&r, 0, sizeof r);
	assert_non_null(c);
	snprintf(url, sizeof url, "%s%s", n->url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	/* Each node has its own self-signed certificate: pin it. */
	curl_easy_setopt(c, CURLOPT_CAINFO, n->cert);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
	if (body) {
		hdrs =
		    curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	if (user) {
		snprintf(userpw, sizeof userpw, "%s:%s", user, pw);
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERPWD, userpw);
	}
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK)
		fail_msg("%s %s: %s", method, path, curl_easy_strerror(cc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	*status = r.status;
	memcpy(last_leader_hdr, r.leader_hdr, sizeof last_leader_hdr);
	j = json_loadb(r.body, r.len, 0, NULL);
	if (!j)
		fail_msg("%s %s: answer is not JSON: %s", method, path, r.body);
	if (r.status >= 400 && !json_is_string(json_object_get(j, "error")))
		fail_msg("%s %s: error without a reason", method, path);
	if (r.status == 401 && !r.www_auth)
		fail_msg("401 without WWW-Authenticate");
	return j;
}

json_t *call(const char *method, const char *path, const char *body,
	     const char *user, const char *pw, long *status)
{
	return call_node(N1, method, path, body, user, pw, status);
}

const char *str(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);

	return json_is_string(v) ? json_string_value(v) : "";
}

void init_cluster(void)
{
	char path[128], body[512];
	struct stat st;
	long status;
	json_t *j;
	FILE *f;

	snprintf(path, sizeof path, "%s/init.token", N1->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(init_token, sizeof init_token, f));
	fclose(f);
	init_token[strcspn(init_token, "\n")] = '\0';

	snprintf(body, sizeof body,
		 "{\"token\":\"%s\",\"cluster_name\":\"lab\",\"admin\":"
		 "\"root\",\"password\":\"root-password-1\"}",
		 init_token);
	j = call("POST", "/v1/cluster/init", body, NULL, NULL, &status);
	if (status != 200)
		fail_msg("init: %ld %s", status, str(j, "error"));
	assert_int_equal(strlen(str(j, "cluster_id")), 36);
	assert_int_equal(json_integer_value(json_object_get(j, "node_id")), 1);
	json_decref(j);
	assert_int_equal(stat(path, &st), -1); /* the token is spent */
}

int audit_has(const char *action, const char *needle)
{
	for (int tries = 0; tries < 80; tries++) {
		long status;
		json_t *j = call("GET", "/v1/audit?limit=50", NULL, ADMIN,
				 &status),
		       *rec;
		size_t i;
		int found = 0;

		assert_int_equal(status, 200);
		json_array_foreach(json_object_get(j, "audit"), i, rec)
		{
			if (strcmp(str(rec, "action"), action) == 0 &&
			    strstr(str(rec, "detail"), needle))
				found = 1;
		}
		json_decref(j);
		if (found)
			return 1;
		usleep(50000);
	}
	return 0;
}

/* ---- certificate reload ----------------------------------------------- */

struct reload_job {
	int done, rc;
	char errmsg[256];
};

static void reload_on_loop(evutil_socket_t fd, short what, void *arg)
{
	struct reload_job *job = arg;

	(void)fd;
	(void)what;
	job->rc = admin_reload(N1->admin, job->errmsg, sizeof job->errmsg);
	__atomic_store_n(&job->done, 1, __ATOMIC_RELEASE);
}

/* admin_reload belongs to the admin thread, as SIGHUP handling does. */
int reload_n1(void)
{
	struct reload_job job = {0};

	assert_int_equal(event_base_once(N1->base, -1, EV_TIMEOUT,
					 reload_on_loop, &job, NULL),
			 0);
	while (!__atomic_load_n(&job.done, __ATOMIC_ACQUIRE))
		usleep(1000);
	return job.rc;
}

/* ---- two nodes -------------------------------------------------------- */

char join_body[1024];

/* Adds N2 to N1's cluster as "wardd --join" does: its Raft server runs
 * before it asks, with the id the token names. */
void join_n2(void)
{
	char fptext[80], errmsg[256], token[128];
	struct join_pin pin = {.kind = JOIN_PIN_LEAF};
	struct join_keys keys = {0};
	struct join_result res;
	uint8_t fp[32];
	struct keystore *ks;
	long status;
	json_t *j;

	j = call("POST", "/v1/nodes",
		 "{\"name\":\"n2\",\"address\":\"127.0.0.1\"}", ADMIN, &status);
	assert_int_equal(status, 201);
	snprintf(token, sizeof token, "%s", str(j, "token"));
	node_make(N2, "n2");
	N2->id = (uint64_t)json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	/* Phase 1 as "wardd --join" does it, pinned to N1's certificate. */
	admin_fingerprint(N1->admin, pin.sha256);
	{
		struct join_request rq = {.url = N1->url,
					  .pin = &pin,
					  .token = token,
					  .name = "n2",
					  .raft_addr = N2->raft_addr,
					  .admin_addr = N2->admin_addr,
					  .timeout_s = 30};
		char cluster_id[37], kek_path[700];

		snprintf(kek_path, sizeof kek_path, "%s/kek", N2->dir);
		assert_int_equal(keystore_new(kek_path, &ks), KEYSTORE_OK);
		if (join_prepare(&rq, N2->id, N2->dir, N2->cert, N2->key, &keys,
				 ks, cluster_id, errmsg, sizeof errmsg) != 0)
			fail_msg("join/certs: %s", errmsg);
		/* N2's loop does not run yet: reload on this thread. */
		if (admin_reload(N2->admin, errmsg, sizeof errmsg) != 0)
			fail_msg("reload: %s", errmsg);
		if (raft_start(N2, errmsg, sizeof errmsg) != 0)
			fail_msg("raft: %s", errmsg);
		admin_attach(N2->admin, N2->consensus, N2->id);
		node_run(N2);
		admin_fingerprint(N2->admin, fp);
		hex_sha256_text(fp, fptext);
		/* The body a replay of the join sends (spent token). */
		snprintf(join_body, sizeof join_body,
			 "{\"token\":\"%s\",\"name\":\"n2\",\"raft_address\":"
			 "\"%s\",\"admin_address\":\"%s\",\"https_sha256\":"
			 "\"%s\"}",
			 token, N2->raft_addr, N2->admin_addr, fptext);
		if (join_cluster(&rq, ks, N2->id, &keys.set, fp, &res, errmsg,
				 sizeof errmsg) != 0)
			fail_msg("join: %s", errmsg);
		keystore_kek_release(ks);
		keystore_free(ks);
		assert_int_equal(res.node_id, N2->id);
		assert_string_equal(res.cluster_name, "lab");
		join_keys_clear(&keys);
	}
	/* n2 serves once the admins reached its replica. */
	for (int tries = 0;; tries++) {
		j = call_node(N2, "GET", "/v1/status", NULL, ADMIN, &status);
		json_decref(j);
		if (status == 200)
			break;
		assert_true(tries < 100);
		usleep(50000);
	}
}
