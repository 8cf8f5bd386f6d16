/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_EXCEPTION_INTERNAL_H
#define EGW_EXCEPTION_INTERNAL_H

/* lib/pipeline only: the exception path's state and its data-path entry points. */
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "exception.h"
#include "flow/flow.h"
#include "pkt/pkt.h"

struct exc_worker;

struct egw_exception {
	uint16_t port;
	struct rte_ether_addr kernel_mac;
	uint32_t source_be;
	uint32_t listen_addr_be[EGW_EXCEPTION_LISTENERS];
	uint16_t listen_port_be[EGW_EXCEPTION_LISTENERS];
	uint32_t resolver_be[EGW_EXCEPTION_RESOLVERS];
	uint64_t admissions_dropped; /* tunnel thread */
	struct exc_worker *w[EGW_MAX_WORKERS];
};

void egw_exception_free(struct egw_exception *x, unsigned n_workers);

/* M, from inside port IN to one of our addresses: true when it was for a listener and went
 * to the kernel. */
bool egw_pl_exception_local(struct egw_worker *w, struct rte_mbuf *m,
	const struct egw_pkt_meta *meta, const struct egw_port_info *in);
/* M, from the kernel: true when it goes on as inside traffic (the upstream sockets'); false
 * when it was sent (an answer to a client) or dropped. */
bool egw_pl_exception_from_kernel(struct egw_worker *w, struct rte_mbuf *m,
	const struct egw_pkt_meta *meta);
/* A new flow from the kernel: admitted as its tunnel decided, or tunnel_unadmitted. */
enum egw_drop_reason egw_pl_exception_admit(struct egw_worker *w, const struct egw_snapshot *snap,
	const struct egw_flow_key *key, const struct egw_policy_rt **rt);

#endif
