/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The appliance's own answer to a query for a name no policy allows (`dns_filter`): NXDOMAIN
 * with the query's question, so the name does not resolve instead of resolving to an address
 * the flow would then be denied to (the client fails at once, with the right error).
 */
#include <errno.h>
#include <string.h>

#include "dns_internal.h"

#define OPT_LEN 11	  /* root name, type, class, TTL, RDLENGTH 0 */
#define EDNS_PAYLOAD 1232 /* the size DNS flag day 2020 settled on */
#define EDNS_DO 0x8000	  /* in the OPT TTL's low 16 bits */
#define F_RD 0x0100
#define F_RA 0x0080
#define F_CD 0x0010

/* The query's OPT record (RFC 6891 6.1.1: at most one, in the additional section): its
 * flags in *DO_BIT. False when the additional section is malformed. */
static bool find_opt(const uint8_t *q, uint32_t len, uint32_t p, const struct dns_hdr *h,
	bool *has_opt, uint32_t *do_bit)
{
	*has_opt = false;
	*do_bit = 0;
	for (uint32_t i = 0; i < h->ar; i++) {
		struct dns_rr rr;

		if (!dns_rr_read(q, len, p, &rr))
			return false;
		if (rr.type == EGW_DNS_TYPE_OPT) {
			if (*has_opt || q[rr.owner] != 0) /* two OPTs, or not owned by the root */
				return false;
			*has_opt = true;
			*do_bit = rr.ttl & EDNS_DO;
		}
		p = rr.end;
	}
	return true;
}

int egw_dns_build_nxdomain(const uint8_t *query, uint32_t qlen, uint8_t *out, uint32_t cap)
{
	struct egw_dns_question q;
	struct dns_hdr h;
	uint32_t do_bit, n_question, total, flags;
	bool has_opt;

	if (egw_dns_parse_query(query, qlen, &q) != EGW_DNS_OK || !dns_hdr_read(query, qlen, &h) ||
		!find_opt(query, qlen, q.end, &h, &has_opt, &do_bit))
		return -EINVAL;
	n_question = q.end - EGW_DNS_HDR_LEN;
	total = EGW_DNS_HDR_LEN + n_question + (has_opt ? OPT_LEN : 0);
	if (total > cap)
		return -ENOSPC;
	/* The question stays where it is: only the header and the tail are written, so OUT may
	 * be QUERY (the response is never longer than the query up to its OPT). */
	if (out != query)
		memmove(out + EGW_DNS_HDR_LEN, query + EGW_DNS_HDR_LEN, n_question);
	flags = DNS_F_QR | (h.flags & (F_RD | F_CD)) | F_RA | EGW_DNS_RCODE_NXDOMAIN;
	dns_put16(out, h.id);
	dns_put16(out + 2, flags);
	dns_put16(out + 4, 1);
	dns_put16(out + 6, 0);
	dns_put16(out + 8, 0);
	dns_put16(out + 10, has_opt ? 1 : 0);
	if (has_opt) {
		uint8_t *o = out + EGW_DNS_HDR_LEN + n_question;

		o[0] = 0;
		dns_put16(o + 1, EGW_DNS_TYPE_OPT);
		dns_put16(o + 3, EDNS_PAYLOAD);
		dns_put16(o + 5, 0); /* extended RCODE 0, version 0 */
		dns_put16(o + 7, do_bit);
		dns_put16(o + 9, 0);
	}
	return (int)total;
}
