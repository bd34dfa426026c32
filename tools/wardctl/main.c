/* wardctl: the cluster tool. Everything but main() is in the ward_wardctl
 * library, so the tests can drive the same code. */
#include <curl/curl.h>
#include <stdio.h>

#include "tools/wardctl/wardctl.h"

int main(int argc, char **argv)
{
	struct wardctl ctx;
	int rc;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fputs("wardctl: cannot initialise libcurl\n", stderr);
		return WARDCTL_EUNREACHABLE;
	}
	wardctl_init(&ctx);
	rc = wardctl_run(&ctx, argc, argv);
	wardctl_close(&ctx);
	curl_global_cleanup();
	if (fflush(stdout) != 0 && rc == WARDCTL_OK) {
		perror("wardctl: stdout");
		rc = WARDCTL_EUSAGE;
	}
	return rc;
}
