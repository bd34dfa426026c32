/* wardd_capf: the CAPF role in wardd — started once this node runs
 * consensus and holds its CAPF certificate (after cluster init or join),
 * stopped before consensus so that no proposal is made into a stopped
 * Raft, freed after it. A node that cannot listen logs why once and runs
 * without the role. */
#include <stdio.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/log.h"
#include "node/capf/capf.h"
#include "node/nodepki.h"
#include "node/wardd.h"

#define CAPF_TICK_S 2

static void wardd_capf_look(struct wardd *w)
{
	char cert[CONFIG_PATH_MAX + 64], key[CONFIG_PATH_MAX + 64],
	    ca[CONFIG_PATH_MAX + 64], err[512];
	struct capf_config cfg;
	char listen[CONFIG_ADDR_MAX];
	struct addr admin;

	if (w->capf || w->capf_failed || !w->consensus || !w->ks)
		return;
	nodepki_path(w->cfg.data_dir, "capf.pem", cert, sizeof cert);
	nodepki_path(w->cfg.data_dir, "capf.key", key, sizeof key);
	nodepki_path(w->cfg.data_dir, "ca.pem", ca, sizeof ca);
	if (access(cert, R_OK) != 0 || access(key, R_OK) != 0 ||
	    access(ca, R_OK) != 0)
		return;
	capf_config_defaults(&cfg);
	snprintf(listen, sizeof listen, "%s", w->cfg.capf_listen);
	if (!listen[0] &&
	    (addr_parse(w->cfg.admin_listen, 0, &admin) != ADDR_OK ||
	     addr_format(admin.host, 3804, listen, sizeof listen) != 0)) {
		log_warn("capf",
			 "no address for the CAPF role: set capf.listen");
		w->capf_failed = 1;
		return;
	}
	cfg.listen = listen;
	cfg.cert_file = cert;
	cfg.key_file = key;
	cfg.ca_file = ca;
	cfg.max_sessions = w->cfg.capf_max_sessions;
	cfg.session_timeout_ms = w->cfg.capf_session_timeout_ms;
	cfg.idle_timeout_ms = w->cfg.capf_idle_timeout_ms;
	if (capf_new(&cfg, w->store, w->ks, w->consensus, w->id.node_id,
		     w->cfg.name, &w->capf, err, sizeof err) != 0 ||
	    capf_start(w->capf, err, sizeof err) != 0) {
		log_warn("capf", "the CAPF role does not run: %s", err);
		capf_free(w->capf);
		w->capf = NULL;
		w->capf_failed = 1;
	}
}

static void on_capf_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	wardd_capf_look(arg);
}

int wardd_capf_init(struct wardd *w)
{
	struct timeval tv = {CAPF_TICK_S, 0};

	w->ev_capf = event_new(w->base, -1, EV_PERSIST, on_capf_timer, w);
	if (!w->ev_capf || event_add(w->ev_capf, &tv) != 0)
		return -1;
	wardd_capf_look(w);
	return 0;
}

void wardd_capf_stop(struct wardd *w)
{
	if (w->ev_capf)
		event_free(w->ev_capf);
	w->ev_capf = NULL;
	capf_stop(w->capf);
}

void wardd_capf_fini(struct wardd *w)
{
	wardd_capf_stop(w);
	capf_free(w->capf);
	w->capf = NULL;
}
