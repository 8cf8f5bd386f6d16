/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the DNS message parsers: arbitrary bytes as a query, as an answer (to
 * no query, and to the query the same bytes parse as), as a TCP stream, and through the
 * NXDOMAIN builder, each from a heap buffer of exactly the input's size. Checks what callers
 * rely on: bounded outputs (addresses, hops, names in normalized form), and that an NXDOMAIN
 * built for a query is an answer to that query with rcode 3, no longer than the query plus an
 * OPT record, the same when built in place.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"

static uint8_t *copy(const uint8_t *data, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);

	if (!c)
		abort();
	memcpy(c, data, n);
	return c;
}

static void check_question(const struct egw_dns_question *q)
{
	char again[EGW_HOSTNAME_MAX + 1];
	size_t n;

	if (q->name_len != strlen(q->name))
		abort();
	if (q->name_state == EGW_HOSTNAME_VALID &&
		(egw_hostname_normalize(q->name, q->name_len, 0, again, &n) != EGW_HOSTNAME_OK ||
			n != q->name_len))
		abort();
}

static void check_answer(const struct egw_dns_answer *a, enum egw_dns_status st)
{
	if (st > EGW_DNS_UNSUPPORTED)
		abort();
	if (a->n_addrs > EGW_DNS_LEARN_MAX || a->cname_hops > EGW_DNS_CHAIN_MAX)
		abort();
	if (st == EGW_DNS_OK) {
		check_question(&a->q);
		if (a->rcode != 0 && a->n_addrs != 0)
			abort();
		for (unsigned i = 0; i < a->n_addrs; i++)
			if (a->addrs[i].ttl > 0x7fffffffu)
				abort();
	}
}

static void fuzz_nxdomain(const uint8_t *data, size_t size, const struct egw_dns_question *q)
{
	uint8_t *in = copy(data, size), *out = malloc(size + 11);
	struct egw_dns_answer a;
	int n, n2;

	if (!out)
		abort();
	n = egw_dns_build_nxdomain(in, (uint32_t)size, out, (uint32_t)size + 11);
	if (n < 0) {
		/* only the OPT scan of the additional section can refuse a parsed query */
		if (n != -EINVAL)
			abort();
		goto out;
	}
	if ((size_t)n > size + 11 ||
		egw_dns_parse_answer(out, (uint32_t)n, &q->key, &a) != EGW_DNS_OK ||
		a.rcode != EGW_DNS_RCODE_NXDOMAIN || a.n_addrs != 0)
		abort();
	/* in place gives the same bytes */
	n2 = egw_dns_build_nxdomain(in, (uint32_t)size, in, (uint32_t)size);
	if (n2 >= 0 && (n2 != n || memcmp(in, out, (size_t)n) != 0))
		abort();
out:
	free(in);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct egw_dns_question q;
	struct egw_dns_answer a;
	enum egw_dns_status st;
	uint8_t *c;
	uint32_t mlen;

	if (size > 65537)
		return 0;
	c = copy(data, size);
	st = egw_dns_parse_answer(c, (uint32_t)size, NULL, &a);
	check_answer(&a, st);
	if (egw_dns_parse_query(c, (uint32_t)size, &q) == EGW_DNS_OK) {
		check_question(&q);
		/* a query is never taken for an answer */
		if (egw_dns_parse_answer(c, (uint32_t)size, &q.key, &a) != EGW_DNS_UNSUPPORTED)
			abort();
		fuzz_nxdomain(data, size, &q);
	}
	st = egw_dns_tcp_message(c, (uint32_t)size, &mlen);
	if (st == EGW_DNS_OK) {
		if (mlen + 2 > size)
			abort();
		st = egw_dns_parse_answer(c + 2, mlen, NULL, &a);
		check_answer(&a, st);
	}
	free(c);
	return 0;
}
