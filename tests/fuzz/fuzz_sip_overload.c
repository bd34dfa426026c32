/* fuzz_sip_overload: arbitrary bytes as the Call-ID of a request that
 * comes from the overload probe's own address — after the probe's real
 * token and '-' when the first byte is odd, so that what follows it is
 * parsed too. Nothing may crash or read out of bounds; bytes are taken
 * for the probe only when they start with its token and a '-', and never
 * from another address. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "node/sip/overload.h"

static struct sip_overload *o;
static struct sockaddr_storage from;
static char token[64];

/* Once: a listener stand-in on loopback, one probe received from it. */
static int init(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof a, flen = sizeof from;
	char buf[2048], *p;
	ssize_t n;
	int fd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0 ||
	    sip_overload_new("127.0.0.1", ntohs(a.sin_port), 100, &o) != 0)
		return -1;
	sip_overload_tick(o, 1000);
	n = recvfrom(fd, buf, sizeof buf - 1, 0, (struct sockaddr *)&from,
		     &flen);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "\r\nCall-ID: ");
	if (!p || strlen(p + 11) < 33)
		return -1;
	memcpy(token, p + 11, 33); /* 32 hex digits and '-' */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct sockaddr_storage other;
	size_t pre = size && (data[0] & 1) ? 33 : 0;
	char *v = malloc(pre + size + 1);

	if (!ready)
		ready = init() == 0 ? 1 : -1;
	if (ready < 0)
		abort();
	if (!v)
		return 0;
	memcpy(v, token, pre);
	memcpy(v + pre, data, size);
	v[pre + size] = '\0';
	if (sip_overload_probe_seen(o, (struct sockaddr *)&from, v, 1001) &&
	    strncmp(v, token, 33) != 0)
		abort();
	other = from;
	((struct sockaddr_in *)&other)->sin_port ^= htons(1);
	if (sip_overload_probe_seen(o, (struct sockaddr *)&other, v, 1001))
		abort();
	(void)sip_overload_admit(o);
	free(v);
	return 0;
}
