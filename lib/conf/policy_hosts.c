/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host-name syntax for `hosts`: what a TLS SNI or an HTTP Host header can carry (RFC 1123
 * labels), plus the one wildcard form SPEC section 6 defines, "*.suffix". Anything else could
 * never match and would only hide a typo.
 */
#include <string.h>

#include "policy_internal.h"

#define HOST_MAX 253 /* RFC 1035: 255 octets on the wire, 253 as text without the final dot */
#define LABEL_MAX 63

static bool label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

const char *pol_host_problem(const char *name)
{
	const char *s = name;

	if (strlen(name) > HOST_MAX)
		return "is longer than 253 characters";
	if (s[0] == '*') {
		if (s[1] != '.')
			return "has a '*' that is not the whole first label (as in *.example.com)";
		s += 2;
	}
	for (;;) {
		size_t len = 0;

		for (; s[len] && s[len] != '.'; len++) {
			if (s[len] == '*')
				return "has a '*' that is not the whole first label (as in "
				       "*.example.com)";
			if (!label_char(s[len]))
				return "is not a host name (letters, digits and '-' in labels "
				       "separated by dots)";
		}
		/* An empty label is also a trailing dot: names are written without it. */
		if (len == 0 || len > LABEL_MAX)
			return "has an empty label or one longer than 63 characters";
		if (!s[len])
			return NULL;
		s += len + 1;
	}
}
