/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the removal of the ech SvcParam from DNS answers (in place). Checks:
 * a refusal writes nothing; a rewrite only shrinks, finds nothing left on a second run, and
 * leaves what the learner reads unchanged (same status, question, addresses and CNAME hops):
 * a compression pointer re-aimed wrong would change the names the chain follows.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct egw_dns_answer before, after;
	enum egw_dns_status st_before, st_after;
	uint8_t *c;
	int n;

	if (size > 65535)
		return 0;
	c = malloc(size ? size : 1);
	if (!c)
		abort();
	memcpy(c, data, size);
	st_before = egw_dns_parse_answer(data, (uint32_t)size, NULL, &before);
	n = egw_dns_strip_ech(c, (uint32_t)size);
	if (n < 0) {
		if ((n != -EINVAL && n != -ENOTSUP) || memcmp(c, data, size) != 0)
			abort();
		free(c);
		return 0;
	}
	if ((size_t)n > size || (size_t)n < 12)
		abort();
	if ((size_t)n == size && memcmp(c, data, size) != 0)
		abort();
	if (egw_dns_strip_ech(c, (uint32_t)n) != n)
		abort();
	st_after = egw_dns_parse_answer(c, (uint32_t)n, NULL, &after);
	if (st_before != st_after)
		abort();
	if (st_before == EGW_DNS_OK &&
		(after.n_addrs != before.n_addrs || after.cname_hops != before.cname_hops ||
			after.rcode != before.rcode || strcmp(after.q.name, before.q.name) != 0 ||
			memcmp(after.addrs, before.addrs,
				before.n_addrs * sizeof(before.addrs[0]))))
		abort();
	free(c);
	return 0;
}
