/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_CONF_H
#define EGW_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/limits.h"
#include "common/types.h"

/*
 * The appliance configuration (SPEC section 4), parsed with inih and validated as a whole.
 * Loading has no side effects: it reads files and fills a struct; nothing is applied.
 * Addresses and ports are stored in host byte order.
 */

/* Where a setting came from, for messages that point the operator at it. */
struct egw_conf_origin {
	char file[EGW_PATH_MAX];
	int line;
};

struct egw_route_conf {
	uint32_t prefix; /* network address, host order, masked */
	uint8_t prefix_len;
	uint32_t via; /* next hop, host order; must be on the port's subnet */
};

struct egw_neighbor_conf {
	uint32_t addr;
	uint8_t mac[6];
};

struct egw_port_conf {
	char name[EGW_NAME_MAX];     /* the NAME of [port NAME] */
	char device[EGW_DEVICE_MAX]; /* PCI address or vdev string as written */
	bool is_pci;		     /* device looks like DDDD:BB:DD.F or BB:DD.F */
	enum egw_port_role role;
	uint32_t addr; /* interface address */
	uint8_t prefix_len;
	uint32_t gateway; /* 0 = none; only outside ports; must be on the port's subnet */
	struct egw_route_conf routes[EGW_MAX_ROUTES];
	unsigned n_routes;
	struct egw_neighbor_conf neighbors[EGW_MAX_STATIC_NEIGHBORS];
	unsigned n_neighbors;
	bool has_mac;
	uint8_t mac[6];
	uint16_t mtu;  /* 68..9000, default 1500 */
	uint32_t vlan; /* 802.1Q VLAN id 1..4094 of a tagged port; 0 = untagged (default) */
	/* Neighbours learned by ARP on this port (static ones never age): */
	uint32_t neighbor_reachable;   /* seconds confirmed, randomized 0.5x-1.5x; default 30 */
	uint32_t neighbor_probes;      /* ARP requests before a neighbour fails; default 3 */
	uint32_t neighbor_gc;	       /* seconds unused before a stale one is removed; 300 */
	struct egw_conf_origin origin; /* line of the [port NAME] header */
};

#define EGW_MAX_CPUS 1024	/* CPU_SETSIZE: what EAL takes in --lcores */
#define EGW_CONF_MAX_WORKERS 16 /* lcores beyond the control lcore (EGW_MAX_WORKERS) */

/* What [dpdk] lcores says before EAL reads it (egw_lcores_parse). */
struct egw_lcores {
	unsigned n_lcores;		  /* distinct lcores: the control lcore and the workers */
	unsigned bad_lcore;		  /* -ERANGE: the lcore id at or above RTE_MAX_LCORE */
	uint64_t cpus[EGW_MAX_CPUS / 64]; /* the CPUs they may run on, one bit each */
};

struct egw_addr_range {
	uint32_t first, last; /* inclusive, host order */
};

struct egw_pool_conf {
	char name[EGW_NAME_MAX];
	uint32_t addrs[EGW_MAX_POOL_ADDRS]; /* expanded, in the order written, no duplicates */
	unsigned n_addrs;
	uint16_t port_first, port_last;	  /* default 1024-65535 */
	enum egw_nat_mapping mapping;	  /* default endpoint-independent */
	enum egw_nat_filtering filtering; /* default address-and-port-dependent */
	enum egw_nat_pairing pairing;	  /* default paired */
	uint32_t max_per_source;	  /* live mappings; default 65536; 0 = unlimited */
	struct egw_conf_origin origin;
};

/* [egress] ech: what a ClientHello with an encrypted_client_hello extension is matched on. */
enum egw_ech { EGW_ECH_OUTER = 0, EGW_ECH_DENY };
/* [egress] host_binding (issue 12): when the appliance answers a TCP handshake itself and opens
 * the upstream one once the host name has decided the pool and exit. */
enum egw_host_binding { EGW_BINDING_AUTO = 0, EGW_BINDING_EARLY, EGW_BINDING_LATE };
/* [flows] syn_cookies: answer every new TCP flow's SYN with a cookie (the late-binding path),
 * never, or (auto) while a worker sees more SYNs a second or half-open flows than the
 * thresholds (a SYN flood). */
