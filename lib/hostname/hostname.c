/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host-name syntax (RFC 1123 labels), shared by the policy files and the data path's parsers,
 * so that a name the data path accepts is exactly a name a policy can write. One pass, no
 * allocation: the data path calls it once per new TLS/HTTP flow and per DNS answer.
 */
#include "hostname.h"

static bool label_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

enum egw_hostname_err egw_hostname_normalize(const char *src, size_t len, unsigned flags, char *dst,
	size_t *out_len)
{
	const uint8_t *s = (const uint8_t *)src;
	size_t i = 0, label = 0;

	/* One trailing dot names the same host (the DNS root); two are an empty label. */
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len > EGW_HOSTNAME_MAX)
		return EGW_HOSTNAME_E_LONG;
	if ((flags & EGW_HOSTNAME_PATTERN) && len >= 1 && s[0] == '*') {
		if (len < 2 || s[1] != '.')
			return EGW_HOSTNAME_E_WILDCARD;
		dst[0] = '*';
		dst[1] = '.';
		i = 2;
	}
	for (; i < len; i++) {
		uint8_t c = egw_hostname_lower(s[i]);

		if (c == '.') {
			if (label == 0)
				return EGW_HOSTNAME_E_LABEL;
			label = 0;
		} else if (label_char(c)) {
			if (++label > EGW_HOSTNAME_LABEL_MAX)
				return EGW_HOSTNAME_E_LABEL;
		} else {
			return c == '*' && (flags & EGW_HOSTNAME_PATTERN) ?
				       EGW_HOSTNAME_E_WILDCARD :
				       EGW_HOSTNAME_E_CHAR;
		}
		dst[i] = (char)c;
	}
	if (label == 0) /* empty name, or a name ending in ".." or "*." */
		return EGW_HOSTNAME_E_LABEL;
	dst[len] = '\0';
	if (out_len)
		*out_len = len;
	return EGW_HOSTNAME_OK;
}

const char *egw_hostname_strerror(enum egw_hostname_err err)
{
	switch (err) {
	case EGW_HOSTNAME_OK:
		return "is a host name";
	case EGW_HOSTNAME_E_LONG:
		return "is longer than 253 characters";
	case EGW_HOSTNAME_E_LABEL:
		return "has an empty label or one longer than 63 characters";
	case EGW_HOSTNAME_E_CHAR:
		return "is not a host name (letters, digits and '-' in labels separated by dots)";
	case EGW_HOSTNAME_E_WILDCARD:
		return "has a '*' that is not the whole first label (as in *.example.com)";
	}
	return "is not a host name";
}
