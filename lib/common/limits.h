/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_LIMITS_H
#define EGW_LIMITS_H

/*
 * Sizes fixed at build time that several modules share: the configuration checks them, the
 * data path and telemetry size their tables by them.
 */
#define EGW_MAX_PORTS 8
#define EGW_MAX_POOLS 64
#define EGW_MAX_UDP_PORT_TIMEOUTS 16 /* [flows] udp_port_timeouts entries */
#define EGW_MAX_POOL_ADDRS 1024
#define EGW_MAX_ROUTES 64
#define EGW_MAX_STATIC_NEIGHBORS 64
#define EGW_NAME_MAX 32
#define EGW_PATH_MAX 256
#define EGW_DEVICE_MAX 256

#endif
