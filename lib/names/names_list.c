/* SPDX-License-Identifier: BSD-3-Clause */
/* Listing a view for operators: the filter of /egw/names and egwctl names, and paging. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "names_internal.h"

enum { NAME_NONE, NAME_GLOB, NAME_SUFFIX };

static int fail(char *err, size_t errlen, const char *term, const char *why)
{
	snprintf(err, errlen, "bad filter term '%s': %s", term, why);
	return -EINVAL;
}

/* A glob over host names: lower-cased, only what a name holds plus * and ?. */
static int parse_glob(const char *v, char *out)
{
	size_t n = strlen(v);

	if (n == 0 || n > EGW_HOSTNAME_MAX)
		return -EINVAL;
	for (size_t i = 0; i <= n; i++) {
		char c = (char)egw_hostname_lower((uint8_t)v[i]);

		if (c && !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr(".-*?", c)))
			return -EINVAL;
		out[i] = c;
	}
	return 0;
}

static int parse_term(char *term, struct egw_names_filter *f, char *err, size_t errlen)
{
	char *eq = strchr(term, '='), *val;
	uint32_t n, a;
	uint8_t len;
	size_t nlen;

	if (!eq || eq == term)
		return fail(err, errlen, term, "expected KEY=VALUE (address name limit)");
	*eq = '\0';
	val = eq + 1;
	if (strcmp(term, "address") == 0 || strcmp(term, "addr") == 0) {
		if (egw_parse_prefix(val, &a, &len) < 0)
			return fail(err, errlen, val, "not an IPv4 address or CIDR");
		f->mask = len ? ~0u << (32 - len) : 0;
		f->prefix = a & f->mask;
		f->addr_on = true;
	} else if (strcmp(term, "name") == 0) {
		if (strpbrk(val, "*?")) {
			if (parse_glob(val, f->name) < 0)
				return fail(err, errlen, val,
					"a glob of letters, digits, '.', '-', '*' and '?'");
			f->name_kind = NAME_GLOB;
		} else {
			if (egw_hostname_normalize(val, strlen(val), 0, f->name, &nlen) !=
				EGW_HOSTNAME_OK)
				return fail(err, errlen, val, "not a host name");
			f->name_kind = NAME_SUFFIX;
		}
	} else if (strcmp(term, "limit") == 0) {
		if (egw_parse_u32(val, 1, EGW_NAMES_LIST_MAX, &n) < 0)
			return fail(err, errlen, val,
				"limit must be 1-40 (telemetry replies are "
				"16 KB)");
		f->limit = n;
	} else {
		return fail(err, errlen, term, "unknown key (address name limit)");
	}
	return 0;
}

int egw_names_filter_parse(const char *s, struct egw_names_filter *f, char *err, size_t errlen)
{
	char buf[512], *save = NULL, *term;

	memset(f, 0, sizeof(*f));
	f->limit = EGW_NAMES_LIST_DEFAULT;
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

/* NAME is FILTER's name, or a name under it (one more label or more on the left). */
static bool under(const char *name, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	if (len == n)
		return memcmp(name, suffix, n) == 0;
	return len > n && name[len - n - 1] == '.' && memcmp(name + len - n, suffix, n) == 0;
}

static bool name_passes(const struct egw_names_filter *f, const char *name, size_t len)
{
	switch (f->name_kind) {
	case NAME_GLOB:
		return fnmatch(f->name, name, 0) == 0;
	case NAME_SUFFIX:
		return under(name, len, f->name);
	default:
		return true;
	}
}

unsigned egw_names_list(const struct egw_names_view *v, const struct egw_names_filter *f,
	uint32_t now, struct egw_names_cursor *cur, struct egw_names_row *rows, unsigned max)
{
	unsigned n = 0;

	if (!v || cur->done) {
		cur->done = true;
		return 0;
	}
	for (; cur->shard < 1u << v->shard_bits; cur->shard++, cur->slot = 0) {
		const struct names_shard *s = v->shards[cur->shard];

		for (; cur->slot <= s->slot_mask; cur->slot++, cur->item = 0) {
			const struct names_slot *slot = &s->slots[cur->slot];

			if (!slot->addr || (f->addr_on && (slot->addr & f->mask) != f->prefix))
				continue;
			for (; cur->item < slot->n; cur->item++) {
				const struct names_item *it = &s->items[slot->first + cur->item];
				const char *name = s->text + it->text;

				if (it->expiry <= now || !name_passes(f, name, it->len))
					continue;
				if (n == max)
					return n;
				rows[n].addr = slot->addr;
				rows[n].ttl_left = it->expiry - now;
				rows[n].len = it->len;
				memcpy(rows[n].name, name, it->len + 1u);
				n++;
			}
		}
	}
	cur->done = true;
	return n;
}
