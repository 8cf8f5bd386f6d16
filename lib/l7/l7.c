/* SPDX-License-Identifier: BSD-3-Clause */
#include "l7.h"

const char *egw_l7_status_name(enum egw_l7_status s)
{
	switch (s) {
	case EGW_L7_NEED_MORE:
		return "need_more";
	case EGW_L7_DONE:
		return "done";
	case EGW_L7_NOT_PROTO:
		return "not_proto";
	case EGW_L7_MALFORMED:
		return "malformed";
	}
	return "?";
}
