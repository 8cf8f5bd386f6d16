/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_POLICY_INTERNAL_H
#define EGW_POLICY_INTERNAL_H

/*
 * Shared by the policy_*.c files only. Policy files are read with the main config's machinery
 * (line reader, inih handler, key dispatch, error list): a struct pol_ctx holds a conf_ctx,
 * reset for each file, plus what outlives one file (names, group references, limits).
 */

#include <stdbool.h>

#include "conf_internal.h"
#include "policy_conf.h"

#define POL_MAX_POLICIES 200000
#define POL_MAX_GROUPS 100000
/* Items of one list, groups expanded: bounds memory and keeps every count in an unsigned. */
#define POL_MAX_LIST_ITEMS 1000000

/* Key indexes, also the positions in the key tables of policy_keys.c. */
enum { POL_GROUP_SOURCES };
enum {
	POL_SOURCES,
	POL_DESTINATIONS,
	POL_HOSTS,
	POL_PORTS,
	POL_PROTOCOL,
	POL_ACTION,
	POL_NAT,
	POL_VIA,
	POL_PRIORITY,
	POL_LOG,
	POL_MAX_FLOWS
};

/* A group named in a policy's sources: groups may be defined later, in any file. */
struct pol_ref {
	unsigned policy;
	unsigned pos; /* where in the policy's sources the group's networks go */
	int line;
	char name[EGW_NAME_MAX];
};

/* Open-addressing index of the names of one array (groups or policies), by position. */
struct pol_names {
	unsigned *slots; /* position + 1; 0 = empty */
	unsigned cap;	 /* 0 or a power of two */
	unsigned n;
};

struct pol_ctx {
	struct conf_ctx c; /* the file being read; zeroed for each file */
	const struct egw_conf *conf;
	struct egw_policy_set *set;
	struct egw_conf_errors *errs;
	bool nomem;
	bool main_file; /* reading the main config's own [group]/[policy] sections */

	/* The open section (stays open when a bad header below it is skipped). */
	enum conf_sect open; /* CONF_SECT_GROUP, CONF_SECT_POLICY or CONF_SECT_NONE */
	unsigned idx;
	struct conf_sect_state st;
	unsigned tried[CONF_MAX_KEYS]; /* list keys: items seen, valid or not */
	bool any[CONF_MAX_KEYS];       /* list keys: 'any' seen */
	bool mixed[CONF_MAX_KEYS];     /* 'any' with other items: reported */
	bool full[CONF_MAX_KEYS];      /* too many items: reported */
	bool ok[CONF_MAX_KEYS];	       /* scalar keys: the value parsed */

	struct pol_ref *refs; /* in file order: a policy's references are adjacent */
	unsigned n_refs;
	struct pol_names group_names, policy_names;
	bool groups_full, policies_full;
};

/* policy_keys.c */
extern const struct conf_key pol_group_keys[];
extern const unsigned pol_n_group_keys;
extern const struct conf_key pol_policy_keys[];
extern const unsigned pol_n_policy_keys;
unsigned pol_key_index(const struct conf_ctx *ctx, const struct conf_key *key);

/* policy_lists.c: the setters of the list keys */
void pol_set_group_sources(struct conf_ctx *ctx, const struct conf_key *key, const char *value);
void pol_set_sources(struct conf_ctx *ctx, const struct conf_key *key, const char *value);
void pol_set_destinations(struct conf_ctx *ctx, const struct conf_key *key, const char *value);
void pol_set_hosts(struct conf_ctx *ctx, const struct conf_key *key, const char *value);
void pol_set_ports(struct conf_ctx *ctx, const struct conf_key *key, const char *value);
/* ARR holding N items, with room for one more (maybe moved); NULL after flagging nomem. */
void *pol_grow(struct conf_ctx *ctx, void *arr, unsigned n, size_t size);

/* policy_section.c */
void pol_section_open(struct conf_ctx *ctx, const char *text, size_t len);
void pol_section_close(struct pol_ctx *pol);

/* policy_resolve.c */
void pol_resolve(struct pol_ctx *pol);

/* policy_names.c */
int pol_names_find(const struct pol_names *t, const void *arr, size_t stride, const char *name);
int pol_names_add(struct pol_names *t, const void *arr, size_t stride, unsigned pos);
void pol_names_free(struct pol_names *t);

#endif
