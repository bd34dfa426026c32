/* ward_sipd: the signaling role alone over an in-memory directory (see
 * node/sip/directory_mem.h) — what the SIPp tests and the benchmarks drive
 * while provisioning lives in the store. Runs until SIGTERM or SIGINT, then
 * prints its counters as one line of JSON on stdout. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "node/sip/directory_mem.h"
#include "node/sip/sip.h"

static volatile sig_atomic_t done;

static void on_signal(int sig)
{
	(void)sig;
	done = 1;
}

static void on_owner(void *arg, const char *device,
		     const struct sip_reg_contact *c)
{
	(void)arg;
	log_info("sip", "owner change: %s %s", device,
		 c ? "registered here" : "no longer here");
}

static void on_dialog(void *arg, const struct sip_dialog_event *ev)
{
	static const char *names[] = {"registered", "unregistered",
				      "trying",	    "early",
				      "confirmed",  "terminated"};
	(void)arg;
	log_info("sip", "dialog event: %s line %s call %s peer %s %s%s",
		 ev->device, ev->line, ev->call_id, ev->peer, names[ev->state],
		 ev->initiator ? " (initiator)" : "");
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ward_sipd --dir FILE [--host ADDR]... [--port N] "
		"[--tls-port N --tls-dir DIR] [--node-id N] [--rate N] "
		"[--conn-per-source N] [--silent-s N] [--max-connections N] "
		"[--trunk-options-s N] "
		"[--min-expires N] [--digest ALG,...] [--max-calls N] "
		"[--max-per-device N] "
		"[--ring-s N] [--min-se N] [--t1x64-ms N] "
		"[--overload-delay-ms N] [--digest-uri-any] [--quiet]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sip_config cfg;
	struct sip_dirmem *mem = NULL;
	struct sip_directory dir;
	struct sip_core_hooks hooks = {.owner = on_owner,
				       .dialog_event = on_dialog};
	struct sip_role *role = NULL;
	struct sip_core_stats st;
	struct sip_conn_stats cs;
	const char *dirfile = NULL;
	char err[256];
	int nhosts = 0;

	sip_config_defaults(&cfg);
	cfg.tls_port = 0;
	cfg.trunk_options_s = 0; /* trunks here are made up: no keepalive */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--digest-uri-any") == 0) {
			/* SIPp 3.6 calling many numbers: its digest uri is
			 * sip:HOST:PORT, not the Request-URI. */
			cfg.core.digest_uri_any = 1;
			continue;
		}
		if (strcmp(a, "--quiet") == 0) {
			hooks.owner = NULL;
			hooks.dialog_event = NULL;
			log_set_level(LOG_LVL_WARN);
			continue;
		}
		if (!v)
			usage();
		i++;
		if (strcmp(a, "--dir") == 0)
			dirfile = v;
		else if (strcmp(a, "--host") == 0 && nhosts < SIP_MAX_LISTEN)
			snprintf(cfg.hosts[nhosts++], SIP_HOST_MAX, "%s", v);
		else if (strcmp(a, "--port") == 0)
			cfg.port = (unsigned)atoi(v);
		else if (strcmp(a, "--tls-port") == 0)
			cfg.tls_port = (unsigned)atoi(v);
		else if (strcmp(a, "--tls-dir") == 0)
			snprintf(cfg.tls_dir, sizeof cfg.tls_dir, "%s", v);
		else if (strcmp(a, "--max-calls") == 0)
			cfg.call.max_calls = (unsigned)atoi(v);
		else if (strcmp(a, "--max-per-device") == 0)
			cfg.call.max_per_device = (unsigned)atoi(v);
		else if (strcmp(a, "--t1x64-ms") == 0)
			cfg.t1x64_ms = (unsigned)atoi(v);
		else if (strcmp(a, "--overload-delay-ms") == 0)
			cfg.overload_delay_ms = (unsigned)atoi(v);
		else if (strcmp(a, "--ring-s") == 0)
			cfg.call.ring_s = (unsigned)atoi(v);
		else if (strcmp(a, "--min-se") == 0)
			cfg.call.min_se_s = (unsigned)atoi(v);
		else if (strcmp(a, "--node-id") == 0)
			cfg.core.node_id = strtoull(v, NULL, 10);
		else if (strcmp(a, "--rate") == 0)
			cfg.core.rate = (unsigned)atoi(v);
		else if (strcmp(a, "--conn-per-source") == 0)
			cfg.conn_per_source = (unsigned)atoi(v);
		else if (strcmp(a, "--silent-s") == 0)
			cfg.silent_s = (unsigned)atoi(v);
		else if (strcmp(a, "--max-connections") == 0)
			cfg.max_connections = (unsigned)atoi(v);
		else if (strcmp(a, "--trunk-options-s") == 0)
			cfg.trunk_options_s = (unsigned)atoi(v);
		else if (strcmp(a, "--digest") == 0) {
			/* comma-separated algorithm names */
			char buf[64], *save = NULL;
			enum sip_digest_alg alg;
			snprintf(buf, sizeof buf, "%s", v);
			cfg.core.digest_algs = 0;
			for (char *t = strtok_r(buf, ",", &save); t;
			     t = strtok_r(NULL, ",", &save)) {
				if (sip_digest_alg_parse(t, &alg) != 0)
					usage();
				cfg.core.digest_algs |= 1u << alg;
			}
		} else if (strcmp(a, "--min-expires") == 0)
			cfg.core.min_expires = (unsigned)atoi(v);
		else
			usage();
	}
	if (!dirfile)
		usage();
	if (nhosts)
		cfg.nhosts = (unsigned)nhosts;
	if (cfg.core.rate)
		cfg.core.burst = cfg.core.rate * 2;
	if (sip_dirmem_load(dirfile, &mem, err, sizeof err) != 0) {
		fprintf(stderr, "ward_sipd: %s\n", err);
		return 1;
	}
	sip_dirmem_directory(mem, &dir);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (sip_start(&cfg, &dir, &hooks, &role, err, sizeof err) != 0) {
		fprintf(stderr, "ward_sipd: %s\n", err);
		sip_dirmem_free(mem);
		return 1;
	}
	while (!done)
		pause();
	sip_stop(role);
	sip_role_stats(role, &st);
	sip_role_conn_stats(role, &cs);
	sip_free(role);
	sip_dirmem_free(mem);
	printf("{\"requests\":%llu,\"registered\":%llu,\"challenged\":%llu,"
	       "\"auth_failed\":%llu,\"forbidden\":%llu,\"dropped\":%llu,"
	       "\"bad\":%llu,\"conn_refused\":%lu,\"conn_full\":%lu,"
	       "\"conn_silent\":%lu,\"overloaded\":%llu,"
	       "\"transactions\":%llu}\n",
	       (unsigned long long)st.requests,
	       (unsigned long long)st.registered,
	       (unsigned long long)st.challenged,
	       (unsigned long long)st.auth_failed,
	       (unsigned long long)st.forbidden, (unsigned long long)st.dropped,
	       (unsigned long long)st.bad, cs.refused, cs.full, cs.silent,
	       (unsigned long long)st.overloaded,
	       (unsigned long long)st.transactions);
	return 0;
}
