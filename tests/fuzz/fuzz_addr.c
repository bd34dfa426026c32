/* fuzz_addr: arbitrary bytes as an address — the admin API reads them from
 * JSON bodies (node add, join), wardd from its configuration, the Raft
 * transports from the store. Nothing may crash or read out of bounds, and
 * an address that parses must keep the parser's promises: a host that is
 * NUL-terminated and fits, a port in range, and a formatted form that
 * parses back to the same host and port. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"

static void check(const char *text, unsigned flags)
{
	char again[ADDR_HOST_MAX + 16];
	struct addr a, b;
	int rc = addr_parse(text, flags, &a);

	if (rc < ADDR_OK || rc > ADDR_ETOOLONG || !addr_strerror(rc))
		abort();
	if (rc != ADDR_OK)
		return;
	if (memchr(a.host, '\0', sizeof a.host) == NULL || a.host[0] == '\0')
		abort();
	if (a.port > 65535 || (a.port == 0 && !(flags & ADDR_PORT_OPTIONAL)))
		abort();
	if ((a.kind == ADDR_KIND_NAME) == addr_host_is_ip(a.host))
		abort();
	if (a.port == 0)
		return;
	if (addr_format(a.host, a.port, again, sizeof again) != 0 ||
	    addr_parse(again, 0, &b) != ADDR_OK ||
	    strcmp(a.host, b.host) != 0 || a.port != b.port || a.kind != b.kind)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check(text, 0);
	check(text, ADDR_PORT_OPTIONAL);
	free(text);
	return 0;
}
