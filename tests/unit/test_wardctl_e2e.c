/* wardctl end to end against a fake node: a TLS server on loopback with a
 * self-signed certificate, like a new wardd's, that records each request
 * and answers what the test set. Checks what goes over the wire (method,
 * path, credentials, body), the trust modes, and the exit codes. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tools/wardctl/pin.h"
#include "tools/wardctl/wardctl.h"

struct fake {
	SSL_CTX *ssl;
	int lfd;
	int port;
	pthread_t thread;
	atomic_int stop; /* set by teardown, read by the server thread */
	pthread_mutex_t lock;
	uint8_t fp[32];
	char fp_text[PIN_TEXT_LEN];
	char dir[64], cert_file[96], password_file[96], token_file[96];
	char url[64];

	/* The answer to give (under lock). */
	int status;
	char headers[256];
	char body[4096];

	/* The last request seen (under lock). */
	int requests;
	char method[16];
	char path[512];
	char auth[512]; /* the Authorization value, "" if none */
	char req_body[4096];

	/* wardctl's side. */
	struct wardctl ctx;
	char *out, *err;
	size_t out_len, err_len;
};

static void make_cert(struct fake *f)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	unsigned int n = 0;
	FILE *fp;

	assert_non_null(key);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)"fake-node", -1, -1,
				   0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
				  "IP:127.0.0.1");
	assert_non_null(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	assert_true(X509_digest(x, EVP_sha256(), f->fp, &n) && n == 32);
	pin_format(f->fp, f->fp_text);
	fp = fopen(f->cert_file, "w");
	assert_non_null(fp);
	PEM_write_X509(fp, x);
	fclose(fp);
	f->ssl = SSL_CTX_new(TLS_server_method());
	assert_int_equal(SSL_CTX_use_certificate(f->ssl, x), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(f->ssl, key), 1);
	X509_free(x);
	EVP_PKEY_free(key);
}

static const char *header_value(const char *head, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = strstr(head, "\r\n"); p; p = strstr(p, "\r\n")) {
		p += 2;
		if (strncasecmp(p, name, len) == 0 && p[len] == ':')
			return p + len + 1 + strspn(p + len + 1, " ");
	}
	return NULL;
}

/* Reads one request, records it and sends the set answer. */
static void serve(struct fake *f, SSL *s)
{
	char buf[16384], resp[8192];
	size_t len = 0, body_len = 0;
	const char *v;
	char *end = NULL;
	int n;

	while (len + 1 < sizeof buf) {
		n = SSL_read(s, buf + len, (int)(sizeof buf - 1 - len));
		if (n <= 0)
			return;
		len += (size_t)n;
		buf[len] = '\0';
		if (!end && (end = strstr(buf, "\r\n\r\n"))) {
			*end = '\0';
			v = header_value(buf, "Content-Length");
			body_len = v ? strtoul(v, NULL, 10) : 0;
			end += 4;
		}
		if (end && (size_t)(buf + len - end) >= body_len)
			break;
	}
	if (!end)
		return;
	pthread_mutex_lock(&f->lock);
	f->requests++;
	sscanf(buf, "%15s %511s", f->method, f->path);
	v = header_value(buf, "Authorization");
	snprintf(f->auth, sizeof f->auth, "%.*s", v ? (int)strcspn(v, "\r") : 0,
		 v ? v : "");
	snprintf(f->req_body, sizeof f->req_body, "%.*s", (int)body_len, end);
	n = snprintf(resp, sizeof resp,
		     "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n%s\r\n%s",
		     f->status, strlen(f->body), f->headers, f->body);
	pthread_mutex_unlock(&f->lock);
	SSL_write(s, resp, n);
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	struct timeval tv = {.tv_sec = 5};

	while (!atomic_load(&f->stop)) {
		int fd = accept(f->lfd, NULL, NULL);
		SSL *s;

		if (fd < 0)
			continue; /* woken by shutdown() when stopping */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		s = SSL_new(f->ssl);
		SSL_set_fd(s, fd);
		if (SSL_accept(s) == 1) {
			serve(f, s);
			SSL_shutdown(s);
		}
		SSL_free(s);
		close(fd);
	}
	return NULL;
}

