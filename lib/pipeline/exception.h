/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_EXCEPTION_H
#define EGW_EXCEPTION_H

/*
 * The exception path of the tunnel service (lib/tunnel, SPEC 8): a port whose other end is the
 * kernel (DPDK net_tap in a namespace of the appliance's own). The data path hands it the
 * clients' packets for the listener addresses and ports, sends the kernel's answers to the
 * clients out of their inside port, and takes the upstream sockets' packets (from the tunnel's
 * source address) as inside traffic: NAT with the pool and exit the tunnel's decision gave,
 * admitted through the owning worker's admission ring before connect() sends the SYN.
 */
#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#include "dataplane.h"
#include "names/names.h"
#include "policy/snapshot.h"

#define EGW_EXCEPTION_LISTENERS 3
#define EGW_EXCEPTION_RESOLVERS 4

struct egw_exception_params {
	uint16_t port;			  /* the exception port's id (registered, zone inside) */
	struct rte_ether_addr kernel_mac; /* the kernel interface's MAC */
	uint32_t source;		  /* the upstream sockets' address, host order */
	struct {
		uint32_t addr; /* host order; an inside port's address */
		uint16_t port; /* 0: unused */
	} listeners[EGW_EXCEPTION_LISTENERS];
	/* The engine's DNS servers (host order, 0: unused): its queries to their port 53 are
	 * admitted without a decision, under the mode, with the default pool. */
	uint32_t resolvers[EGW_EXCEPTION_RESOLVERS];
};

/*
 * Control thread, before the workers start: turns the exception path on (per worker an
 * admission ring and table). 0, -EEXIST (already on), -ENOMEM.
 */
int egw_dataplane_set_exception(struct egw_dataplane *dp, const struct egw_exception_params *p);

/*
 * What a tunnel decision admits: the upstream flow SOURCE:LPORT -> DST:DPORT (host order) of
 * policy POLICY (index + 1 in the snapshot of EPOCH; 0: the mode decided, default pool and
 * route). Tunnel thread (the rings' one producer), before connect(). 0, or -ENOBUFS when the
 * owner's ring is full (the request is refused) or -ENODEV when the path is off.
 */
int egw_dataplane_exception_admit(struct egw_dataplane *dp, uint16_t lport, uint32_t dst,
	uint16_t dport, uint32_t policy, uint64_t epoch);

/*
 * The tunnel thread's read-side section over the published snapshot and names (the QSBR id
 * after the workers'): begin returns the snapshot (NULL before the first publish) and the
 * names view in *NAMES; end always follows. Tunnel thread only.
 */
const struct egw_snapshot *egw_dataplane_exception_read_begin(struct egw_dataplane *dp,
	const struct egw_names_view **names);
void egw_dataplane_exception_read_end(struct egw_dataplane *dp);

/* Counters of the exception path, summed over the workers (any thread). */
struct egw_exception_stats {
	uint64_t to_kernel;	     /* client packets handed to the kernel */
	uint64_t from_kernel;	     /* the kernel's answers sent to clients */
	uint64_t upstream;	     /* upstream sockets' packets taken into the data path */
	uint64_t admitted;	     /* upstream flows admitted with their tunnel's decision */
	uint64_t admissions_dropped; /* admissions lost to a full ring */
};
void egw_dataplane_exception_stats(const struct egw_dataplane *dp, struct egw_exception_stats *out);

#endif
