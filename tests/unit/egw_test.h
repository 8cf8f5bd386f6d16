/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_TEST_H
#define EGW_TEST_H

#include <CUnit/CUnit.h>

/* Each test_<module>.c adds its suite; main.c calls them all. */
void egw_test_register_common(void);
void egw_test_register_conf(void);
void egw_test_register_ctl(void);
void egw_test_register_policy_conf(void);
void egw_test_register_pkt(void);
void egw_test_register_flow(void);
void egw_test_register_tcp_window(void);
void egw_test_register_tcp_opts(void);
void egw_test_register_syncookie(void);
void egw_test_register_splice(void);
void egw_test_register_tcp_craft(void);
void egw_test_register_nat(void);
void egw_test_register_net(void);
void egw_test_register_steer(void);
void egw_test_register_rx_offload(void);
void egw_test_register_rss_owner(void);
void egw_test_register_latency(void);
void egw_test_register_neigh(void);
void egw_test_register_policy(void);
void egw_test_register_pipeline(void);
void egw_test_register_mailbox(void);
void egw_test_register_telemetry(void);
void egw_test_register_classifier(void);
void egw_test_register_policy_rt(void);
void egw_test_register_egwctl_render(void);
void egw_test_register_bench(void);
void egw_test_register_hostname(void);
void egw_test_register_l7(void);
void egw_test_register_dns(void);
void egw_test_register_tunnel(void);
void egw_test_register_tunnel_engine(void);
void egw_test_register_names(void);
void egw_test_register_dns_snoop(void);
void egw_test_register_policy_host(void);
void egw_test_register_host_hold(void);

/* Adds a suite with the given tests; aborts the run if CUnit cannot. */
#define EGW_SUITE(name, init, clean, ...)                                                          \
	do {                                                                                       \
		CU_pSuite s_ = CU_add_suite(name, init, clean);                                    \
		struct {                                                                           \
			const char *n;                                                             \
			CU_TestFunc f;                                                             \
		} t_[] = { __VA_ARGS__ };                                                          \
		for (unsigned i_ = 0; s_ && i_ < sizeof(t_) / sizeof(t_[0]); i_++)                 \
			CU_add_test(s_, t_[i_].n, t_[i_].f);                                       \
	} while (0)
#define EGW_TEST(fn)                                                                               \
	{                                                                                          \
#fn, fn                                                                            \
	}

/* DPDK EAL for tests that need mempools/hashes: --no-huge --no-pci, started once. */
int egw_test_eal_init(void);

#endif
