/* wardd: the node daemon. Wires the store, consensus and the roles together
 * in one start-up ladder that unwinds in reverse, and owns the process
 * lifecycle: first start, joining, signals, leaving. Its parts:
 * wardd_cluster.c (consensus, certificate watcher, bootstrap, join) and
 * wardd_checks.c (the data directory's checks). */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <openssl/crypto.h>

#include "common/addr.h"
#include "common/log.h"
#include "consensus/consensus.h"
#include "keystore/keystore.h"
#include "node/admin/admin.h"
#include "node/certs.h"
#include "node/config.h"
#include "node/identity.h"
#include "node/join.h"
#include "node/nodepki.h"
#include "node/privdrop.h"
#include "node/tftp/tftp.h"
#include "node/tlscert.h"
#include "node/wardd.h"
#include "store/fault.h"
#include "store/store.h"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: wardd -c CONFIG [options]\n"
	    "  -c, --config FILE        settings (INI, see docs/wardd.md)\n"
	    "  -n, --check              check the configuration and exit\n"
	    "  -s, --set SECTION.KEY=VALUE  override a setting\n"
	    "      --join URL           join the cluster a member of which "
	    "answers at URL\n"
	    "      --token TOKEN        join token from 'wardctl node add'\n"
	    "      --token-file FILE    the same, read from FILE (or env "
	    "WARD_JOIN_TOKEN)\n"
	    "      --ca-fingerprint FP  sha256 fingerprint of the cluster CA "
	    "(printed by\n"
	    "                           'wardctl node add'): the member's "
	    "certificate\n"
	    "                           must be issued by that CA\n"
	    "      --fingerprint FP     or: sha256 fingerprint of that "
	    "member's own\n"
	    "                           certificate\n"
	    "      --rebuild-store      set a damaged store aside and rebuild "
	    "it from the Raft log\n"
	    "  -h, --help\n");
}

static void wardd_stop_now(struct wardd *w)
{
	event_base_loopbreak(w->base);
}

static void wardd_on_transferred(void *arg, int rc)
{
	struct wardd *w = arg;

	/* Raft thread. */
	if (rc != 0)
		log_warn(TAG, "leadership transfer: %s",
			 consensus_strerror(rc));
	event_active(w->ev_stop, 0, 0);
}

void wardd_begin_stop(struct wardd *w, const char *why)
{
	struct consensus_status st;
	struct timeval deadline = {3, 0};

	if (w->stopping)
		return;
	w->stopping = 1;
	log_info(TAG, "stopping (%s)", why);
	event_add(w->ev_deadline, &deadline);
	if (w->consensus) {
		consensus_status_get(w->consensus, &st);
		if (st.role == CONSENSUS_ROLE_LEADER && st.n_members > 1 &&
		    consensus_transfer(w->consensus, 0, wardd_on_transferred,
				       w) == 0) {
			log_info(TAG, "handing leadership over");
			return;
		}
	}
	wardd_stop_now(w);
}

static void wardd_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct wardd *w = arg;
	char errmsg[256];
	struct config fresh;
	enum log_level lvl;

	(void)what;
	if (sig != SIGHUP) {
		wardd_begin_stop(w, sig == SIGTERM ? "SIGTERM" : "SIGINT");
		return;
	}
	/* Reload what can change at run time: log level, certificate. */
	config_defaults(&fresh);
	if (w->cfg_path &&
	    config_load(&fresh, w->cfg_path, errmsg, sizeof errmsg) != 0) {
		log_error(TAG, "SIGHUP: %s; keeping the running settings",
			  errmsg);
		return;
	}
	if (w->cfg_path && log_level_parse(fresh.log_level, &lvl) == 0)
		log_set_level(lvl);
	if (w->admin && admin_reload(w->admin, errmsg, sizeof errmsg) != 0)
		log_error(TAG, "SIGHUP: certificate: %s", errmsg);
	log_info(TAG, "reloaded");
}

