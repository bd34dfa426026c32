/* tftp_int: what the role's UDP side (server.c) and HTTP side (http.c)
 * share. Everything here lives on the role's thread. */
#ifndef WARD_TFTP_INT_H
#define WARD_TFTP_INT_H

#include <event2/event.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "node/tftp/tftp.h"
#include "node/tftp/tftp_files.h"
#include "node/tftp/tftp_packet.h"

#define TAG "tftp"

struct tftp_transfer;
struct tftp_http;

struct tftp_counters {
	uint64_t served, failed, refused, dropped, http_served, http_refused;
};

struct tftp {
	struct tftp_config cfg;
	char listen[128], http_listen[128];
	struct store *store;	      /* borrowed */
	struct event_base *base;      /* owned */
	evutil_socket_t fd;	      /* owned: the request port */
	struct sockaddr_storage addr; /* bound address of fd */
	socklen_t addrlen;
	struct event *ev_request; /* owned */
	struct event *ev_stop;	  /* owned */
	struct event *ev_summary; /* owned */
	pthread_t thread;
	int started;
	atomic_uint_fast64_t gen;
	atomic_uint_fast64_t node_id;
	struct tftp_files *files;    /* owned */
	struct tftp_transfer *xfers; /* owned list */
	unsigned n_xfers;
	struct tftp_http *http; /* owned, NULL without HTTP */
	struct tftp_counters c, c_logged;
	uint8_t pkt[TFTP_PACKET_MAX]; /* send and receive buffer */
};

/* The file NAME for a request from either side: OK with a reference in
 * *out, or the result and a reason; PENDING when it is being signed (W
 * is told, tftp_files.h). */
enum tftp_files_result tftp_lookup(struct tftp *t, const char *name,
				   struct tftp_blob **out, const char **why,
				   struct tftp_files_wait *w);

/* HTTP side (http.c). */
int tftp_http_new(struct tftp *t, const char *listen, struct tftp_http **out,
		  char *errmsg, size_t errcap);
unsigned tftp_http_port_of(const struct tftp_http *h);
void tftp_http_free(struct tftp_http *h);

/* Resolves "host:port" into ADDR for a socket of type TYPE. */
int tftp_resolve(const char *hostport, int type, struct sockaddr_storage *addr,
		 socklen_t *len, char *errmsg, size_t errcap);

#endif
