/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <rte_log.h>

#include "log.h"

static enum egw_log_level current_level = EGW_LOG_INFO;
static int eal_logtype = -1;

static const char *const level_names[] = { "error", "warning", "info", "debug" };

void egw_log_set_level(enum egw_log_level level)
{
	current_level = level;
	if (eal_logtype >= 0)
		rte_log_set_level(eal_logtype, RTE_LOG_ERR + (uint32_t)level);
}

int egw_log_level_parse(const char *name, enum egw_log_level *out)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(name, level_names[i]) == 0) {
			*out = (enum egw_log_level)i;
			return 0;
		}
	}
	return -1;
}

void egw_log_attach_eal(void)
{
	eal_logtype = rte_log_register("egressgw");
	if (eal_logtype >= 0)
		egw_log_set_level(current_level);
}

void egw_log(enum egw_log_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (level > current_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (eal_logtype >= 0)
		rte_log(RTE_LOG_ERR + (uint32_t)level, (uint32_t)eal_logtype, "egressgw: %s: %s\n",
			level_names[level], msg);
	else
		fprintf(stderr, "egressgw: %s: %s\n", level_names[level], msg);
}
