/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ini_reader given to ini_parse_stream. Debian's inih 55 is built with INI_HANDLER_LINENO 0
 * and INI_MAX_LINE 200, so this reader is where lines are counted, where a line too long for
 * inih's buffer is caught instead of being split in two, and where section headers are seen
 * (inih calls no handler for them). To do that it classifies each line exactly as
 * ini_parse_stream will; the handler calls inih then makes are checked against that
 * prediction, so a different inih build shows up as an "internal error", not as silently
 * misattributed keys.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/file.h"
#include "conf_internal.h"

static int src_getc(struct conf_src *src)
{
	int c;

	if (src->fp) {
		if (src->too_big)
			return EOF;
		c = getc(src->fp);
		if (c == EOF) {
			if (ferror(src->fp) && !src->read_errno)
				src->read_errno = errno ? errno : EIO;
			return EOF;
		}
		/* The size fstat gave is no promise (a growing file, /proc): count what comes. */
		if (src->n_read++ == EGW_FILE_MAX_BYTES) {
			src->too_big = true;
			return EOF;
		}
		return c;
	}
	if (!*src->text)
		return EOF;
	return (unsigned char)*src->text++;
}

static bool is_space(char c)
{
	/* inih uses isspace(); so must the mirror, or the two disagree on '\v' and '\f'. */
	return isspace((unsigned char)c) != 0;
}

/* inih's find_chars_or_comment() with INI_ALLOW_INLINE_COMMENTS: ';' after a blank. */
static const char *find_chars_or_comment(const char *s, const char *end, const char *chars)
{
	bool was_space = false;

	while (s < end && !strchr(chars, *s) && !(was_space && *s == ';')) {
		was_space = is_space(*s);
		s++;
	}
	return s;
}

static void section_line(struct conf_ctx *ctx, const char *s, const char *end)
{
	const char *close = find_chars_or_comment(s + 1, end, "]");
	const char *rest;
	char q[CONF_QUOTE_MAX];

	if (close == end || *close != ']') {
		ctx->kind = CONF_LINE_BAD;
		conf_err(ctx, ctx->lineno, "section header has no closing ']'");
		/* inih keeps the previous section; keys below it would land there: skip them. */
		conf_section_lost(ctx);
		return;
	}
	ctx->kind = CONF_LINE_SECTION;
	ctx->ini_prev_name = false;
	ctx->open_section(ctx, s + 1, (size_t)(close - (s + 1)));
	/* inih ignores whatever follows ']'; an operator who wrote something there meant it. */
	for (rest = close + 1; rest < end && is_space(*rest); rest++)
		;
	if (rest < end && *rest != ';' && *rest != '#')
		conf_err(ctx, ctx->lineno, "unexpected text after section header: '%s'",
			conf_quote(q, rest, (size_t)(end - rest)));
}

static void classify(struct conf_ctx *ctx, const char *line, size_t len)
{
	const char *p = line, *end = line + len, *s, *sep;
	char q[CONF_QUOTE_MAX];

	if (ctx->lineno == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0)
		p += 3; /* INI_ALLOW_BOM */
	while (end > p && is_space(end[-1]))
		end--;
	for (s = p; s < end && is_space(*s); s++)
		;

	if (s == end || *s == ';' || *s == '#') {
		ctx->kind = CONF_LINE_BLANK;
	} else if (ctx->ini_prev_name && s > line) {
		/* inih: "Non-blank line with leading whitespace" continues the previous name,
		 * even when it looks like a key or a section header. */
		ctx->kind = CONF_LINE_CONT;
	} else if (*s == '[') {
		section_line(ctx, s, end);
	} else {
		sep = find_chars_or_comment(s, end, "=:");
		if (sep < end && (*sep == '=' || *sep == ':')) {
			ctx->kind = CONF_LINE_KEY;
			ctx->ini_prev_name = sep > s;
		} else {
			ctx->kind = CONF_LINE_BAD;
			conf_err(ctx, ctx->lineno,
				"expected 'key = value', a [section] header or a comment, got '%s'",
				conf_quote(q, s, (size_t)(end - s)));
			/* An indented line below would continue the key before this one. */
			ctx->cont = CONF_CONT_IGNORE;
		}
	}
}

/* A line inih will not see (replaced by ""): forget what it might have continued or opened. */
static void line_lost(struct conf_ctx *ctx, const char *stored, size_t len)
{
	size_t i = 0;

	ctx->kind = CONF_LINE_BLANK;
	ctx->cont = CONF_CONT_IGNORE;
	while (i < len && is_space(stored[i]))
		i++;
	/* Same rule as classify(): an indented line after a key would have been a continuation. */
	if (i < len && stored[i] == '[' && (i == 0 || !ctx->ini_prev_name))
		conf_section_lost(ctx);
}

/* The previous line made exactly the handler calls its classification predicted. */
static void check_previous(struct conf_ctx *ctx)
{
	unsigned expect = ctx->kind == CONF_LINE_KEY || ctx->kind == CONF_LINE_CONT;

	if (ctx->lineno > 0 && ctx->handler_calls != expect)
		conf_err(ctx, ctx->lineno,
			"internal error: inih and the line reader disagree about this line");
	ctx->kind = CONF_LINE_BLANK;
	ctx->handler_calls = 0;
}

char *conf_reader(char *str, int num, void *stream)
{
	struct conf_ctx *ctx = stream;
	size_t len = 0, cap;
	bool any = false, nul = false;
	int c, last = EOF;

	check_previous(ctx);
	if (ctx->stop || num < 2)
		return NULL;
	cap = (size_t)num - 1;
	while ((c = src_getc(&ctx->src)) != EOF) {
		any = true;
		if (c == '\n')
			break;
		if (c == '\0')
			nul = true;
		if (len < cap)
			str[len] = (char)c;
		len++;
		last = c;
	}
	if (!any)
		return NULL;
	ctx->lineno++;
	/* CRLF files: inih strips the '\r' as blank, so it does not count against the limit. */
	if (last == '\r')
		len--;
	if (len > cap) {
		conf_err(ctx, ctx->lineno, "line too long (max %zu bytes)", cap);
		line_lost(ctx, str, cap);
		str[0] = '\0';
		return str;
	}
	str[len] = '\0';
	if (nul) {
		/* inih would stop the line at the NUL and read the rest as a value. */
		conf_err(ctx, ctx->lineno, "line contains a NUL byte");
		line_lost(ctx, str, len);
		str[0] = '\0';
		return str;
	}
	classify(ctx, str, len);
	return str;
}

void conf_reader_finish(struct conf_ctx *ctx, int ini_ret)
{
	/* inih reports the first line it found wrong; we must have reported that line too. */
	if (ini_ret > 0 && !ctx->stop) {
		for (unsigned i = ctx->errs_start; i < ctx->errs->n; i++)
			if (ctx->errs->items[i].line == ini_ret)
				return;
		conf_err(ctx, ini_ret, "internal error: inih found an error the reader did not");
	} else if (ini_ret < 0 && !ctx->stop) {
		conf_err(ctx, 0, "internal error: inih failed (%d)", ini_ret);
	}
}

const char *conf_find_comment(const char *s)
{
	return find_chars_or_comment(s, s + strlen(s), "");
}
