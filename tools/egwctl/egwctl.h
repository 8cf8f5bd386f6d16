/* SPDX-License-Identifier: BSD-3-Clause */
/* What every egwctl command gets from the command line, and how it may end. */
#ifndef EGW_CTL_H
#define EGW_CTL_H

/* Exit statuses: 1 the daemon said no or could not be asked, 2 the command line is wrong. */
#define EGW_CTL_OK 0
#define EGW_CTL_FAIL 1
#define EGW_CTL_USAGE 2

struct egw_ctl_opts {
	const char *socket;  /* control socket */
	const char *prefix;  /* DPDK file prefix: /var/run/dpdk/PREFIX/dpdk_telemetry.v2 */
	const char *metrics; /* HOST:PORT, NULL: ask /egw/info */
	int json;
	unsigned long limit; /* flows: at most this many listed; 0: every match */
	int rules;	     /* policies: each one's rule as INI, with its origin */
};

/* One per command: ARGV[0] is the command's name. Returns an exit status. */
int egw_ctl_status(const struct egw_ctl_opts *o, int argc, char **argv);
int egw_ctl_stats(const struct egw_ctl_opts *o, int argc, char **argv);
int egw_ctl_ports(const struct egw_ctl_opts *o, int argc, char **argv);
int egw_ctl_workers(const struct egw_ctl_opts *o, int argc, char **argv);
int egw_ctl_sources(const struct egw_ctl_opts *o, int argc, char **argv);
int egw_ctl_tunnels(const struct egw_ctl_opts *o, int argc, char **argv);
int egw_ctl_policies(const struct egw_ctl_opts *o, int argc, char **argv);
int egw_ctl_pools(const struct egw_ctl_opts *o, int argc, char **argv);
int egw_ctl_flows(const struct egw_ctl_opts *o, int argc, char **argv);
int egw_ctl_neighbors(const struct egw_ctl_opts *o, int argc, char **argv);
int egw_ctl_names(const struct egw_ctl_opts *o, int argc, char **argv);
int egw_ctl_metrics(const struct egw_ctl_opts *o, int argc, char **argv);
int egw_ctl_write(const struct egw_ctl_opts *o, int argc, char **argv);

#endif