static void write_file(const char *path, const char *content)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(content, fp);
	fclose(fp);
}

static void env_clear(void)
{
	static const char *const vars[] = {
	    "WARD_URL",		"WARD_USER",	      "WARD_PASSWORD",
	    "WARD_CACERT",	"WARD_PASSWORD_FILE", "WARD_FINGERPRINT",
	    "WARD_NEW_PASSWORD"};

	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
		unsetenv(vars[i]);
}

static int no_prompt(void *arg, const char *prompt, char *buf, size_t cap)
{
	errno = ENXIO;
	return -1;
}

static int setup(void **state)
{
	struct fake *f = calloc(1, sizeof *f);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t salen = sizeof sa;

	env_clear();
	strcpy(f->dir, "/tmp/test_wardctl_e2e.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->cert_file, sizeof f->cert_file, "%s/cert.pem", f->dir);
	snprintf(f->password_file, sizeof f->password_file, "%s/pw", f->dir);
	snprintf(f->token_file, sizeof f->token_file, "%s/init.token", f->dir);
	write_file(f->password_file, "pw-from-file\n");
	make_cert(f);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(f->lfd, 8), 0);
	getsockname(f->lfd, (struct sockaddr *)&sa, &salen);
	f->port = ntohs(sa.sin_port);
	snprintf(f->url, sizeof f->url, "https://127.0.0.1:%d", f->port);
	pthread_mutex_init(&f->lock, NULL);
	f->status = 200;
	strcpy(f->body, "{}");
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
	wardctl_init(&f->ctx);
	f->ctx.out = open_memstream(&f->out, &f->out_len);
	f->ctx.err = open_memstream(&f->err, &f->err_len);
	f->ctx.prompt = no_prompt;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;

	atomic_store(&f->stop, 1);
	shutdown(f->lfd, SHUT_RDWR);
	pthread_join(f->thread, NULL);
	close(f->lfd);
	SSL_CTX_free(f->ssl);
	pthread_mutex_destroy(&f->lock);
	unlink(f->cert_file);
	unlink(f->password_file);
	unlink(f->token_file);
	rmdir(f->dir);
	fclose(f->ctx.out);
	fclose(f->ctx.err);
	free(f->out);
	free(f->err);
	wardctl_close(&f->ctx);
	free(f);
	env_clear();
	return 0;
}

static void answer(struct fake *f, int status, const char *body,
		   const char *headers)
{
	pthread_mutex_lock(&f->lock);
	f->status = status;
	snprintf(f->body, sizeof f->body, "%s", body);
	snprintf(f->headers, sizeof f->headers, "%s", headers ? headers : "");
	pthread_mutex_unlock(&f->lock);
}

/* Runs wardctl against the fake with the NULL-terminated words after
 * "wardctl"; "--url" is prepended. */
static int run(struct fake *f, ...)
{
	char *argv[32] = {"wardctl", "--url", f->url};
	int argc = 3, rc;
	va_list ap;

	va_start(ap, f);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	rc = wardctl_run(&f->ctx, argc, argv);
	fflush(f->ctx.out);
	fflush(f->ctx.err);
	return rc;
}

static int requests(struct fake *f)
{
	int n;

	pthread_mutex_lock(&f->lock);
	n = f->requests;
	pthread_mutex_unlock(&f->lock);
	return n;
}

/* "Basic " + base64("admin:pw-from-file"). */
static void expect_basic_auth(struct fake *f, const char *user,
			      const char *password)
{
	char plain[128], want[256] = "Basic ";

	snprintf(plain, sizeof plain, "%s:%s", user, password);
	EVP_EncodeBlock((unsigned char *)want + 6, (unsigned char *)plain,
			(int)strlen(plain));
	assert_string_equal(f->auth, want);
}

