/* End-to-end test of the admin API in one process: a real store, a real
 * single-node Raft (bootstrapped by the init call, on a free loopback port),
 * and the admin on its own event loop thread, driven over HTTPS with
 * libcurl exactly as a client would. */
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

#include "consensus/consensus.h"
#include "node/admin/admin.h"
#include "node/tlscert.h"
#include "store/store.h"

struct node {
	char name[16];
	uint64_t id;
	char dir[64];
	char store_dir[96], raft_dir[96], cert[96], key[96];
	char raft_addr[32], admin_addr[32], url[64];
	struct store *store;
	struct consensus *consensus;
	struct event_base *base;
	struct admin *admin;
	pthread_t thread;
	int running;
};

static struct node nodes[2];
static char init_token[128];

#define N1 (&nodes[0])
#define N2 (&nodes[1])

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
static void node_make(struct node *n, const char *name)
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
	};
	if (admin_new(n->base, &ac, n->store, &n->admin, errmsg,
		      sizeof errmsg) != 0)
		fail_msg("admin_new: %s", errmsg);
	snprintf(n->url, sizeof n->url, "https://%s", n->admin_addr);
}

static void node_run(struct node *n)
{
	assert_int_equal(pthread_create(&n->thread, NULL, loop_main, n), 0);
	n->running = 1;
}

static void node_stop(struct node *n)
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

static int setup(void **state)
{
	char errmsg[256];

	(void)state;
	node_make(N1, "n1");
	assert_int_equal(admin_expect_init(N1->admin, errmsg, sizeof errmsg),
			 0);
	node_run(N1);
	return 0;
}

static int teardown(void **state)
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
static char last_leader_hdr[80];

static json_t *call_node(struct node *n, const char *method, const char *path,
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

static json_t *call(const char *method, const char *path, const char *body,
		    const char *user, const char *pw, long *status)
{
	return call_node(N1, method, path, body, user, pw, status);
}

static const char *str(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);

	return json_is_string(v) ? json_string_value(v) : "";
}

#define ADMIN "root", "root-password-1"

static void init_cluster(void)
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

static void test_uninitialized_node_serves_status_and_init_only(void **s)
{
	long status;
	json_t *j;
	char body[512];

	(void)s;
	j = call("GET", "/v1/status", NULL, NULL, NULL, &status);
	assert_int_equal(status, 200);
	assert_string_equal(str(json_object_get(j, "node"), "state"),
			    "uninitialized");
	json_decref(j);
	j = call("GET", "/v1/nodes", NULL, ADMIN, &status);
	assert_int_equal(status, 503);
	json_decref(j);
	snprintf(body, sizeof body,
		 "{\"token\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
		 "\"cluster_name\":\"lab\",\"admin\":\"root\",\"password\":"
		 "\"root-password-1\"}");
	j = call("POST", "/v1/cluster/init", body, NULL, NULL, &status);
	assert_int_equal(status, 401);
	json_decref(j);

	init_cluster();
	j = call("GET", "/v1/status", NULL, ADMIN, &status);
	assert_int_equal(status, 200);
	assert_string_equal(str(json_object_get(j, "node"), "state"),
			    "running");
	assert_string_equal(str(json_object_get(j, "node"), "role"), "leader");
	assert_string_equal(str(json_object_get(j, "cluster"), "name"), "lab");
	json_decref(j);
	/* Once is enough. */
	snprintf(body, sizeof body,
		 "{\"token\":\"%s\",\"cluster_name\":\"lab2\",\"admin\":"
		 "\"root\",\"password\":\"root-password-1\"}",
		 init_token);
	j = call("POST", "/v1/cluster/init", body, NULL, NULL, &status);
	assert_int_equal(status, 409);
	json_decref(j);
}

