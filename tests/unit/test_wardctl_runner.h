/* test_wardctl_runner: wardctl run in the test's own process against one
 * node, as "wardctl --url URL --fingerprint FP WORDS...", with its output
 * captured and no prompt answered. Include after <cmocka.h>. */
#ifndef WARD_TEST_WARDCTL_RUNNER_H
#define WARD_TEST_WARDCTL_RUNNER_H

#include <stdint.h>

/* What the last wr_run printed on stdout and stderr (NUL-terminated);
 * owned here, valid until the next wr_run or wr_reset. */
extern char *wr_out, *wr_err;

/* The node later runs talk to: URL and the SHA-256 of its HTTPS
 * certificate (RAW, 32 bytes) as the pin. */
void wr_target(const char *url, const uint8_t raw[32]);
/* Runs wardctl with WORDS... (NULL-terminated); returns its exit code. */
int wr_run(const char *first, ...);
/* Fails the test, showing the output, unless RC is WANT. */
void wr_expect(int rc, int want);
/* Frees the captured output. */
void wr_reset(void);

#endif