static const char status_json[] =
    "{\"cluster\": {\"id\": \"c-1\", \"name\": \"prod\"}, \"leader\":"
    " {\"id\": 1, \"name\": \"n1\"}, \"members\": [{\"id\": 1, \"name\":"
    " \"n1\", \"role\": \"voter\", \"state\": \"running\", \"term\": 3,"
    " \"applied_index\": 12, \"health\": \"ok\"}]}";

static void test_pinned_fingerprint_reaches_a_self_signed_node(void **state)
{
	struct fake *f = *state;

	answer(f, 200, status_json, NULL);
	assert_int_equal(run(f, "--fingerprint", f->fp_text, "--password-file",
			     f->password_file, "cluster", "status", NULL),
			 WARDCTL_OK);
	assert_int_equal(requests(f), 1);
	assert_string_equal(f->method, "GET");
	assert_string_equal(f->path, "/v1/cluster/status");
	expect_basic_auth(f, "admin", "pw-from-file");
	assert_non_null(strstr(f->out, "Cluster  prod (id c-1)\n"));
	assert_non_null(strstr(f->out, "*  n1    voter  running  ok"));
	assert_int_equal(f->err_len, 0);
}

static void test_wrong_fingerprint_fails_before_any_request(void **state)
{
	struct fake *f = *state;
	uint8_t other[32];
	char other_text[PIN_TEXT_LEN];

	memcpy(other, f->fp, 32);
	other[31] ^= 1;
	pin_format(other, other_text);
	setenv("WARD_PASSWORD", "secret-pw", 1);
	assert_int_equal(
	    run(f, "--fingerprint", other_text, "node", "list", NULL),
	    WARDCTL_EUNREACHABLE);
	assert_int_equal(requests(f), 0);
	assert_non_null(strstr(f->err, "does not match"));
	assert_non_null(strstr(f->err, f->fp_text));
	assert_null(strstr(f->err, "secret-pw"));
}

static void test_system_trust_refuses_a_self_signed_node(void **state)
{
	struct fake *f = *state;

	setenv("WARD_PASSWORD", "secret-pw", 1);
	assert_int_equal(run(f, "node", "list", NULL), WARDCTL_EUNREACHABLE);
	assert_int_equal(requests(f), 0);
	assert_non_null(strstr(f->err, "not trusted"));
	/* The operator is told which certificate was presented. */
	assert_non_null(strstr(f->err, f->fp_text));
}

static void test_cacert_trusts_the_node_certificate(void **state)
{
	struct fake *f = *state;
	uint8_t other[32];
	char other_text[PIN_TEXT_LEN];

	setenv("WARD_PASSWORD", "pw-env", 1);
	answer(f, 200, "{\"nodes\": []}", NULL);
	assert_int_equal(run(f, "--cacert", f->cert_file, "node", "list", NULL),
			 WARDCTL_OK);
	expect_basic_auth(f, "admin", "pw-env");
	assert_non_null(strstr(f->out, "NAME  ID  STATE"));
	/* With both, both must hold. */
	memset(other, 7, sizeof other);
	pin_format(other, other_text);
	assert_int_equal(run(f, "--cacert", f->cert_file, "--fingerprint",
			     other_text, "node", "list", NULL),
			 WARDCTL_EUNREACHABLE);
	assert_int_equal(requests(f), 1);
}

static void test_401_exits_5(void **state)
{
	struct fake *f = *state;

	setenv("WARD_FINGERPRINT", f->fp_text, 1);
	setenv("WARD_PASSWORD", "wrong-pw", 1);
	answer(f, 401, "{\"error\": \"bad credentials\"}",
	       "WWW-Authenticate: Basic realm=\"ward\"\r\n");
	assert_int_equal(run(f, "--user", "ops", "admin", "list", NULL),
			 WARDCTL_EAUTH);
	expect_basic_auth(f, "ops", "wrong-pw");
	assert_non_null(strstr(f->err, "authentication failed for admin ops"));
	assert_null(strstr(f->err, "wrong-pw"));
	assert_int_equal(f->out_len, 0);
}

