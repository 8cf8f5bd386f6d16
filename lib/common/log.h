/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_LOG_H
#define EGW_LOG_H

#include <stdarg.h>

enum egw_log_level { EGW_LOG_ERR = 0, EGW_LOG_WARNING, EGW_LOG_INFO, EGW_LOG_DEBUG };

/*
 * Control-path logging only (never per packet). Before EAL init it writes to stderr; after
 * egw_log_attach_eal() it goes through rte_log with the "egressgw" log type so EAL's
 * --log-level and syslog options apply.
 */
void egw_log(enum egw_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void egw_log_set_level(enum egw_log_level level);
int egw_log_level_parse(const char *name, enum egw_log_level *out);
void egw_log_attach_eal(void);

#define EGW_ERR(...) egw_log(EGW_LOG_ERR, __VA_ARGS__)
#define EGW_WARN(...) egw_log(EGW_LOG_WARNING, __VA_ARGS__)
#define EGW_INFO(...) egw_log(EGW_LOG_INFO, __VA_ARGS__)
#define EGW_DEBUG(...) egw_log(EGW_LOG_DEBUG, __VA_ARGS__)

#endif
