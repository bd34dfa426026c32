/* directory_mem: an in-memory sip_directory read from a small text file —
 * for unit tests, the fuzzer, the SIPp tests and the benchmarks, which
 * need provisioned users and devices without a cluster. wardd reads the
 * replicated store instead.
 *
 * File format, one item per line ('#' starts a comment):
 *   realm REALM
 *   secure 0|1
 *   secret HEX64                     (nonce secret; random if absent)
 *   validity SECONDS                 (default nonce validity)
 *   microot HEX64 | lscca HEX64      (trust: SHA-256 of a CA certificate)
 *   trunkroot HEX64                  (a trunk-peer entry: trunks only)
 *   user NAME PASSWORD [app METHOD,...] [pgroup=GROUP]
 *   pgroup NAME [allow=GROUP,...] [disallow=GROUP,...]
 *                                    (a presence group and its rules)
 *   presence_default allow|disallow  (pairs without a rule; disallow)
 *   device NAME [user=U] [line=DN[@PARTITION]] [css=CSS]
 *          [mode=nonsecure|authenticated|encrypted]
 *          [transports=udp,tcp,tls] [digest=0|1] [validity=S]
 *          [group=ID,ID,ID] [lsc=HEX64]
 *          [reject=1]               (encrypted or reject: 488 below)
 *   trunk NAME addr=IP [digest=0|1] [allow=refer,notify,replaces,presence]
 *          [appauth=1] [mode=...] [subject=CN,CN] [port=N]
 *          [transports=udp,tcp,tls]    (incoming port and transports)
 *          [css=CSS]
 *          [peerport=N] [out=udp|tcp|tls] (where keepalives go: addr,
 *                                     peerport (5060), out (udp))
 *   credential REALM USER PASSWORD   (what ward answers REALM's
 *                                     challenges with, as a client)
 *   css NAME [PARTITION,PARTITION,...] (a calling search space: the
 *                                     partitions in search order, <= 16)
 *   pattern PATTERN route=TRUNK|block [partition=PARTITION]
 *                                    (a route or blocking pattern, syntax
 *                                     of store/dialplan.h)
 * The dial plan (`route`) follows store/dialplan.h: a line without
 * @PARTITION and a pattern without partition= are in the none-partition;
 * a device naming a CSS no "css" line declares routes nothing (-1).
 *   users PREFIX COUNT PASSWORD [line=FIRST]
 *                                    (PREFIX0..PREFIXn-1 users and devices,
 *                                     each device named like its user;
 *                                     with line=, device i has the line
 *                                     FIRST + i in the none-partition)
 * HA1s are computed from the passwords at load time for every algorithm.
 */
#ifndef WARD_SIP_DIRECTORY_MEM_H
#define WARD_SIP_DIRECTORY_MEM_H

#include <stddef.h>

#include "node/sip/directory.h"

struct sip_dirmem;

/* Reads PATH. Returns 0 or -1 with "PATH:LINE: why" in ERRMSG. */
int sip_dirmem_load(const char *path, struct sip_dirmem **out, char *errmsg,
		    size_t errcap);
/* Parses TEXT (borrowed) as the file's contents. */
int sip_dirmem_parse(const char *text, struct sip_dirmem **out, char *errmsg,
		     size_t errcap);
void sip_dirmem_free(struct sip_dirmem *m);

/* The directory view (valid until sip_dirmem_free). */
void sip_dirmem_directory(struct sip_dirmem *m, struct sip_directory *out);

/* Changes a device's security fields after loading (tests). Returns 0, or
 * -1 if no such device. */
struct sip_device *sip_dirmem_device(struct sip_dirmem *m, const char *name);
struct sip_cluster *sip_dirmem_cluster(struct sip_dirmem *m);

#endif