enum egw_syn_cookies { EGW_SYN_COOKIES_OFF = 0, EGW_SYN_COOKIES_ON, EGW_SYN_COOKIES_AUTO };

#define EGW_TUNNEL_CONF_RESOLVERS_MAX 4 /* lib/tunnel's EGW_TUNNEL_RESOLVERS_MAX */

struct egw_tunnel_listen_conf {
	uint32_t addr; /* host order */
	uint16_t port; /* 0: not listening */
};

/* Is any [tunnel] listener set? */
#define EGW_TUNNEL_CONF_ON(c)                                                                      \
	((c)->tunnel.http.port || (c)->tunnel.https.port || (c)->tunnel.socks5.port)

struct egw_conf {
	char path[EGW_PATH_MAX]; /* the main file, as given */

	struct {
		char lcores[128];	     /* EAL --lcores value; default "0-1" */
		struct egw_lcores lcore_set; /* LCORES read */
		uint32_t memory_mb;	     /* default 1024 */
		bool hugepages;		     /* default yes */
		char file_prefix[64];	     /* default "egressgw" */
		char extra_args[512];	     /* split on blanks and appended to the EAL arguments */
		uint32_t mbufs;		/* packet buffers beyond what the queues and rings need:
					    default 0; e.g. for a net_pcap port with infinite_rx,
					    which keeps its whole file in buffers */
		uint32_t idle_sleep_us; /* workers sleep this long after an empty poll round;
					    0 = busy poll (default). For shared/oversubscribed CPUs. */
		/* Where lcores, memory_mb and file_prefix were set (line 0: the default), for the
		 * checks against this machine (egressgw --check). */
		struct egw_conf_origin lcores_origin, memory_origin, file_prefix_origin;
	} dpdk;

	struct egw_port_conf ports[EGW_MAX_PORTS];
	unsigned n_ports;

	struct {
		enum egw_mode mode;	     /* default policy */
		char policies[EGW_PATH_MAX]; /* glob; empty = none */
		/* The policies line: a matched file that is no policy file is reported there. */
		struct egw_conf_origin policies_origin;
		bool inline_policies; /* the main file has [group]/[policy] sections too */
		char default_pool[EGW_NAME_MAX]; /* required when mode = passthrough */
		enum egw_revalidate revalidate;	 /* default reset */
		enum egw_ip_options ip_options;	 /* default drop-source-route */
		/* Refusals answered (TCP RST / ICMP 3/13) or dropped: the mode's own (default
		 * deny, no match) and NAT exhaustion's (RFC 6888); per worker, at most reject_rate
		 * answers a second (RFC 1812 4.3.2.8). Defaults drop, drop, 1000. */
		enum egw_deny_action deny_action, exhaustion_action;
		uint32_t reject_rate;
		struct egw_conf_origin mode_origin;
		/* Host names (SPEC 6): */
		uint32_t host_timeout;	  /* seconds a flow may wait for its name; default 10 */
		uint32_t host_hold_bytes; /* first client data held per pending flow; 16384 */
		uint32_t host_hold_total; /* bytes held by one worker in all; 64 MiB */
		enum egw_ech ech;	  /* default outer */
		enum egw_host_binding host_binding; /* default auto */
		uint32_t dns_min_ttl;	   /* seconds a learned name lives at least; default 60 */
		uint32_t dns_max_per_name; /* addresses kept per learned name; default 64 */
		uint32_t dns_max_entries;  /* (name, address) pairs learned in all; 1000000 */
		bool dns_filter;	   /* NXDOMAIN for names no policy allows; default no */
	} egress;

	struct egw_pool_conf pools[EGW_MAX_POOLS];
	unsigned n_pools;

