/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_POLICY_SLOTS_H
#define EGW_POLICY_SLOTS_H

#include <stdint.h>

/*
 * Stable counter slots for policies, by name. Per-policy counters live in per-worker arrays
 * indexed by slot; a policy keeps its slot across reloads so its counters continue, and a
 * slot is never given to another name while the process runs, so no worker ever adds to a
 * counter that now means something else. Slot 0 is "no policy" (admitted by the mode).
 * Control thread only.
 */
#define EGW_POLICY_SLOTS 262144

struct rte_hash;

struct egw_policy_slots {
	struct rte_hash *by_name; /* char[32] -> slot */
	uint32_t next;
	char (*names)[32];    /* slot -> name, for telemetry; set once, never changed */
	uint64_t *generation; /* slot -> last generation whose policies include it */
};

int egw_policy_slots_init(struct egw_policy_slots *s, const char *name);
void egw_policy_slots_fini(struct egw_policy_slots *s);
/* The slot of policy NAME, assigned on first sight and marked as part of GENERATION. 0 when
 * every slot has been used. */
uint32_t egw_policy_slots_get(struct egw_policy_slots *s, const char *name, uint64_t generation);

#endif