static void test_refusal_exits_2_with_the_server_message(void **state)
{
	struct fake *f = *state;

	setenv("WARD_FINGERPRINT", f->fp_text, 1);
	setenv("WARD_PASSWORD", "pw", 1);
	answer(f, 409, "{\"error\": \"node n2 exists\"}", NULL);
	assert_int_equal(run(f, "node", "add", "n2", "127.0.0.3:7000", NULL),
			 WARDCTL_EREFUSED);
	assert_string_equal(f->err,
			    "wardctl: node n2 exists (HTTP 409 Conflict)\n");
	answer(f, 400, "not json", NULL);
	assert_int_equal(run(f, "param", "set", "x", "y", NULL),
			 WARDCTL_EREFUSED);
	assert_non_null(strstr(f->err, "the server answered HTTP 400"));
}

static void test_unavailable_cluster_exits_4(void **state)
{
	struct fake *f = *state;

	setenv("WARD_FINGERPRINT", f->fp_text, 1);
	setenv("WARD_PASSWORD", "pw", 1);
	answer(f, 503, "{\"error\": \"no leader\"}", NULL);
	assert_int_equal(run(f, "param", "set", "a", "1", NULL),
			 WARDCTL_EUNAVAILABLE);
	assert_non_null(strstr(f->err, "no leader (HTTP 503"));
	answer(f, 200, "[1, 2]", NULL);
	assert_int_equal(run(f, "param", "list", NULL), WARDCTL_EUNAVAILABLE);
	assert_non_null(strstr(f->err, "not a JSON object"));
}

static void test_redirects_are_not_followed(void **state)
{
	struct fake *f = *state;

	setenv("WARD_FINGERPRINT", f->fp_text, 1);
	setenv("WARD_PASSWORD", "pw", 1);
	answer(f, 307, "{}", "Location: https://127.0.0.9:8443/v1/nodes\r\n");
	assert_int_equal(run(f, "node", "list", NULL), WARDCTL_EUNAVAILABLE);
	assert_int_equal(requests(f), 1);
	assert_non_null(strstr(f->err, "redirects to https://127.0.0.9:8443"));
}

static void test_cluster_init_sends_the_token_not_basic_auth(void **state)
{
	struct fake *f = *state;
	json_t *body;

	write_file(f->token_file, "init-token-123\n");
	setenv("WARD_PASSWORD", "first-admin-pw", 1);
	setenv("WARD_FINGERPRINT", f->fp_text, 1);
	/* The answer of node/admin/routes_init.c. */
	answer(f, 200,
	       "{\"cluster_id\": \"c-9\", \"name\": \"prod\", \"cluster_name\":"
	       " \"prod\", \"node_id\": 1, \"node_name\": \"n1\","
	       " \"ca_fingerprint\": \"sha256:00112233445566778899aabbccddeeff"
	       "00112233445566778899aabbccddeeff\"}",
	       NULL);
	assert_int_equal(run(f, "--user", "root", "cluster", "init",
			     "--token-file", f->token_file, "--name", "prod",
			     NULL),
			 WARDCTL_OK);
	assert_string_equal(f->method, "POST");
	assert_string_equal(f->path, "/v1/cluster/init");
	assert_string_equal(f->auth, "");
	body = json_loads(f->req_body, 0, NULL);
	assert_non_null(body);
	assert_string_equal(json_string_value(json_object_get(body, "token")),
			    "init-token-123");
	assert_string_equal(
	    json_string_value(json_object_get(body, "cluster_name")), "prod");
	assert_string_equal(json_string_value(json_object_get(body, "admin")),
			    "root");
	assert_string_equal(
	    json_string_value(json_object_get(body, "password")),
	    "first-admin-pw");
	json_decref(body);
	assert_non_null(strstr(f->out, "Cluster prod created, id c-9.\n"
				       "This node: n1 (node id 1). First "
				       "admin: root.\n"));
	assert_non_null(strstr(f->out, "node add NAME ADDRESS"));
	assert_null(strstr(f->out, "init-token-123"));
	/* The node serves its CA-issued certificate now: trust the CA. */
	assert_non_null(strstr(f->out, "Cluster CA: sha256:0011223344556677"));
	assert_non_null(strstr(f->out, "--cacert DATA/pki/ca.pem node add"));
	assert_non_null(strstr(f->out, "--ca-fingerprint sha256:00112233"));
}

