/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "app.h"
#include "common/log.h"

#define EAL_ARGS_MAX 128

/*
 * Builds the EAL command line from [dpdk] and the ports. Virtual devices are not passed
 * here: they are probed after EAL init, once the number of workers (and so of queues) is
 * known. PCI devices are an explicit allow-list; with none, --no-pci keeps EAL away from
 * every PCI device of the host (its own management NIC included).
 */
int egw_eal_start(const struct egw_conf *conf, int extra_argc, char **extra_argv)
{
	/* Static: EAL keeps pointers into argv (telemetry's /eal/params shows them). */
	static char *argv[EAL_ARGS_MAX];
	static char mem[16], extra[sizeof(conf->dpdk.extra_args)];
	int argc = 0, has_pci = 0, rc;
	char *tok, *save = NULL;

#define PUSH(s)                                                                                    \
	do {                                                                                       \
		if (argc >= EAL_ARGS_MAX - 1)                                                      \
			return -E2BIG;                                                             \
		argv[argc++] = (char *)(s);                                                        \
	} while (0)

	PUSH("egressgw");
	PUSH("--lcores");
	PUSH(conf->dpdk.lcores);
	snprintf(mem, sizeof(mem), "%u", conf->dpdk.memory_mb);
	PUSH("-m");
	PUSH(mem);
	if (!conf->dpdk.hugepages)
		PUSH("--no-huge");
	PUSH("--file-prefix");
	PUSH(conf->dpdk.file_prefix);
	for (unsigned i = 0; i < conf->n_ports; i++) {
		if (!conf->ports[i].is_pci)
			continue;
		PUSH("-a");
		PUSH(conf->ports[i].device);
		has_pci = 1;
	}
	if (!has_pci)
		PUSH("--no-pci");
	snprintf(extra, sizeof(extra), "%s", conf->dpdk.extra_args);
	for (tok = strtok_r(extra, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
		PUSH(tok);
	for (int i = 0; i < extra_argc; i++)
		PUSH(extra_argv[i]);
	argv[argc] = NULL;
#undef PUSH

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		EGW_ERR("EAL initialisation failed: %s", rte_strerror(rte_errno));
		return -rte_errno ? -rte_errno : -EINVAL;
	}
	return 0;
}
