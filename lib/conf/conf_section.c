/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Section headers and key dispatch: which section a key belongs to, unknown and duplicate
 * keys, continuation lines. Values themselves are checked by the setters in conf_keys.c.
 * A section whose header was wrong is skipped as a whole: its header error is enough, one
 * "unknown key" per line below it would only bury it.
 */
#include <stdlib.h>
#include <string.h>

#include "conf_internal.h"

struct sect_type {
	const char *name;
	enum conf_sect sect;
	bool named; /* [port NAME], [pool NAME] */
};

static const struct sect_type sect_types[] = {
	{ "dpdk", CONF_SECT_DPDK, false },
	{ "port", CONF_SECT_PORT, true },
	{ "egress", CONF_SECT_EGRESS, false },
	{ "pool", CONF_SECT_POOL, true },
	{ "flows", CONF_SECT_FLOWS, false },
	{ "control", CONF_SECT_CONTROL, false },
	{ "metrics", CONF_SECT_METRICS, false },
	{ "log", CONF_SECT_LOG, false },
	{ "tunnel", CONF_SECT_TUNNEL, false },
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

bool conf_valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= EGW_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			    (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

void conf_set_label(struct conf_ctx *ctx, const char *type, const char *name)
{
	if (name && *name)
		snprintf(ctx->label, sizeof(ctx->label), "[%s %s]", type, name);
	else
		snprintf(ctx->label, sizeof(ctx->label), "[%s]", type);
}

static void skip_section(struct conf_ctx *ctx)
{
	ctx->sect = CONF_SECT_SKIP;
	ctx->keys = NULL;
	ctx->n_keys = 0;
	ctx->st = NULL;
}

void conf_section_lost(struct conf_ctx *ctx)
{
	skip_section(ctx);
	ctx->cont = CONF_CONT_IGNORE;
}

bool conf_check_name(struct conf_ctx *ctx, const char *type, const char *name)
{
	char q[CONF_QUOTE_MAX];

	if (!*name) {
		conf_err(ctx, ctx->lineno, "[%s] needs a name: [%s NAME]", type, type);
		return false;
	}
	if (!conf_valid_name(name)) {
		conf_err(ctx, ctx->lineno,
			"invalid %s name '%s': use 1-%d characters of A-Z a-z 0-9 _ -", type,
			conf_quote(q, name, SIZE_MAX), EGW_NAME_MAX - 1);
		return false;
	}
	return true;
}

/* [port NAME] / [pool NAME]: returns the new index, or -1 after reporting why not. */
static int open_named(struct conf_ctx *ctx, const struct sect_type *t, const char *name)
{
	struct egw_conf *conf = ctx->conf;
	bool port = t->sect == CONF_SECT_PORT;
	unsigned n = port ? conf->n_ports : conf->n_pools;
	unsigned max = port ? EGW_MAX_PORTS : EGW_MAX_POOLS;

	if (!conf_check_name(ctx, t->name, name))
		return -1;
	for (unsigned i = 0; i < n; i++) {
		const char *other = port ? conf->ports[i].name : conf->pools[i].name;
		int line = port ? ctx->ports[i].line : ctx->pools[i].line;

		if (strcmp(other, name) == 0) {
			conf_err(ctx, ctx->lineno, "duplicate section [%s %s] (first at line %d)",
				t->name, name, line);
			return -1;
		}
	}
	if (n == max) {
		conf_err(ctx, ctx->lineno, "too many %s sections (max %u)", t->name, max);
		return -1;
	}
	if (port) {
		conf_port_init(&conf->ports[n]);
		conf_copy(conf->ports[n].name, sizeof(conf->ports[n].name), name);
		conf_copy(conf->ports[n].origin.file, sizeof(conf->ports[n].origin.file),
			ctx->file);
		conf->ports[n].origin.line = ctx->lineno;
		ctx->ports[n].line = ctx->lineno;
		ctx->st = &ctx->ports[n];
		conf->n_ports++;
	} else {
		conf_pool_init(&conf->pools[n]);
		conf_copy(conf->pools[n].name, sizeof(conf->pools[n].name), name);
		conf_copy(conf->pools[n].origin.file, sizeof(conf->pools[n].origin.file),
			ctx->file);
		conf->pools[n].origin.line = ctx->lineno;
		ctx->pools[n].line = ctx->lineno;
		ctx->st = &ctx->pools[n];
		conf->n_pools++;
	}
	return (int)n;
}

void conf_section_begin(struct conf_ctx *ctx, const char *text, size_t len,
	char buf[CONF_HEADER_MAX], char **type, char **name, char whole[CONF_QUOTE_MAX])
{
	char *t, *n, *end;

	ctx->cont = CONF_CONT_NONE;
	skip_section(ctx);
	if (len >= CONF_HEADER_MAX)
		len = CONF_HEADER_MAX - 1;
	memcpy(buf, text, len);
	buf[len] = '\0';

	/* "[ port  a ]" is "[port a]": split the type from the name on blanks. */
	for (t = buf; is_blank(*t); t++)
		;
	for (end = t + strlen(t); end > t && is_blank(end[-1]); end--)
		;
	*end = '\0';
	conf_quote(whole, t, SIZE_MAX);
	for (n = t; *n && !is_blank(*n); n++)
		;
	if (*n) {
		*n++ = '\0';
		while (is_blank(*n))
			n++;
	}
	*type = t;
	*name = n;
}

void conf_section_open(struct conf_ctx *ctx, const char *text, size_t len)
{
	char buf[CONF_HEADER_MAX], q[CONF_QUOTE_MAX], whole[CONF_QUOTE_MAX];
	char *type, *name;
	const struct sect_type *t = NULL;
	int idx = 0;

	conf_section_begin(ctx, text, len, buf, &type, &name, whole);
	/* Policies may live in the main file too (what --dump writes): the policy loader reads
	 * these sections, with the same checks as in a policy file. */
	if (strcmp(type, "group") == 0 || strcmp(type, "policy") == 0) {
		ctx->conf->egress.inline_policies = true;
		return;
	}
	for (size_t i = 0; i < sizeof(sect_types) / sizeof(sect_types[0]); i++)
		if (strcmp(type, sect_types[i].name) == 0)
			t = &sect_types[i];
	if (!t) {
		conf_err(ctx, ctx->lineno,
			"unknown section [%s] (known: dpdk, port NAME, egress, pool NAME, flows, "
			"control, metrics, log, tunnel, group NAME, policy NAME)",
			whole);
		return;
	}
	if (t->named) {
		idx = open_named(ctx, t, name);
		if (idx < 0)
			return;
	} else {
		if (*name) {
			conf_err(ctx, ctx->lineno, "[%s] takes no name, got '%s'", t->name,
				conf_quote(q, name, SIZE_MAX));
			return;
		}
		if (ctx->single[t->sect].line) {
			conf_err(ctx, ctx->lineno, "duplicate section [%s] (first at line %d)",
				t->name, ctx->single[t->sect].line);
			return;
		}
		ctx->st = &ctx->single[t->sect];
		ctx->st->line = ctx->lineno;
	}
	ctx->sect = t->sect;
	ctx->idx = (unsigned)idx;
	conf_set_label(ctx, t->name, t->named ? name : NULL);
	ctx->keys = conf_keys_of(t->sect, &ctx->n_keys);
}

void conf_key_line(struct conf_ctx *ctx, const char *name, const char *value)
{
	char q[CONF_QUOTE_MAX];
	const struct conf_key *key = NULL;
	unsigned i;

	ctx->cont = CONF_CONT_IGNORE;
	if (ctx->sect == CONF_SECT_SKIP)
		return;
	if (ctx->sect == CONF_SECT_NONE) {
		conf_err(ctx, ctx->lineno, "key '%s' is outside any [section]",
			conf_quote(q, name, SIZE_MAX));
		return;
	}
	if (!*name) {
		conf_err(ctx, ctx->lineno, "missing key name before '=' in %s", ctx->label);
		return;
	}
	for (i = 0; i < ctx->n_keys; i++) {
		if (strcmp(ctx->keys[i].name, name) == 0) {
			key = &ctx->keys[i];
			break;
		}
	}
	if (!key) {
		conf_err(ctx, ctx->lineno, "unknown key '%s' in %s", conf_quote(q, name, SIZE_MAX),
			ctx->label);
		return;
	}
	if (ctx->st->key_line[i]) {
		conf_err(ctx, ctx->lineno, "duplicate key '%s' in %s (first at line %d)", key->name,
			ctx->label, ctx->st->key_line[i]);
		return;
	}
	ctx->st->key_line[i] = ctx->lineno;
	ctx->cont = (key->flags & CONF_KEY_LIST) ? CONF_CONT_APPEND : CONF_CONT_REJECT;
	ctx->cont_key = key;
	key->set(ctx, key, value);
}

void conf_key_continue(struct conf_ctx *ctx, const char *value)
{
	char q[CONF_QUOTE_MAX];
	char *v, *end;

	if (ctx->cont == CONF_CONT_NONE || ctx->cont == CONF_CONT_IGNORE)
		return;
	if (ctx->cont == CONF_CONT_REJECT) {
		conf_err_key(ctx, ctx->lineno, ctx->cont_key->name,
			"continuation line '%s' not allowed: only %s span lines (remove the "
			"indentation)",
			conf_quote(q, value, SIZE_MAX), ctx->cont_keys);
		return;
	}
	/* inih 55 strips inline comments from key lines but not from continuation lines. */
	v = strdup(value);
	if (!v) {
		ctx->nomem = true;
		ctx->stop = true;
		return;
	}
	end = (char *)conf_find_comment(v);
	*end = '\0';
	while (end > v && is_blank(end[-1]))
		*--end = '\0';
	ctx->cont_key->set(ctx, ctx->cont_key, v);
	free(v);
	v = NULL;
}
