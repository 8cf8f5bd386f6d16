/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the policy files: arbitrary bytes through egw_policy_load_string()
 * against a fixed valid main config (with and without [egress] default_pool, chosen by the
 * input's length), and through egw_policy_load() on a memfd when the input holds NUL bytes
 * (only a file can carry them to the line reader). Besides the sanitizers it checks what the
 * loader promises: no "internal error:" message, sorted errors, 0 returned exactly when there
 * are no errors, and on success a set that the policy compiler can take as it is.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/policy_conf.h"
#include "hostname/hostname.h"

#define MAIN_CONF                                                                                  \
	"[port in]\ndevice = net_null0\nrole = inside\naddress = 198.18.0.1/24\n"                  \
	"[port out]\ndevice = net_null1\nrole = outside\naddress = 203.0.113.2/24\n"               \
	"gateway = 203.0.113.1\n"                                                                  \
	"[pool public]\naddresses = 198.51.100.10-198.51.100.13\n"                                 \
	"[pool second]\naddresses = 198.51.100.20\n"                                               \
	"[egress]\n"

static bool cidrs_ok(const struct egw_cidr *c, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (c[i].len > 32 || (c[i].len < 32 && (c[i].prefix & (UINT32_MAX >> c[i].len))))
			return false;
	return true;
}

static void check_policy(const struct egw_conf *conf, const struct egw_policy_conf *p,
	unsigned order)
{
	if (p->order != order || !memchr(p->name, '\0', sizeof(p->name)) || !p->name[0] ||
		!cidrs_ok(p->sources, p->n_sources) ||
		!cidrs_ok(p->destinations, p->n_destinations) ||
		(unsigned)p->proto > EGW_PROTO_HTTP || (unsigned)p->action > EGW_ACTION_REJECT ||
		p->priority < -1000000 || p->priority > 1000000 || p->max_flows > 100000000)
		abort();
	if ((p->sources_any && p->n_sources) || (p->destinations_any && p->n_destinations) ||
		(p->ports_any && p->n_ports) || (p->n_hosts && p->proto == EGW_PROTO_ICMP))
		abort();
	/* names are kept normalized: normalizing again changes nothing */
	for (unsigned i = 0; i < p->n_hosts; i++) {
		char norm[EGW_HOSTNAME_MAX + 1];
		size_t len;

		if (egw_hostname_normalize(p->hosts[i], strlen(p->hosts[i]), EGW_HOSTNAME_PATTERN,
			    norm, &len) != EGW_HOSTNAME_OK ||
			strcmp(norm, p->hosts[i]) != 0)
			abort();
	}
	for (unsigned i = 0; i < p->n_ports; i++)
		if (p->ports[i].lo == 0 || p->ports[i].lo > p->ports[i].hi)
			abort();
	if (p->nat[0] && (p->nat_none || !egw_conf_pool_find(conf, p->nat)))
		abort();
	if (p->via[0] && !egw_conf_port_find(conf, p->via))
		abort();
	if (egw_action_refuses(p->action) && (p->nat[0] || p->nat_none || p->max_flows))
		abort();
}

static void check(int ret, const struct egw_conf *conf, const struct egw_policy_set *set,
	const struct egw_conf_errors *errs)
{
	if ((ret == 0) != (errs->n == 0) || (ret != 0 && ret != -EINVAL))
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
	for (unsigned i = 0; i < set->n_groups; i++)
		if (!cidrs_ok(set->groups[i].cidrs, set->groups[i].n_cidrs))
			abort();
	if (ret != 0)
		return;
	for (unsigned i = 0; i < set->n_groups; i++)
		if (set->groups[i].n_cidrs == 0)
			abort();
	for (unsigned i = 0; i < set->n_policies; i++)
		check_policy(conf, &set->policies[i], i);
}

static void load_via_file(const uint8_t *data, size_t size, struct egw_conf *conf)
{
	struct egw_conf_errors errs = { 0 };
	struct egw_policy_set set;
	int fd = memfd_create("fuzz_policy", 0);
	int ret;

	if (fd < 0)
		return;
	if (write(fd, data, size) == (ssize_t)size) {
		/* No wildcard: glob() returns the path as it is when it exists. */
		snprintf(conf->egress.policies, sizeof(conf->egress.policies), "/proc/self/fd/%d",
			fd);
		ret = egw_policy_load(conf, &set, &errs);
		check(ret, conf, &set, &errs);
		egw_policy_set_free(&set);
	}
	conf->egress.policies[0] = '\0';
	egw_conf_errors_free(&errs);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct egw_conf *confs[2];
	static FILE *devnull;
	struct egw_conf_errors errs = { 0 };
	struct egw_policy_set set;
	struct egw_conf *conf;
	char *text;
	int ret;

	if (!confs[0]) {
		for (int i = 0; i < 2; i++) {
			confs[i] = malloc(sizeof(*confs[i]));
			if (!confs[i] ||
				egw_conf_load_string("main.ini",
					i ? MAIN_CONF : MAIN_CONF "default_pool = public\n",
					confs[i], &errs) != 0)
				abort();
		}
		devnull = fopen("/dev/null", "w");
		if (!devnull)
			abort();
	}
	conf = confs[size & 1];
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	ret = egw_policy_load_string(conf, "fuzz.ini", text, &set, &errs);
	check(ret, conf, &set, &errs);
	egw_conf_errors_print(&errs, devnull);
	egw_conf_errors_free(&errs);
	egw_policy_set_free(&set);
	free(text);
	text = NULL;

	if (memchr(data, '\0', size))
		load_via_file(data, size, conf);
	return 0;
}