/* The audit record of a failed login is written asynchronously. */
static int audit_has(const char *action, const char *needle)
{
	for (int tries = 0; tries < 40; tries++) {
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

static void test_wrong_password_is_401_and_audited(void **s)
{
	long status;
	json_t *j;

	(void)s;
	init_cluster();
	j = call("GET", "/v1/nodes", NULL, NULL, NULL, &status);
	assert_int_equal(status, 401);
	json_decref(j);
	j = call("GET", "/v1/nodes", NULL, "root", "not-the-password", &status);
	assert_int_equal(status, 401);
	json_decref(j);
	j = call("GET", "/v1/nodes", NULL, "mallory", "whatever-pass", &status);
	assert_int_equal(status, 401);
	json_decref(j);
	assert_true(audit_has("login.fail", "user=root peer=127.0.0.1"));
	assert_true(audit_has("login.fail", "user=mallory"));
	assert_true(audit_has("cluster.init", "cluster=lab"));
}

static void test_bad_requests_get_reasons(void **s)
{
	long status;
	json_t *j;

	(void)s;
	init_cluster();
	j = call("POST", "/v1/admins", "{\"name\":", ADMIN, &status);
	assert_int_equal(status, 400);
	assert_non_null(strstr(str(j, "error"), "JSON"));
	json_decref(j);
	j = call("POST", "/v1/admins", "{\"name\":\"bob\",\"password\":7}",
		 ADMIN, &status);
	assert_int_equal(status, 400);
	assert_non_null(strstr(str(j, "error"), "password"));
	json_decref(j);
	j = call("GET", "/v1/nope", NULL, ADMIN, &status);
	assert_int_equal(status, 404);
	json_decref(j);
	j = call("DELETE", "/v1/params", NULL, ADMIN, &status);
	assert_int_equal(status, 405);
	json_decref(j);
	j = call("GET", "/v1/params/no_such_param", NULL, ADMIN, &status);
	assert_int_equal(status, 404);
	json_decref(j);
	j = call("DELETE", "/v1/nodes/ghost", NULL, ADMIN, &status);
	assert_int_equal(status, 404);
	json_decref(j);
}

static void test_param_set_then_get_round_trips(void **s)
{
	long status;
	json_t *j;

	(void)s;
	init_cluster();
	j = call("PUT", "/v1/params/tftp_encrypted_config",
		 "{\"value\":\"yes\"}", ADMIN, &status);
	assert_int_equal(status, 200);
	assert_string_equal(str(j, "value"), "true"); /* canonical */
	json_decref(j);
	j = call("GET", "/v1/params/tftp_encrypted_config", NULL, ADMIN,
		 &status);
	assert_int_equal(status, 200);
	assert_string_equal(str(j, "value"), "true");
	json_decref(j);
	j = call("PUT", "/v1/params/sip_keepalive_s", "{\"value\":\"abc\"}",
		 ADMIN, &status);
	assert_int_equal(status, 400);
	json_decref(j);
	j = call("GET", "/v1/params?consistent=1", NULL, ADMIN, &status);
	assert_int_equal(status, 200);
	assert_true(json_array_size(json_object_get(j, "params")) >= 2);
	json_decref(j);
	assert_true(audit_has("param.set", "tftp_encrypted_config=true"));
}

static void test_new_admin_can_log_in_until_removed(void **s)
{
	long status;
	json_t *j;

	(void)s;
	init_cluster();
	j = call("POST", "/v1/admins",
		 "{\"name\":\"bob\",\"password\":\"bob-password\"}", ADMIN,
		 &status);
	assert_int_equal(status, 201);
	json_decref(j);
	j = call("POST", "/v1/admins",
		 "{\"name\":\"bob\",\"password\":\"bob-password\"}", ADMIN,
		 &status);
	assert_int_equal(status, 409);
	json_decref(j);
	j = call("GET", "/v1/admins", NULL, "bob", "bob-password", &status);
	assert_int_equal(status, 200);
	assert_int_equal(json_array_size(json_object_get(j, "admins")), 2);
	json_decref(j);
	j = call("PUT", "/v1/admins/bob/password",
		 "{\"password\":\"bob-password-2\"}", "bob", "bob-password",
		 &status);
	assert_int_equal(status, 200);
	json_decref(j);
	/* The cached credential died with the old password. */
	j = call("GET", "/v1/admins", NULL, "bob", "bob-password", &status);
	assert_int_equal(status, 401);
	json_decref(j);
	j = call("GET", "/v1/admins", NULL, "bob", "bob-password-2", &status);
	assert_int_equal(status, 200);
	json_decref(j);
	j = call("DELETE", "/v1/admins/bob", NULL, ADMIN, &status);
	assert_int_equal(status, 200);
	json_decref(j);
	j = call("GET", "/v1/admins", NULL, "bob", "bob-password-2", &status);
	assert_int_equal(status, 401);
	json_decref(j);
	j = call("DELETE", "/v1/admins/root", NULL, ADMIN, &status);
	assert_int_equal(status, 409); /* the last one */
	json_decref(j);
}

static void test_node_add_returns_a_token_once(void **s)
{
	uint8_t fp[32];
	char want[80], body[512];
	long status;
	json_t *j, *n;
	size_t i;
	int seen = 0;

	(void)s;
	init_cluster();
	j = call("POST", "/v1/nodes",
		 "{\"name\":\"n2\",\"address\":\"127.0.0.9\"}", ADMIN, &status);
	assert_int_equal(status, 201);
	assert_int_equal(json_integer_value(json_object_get(j, "id")), 2);
	assert_true(strncmp(str(j, "token"), "2.", 2) == 0);
	assert_int_equal(strlen(str(j, "token")), 2 + 43);
	assert_true(json_integer_value(json_object_get(j, "expires_ms")) > 0);
	admin_fingerprint(N1->admin, fp);
	tlscert_fingerprint_text(fp, want, sizeof want);
	assert_string_equal(str(j, "fingerprint"), want);
	json_decref(j);

	j = call("POST", "/v1/nodes",
		 "{\"name\":\"n2\",\"address\":\"127.0.0.9\"}", ADMIN, &status);
	assert_int_equal(status, 409);
	json_decref(j);
	j = call("GET", "/v1/nodes", NULL, ADMIN, &status);
	assert_int_equal(status, 200);
	json_array_foreach(json_object_get(j, "nodes"), i, n)
	{
		if (strcmp(str(n, "name"), "n2") == 0) {
			assert_string_equal(str(n, "state"), "joining");
			seen = 1;
		}
	}
	assert_true(seen);
	json_decref(j);

	/* A guessed token is refused and audited. */
	snprintf(
	    body, sizeof body,
	    "{\"token\":\"2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
	    "\"name\":\"n2\",\"raft_address\":\"127.0.0.9:9443\","
	    "\"admin_address\":\"127.0.0.9:8443\",\"https_sha256\":\"%s\"}",
	    want);
	j = call("POST", "/v1/join", body, NULL, NULL, &status);
	assert_int_equal(status, 401);
	json_decref(j);
	assert_true(audit_has("join.fail", "name=n2"));

	j = call("DELETE", "/v1/nodes/n2", NULL, ADMIN, &status);
	assert_int_equal(status, 200);
	assert_string_equal(str(j, "removed"), "n2");
	json_decref(j);
	j = call("GET", "/v1/cluster/status", NULL, ADMIN, &status);
	assert_int_equal(status, 200);
	assert_int_equal(json_array_size(json_object_get(j, "members")), 1);
	n = json_array_get(json_object_get(j, "members"), 0);
	assert_string_equal(str(n, "health"), "ok");
	assert_string_equal(str(n, "role"), "voter");
	json_decref(j);
}

/* ---- TLS -------------------------------------------------------------- */

/* One raw TLS connection to N1 asking for /v1/status; returns the session
 * (caller frees) and whether it was resumed from SESS. */
static SSL_SESSION *tls_visit(SSL_CTX *ctx, SSL_SESSION *sess, int *reused,
			      int *ok)
{
	static const char req[] = "GET /v1/status HTTP/1.1\r\nHost: n1\r\n"
				  "Connection: close\r\n\r\n";
	struct sockaddr_in sa = {.sin_family = AF_INET};
	char buf[4096];
	SSL_SESSION *out = NULL;
	SSL *ssl;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	*ok = 0;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)admin_port(N1->admin));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (sess)
		SSL_set_session(ssl, sess);
	if (SSL_connect(ssl) == 1) {
		*ok = 1;
		*reused = SSL_session_reused(ssl);
		SSL_write(ssl, req, (int)strlen(req));
		/* Reading the answer also takes in the TLS 1.3 tickets. */
		while (SSL_read(ssl, buf, sizeof buf) > 0)
			;
		out = SSL_get1_session(ssl);
		SSL_shutdown(ssl);
	}
	SSL_free(ssl);
	close(fd);
	return out;
}