static void wardd_on_change_main(evutil_socket_t fd, short what, void *arg)
{
	struct wardd *w = arg;
	struct consensus_status st;

	(void)fd;
	(void)what;
	if (!w->consensus)
		return;
	consensus_status_get(w->consensus, &st);
	if (st.removed && !w->stopping) {
		log_info(TAG, "this node was removed from the cluster");
		wardd_begin_stop(w, "removed");
	}
	wardd_certs_look(w);
}

static void wardd_on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	wardd_stop_now(arg);
}

struct wardd_args {
	int check;
	const char *join_url, *token, *token_file;
	const char *fingerprint, *ca_fingerprint;
	int rebuild_store;
};

static int wardd_parse(struct wardd *w, int argc, char **argv,
		       struct wardd_args *args)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"check", no_argument, NULL, 'n'},
	    {"set", required_argument, NULL, 's'},
	    {"join", required_argument, NULL, 'J'},
	    {"token", required_argument, NULL, 'T'},
	    {"token-file", required_argument, NULL, 'F'},
	    {"fingerprint", required_argument, NULL, 'P'},
	    {"ca-fingerprint", required_argument, NULL, 'C'},
	    {"rebuild-store", no_argument, NULL, 'R'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	char errmsg[512];
	int ch;

	/* Settings from the file first, then the --set overrides. */
	for (int i = 1; i < argc - 1; i++)
		if (strcmp(argv[i], "-c") == 0 ||
		    strcmp(argv[i], "--config") == 0)
			w->cfg_path = argv[i + 1];
	if (w->cfg_path &&
	    config_load(&w->cfg, w->cfg_path, errmsg, sizeof errmsg) != 0) {
		fprintf(stderr, "wardd: %s\n", errmsg);
		return -1;
	}
	while ((ch = getopt_long(argc, argv, "c:ns:h", opts, NULL)) != -1) {
		char key[128], *eq;

		switch (ch) {
		case 'c':
			break;
		case 'n':
			args->check = 1;
			break;
		case 's':
			eq = strchr(optarg, '=');
			if (!eq || (size_t)(eq - optarg) >= sizeof key) {
				fprintf(
				    stderr,
				    "wardd: --set wants SECTION.KEY=VALUE\n");
				return -1;
			}
			memcpy(key, optarg, (size_t)(eq - optarg));
			key[eq - optarg] = '\0';
			if (config_set(&w->cfg, key, eq + 1, errmsg,
				       sizeof errmsg) != 0) {
				fprintf(stderr, "wardd: --set %s\n", errmsg);
				return -1;
			}
			break;
		case 'J':
			args->join_url = optarg;
			break;
		case 'T':
			args->token = optarg;
			break;
		case 'F':
			args->token_file = optarg;
			break;
		case 'P':
			args->fingerprint = optarg;
			break;
		case 'C':
			args->ca_fingerprint = optarg;
			break;
		case 'R':
			args->rebuild_store = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	if (config_check(&w->cfg, errmsg, sizeof errmsg) != 0) {
		fprintf(stderr, "wardd: %s\n", errmsg);
		return -1;
	}
	return 0;
}

static int wardd_make_events(struct wardd *w)
{
	static const int sigs[3] = {SIGTERM, SIGINT, SIGHUP};

	for (int i = 0; i < 3; i++) {
		w->ev_signal[i] =
		    evsignal_new(w->base, sigs[i], wardd_on_signal, w);
		if (!w->ev_signal[i] || evsignal_add(w->ev_signal[i], NULL))
			return -1;
	}
	w->ev_change = event_new(w->base, -1, 0, wardd_on_change_main, w);
	w->ev_stop = event_new(w->base, -1, 0, wardd_on_stop, w);
	w->ev_deadline = evtimer_new(w->base, wardd_on_stop, w);
	return w->ev_change && w->ev_stop && w->ev_deadline ? 0 : -1;
}

static void wardd_free_events(struct wardd *w)
{
	for (int i = 0; i < 3; i++)
		if (w->ev_signal[i])
			event_free(w->ev_signal[i]);
	if (w->ev_change)
		event_free(w->ev_change);
	if (w->ev_stop)
		event_free(w->ev_stop);
	if (w->ev_deadline)
		event_free(w->ev_deadline);
	if (w->ev_certs)
		event_free(w->ev_certs);
}

/* admin hook: what a node serves over TFTP, for GET /v1/tftp/file. */
static int wardd_tftp_file(void *arg, uint64_t node_id, const char *name,
			   uint8_t **out, size_t *len, char *why, size_t whycap)
{
	struct wardd *w = arg;

	char pki_dir[CONFIG_PATH_MAX + 8];

	snprintf(pki_dir, sizeof pki_dir, "%s/pki", w->cfg.data_dir);
	return tftp_file_build(w->store, w->ks, pki_dir, node_id, name, out,
			       len, why, whycap);
}

/* admin hook: what a phone gets, for GET /v1/tftp/devices/NAME. */
static int wardd_tftp_explain(void *arg, uint64_t node_id, const char *device,
			      char **out)
{
	struct wardd *w = arg;
	char pki_dir[CONFIG_PATH_MAX + 8];

	snprintf(pki_dir, sizeof pki_dir, "%s/pki", w->cfg.data_dir);
	return tftp_device_explain(w->store, w->ks, pki_dir, node_id, device,
				   out);
}

/* The TFTP role: binds its ports now (a node that cannot serve phones
 * their files says so at start) and runs in its own thread. */
static int wardd_start_tftp(struct wardd *w, int have_identity, char *errmsg,
			    size_t errcap)
{
	static char pki_dir[CONFIG_PATH_MAX + 8];
	struct tftp_config tc;

	snprintf(pki_dir, sizeof pki_dir, "%s/pki", w->cfg.data_dir);
	tftp_config_defaults(&tc);
	tc.pki_dir = pki_dir;
	tc.ks = w->ks;
	tc.listen = w->cfg.tftp_listen;
	tc.http_listen = w->cfg.tftp_http_listen;
	tc.max_transfers = w->cfg.tftp_max_transfers;
	tc.max_per_client = w->cfg.tftp_max_per_client;
	tc.timeout_ms = w->cfg.tftp_timeout_ms;
	tc.http_max_conns = w->cfg.tftp_http_max_conns;
	tc.sign_threads = w->cfg.tftp_sign_threads;
	if (tftp_new(&tc, w->store, &w->tftp, errmsg, errcap) != 0)
		return -1;
	if (have_identity)
		tftp_set_node(w->tftp, w->id.node_id);
	return tftp_start(w->tftp, errmsg, errcap);
}

int main(int argc, char **argv)
{
	static struct wardd w = {.lock_fd = -1};
	struct wardd_args args = {0};
	struct join_pin pin = {0};
	struct store_options store_opts = {0};
	char errmsg[4096], host[CONFIG_ADDR_MAX], token[512];
	int have_identity, open_rc, was_root;
	enum log_level lvl;
	unsigned port;
	struct admin_config ac;

	config_defaults(&w.cfg);
	if (wardd_parse(&w, argc, argv, &args) != 0)
		return 2;
	if (args.check) {
		printf("wardd: configuration ok\n");
		return 0;
	}
	if (args.join_url &&
	    join_pin_parse(args.ca_fingerprint, args.fingerprint, &pin, errmsg,
			   sizeof errmsg) != 0) {
		fprintf(stderr, "wardd: %s\n", errmsg);
		return 2;
	}
	log_set_ident(w.cfg.name);
	if (log_level_parse(w.cfg.log_level, &lvl) == 0)
		log_set_level(lvl);
	/* Before any thread: capabilities are per thread. */
	was_root = geteuid() == 0;
	if (privdrop_to_user(w.cfg.user, w.cfg.data_dir, errmsg,
			     sizeof errmsg) != 0) {
		log_error(TAG, "%s", errmsg);
		return 1;
	}
	if (w.cfg.user[0])
		log_info(TAG, "running as %s%s", w.cfg.user,
			 was_root ? ", CAP_NET_BIND_SERVICE only" : "");
	signal(SIGPIPE, SIG_IGN);
	evthread_use_pthreads();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	atomic_store(&w.exit_code, 1);

	snprintf(w.store_dir, sizeof w.store_dir, "%s/store", w.cfg.data_dir);
	snprintf(w.raft_dir, sizeof w.raft_dir, "%s/raft", w.cfg.data_dir);
	snprintf(w.cert_path, sizeof w.cert_path, "%s/https.pem",
		 w.cfg.data_dir);
	snprintf(w.key_path, sizeof w.key_path, "%s/https.key", w.cfg.data_dir);
	nodepki_kek_path(w.cfg.data_dir, w.kek_path, sizeof w.kek_path);
	if (keystore_new(w.kek_path, &w.ks) != KEYSTORE_OK) {
		snprintf(errmsg, sizeof errmsg, "out of memory");
		goto err;
	}
	if (wardd_mkdir(w.cfg.data_dir, errmsg, sizeof errmsg) ||
	    wardd_lock(&w, errmsg, sizeof errmsg) ||
	    wardd_mkdir(w.store_dir, errmsg, sizeof errmsg) ||
	    wardd_mkdir(w.raft_dir, errmsg, sizeof errmsg))
		goto err;
	addr_split(w.cfg.admin_listen, 0, host, sizeof host, &port);
	if (tlscert_ensure(w.cert_path, w.key_path, w.cfg.name, host, errmsg,
			   sizeof errmsg) != 0)
		goto err;

	have_identity =
	    identity_load(w.cfg.data_dir, &w.id, errmsg, sizeof errmsg);
	if (have_identity < 0)
		goto err;
	have_identity = have_identity == 0;
	if (args.join_url && have_identity) {
		snprintf(errmsg, sizeof errmsg,
			 "%s already belongs to node %" PRIu64
			 " of cluster %s: join with an empty data directory",
			 w.cfg.data_dir, w.id.node_id, w.id.cluster_id);
		goto err;
	}
	if (args.rebuild_store &&
	    wardd_set_store_aside(&w, have_identity, errmsg, sizeof errmsg))
		goto err;
	store_opts.map_size = (size_t)w.cfg.store_map_size_mb << 20;
	open_rc = store_open_with(w.store_dir, &store_opts, &w.store, errmsg,
				  sizeof errmsg);
	if (open_rc != 0) {
		if (open_rc == STORE_ECORRUPT && have_identity) {
			size_t n = strlen(errmsg);

			snprintf(errmsg + n, sizeof errmsg - n,
				 "; the Raft log holds everything: start once "
				 "with --rebuild-store to rebuild it");
		}
		goto err;
	}
	/* Tests only: lets a system test make this store fail on demand. */
	if (getenv("WARD_TEST_STORE_FAULT"))
		store_fault_watch(w.store, getenv("WARD_TEST_STORE_FAULT"));
	if (wardd_check_data(&w, have_identity, errmsg, sizeof errmsg) != 0)
		goto err_after_store;

	w.base = event_base_new();
	if (!w.base || wardd_make_events(&w) != 0) {
		snprintf(errmsg, sizeof errmsg, "libevent: out of memory");
		goto err_after_base;
	}
	ac = (struct admin_config){
	    .listen = w.cfg.admin_listen,
	    .cert_file = w.cert_path,
	    .key_file = w.key_path,
	    .data_dir = w.cfg.data_dir,
	    .node_name = w.cfg.name,
	    .raft_addr = w.cfg.raft_listen,
	    .admin_addr = w.cfg.admin_listen,
	    .kek_file = w.kek_path,
	    .keystore = w.ks,
	    .hooks = {.bootstrap = wardd_bootstrap,
		      .tftp_file = wardd_tftp_file,
		      .tftp_explain = wardd_tftp_explain,
		      .sip_trunk_status = wardd_sip_trunk_status,
		      .calls_json = wardd_calls_json,
		      .capture_keys_json = wardd_capture_keys,
		      .arg = &w},
	    .limits = {.max_connections = w.cfg.admin_max_connections,
		       .login_burst = w.cfg.admin_login_burst,
		       .login_per_min = w.cfg.admin_login_per_min,
		       .fail_summary_s = w.cfg.admin_fail_summary_s,
		       .prune_every_s = w.cfg.admin_audit_prune_s},
	};
	if (admin_new(w.base, &ac, w.store, &w.admin, errmsg, sizeof errmsg) !=
	    0)
		goto err_after_base;
	if (wardd_start_tftp(&w, have_identity, errmsg, sizeof errmsg) != 0)
		goto err_after_admin;

	if (have_identity) {
		if (wardd_start_consensus(&w, w.id.node_id, errmsg,
					  sizeof errmsg) != 0)
			goto err_after_admin;
		admin_attach(w.admin, w.consensus, w.id.node_id);
		log_info(TAG, "node %" PRIu64 " of cluster %s started",
			 w.id.node_id, w.id.cluster_id);
	} else if (args.join_url) {
		int rc;

		if (join_token_read(args.token, args.token_file, token,
				    sizeof token, errmsg, sizeof errmsg))
			goto err_after_admin;
		rc = wardd_join(&w, args.join_url, token, &pin, errmsg,
				sizeof errmsg);
		OPENSSL_cleanse(token, sizeof token);
		if (rc != 0)
			goto err_after_admin;
		admin_attach(w.admin, w.consensus, w.id.node_id);
	} else if (admin_expect_init(w.admin, errmsg, sizeof errmsg) != 0) {
		goto err_after_admin;
	}
	if (w.consensus && wardd_watch_certs(&w, errmsg, sizeof errmsg) != 0)
		goto err_after_admin;
	if (wardd_sip_init(&w) != 0 || wardd_capf_init(&w) != 0) {
		snprintf(errmsg, sizeof errmsg, "libevent: out of memory");
		goto err_after_admin;
	}

	event_base_dispatch(w.base);
	if (!w.fatal)
		atomic_store(&w.exit_code, 0);

	wardd_sip_fini(&w);
	wardd_capf_stop(&w);
	admin_attach(w.admin, NULL, 0);
	consensus_stop(w.consensus);
	w.consensus = NULL;
	wardd_capf_fini(&w);
	log_info(TAG, "stopped");
	errmsg[0] = '\0';
err_after_admin:
	/* The signaling thread first: it proposes registrations. */
	wardd_sip_fini(&w);
	wardd_capf_stop(&w);
	tftp_free(w.tftp);
	/* Raft first: its thread calls admin_notify() until it stops. */
	admin_attach(w.admin, NULL, 0);
	consensus_stop(w.consensus);
	w.consensus = NULL;
	wardd_capf_fini(&w);
	admin_free(w.admin);
	/* After consensus: no ITL proposal is in flight any more. */
	certs_free(w.certs);
err_after_base:
	wardd_free_events(&w);
	if (w.base)
		event_base_free(w.base);
err_after_store:
	store_close(w.store);
err:
	if (errmsg[0] && atomic_load(&w.exit_code) != 0)
		log_error(TAG, "%s", errmsg);
	if (w.lock_fd >= 0)
		close(w.lock_fd);
	/* After everything that borrows it. */
	keystore_free(w.ks);
	curl_global_cleanup();
	return atomic_load(&w.exit_code);
}
