/* wardd_sipaddr: this node's SIP address in its own node record. The
 * record is read every look (an LMDB read); only when it names another
 * address is the leader asked to write it (routes_nodesip.c), one request
 * at a time. */
#include <stdio.h>
#include <string.h>

#include "common/addr.h"
#include "common/log.h"
#include "node/admin/admin.h"
#include "node/wardd.h"

static void published(void *arg, int ok)
{
	struct wardd *w = arg;

	w->sip_addr_busy = 0;
	if (ok != 0)
		log_info("sip", "SIP address not yet in the node record: "
				"trying again");
}

/* The host other nodes and phones reach: the listen address, or the
 * admin address's host when the role listens on a wildcard. */
static void reachable_host(const struct wardd *w, const char *host,
			   char *out, size_t cap)
{
	char h[ADDR_HOST_MAX];
	unsigned port;

	if (strcmp(host, "0.0.0.0") != 0 && strcmp(host, "::") != 0) {
		snprintf(out, cap, "%s", host);
		return;
	}
	if (addr_split(w->cfg.admin_listen, ADDR_PORT_OPTIONAL, h, sizeof h,
		       &port) == 0 &&
	    addr_host_is_ip(h) && strlen(h) < cap)
		memcpy(out, h, strlen(h) + 1);
	else
		snprintf(out, cap, "%s", host);
}

void wardd_sipaddr_publish(struct wardd *w, const char *host, unsigned port,
			   unsigned tls_port, unsigned node_port)
{
	struct store_read *r;
	struct store_node n;
	char want[STORE_ADDR_MAX];
	int same;

	if (w->sip_addr_busy || !w->admin || !w->id.node_id)
		return;
	reachable_host(w, host, want, sizeof want);
	if (!addr_host_is_ip(want) || store_read_begin(w->store, &r) != 0)
		return;
	same = store_node_get(r, w->id.node_id, &n) == 0 &&
	       strcmp(n.sip_host, want) == 0 && n.sip_port == port &&
	       n.sip_tls_port == tls_port && n.sip_node_port == node_port;
	store_read_end(r);
	if (same)
		return;
	if (admin_node_sip_publish(w->admin, want, port, tls_port, node_port,
				   published, w) == 0)
		w->sip_addr_busy = 1;
}
