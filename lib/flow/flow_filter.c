/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>

#include "conf/conf.h"
#include "flow_filter.h"

static int fail(char *err, size_t errlen, const char *term, const char *why)
{
	snprintf(err, errlen, "bad filter term '%s': %s", term, why);
	return -EINVAL;
}

/* "A" or "A/N"; host bits are allowed and ignored (an operator pastes an address). */
static int parse_prefix(const char *v, uint32_t *prefix, uint32_t *mask)
{
	uint32_t a;
	uint8_t len;

	if (egw_parse_prefix(v, &a, &len) < 0)
		return -EINVAL;
	*mask = len ? ~0u << (32 - len) : 0;
	*prefix = a & *mask;
	return 0;
}

/* host=NAME or host=*.SUFFIX, normalized as policy files' hosts are. */
static int parse_host(const char *val, struct egw_flow_filter *f, char *err, size_t errlen)
{
	size_t len = 0;

	if (egw_hostname_normalize(val, strlen(val), EGW_HOSTNAME_PATTERN, f->host, &len) !=
		EGW_HOSTNAME_OK)
		return fail(err, errlen, val, "not a host name or *.suffix pattern");
	f->host_on = true;
	f->host_wild = f->host[0] == '*';
	if (f->host_wild) {
		memmove(f->host, f->host + 1, len); /* keep ".suffix" with its NUL */
		len--;
	}
	f->host_len = (uint16_t)len;
	return 0;
}

static int parse_term(char *term, struct egw_flow_filter *f, char *err, size_t errlen)
{
	static const char *const addr_keys[EGW_FILTER_ADDR_KINDS] = { "addr", "src", "dst", "nat" };
	char *eq = strchr(term, '='), *key = term, *val;
	uint32_t n;

	if (!eq || eq == term)
		return fail(err, errlen, term,
			"expected KEY=VALUE (addr src dst nat port proto "
			"policy host limit from)");
	*eq = '\0';
	val = eq + 1;
	for (unsigned k = 0; k < EGW_FILTER_ADDR_KINDS; k++) {
		if (strcmp(key, addr_keys[k]) != 0)
			continue;
		if (parse_prefix(val, &f->addr[k].prefix, &f->addr[k].mask) < 0)
			return fail(err, errlen, val, "not an IPv4 address or CIDR");
		f->addr[k].on = true;
		return 0;
	}
	if (strcmp(key, "port") == 0) {
		if (egw_parse_u32(val, 0, 65535, &n) < 0)
			return fail(err, errlen, val, "port must be 0-65535");
		f->port_on = true;
		f->port = (uint16_t)n;
	} else if (strcmp(key, "proto") == 0) {
		if (strcmp(val, "tcp") == 0)
			f->proto = IPPROTO_TCP;
		else if (strcmp(val, "udp") == 0)
			f->proto = IPPROTO_UDP;
		else if (strcmp(val, "icmp") == 0)
			f->proto = IPPROTO_ICMP;
		else
			return fail(err, errlen, val, "proto must be tcp, udp or icmp");
	} else if (strcmp(key, "policy") == 0) {
		if (!*val || strlen(val) >= sizeof(f->policy_name))
			return fail(err, errlen, val, "policy name empty or too long");
		f->policy_on = true;
		strcpy(f->policy_name, val);
	} else if (strcmp(key, "host") == 0) {
		return parse_host(val, f, err, errlen);
	} else if (strcmp(key, "limit") == 0) {
		if (egw_parse_u32(val, 1, EGW_FLOW_FILTER_LIMIT_MAX, &n) < 0)
			return fail(err, errlen, val,
				"limit must be 1-40 (telemetry replies are "
				"16 KB)");
		f->limit = n;
	} else if (strcmp(key, "from") == 0) {
		char *end;

		errno = 0;
		f->from = strtoull(val, &end, 10);
		if (!*val || *val == '-' || *end || errno)
			return fail(err, errlen, val, "from must be a next_offset of a reply");
		f->from_on = true;
	} else {
		return fail(err, errlen, key,
			"unknown key (addr src dst nat port proto policy "
			"host limit from)");
	}
	return 0;
}

int egw_flow_filter_parse(const char *s, struct egw_flow_filter *f, char *err, size_t errlen)
{
	char buf[512], *save = NULL, *term;

	memset(f, 0, sizeof(*f));
	f->limit = EGW_FLOW_FILTER_LIMIT_DEFAULT;
	if (!s)
		return 0;
	if (strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "filter longer than %zu bytes", sizeof(buf) - 1);
		return -EINVAL;
	}
	strcpy(buf, s);
	for (term = strtok_r(buf, " \t,", &save); term; term = strtok_r(NULL, " \t,", &save)) {
		int rc = parse_term(term, f, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

bool egw_flow_filter_match_host(const struct egw_flow_filter *flt, const char *name)
{
	size_t len;

	if (!flt->host_on)
		return true;
	if (!name)
		return false;
	len = strlen(name);
	if (!flt->host_wild)
		return len == flt->host_len && memcmp(name, flt->host, len) == 0;
	return len > flt->host_len &&
	       memcmp(name + len - flt->host_len, flt->host, flt->host_len) == 0;
}

static inline bool in_prefix(uint32_t addr_be, uint32_t prefix, uint32_t mask)
{
	return (rte_be_to_cpu_32(addr_be) & mask) == prefix;
}

bool egw_flow_filter_match(const struct egw_flow_filter *flt, const struct egw_flow *f)
{
	const uint32_t addrs[3] = { f->orig.a_addr, f->orig.b_addr, f->nat_addr };

	if (flt->proto && f->orig.proto != flt->proto)
		return false;
	if (flt->policy_on && f->policy != flt->policy_slot)
		return false;
	if (flt->addr[EGW_FILTER_ANY_ADDR].on) {
		bool any = false;
		for (unsigned i = 0; i < 3 && !any; i++)
			any = in_prefix(addrs[i], flt->addr[EGW_FILTER_ANY_ADDR].prefix,
				flt->addr[EGW_FILTER_ANY_ADDR].mask);
		if (!any)
			return false;
	}
	for (unsigned k = EGW_FILTER_SRC; k < EGW_FILTER_ADDR_KINDS; k++)
		if (flt->addr[k].on && !in_prefix(addrs[k - EGW_FILTER_SRC], flt->addr[k].prefix,
					       flt->addr[k].mask))
			return false;
	if (flt->port_on) {
		uint16_t p = rte_cpu_to_be_16(flt->port);
		if (f->orig.a_port != p && f->orig.b_port != p && f->nat_port != p)
			return false;
	}
	return true;
}