static void test_node_add_prints_the_command_for_the_new_server(void **state)
{
	struct fake *f = *state;
	char body[512], want[512];

	setenv("WARD_FINGERPRINT", f->fp_text, 1);
	setenv("WARD_PASSWORD", "pw", 1);
	snprintf(body, sizeof body,
		 "{\"id\": 2, \"name\": \"n2\", \"token\": \"2.abc\","
		 " \"expires_ms\": 1700000000000, \"fingerprint\": \"%s\","
		 " \"ca_fingerprint\": \"sha256:%064d\"}",
		 f->fp_text, 7);
	answer(f, 201, body, NULL);
	assert_int_equal(run(f, "node", "add", "n2", "127.0.0.3:7000", NULL),
			 WARDCTL_OK);
	assert_string_equal(f->path, "/v1/nodes");
	assert_string_equal(f->req_body,
			    "{\"name\":\"n2\",\"address\":\"127.0.0.3:7000\"}");
	snprintf(want, sizeof want,
		 "  WARD_JOIN_TOKEN=2.abc wardd -c CONFIG --join %s "
		 "--ca-fingerprint sha256:%064d\n",
		 f->url, 7);
	assert_non_null(strstr(f->out, want));
	assert_null(strstr(f->out, "--token"));
	assert_null(strstr(f->out, "leader's certificate"));
}

static void test_json_prints_the_answer_for_scripts(void **state)
{
	struct fake *f = *state;
	json_t *got;

	setenv("WARD_FINGERPRINT", f->fp_text, 1);
	setenv("WARD_PASSWORD", "pw", 1);
	answer(f, 200, "{\"name\": \"sip.port\", \"value\": \"5060\"}", NULL);
	assert_int_equal(run(f, "param", "get", "sip.port", "--json", NULL),
			 WARDCTL_OK);
	got = json_loads(f->out, 0, NULL);
	assert_non_null(got);
	assert_string_equal(json_string_value(json_object_get(got, "value")),
			    "5060");
	json_decref(got);
}

static void test_param_commands_address_one_parameter(void **state)
{
	struct fake *f = *state;

	setenv("WARD_FINGERPRINT", f->fp_text, 1);
	setenv("WARD_PASSWORD", "pw", 1);
	answer(f, 200, "{\"name\": \"a b\", \"value\": \"5060\"}", NULL);
	assert_int_equal(run(f, "param", "get", "a b", NULL), WARDCTL_OK);
	assert_string_equal(f->path, "/v1/params/a%20b");
	assert_string_equal(f->out, "5060\n");
	assert_int_equal(run(f, "param", "set", "a b", "--", "-1", NULL),
			 WARDCTL_OK);
	assert_string_equal(f->method, "PUT");
	assert_string_equal(f->req_body, "{\"value\":\"-1\"}");
}

static void test_consistent_reads_ask_the_leader(void **state)
{
	struct fake *f = *state;

	setenv("WARD_FINGERPRINT", f->fp_text, 1);
	setenv("WARD_PASSWORD", "pw", 1);
	answer(f, 200, "{\"audit\": []}", NULL);
	assert_int_equal(run(f, "--consistent", "audit", "--limit", "5", NULL),
			 WARDCTL_OK);
	assert_string_equal(f->path, "/v1/audit?limit=5&consistent=1");
	answer(f, 200, "{\"nodes\": []}", NULL);
	assert_int_equal(run(f, "node", "list", NULL), WARDCTL_OK);
	assert_string_equal(f->path, "/v1/nodes?consistent=1");
}

