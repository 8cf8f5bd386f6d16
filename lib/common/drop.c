/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "drop.h"

static const char *const drop_names[EGW_DROP_MAX] = { [EGW_DROP_NONE] = "none",
#define EGW_DROP_NAME(sym, name, help) [EGW_DROP_##sym] = name,
	EGW_FOREACH_DROP(EGW_DROP_NAME)
#undef EGW_DROP_NAME
};

static const char *const drop_helps[EGW_DROP_MAX] = { [EGW_DROP_NONE] = "not dropped",
#define EGW_DROP_HELP(sym, name, help) [EGW_DROP_##sym] = help,
	EGW_FOREACH_DROP(EGW_DROP_HELP)
#undef EGW_DROP_HELP
};

const char *egw_drop_name(enum egw_drop_reason reason)
{
	return (unsigned)reason < EGW_DROP_MAX ? drop_names[reason] : "invalid";
}

const char *egw_drop_help(enum egw_drop_reason reason)
{
	return (unsigned)reason < EGW_DROP_MAX ? drop_helps[reason] : "invalid";
}

enum egw_drop_reason egw_drop_from_name(const char *name)
{
	for (unsigned i = 0; i < EGW_DROP_MAX; i++)
		if (strcmp(drop_names[i], name) == 0)
			return (enum egw_drop_reason)i;
	return EGW_DROP_MAX;
}