static void test_tls_sessions_resume_and_old_versions_are_refused(void **s)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL_SESSION *first, *second;
	int reused = -1, ok;

	(void)s;
	assert_non_null(ctx);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT);
	first = tls_visit(ctx, NULL, &reused, &ok);
	assert_true(ok);
	assert_non_null(first);
	assert_int_equal(reused, 0);
	second = tls_visit(ctx, first, &reused, &ok);
	assert_true(ok);
	assert_int_equal(reused, 1);
	SSL_SESSION_free(first);
	SSL_SESSION_free(second);
	/* TLS 1.2 resumes too (session cache or ticket). */
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	first = tls_visit(ctx, NULL, &reused, &ok);
	assert_true(ok);
	second = tls_visit(ctx, first, &reused, &ok);
	assert_true(ok);
	assert_int_equal(reused, 1);
	SSL_SESSION_free(first);
	SSL_SESSION_free(second);
	/* Nothing older than TLS 1.2. */
	SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION);
	SSL_CTX_set_security_level(ctx, 0);
	first = tls_visit(ctx, NULL, &reused, &ok);
	assert_false(ok);
	assert_null(first);
	SSL_CTX_free(ctx);
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
static int reload_n1(void)
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

static char join_body[1024];

/* Adds N2 to N1's cluster as "wardd --join" does: its Raft server runs
 * before it asks, with the id the token names. */