static void test_admin_commands_send_the_new_password(void **state)
{
	struct fake *f = *state;

	setenv("WARD_FINGERPRINT", f->fp_text, 1);
	setenv("WARD_PASSWORD", "pw", 1);
	setenv("WARD_NEW_PASSWORD", "bobs-new-pw", 1);
	answer(f, 201, "{\"name\": \"bob\"}", NULL);
	assert_int_equal(run(f, "admin", "add", "bob", NULL), WARDCTL_OK);
	assert_string_equal(f->path, "/v1/admins");
	assert_string_equal(f->req_body,
			    "{\"name\":\"bob\",\"password\":\"bobs-new-pw\"}");
	expect_basic_auth(f, "admin", "pw");
	assert_non_null(strstr(f->out, "Admin bob added."));
	answer(f, 200, "{\"name\": \"bob\"}", NULL);
	assert_int_equal(run(f, "admin", "passwd", "--new-password-file",
			     f->password_file, "bob", NULL),
			 WARDCTL_OK);
	assert_string_equal(f->method, "PUT");
	assert_string_equal(f->path, "/v1/admins/bob/password");
	assert_string_equal(f->req_body, "{\"password\":\"pw-from-file\"}");
	answer(f, 200, "{\"removed\": \"bob\"}", NULL);
	assert_int_equal(run(f, "admin", "remove", "bob", NULL), WARDCTL_OK);
	assert_string_equal(f->method, "DELETE");
	assert_string_equal(f->path, "/v1/admins/bob");
	assert_null(strstr(f->out, "bobs-new-pw"));
	assert_null(strstr(f->out, "pw-from-file"));
}

static void test_membership_and_leadership_requests(void **state)
{
	struct fake *f = *state;

	setenv("WARD_FINGERPRINT", f->fp_text, 1);
	setenv("WARD_PASSWORD", "pw", 1);
	answer(f, 200, "{\"leader\": \"n2\"}", NULL);
	assert_int_equal(run(f, "leader", "transfer", NULL), WARDCTL_OK);
	assert_string_equal(f->path, "/v1/leader/transfer");
	assert_string_equal(f->req_body, "{}");
	assert_int_equal(run(f, "leader", "transfer", "n2", NULL), WARDCTL_OK);
	assert_string_equal(f->req_body, "{\"node\":\"n2\"}");
	assert_non_null(strstr(f->out, "The leader is now n2."));
	answer(f, 200, "{\"removed\": \"n3\"}", NULL);
	assert_int_equal(run(f, "node", "remove", "n3", NULL), WARDCTL_OK);
	assert_string_equal(f->method, "DELETE");
	assert_string_equal(f->path, "/v1/nodes/n3");
	assert_non_null(strstr(f->out, "Node n3 removed."));
	answer(f, 200, "{\"node\": {\"name\": \"n1\", \"state\": \"running\"}}",
	       NULL);
	assert_int_equal(run(f, "status", NULL), WARDCTL_OK);
	assert_string_equal(f->path, "/v1/status");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_pinned_fingerprint_reaches_a_self_signed_node),
	    T(test_wrong_fingerprint_fails_before_any_request),
	    T(test_system_trust_refuses_a_self_signed_node),
	    T(test_cacert_trusts_the_node_certificate),
	    T(test_401_exits_5),
	    T(test_refusal_exits_2_with_the_server_message),
	    T(test_unavailable_cluster_exits_4),
	    T(test_redirects_are_not_followed),
	    T(test_cluster_init_sends_the_token_not_basic_auth),
	    T(test_node_add_prints_the_command_for_the_new_server),
	    T(test_json_prints_the_answer_for_scripts),
	    T(test_param_commands_address_one_parameter),
	    T(test_consistent_reads_ask_the_leader),
	    T(test_admin_commands_send_the_new_password),
	    T(test_membership_and_leadership_requests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
