/* SPDX-License-Identifier: BSD-3-Clause */
#include <netinet/in.h>

#include "flow.h"

const char *egw_flow_state_name(uint8_t state)
{
	static const char *const names[EGW_FLOW_STATE_MAX] = {
		[EGW_FLOW_FREE] = "free",
		[EGW_TCP_SYN_SENT] = "syn_sent",
		[EGW_TCP_SYN_RECV] = "syn_recv",
		[EGW_TCP_ESTABLISHED] = "established",
		[EGW_TCP_FIN_WAIT] = "fin_wait",
		[EGW_TCP_CLOSING] = "closing",
		[EGW_TCP_TIME_WAIT] = "time_wait",
		[EGW_TCP_RESET] = "closed",
		[EGW_UDP_ANSWERED] = "udp_answered",
		[EGW_UDP_REQUEST] = "udp_request",
		[EGW_FLOW_UDP] = "udp",
		[EGW_FLOW_ICMP] = "icmp",
	};

	return state < EGW_FLOW_STATE_MAX ? names[state] : "unknown";
}

const char *egw_proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP  ? "tcp" :
	       proto == IPPROTO_UDP  ? "udp" :
	       proto == IPPROTO_ICMP ? "icmp" :
				       "other";
}