	struct {
		uint32_t max;		  /* default 1000000, >= 1 */
		uint32_t tcp_syn;	  /* seconds, default 30 */
		uint32_t tcp_established; /* default 7440 (RFC 5382 minimum 7440) */
		uint32_t tcp_transitory;  /* default 240: both FINs seen, the last ACK not yet */
		uint32_t tcp_time_wait;	  /* default 120 (Linux conntrack's TIME_WAIT) */
		uint32_t tcp_close;	  /* default 10: after a RST */
		uint32_t udp_reply;	  /* default 30: request-only, answered request/response */
		uint32_t udp;		  /* default 300: streams */
		/* udp_port_timeouts: per destination port 0-1023, in the order written */
		struct {
			uint16_t port;
			uint32_t seconds;
		} udp_ports[EGW_MAX_UDP_PORT_TIMEOUTS];
		unsigned n_udp_ports;
		uint32_t icmp;			  /* default 60 */
		bool tcp_pickup;		  /* default yes */
		bool tcp_window_check;		  /* default yes */
		enum egw_syn_cookies syn_cookies; /* default off */
		/* auto: per worker, SYNs in a second / half-open TCP flows that switch cookies on
		 * (defaults 20000, 50000) */
		uint32_t syn_cookie_rate, syn_cookie_half_open;
		/* IPv4 fragment trains per worker: notes and fragments waiting (default 256),
		 * and how long a note lives (seconds, default 2) */
		uint32_t fragment_trains, fragment_timeout;
		struct egw_conf_origin max_origin;
	} flows;

	struct {
		char socket[EGW_PATH_MAX]; /* default /run/egressgw/control.sock */
	} control;

	struct {
		char listen[128];		      /* default 127.0.0.1:9610; empty = off */
		struct egw_conf_origin listen_origin; /* line 0: the default */
		bool latency; /* RX-to-TX latency histograms (/egw/latency); default no */
	} metrics;

	/*
	 * [tunnel] (lib/tunnel, SPEC 8): HTTP CONNECT and SOCKS5 listeners on inside port
	 * addresses (port 0: off). Limits and timeouts 0: the engine's defaults.
	 */
	struct {
		struct egw_tunnel_listen_conf http, https, socks5;
		char tls_cert[EGW_PATH_MAX], tls_key[EGW_PATH_MAX]; /* PEM; https needs both */
		char users[EGW_PATH_MAX];			    /* "" = no authentication */
		uint32_t resolvers[EGW_TUNNEL_CONF_RESOLVERS_MAX];  /* port 53 */
		unsigned n_resolvers;
		/* The upstream sockets' address: routed to the exception port, NATed like any
		 * inside source. Default 169.254.0.2 (link-local: no inside host has it). */
		uint32_t source;
		uint32_t max_clients, max_buffers, h2_max_streams;
		uint32_t handshake_ms, connect_ms, idle_ms, resolve_ms;
		struct egw_conf_origin origin; /* the [tunnel] header (line 0: no section) */
	} tunnel;

	struct {
		char level[16];		     /* error | warning | info | debug; default info */
		char flow_log[EGW_PATH_MAX]; /* empty = off */
		struct egw_conf_origin flow_log_origin;
	} log;
};

/* One problem found while loading: "FILE:LINE: message". */
struct egw_conf_error {
	char file[EGW_PATH_MAX];
	int line; /* 0 when the problem is about the file as a whole */
	char msg[256];
};

struct egw_conf_errors {
	struct egw_conf_error *items;
	unsigned n, cap;
};

/* Fills *conf with defaults (what an empty file gives). */
void egw_conf_defaults(struct egw_conf *conf);

/*
 * Parses and validates PATH into *conf. Every problem found is appended to *errs (all of them,
 * not only the first). Returns 0 when the file is valid, -EINVAL when errs holds problems,
 * -errno when the file cannot be read (also reported in errs). On failure *conf is unspecified
 * and must not be applied.
 */
int egw_conf_load(const char *path, struct egw_conf *conf, struct egw_conf_errors *errs);

/* Same as egw_conf_load on an in-memory text; NAME is used in messages (tests, fuzzing). */
int egw_conf_load_string(const char *name, const char *text, struct egw_conf *conf,
	struct egw_conf_errors *errs);

