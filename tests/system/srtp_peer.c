/* srtp_peer: one phone's media for the system tests — from 127.0.0.1:LOCAL
 * it sends COUNT 20 ms G.711 packets of known payload to REMOTE, SRTP
 * protected with SEND_KEY (its own), and reads what arrives, unprotecting
 * with RECV_KEY (the key ward gave it). Exit 0 when at least COUNT/2
 * packets arrived, each authenticated and carrying the known payload,
 * and none of them carried that payload in clear.
 *   srtp_peer SUITE SEND_KEY RECV_KEY LOCAL_PORT REMOTE_PORT COUNT
 * (keys as the base64 of an a=crypto "inline:" value). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "node/keymgr/relay.h"

static const char pattern[] = "ward relays this payload intact ";

static int context(srtp_t *out, enum sdes_suite suite, const char *b64,
		   int inbound)
{
	unsigned char ks[64];
	size_t kl = sdes_suite_key_len(suite), sl = sdes_suite_salt_len(suite);
	int n =
	    EVP_DecodeBlock(ks, (const unsigned char *)b64, (int)strlen(b64));

	/* EVP_DecodeBlock counts the padding's zero bytes too */
	if (n < (int)(kl + sl))
		return -1;
	return relay_srtp_create(out, suite, ks, kl, ks + kl, sl, inbound);
}

static void payload(uint8_t *p, unsigned seq)
{
	for (int i = 0; i < 160; i++)
		p[i] = (uint8_t)(pattern[i % (sizeof pattern - 1)] + (seq & 7));
}

int main(int argc, char **argv)
{
	struct sockaddr_in local = {.sin_family = AF_INET},
			   remote = {.sin_family = AF_INET};
	enum sdes_suite suite;
	srtp_t tx, rx;
	int fd, count, good = 0, bad = 0;
	uint32_t ssrc;

	if (argc != 7) {
		fprintf(stderr, "usage: srtp_peer SUITE SEND_KEY RECV_KEY "
				"LOCAL_PORT REMOTE_PORT COUNT\n");
		return 2;
	}
	suite = sdes_suite_from_name(argv[1]);
	count = atoi(argv[6]);
	if (!suite || context(&tx, suite, argv[2], 0) != 0 ||
	    context(&rx, suite, argv[3], 1) != 0 || count <= 0) {
		fprintf(stderr, "srtp_peer: bad suite, key or count\n");
		return 2;
	}
	inet_pton(AF_INET, "127.0.0.1", &local.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
	local.sin_port = htons((uint16_t)atoi(argv[4]));
	remote.sin_port = htons((uint16_t)atoi(argv[5]));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof local) != 0) {
		perror("srtp_peer: bind");
		return 1;
	}
	RAND_bytes((unsigned char *)&ssrc, sizeof ssrc);
	/* send COUNT packets 20 ms apart, then listen 1 s more */
	for (int i = 0; i < count + 50; i++) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		uint8_t pkt[256], got[2048];
		int len = 172;

		if (i < count) {
			memset(pkt, 0, 12);
			pkt[0] = 0x80;
			pkt[2] = (uint8_t)(i >> 8);
			pkt[3] = (uint8_t)i;
			pkt[7] = (uint8_t)i;
			memcpy(pkt + 8, &ssrc, 4);
			payload(pkt + 12, (unsigned)i);
			if (srtp_protect(tx, pkt, &len) == srtp_err_status_ok)
				sendto(fd, pkt, (size_t)len, 0,
				       (struct sockaddr *)&remote,
				       sizeof remote);
		}
		while (poll(&pfd, 1, 20) == 1) {
			int n = (int)recv(fd, got, sizeof got, 0);
			uint8_t want[160];

			if (n < 12 + 160)
				continue;
			payload(want, got[3]);
			if (memmem(got, (size_t)n, want, 32)) {
				bad++; /* the payload in clear on the wire */
				continue;
			}
			if (srtp_unprotect(rx, got, &n) != srtp_err_status_ok ||
			    n != 172 || memcmp(got + 12, want, 160) != 0) {
				bad++;
				continue;
			}
			good++;
		}
	}
	printf("srtp_peer: %d packets intact, %d bad\n", good, bad);
	return good >= count / 2 && bad == 0 ? 0 : 1;
}