static void join_n2(void)
{
	char fptext[80], errmsg[256], token[128];
	uint8_t fp[32];
	long status;
	json_t *j;

	j = call("POST", "/v1/nodes",
		 "{\"name\":\"n2\",\"address\":\"127.0.0.1\"}", ADMIN, &status);
	assert_int_equal(status, 201);
	snprintf(token, sizeof token, "%s", str(j, "token"));
	node_make(N2, "n2");
	N2->id = (uint64_t)json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	if (raft_start(N2, errmsg, sizeof errmsg) != 0)
		fail_msg("raft: %s", errmsg);
	admin_attach(N2->admin, N2->consensus, N2->id);
	node_run(N2);
	admin_fingerprint(N2->admin, fp);
	tlscert_fingerprint_text(fp, fptext, sizeof fptext);
	snprintf(join_body, sizeof join_body,
		 "{\"token\":\"%s\",\"name\":\"n2\",\"raft_address\":\"%s\","
		 "\"admin_address\":\"%s\",\"https_sha256\":\"%s\"}",
		 token, N2->raft_addr, N2->admin_addr, fptext);
	j = call("POST", "/v1/join", join_body, NULL, NULL, &status);
	if (status != 200)
		fail_msg("join: %ld %s", status, str(j, "error"));
	assert_int_equal(json_integer_value(json_object_get(j, "node_id")),
			 N2->id);
	assert_string_equal(str(j, "cluster_name"), "lab");
	json_decref(j);
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

static void test_follower_forwards_to_the_pinned_leader(void **s)
{
	char errmsg[256];
	long status;
	json_t *j, *m;
	size_t i;

	(void)s;
	init_cluster();
	join_n2();
	j = call("POST", "/v1/join", join_body, NULL, NULL, &status);
	assert_int_equal(status, 409); /* the token is spent */
	json_decref(j);

	j = call_node(N2, "PUT", "/v1/params/sip_keepalive_s",
		      "{\"value\":\"45\"}", ADMIN, &status);
	assert_int_equal(status, 200);
	assert_string_equal(last_leader_hdr, "n1");
	assert_string_equal(str(j, "value"), "45");
	json_decref(j);
	j = call("GET", "/v1/params/sip_keepalive_s", NULL, ADMIN, &status);
	assert_string_equal(str(j, "value"), "45");
	json_decref(j);
	j = call_node(N2, "GET", "/v1/params/sip_keepalive_s?consistent=1",
		      NULL, ADMIN, &status);
	assert_int_equal(status, 200);
	assert_string_equal(str(j, "value"), "45");
	json_decref(j);

	/* Only the leader writes audit records: n2 relays the failure. */
	j = call_node(N2, "GET", "/v1/nodes", NULL, "root", "wrong-password",
		      &status);
	assert_int_equal(status, 401);
	json_decref(j);
	assert_true(audit_has("login.fail", "via n2"));

	j = call("GET", "/v1/cluster/status", NULL, ADMIN, &status);
	assert_int_equal(status, 200);
	assert_int_equal(json_array_size(json_object_get(j, "members")), 2);
	json_array_foreach(json_object_get(j, "members"), i, m)
	{
		assert_true(json_is_true(json_object_get(m, "reachable")));
		assert_string_equal(str(m, "role"), "voter");
		assert_string_equal(str(m, "state"), "voter");
		assert_string_equal(str(m, "health"), "ok");
	}
	assert_string_equal(str(json_object_get(j, "leader"), "name"), "n1");
	json_decref(j);

	/* A leader whose certificate is not the one on record is not
	 * trusted with credentials: nothing is relayed. */
	unlink(N1->cert);
	unlink(N1->key);
	assert_int_equal(tlscert_ensure(N1->cert, N1->key, "n1", "127.0.0.1",
					errmsg, sizeof errmsg),
			 0);
	assert_int_equal(reload_n1(), 0);
	j = call_node(N2, "PUT", "/v1/params/sip_keepalive_s",
		      "{\"value\":\"46\"}", ADMIN, &status);
	assert_int_equal(status, 503);
	assert_non_null(strstr(str(j, "error"), "could not be reached"));
	json_decref(j);
	j = call("GET", "/v1/params/sip_keepalive_s", NULL, ADMIN, &status);
	assert_string_equal(str(j, "value"), "45");
	json_decref(j);
}

static void test_leadership_moves_and_the_old_leader_leaves(void **s)
{
	long status;
	json_t *j;

	(void)s;
	init_cluster();
	join_n2();
	/* Asked of the follower, done by the leader. */
	j = call_node(N2, "POST", "/v1/leader/transfer", "{\"node\":\"n2\"}",
		      ADMIN, &status);
	if (status != 200)
		fail_msg("transfer: %ld %s", status, str(j, "error"));
	assert_string_equal(str(j, "leader"), "n2");
	json_decref(j);
	j = call("PUT", "/v1/params/sip_keepalive_s", "{\"value\":\"50\"}",
		 ADMIN, &status);
	assert_int_equal(status, 200);
	assert_string_equal(last_leader_hdr, "n2");
	json_decref(j);
	/* Back to n1, then n1 removes itself: it hands leadership over
	 * first and the new leader takes it out. */
	j = call("POST", "/v1/leader/transfer", "{}", ADMIN, &status);
	assert_int_equal(status, 200);
	assert_string_equal(str(j, "leader"), "n1");
	json_decref(j);
	j = call("DELETE", "/v1/nodes/n1", NULL, ADMIN, &status);
	if (status != 200)
		fail_msg("remove: %ld %s", status, str(j, "error"));
	assert_string_equal(str(j, "removed"), "n1");
	json_decref(j);
	j = call_node(N2, "GET", "/v1/nodes", NULL, ADMIN, &status);
	assert_int_equal(status, 200);
	assert_int_equal(json_array_size(json_object_get(j, "nodes")), 1);
	json_decref(j);
}

static void test_reload_swaps_the_certificate_or_keeps_the_old(void **s)
{
	uint8_t before[32], after[32];
	char errmsg[256];
	long status;
	json_t *j;
	FILE *f;

	(void)s;
	admin_fingerprint(N1->admin, before);
	/* A broken file: refused, the old certificate stays in use. */
	f = fopen(N1->key, "w");
	assert_non_null(f);
	fputs("not a key\n", f);
	fclose(f);
	assert_int_equal(reload_n1(), -1);
	admin_fingerprint(N1->admin, after);
	assert_memory_equal(before, after, 32);
	j = call("GET", "/v1/status", NULL, NULL, NULL, &status);
	assert_int_equal(status, 200);
	json_decref(j);
	/* A new pair: new connections get it (curl now trusts only it). */
	unlink(N1->cert);
	unlink(N1->key);
	assert_int_equal(tlscert_ensure(N1->cert, N1->key, "n1", "127.0.0.1",
					errmsg, sizeof errmsg),
			 0);
	assert_int_equal(reload_n1(), 0);
	admin_fingerprint(N1->admin, after);
	assert_memory_not_equal(before, after, 32);
	j = call("GET", "/v1/status", NULL, NULL, NULL, &status);
	assert_int_equal(status, 200);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_uninitialized_node_serves_status_and_init_only, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_wrong_password_is_401_and_audited, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_requests_get_reasons,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_param_set_then_get_round_trips,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_new_admin_can_log_in_until_removed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_node_add_returns_a_token_once,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_tls_sessions_resume_and_old_versions_are_refused, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_reload_swaps_the_certificate_or_keeps_the_old, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_follower_forwards_to_the_pinned_leader, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_leadership_moves_and_the_old_leader_leaves, setup,
		teardown),
	};
	int rc;

	evthread_use_pthreads();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