void egw_conf_errors_print(const struct egw_conf_errors *errs, FILE *out);

/*
 * Appends one "FILE:LINE: message" (line 0 = the file as a whole), for other parsers that
 * report into the same list (policy files). Returns 0 or -ENOMEM.
 */
int egw_conf_errors_add(struct egw_conf_errors *errs, const char *file, int line, const char *fmt,
	...) __attribute__((format(printf, 4, 5)));
void egw_conf_errors_free(struct egw_conf_errors *errs);

struct egw_policy_set;
/*
 * The effective configuration C and policy set SET (may be NULL) as INI to OUT: every key in
 * force, defaults included, groups and policies as compiled, origins as comments. What it
 * writes loads back (policies in the main file) to the same configuration. 0 or -EIO.
 */
int egw_conf_dump(const struct egw_conf *c, const struct egw_policy_set *set, FILE *out);

/* Lookups used after validation. */
const struct egw_pool_conf *egw_conf_pool_find(const struct egw_conf *conf, const char *name);
const struct egw_port_conf *egw_conf_port_find(const struct egw_conf *conf, const char *name);

/* Small parsers shared with the policy files (issue 3) and egwctl. Return 0 or -EINVAL. */
int egw_parse_ipv4(const char *s, uint32_t *addr);
int egw_parse_cidr(const char *s, uint32_t *prefix, uint8_t *len); /* rejects host bits set */
int egw_parse_ifaddr(const char *s, uint32_t *addr,
	uint8_t *len); /* "a.b.c.d/len", host bits allowed */
int egw_parse_mac(const char *s, uint8_t mac[6]);
int egw_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
int egw_parse_bool(const char *s, bool *out);
int egw_parse_port_range(const char *s, uint16_t *first, uint16_t *last); /* "N" or "N-M" */
int egw_parse_addr_range(const char *s, struct egw_addr_range *r);	  /* "a.b.c.d" or "a-b" */
/* "a.b.c.d" (length 32) or "a.b.c.d/len" with len 0-32, host bits allowed: a filter. */
int egw_parse_prefix(const char *s, uint32_t *addr, uint8_t *len);
/* EAL --lcores syntax; 0, -EINVAL (syntax), -ERANGE (an lcore id past RTE_MAX_LCORE). */
int egw_lcores_parse(const char *s, struct egw_lcores *out);
bool egw_lcores_has_cpu(const struct egw_lcores *l, unsigned cpu);
/* "a.b.c.d:port", port 1-65535. */
int egw_parse_hostport(const char *s, uint32_t *addr, uint16_t *port);
/*
 * "HOST:PORT" or "[IPV6]:PORT" ([metrics] listen, egwctl -m): HOST an IPv4 address, a host
 * name (letters, digits, '-', '.') or, in brackets, an IPv6 address; PORT 1-65535. HOST goes
 * to HOST (brackets removed; HOSTLEN bytes). 0 or -EINVAL. Nothing is resolved here.
 */
int egw_parse_listen(const char *s, char *host, size_t hostlen, uint16_t *port);

/* A host-order address as a dotted quad into BUF. */
const char *egw_fmt_ipv4(char buf[16], uint32_t addr);
const char *egw_role_name(enum egw_port_role role);
const char *egw_mapping_name(enum egw_nat_mapping mapping);
const char *egw_filtering_name(enum egw_nat_filtering filtering);

const char *egw_mode_name(enum egw_mode mode);
int egw_mode_parse(const char *s, enum egw_mode *out);
/* "drop-source-route", "drop-all", "pass" ([egress] ip_options). */
const char *egw_ip_options_name(enum egw_ip_options v);
/* "drop", "reject" ([egress] deny_action, exhaustion_action). */
const char *egw_deny_action_name(enum egw_deny_action v);
/* "auto", "early", "late" ([egress] host_binding). */
const char *egw_host_binding_name(enum egw_host_binding v);
/* "off", "on", "auto" ([flows] syn_cookies). */
const char *egw_syn_cookies_name(enum egw_syn_cookies v);

#endif
