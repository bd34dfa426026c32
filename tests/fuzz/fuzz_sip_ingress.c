/* libFuzzer target of the signaling role's ingress path: sofia's parser,
 * then the core — limits, trunk authorization, digest, device checks, the
 * registrar. The first byte picks the peer (phone, open trunk, closed
 * trunk) and its transport; the rest is the message. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip_parser.h>
#include <sofia-sip/su.h>

#include "node/sip/core.h"
#include "node/sip/directory_mem.h"

static const char dirtext[] =
    "realm ward.test\n"
    "secret 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n"
    "user alice pw\n"
    "user app1 pw app INVITE\n"
    "device SEP001122334455 user=alice line=1001\n"
    "device SEP0000000000BB user=alice mode=encrypted group=1\n"
    "trunk closed addr=10.0.0.1\n"
    "trunk open addr=10.0.0.2 allow=refer,notify,replaces,presence "
    "digest=1 appauth=1\n";

static struct sip_core *core;
static struct sip_dirmem *mem;
static struct sip_directory dir;

static void setup(void)
{
	struct sip_core_config cfg;
	char err[128];

	su_init();
	if (sip_dirmem_parse(dirtext, &mem, err, sizeof err) != 0)
		__builtin_trap();
	sip_dirmem_directory(mem, &dir);
	sip_core_config_defaults(&cfg);
	cfg.node_id = 1;
	cfg.rate = 0;
	cfg.max_devices = 64;
	cfg.nc_slots = 1024;
	if (sip_core_new(&cfg, &dir, NULL, &core, err, sizeof err) != 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ips[] = {"192.0.2.1", "10.0.0.1", "10.0.0.2",
					  "192.0.2.9"};
	static uint64_t now = 1800000000000ull;
	struct sip_peer peer;
	struct sockaddr_in *a = (void *)&peer.addr;
	struct sip_reply rep;
	msg_t *m;

	if (!core)
		setup();
	if (size < 1)
		return 0;
	memset(&peer, 0, sizeof peer);
	a->sin_family = AF_INET;
	a->sin_port = htons(5060);
	inet_pton(AF_INET, ips[data[0] & 3], &a->sin_addr);
	peer.transport = 1u << ((data[0] >> 2) % 3);
	if (data[0] & 0x20) {
		peer.cert.present = peer.cert.verified = 1;
		peer.cert.kind = 1;
		strcpy(peer.cert.cn, "SEP0000000000BB");
	}
	m = msg_make(sip_default_mclass(), 0, data + 1, size - 1);
	sip_core_handle(core, m ? sip_object(m) : NULL, size - 1, &peer, now,
			&rep);
	now += 7;
	if (data[0] & 0x40)
		sip_core_tick(core, now);
	msg_destroy(m);
	return 0;
}
