/* join: the joining side of "wardd --join" — asks a cluster member to add
 * this node, over HTTPS pinned to the certificate fingerprint the operator
 * was given by "wardctl node add". */
#ifndef WARD_NODE_JOIN_H
#define WARD_NODE_JOIN_H

#include <stddef.h>
#include <stdint.h>

/* The node id is the part of the token before the first '.'. 0 or -1. */
int join_token_node_id(const char *token, uint64_t *id);

struct join_request {
	const char *url;          /* https://host:port of any member */
	const uint8_t *pin;       /* SHA-256 of that member's certificate */
	const char *token;        /* secret: sent, never logged */
	const char *name;
	const char *raft_addr;
	const char *admin_addr;
	const uint8_t *https_sha256; /* this node's certificate */
	unsigned timeout_s;
};

struct join_result {
	char cluster_id[37];
	char cluster_name[64];
	uint64_t node_id;
};

/* Blocks until the cluster answers (the member adds the node to Raft and
 * waits until it caught up, so the Raft server of this node must already
 * run). errmsg carries the cluster's refusal or the transport error. */
int join_cluster(const struct join_request *req, struct join_result *out,
		 char *errmsg, size_t errcap);

#endif
