/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the INI config: arbitrary bytes through egw_conf_load_string(), and
 * through egw_conf_load() on a memfd when the input holds NUL bytes (only a file can carry
 * them to the line reader). Besides the sanitizers it checks what the parser promises: no
 * message starting "internal error:" (the line reader and inih agreed on every line), sorted
 * errors, terminated strings, bounded counts, and 0 returned exactly when there are no errors.
 * A valid config is dumped (egw_conf_dump, --check --dump): the dump must load without an
 * error and dump again to the same text.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf/conf.h"

static void check(int ret, const struct egw_conf *conf, const struct egw_conf_errors *errs)
{
	if ((ret == 0) != (errs->n == 0))
		abort();
	for (unsigned i = 0; i < errs->n; i++) {
		const struct egw_conf_error *e = &errs->items[i];

		if (strncmp(e->msg, "internal error:", 15) == 0 || e->line < 0 ||
			!memchr(e->msg, '\0', sizeof(e->msg)) ||
			!memchr(e->file, '\0', sizeof(e->file)))
			abort();
		if (i > 0 && strcmp(errs->items[i - 1].file, e->file) == 0 &&
			errs->items[i - 1].line > e->line)
			abort();
	}
	if (conf->n_ports > EGW_MAX_PORTS || conf->n_pools > EGW_MAX_POOLS)
		abort();
	for (unsigned i = 0; i < conf->n_ports; i++) {
		const struct egw_port_conf *p = &conf->ports[i];

		if (p->n_routes > EGW_MAX_ROUTES || p->n_neighbors > EGW_MAX_STATIC_NEIGHBORS ||
			!memchr(p->name, '\0', sizeof(p->name)) ||
			!memchr(p->device, '\0', sizeof(p->device)))
			abort();
		if (ret == 0 && egw_conf_port_find(conf, p->name) != p)
			abort();
	}
	for (unsigned i = 0; i < conf->n_pools; i++) {
		const struct egw_pool_conf *p = &conf->pools[i];

		if (p->n_addrs > EGW_MAX_POOL_ADDRS || !memchr(p->name, '\0', sizeof(p->name)))
			abort();
		if (ret == 0 && (p->n_addrs == 0 || p->port_first > p->port_last))
			abort();
	}
	if (!memchr(conf->dpdk.extra_args, '\0', sizeof(conf->dpdk.extra_args)) ||
		!memchr(conf->egress.policies, '\0', sizeof(conf->egress.policies)))
		abort();
}

/* CONF as egw_conf_dump writes it, in a malloc'd string; WITHOUT_COMMENTS: the comment
 * lines left out (origins name lines, which differ from one file to the next). */
static char *dumped(const struct egw_conf *conf, bool without_comments)
{
	char *text = NULL, *r, *w;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		abort();
	if (egw_conf_dump(conf, NULL, f) < 0)
		abort();
	fclose(f);
	for (r = w = text; without_comments && *r;) {
		size_t n = strcspn(r, "\n") + (r[strcspn(r, "\n")] == '\n');

		if (*r != ';') {
			memmove(w, r, n);
			w += n;
		}
		r += n;
	}
	if (without_comments)
		*w = '\0';
	return text;
}

/* The dump of a valid CONF loads back to a config that dumps the same. */
static void check_dump(const struct egw_conf *conf)
{
	static struct egw_conf *again;
	struct egw_conf_errors errs = { 0 };
	char *text = dumped(conf, false), *first = dumped(conf, true), *second;

	if (!again && !(again = malloc(sizeof(*again))))
		abort();
	if (egw_conf_load_string(conf->path, text, again, &errs) != 0) {
		egw_conf_errors_print(&errs, stderr);
		fprintf(stderr, "dump does not load:\n%s", text);
		abort();
	}
	second = dumped(again, true);
	if (strcmp(first, second) != 0) {
		fprintf(stderr, "dump differs after a reload:\n%s\n---\n%s", first, second);
		abort();
	}
	egw_conf_errors_free(&errs);
	free(text);
	free(first);
	free(second);
}

static void load_via_file(const uint8_t *data, size_t size, struct egw_conf *conf)
{
	struct egw_conf_errors errs = { 0 };
	char path[64];
	int fd = memfd_create("fuzz_conf", 0);
	int ret;

	if (fd < 0)
		return;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		ret = egw_conf_load(path, conf, &errs);
		check(ret, conf, &errs);
	}
	egw_conf_errors_free(&errs);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct egw_conf *conf;
	static FILE *devnull;
	struct egw_conf_errors errs = { 0 };
	char *text;
	int ret;

	if (!conf) {
		conf = malloc(sizeof(*conf));
		devnull = fopen("/dev/null", "w");
		if (!conf || !devnull)
			abort();
	}
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	ret = egw_conf_load_string("fuzz.ini", text, conf, &errs);
	check(ret, conf, &errs);
	if (ret == 0)
		check_dump(conf);
	egw_conf_errors_print(&errs, devnull);
	egw_conf_errors_free(&errs);
	free(text);
	text = NULL;

	if (memchr(data, '\0', size))
		load_via_file(data, size, conf);
	return 0;
}
