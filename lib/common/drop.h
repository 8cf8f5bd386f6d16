/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_DROP_H
#define EGW_DROP_H

/*
 * Every packet the appliance does not transmit is freed with exactly one of these reasons.
 * One list produces the enum, the telemetry/metric names and the help text (VPP's
 * foreach_*_error idiom), so a reason cannot exist in one place and be missing in another.
 */
#define EGW_FOREACH_DROP(_)                                                                        \
	_(ETH_TRUNCATED, "eth_truncated", "frame shorter than an Ethernet header")                 \
	_(ETHERTYPE_UNSUPPORTED, "ethertype_unsupported", "neither IPv4 nor ARP (IPv6, ...)")      \
	_(VLAN_UNKNOWN, "vlan_unknown", "802.1Q tag of no port's vlan (or tagged on untagged)")    \
	_(VLAN_QINQ, "vlan_qinq", "two VLAN tags (802.1ad, QinQ): not supported")                  \
	_(VLAN_TAG_FAILED, "vlan_tag_failed", "exit port's VLAN tag not added (mbuf shared)")      \
	_(L2_NOT_FOR_US, "l2_not_for_us", "destination MAC is neither ours nor broadcast")         \
	_(ARP_MALFORMED, "arp_malformed", "ARP packet too short or not Ethernet/IPv4")             \
	_(ARP_HANDLED, "arp_handled", "ARP consumed by the control thread (not an error)")         \
	_(ARP_SPOOFED, "arp_spoofed", "ARP claiming our address or another port's subnet")         \
	_(IP_TRUNCATED, "ip_truncated", "frame shorter than the IPv4 header")                      \
	_(IP_BAD_VERSION, "ip_bad_version", "IP version is not 4")                                 \
	_(IP_BAD_IHL, "ip_bad_ihl", "IPv4 header length below 20 bytes or past the frame")         \
	_(IP_BAD_LENGTH, "ip_bad_length", "IPv4 total length below the header or past the frame")  \
	_(IP_BAD_CHECKSUM, "ip_bad_checksum", "IPv4 header checksum is wrong")                     \
	_(IP_BAD_OPTIONS, "ip_bad_options", "IPv4 option length below 2 or past the header")       \
	_(IP_SOURCE_ROUTE, "ip_source_route", "IPv4 loose/strict source route (ip_options)")       \
	_(IP_OPTIONS_DENIED, "ip_options_denied", "IPv4 options and ip_options = drop-all")        \
	_(IP_FRAGMENT, "ip_fragment", "fragment no train may carry (TCP at offset 8, ICMP error)") \
	_(IP_FRAGMENT_TIMEOUT, "ip_fragment_timeout",                                              \
		"later fragment whose first did not come in time, or no room to wait for it")      \
	_(IP_MARTIAN, "ip_martian", "source or destination address not routable")                  \
	_(IP_OWN_SOURCE, "ip_own_source", "source is ours (port address; pool, from inside)")      \
	_(IP_SUBNET_BROADCAST, "ip_subnet_broadcast", "to/from a broadcast of a port's subnet")    \
	_(L4_UNSUPPORTED, "l4_unsupported", "IP protocol other than TCP, UDP, ICMP")               \
	_(L4_TRUNCATED, "l4_truncated", "TCP/UDP/ICMP header cut short")                           \
	_(TCP_BAD_OFFSET, "tcp_bad_data_offset", "TCP data offset below 5 or past the packet")     \
	_(TCP_BAD_FLAGS, "tcp_bad_flags", "impossible flags: SYN+RST, SYN+FIN, no SYN/ACK/RST")    \
	_(UDP_BAD_LENGTH, "udp_bad_length", "UDP length disagrees with the IP length")             \
	_(ICMP_UNSUPPORTED, "icmp_unsupported", "ICMP type that is neither echo nor an error")     \
	_(ICMP_ERROR_MALFORMED, "icmp_error_malformed", "ICMP error whose quoted packet is bad")   \
	_(ICMP_ERROR_NO_FLOW, "icmp_error_no_flow", "ICMP error about no known flow")              \
	_(LOCAL_UNSUPPORTED, "local_unsupported", "to our own address, not ICMP echo")             \
	_(LOCAL_OTHER_SIDE, "local_other_side", "to our address on the other side's port")         \
	_(TTL_EXCEEDED, "ttl_exceeded", "TTL would reach 0 (time exceeded sent, rate-limited)")    \
	_(MTU_EXCEEDED, "mtu_exceeded",                                                            \
		"larger than the exit port's MTU (frag. needed sent if DF)")                       \
	_(NO_ROUTE, "no_route", "no route to the destination")                                     \
	_(NEIGH_UNRESOLVED, "neighbor_unresolved", "next hop MAC unknown yet (ARP sent)")          \
	_(MODE_DENY, "mode_deny", "egress mode is deny")                                           \
	_(POLICY_NO_MATCH, "policy_no_match", "mode policy and no allow policy matched")           \
	_(POLICY_DENY, "policy_deny", "a deny policy matched")                                     \
	_(POLICY_MAX_FLOWS, "policy_max_flows", "the matching policy reached its max_flows")       \
	_(POLICY_REVOKED, "policy_revoked",                                                        \
		"flow no longer allowed after a policy change (reset)")                            \
	_(HOST_DENIED, "host_denied", "a deny host rule matched the name, or no allow rule did")   \
	_(HOST_UNKNOWN, "host_unknown", "no name: none sent, unparsable, timeout, buffer full")    \
	_(HOST_ECH, "host_ech", "ClientHello with encrypted_client_hello and ech = deny")          \
	_(HOST_PROTOCOL_MISMATCH, "host_protocol_mismatch", "not the TLS/HTTP a policy requires")  \
	_(DNS_FILTERED, "dns_filtered", "query for a name no policy permits (NXDOMAIN sent)")      \
	_(DNS_ECH_KEPT, "dns_ech_kept", "HTTPS/SVCB answer whose ech could not be removed")        \
	_(HOST_HOLD_FULL, "host_hold_full",                                                        \
		"worker holds host_hold_total, or no flow may wait more")                          \
	_(HOST_HOLD_DUPLICATE, "host_hold_duplicate", "retransmitted first data, already held")    \
	_(LATE_ABSORBED, "late_absorbed",                                                          \
		"late binding: a client segment the appliance answers itself (no data to hold)")   \
	_(LATE_UPSTREAM_FAILED, "late_upstream_failed",                                            \
		"late binding: the server refused our SYN or never answered (client reset)")       \
	_(LATE_STALE, "late_stale",                                                                \
		"late binding: a cookie ACK a reload decided otherwise (reset)")                   \
	_(UNSOLICITED, "unsolicited_inbound", "outside packet of no known flow")                   \
	_(TCP_NOT_SYN, "tcp_not_syn", "no flow: not a SYN (tcp_pickup: nor an ACK)")               \
	_(TCP_OUT_OF_WINDOW, "tcp_out_of_window", "TCP segment or RST outside the flow's windows") \
	_(FLOW_TABLE_FULL, "flow_table_full", "no room for a new flow")                            \
	_(NAT_EXHAUSTED, "nat_exhausted", "no free port on the pool address for this source")      \
	_(NAT_SOURCE_LIMIT, "nat_source_limit", "inside address reached max_per_source")           \
	_(HANDOFF_FULL, "handoff_full", "ring to the owning worker is full")                       \
	_(CONTROL_QUEUE_FULL, "control_queue_full", "ring to the control thread is full")          \
	_(TX_FULL, "tx_full", "port TX queue did not accept the packet")                           \
	_(EXCEPTION_UNEXPECTED, "exception_unexpected",                                            \
		"from the tunnel's kernel side: neither a listener's answer nor an upstream's")    \
	_(TUNNEL_UNADMITTED, "tunnel_unadmitted",                                                  \
		"tunnel upstream SYN no tunnel decision admitted")                                 \
	_(SHUTDOWN, "shutdown", "in flight when the appliance stopped")

enum egw_drop_reason {
	EGW_DROP_NONE = 0,
#define EGW_DROP_ENUM(sym, name, help) EGW_DROP_##sym,
	EGW_FOREACH_DROP(EGW_DROP_ENUM)
#undef EGW_DROP_ENUM
		EGW_DROP_MAX
};

/* Name used in telemetry and metric labels; "none" for EGW_DROP_NONE. */
const char *egw_drop_name(enum egw_drop_reason reason);
const char *egw_drop_help(enum egw_drop_reason reason);
/* Parses a name back (tests, filters); returns EGW_DROP_MAX when unknown. */
enum egw_drop_reason egw_drop_from_name(const char *name);

#endif
