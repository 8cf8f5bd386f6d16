/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_TYPES_H
#define EGW_TYPES_H

/* Enumerations the configuration, the data path and telemetry share. */
enum egw_port_role { EGW_ROLE_INSIDE = 0, EGW_ROLE_OUTSIDE = 1 };
enum egw_mode { EGW_MODE_PASSTHROUGH = 0, EGW_MODE_POLICY, EGW_MODE_DENY };
enum egw_revalidate { EGW_REVALIDATE_RESET = 0, EGW_REVALIDATE_KEEP };
enum egw_nat_mapping { EGW_MAPPING_ENDPOINT_DEPENDENT = 0, EGW_MAPPING_ENDPOINT_INDEPENDENT };
/* RFC 4787 REQ-8: which outside packets an endpoint-independent mapping lets in unasked. */
enum egw_nat_filtering {
	EGW_FILTERING_ADDRESS_AND_PORT_DEPENDENT = 0,
	EGW_FILTERING_ADDRESS_DEPENDENT,
	EGW_FILTERING_ENDPOINT_INDEPENDENT,
};
enum egw_nat_pairing { EGW_PAIRING_PAIRED = 0, EGW_PAIRING_ARBITRARY };
/* What becomes of IPv4 packets with options (RFC 7126); malformed option lists never pass. */
enum egw_ip_options {
	EGW_IP_OPTIONS_DROP_SOURCE_ROUTE = 0, /* drop LSRR/SSRR, forward the rest unchanged */
	EGW_IP_OPTIONS_DROP_ALL,	      /* drop any option but EOL/NOP padding */
	EGW_IP_OPTIONS_PASS,		      /* forward every well-formed option list */
};
/* [egress] deny_action: what becomes of a packet the mode refuses (default deny, no match). */
enum egw_deny_action {
	EGW_DENY_DROP = 0, /* freed silently: the client waits for its timeout */
	EGW_DENY_REJECT,   /* answered: TCP RST, ICMP administratively prohibited (3/13) */
};

#endif
