/* conn: the TCP and TLS connections of a signaling thread, seen when they
 * are accepted — a per-source cap applied at accept, a cap on the total,
 * and a deadline for the first message, so that a peer that connects and
 * never speaks holds a socket for seconds, not for the idle reaper's
 * minutes.
 *
 * sofia-sip accepts connections inside tport and tells the application
 * nothing until a message arrives. conn.c therefore defines accept() in
 * the executable: the dynamic linker binds libsofia's call to it; it calls
 * libc's and, on a signaling thread only (one that called
 * sip_conn_thread_begin), records the new socket (its fd, its SO_COOKIE,
 * the peer's address, the time) or, when the source already holds its cap
 * or the table is full, closes it at once and returns -1 with errno 0
 * (sofia then waits for the next connection without logging an error). Every other thread gets libc's accept
 * untouched.
 *
 * A connection whose first message has not come within the deadline is
 * shut down (shutdown(2) on its socket: sofia sees the end of the stream
 * and closes its transport itself). Memory is bounded: one fixed table per
 * signaling thread. Threading: every function acts on the calling
 * thread's table. */
#ifndef WARD_SIP_CONN_H
#define WARD_SIP_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct sip_conn_config {
	unsigned per_source; /* connections one address may hold; 0: no cap */
	unsigned max;	     /* connections tracked at once (the total cap) */
	unsigned silent_ms;  /* first message due within; 0: no deadline */
};

/* Marks the calling thread as a signaling thread, with a table of
 * CFG->max entries (at least 16). 0, or -1 (out of memory). */
int sip_conn_thread_begin(const struct sip_conn_config *cfg);
/* Frees the table; the thread's accept() is libc's again. */
void sip_conn_thread_end(void);

/* A message came on the connection from SA (its address and port): it is
 * no longer silent. A lookup in a hash of the open connections (keyed
 * with a random seed: peers choose their ports), made only while some
 * connection waits for its first message: it may be called for every
 * message, whatever silent connections a peer holds open. */
void sip_conn_spoke(const struct sockaddr *sa);

/* Forgets closed connections and shuts down those silent past the
 * deadline (monotonic clock). Returns how many it shut down. */
unsigned sip_conn_sweep(void);

struct sip_conn_stats {
	unsigned open;	       /* tracked now */
	unsigned long refused; /* closed at accept: source at its cap */
	unsigned long full;    /* closed at accept: table full */
	unsigned long silent;  /* shut down: no message in time */
};
/* The calling thread's counters (zeros on another thread). */
void sip_conn_stats(struct sip_conn_stats *out);

#endif
