/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /egw/names: the names learned from DNS, with their addresses and remaining TTL, as the view
 * the control thread last published holds them (an occasional reader of its RCU point: the
 * view cannot be freed during the listing), and the table's counters. Param: a filter of
 * lib/names (address=A[/N] name=NAME|GLOB limit=N, at most 40 rows).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_cycles.h>

#include "names/names.h"
#include "tel_internal.h"

#define LOAD(f) __atomic_load_n(&s->names_tel->f, __ATOMIC_RELAXED)

static void add_counters(struct rte_tel_data *d, const struct egw_tel_source *s)
{
	if (!s->names_tel)
		return;
	rte_tel_data_add_dict_u64(d, "entries", LOAD(entries));
	rte_tel_data_add_dict_u64(d, "distinct_names", LOAD(names));
	rte_tel_data_add_dict_u64(d, "learned", LOAD(learned));
	rte_tel_data_add_dict_u64(d, "expired", LOAD(expired));
	rte_tel_data_add_dict_u64(d, "evicted_per_name", LOAD(evicted_name));
	rte_tel_data_add_dict_u64(d, "evicted_total", LOAD(evicted_total));
	rte_tel_data_add_dict_u64(d, "journal_dropped", LOAD(journal_dropped));
	rte_tel_data_add_dict_u64(d, "views", LOAD(views));
	rte_tel_data_add_dict_u64(d, "publish_us_last", LOAD(publish_us_last));
}

/* ROWS as a dict of {"name", "address", "ttl"} keyed n0, n1, ... */
static int add_rows(struct rte_tel_data *d, const struct egw_names_row *rows, unsigned n)
{
	struct rte_tel_data *list = rte_tel_data_alloc();
	char key[16], addr[16];

	if (!list)
		return -ENOMEM;
	rte_tel_data_start_dict(list);
	for (unsigned i = 0; i < n; i++) {
		struct rte_tel_data *e = rte_tel_data_alloc();
		const uint32_t a = rows[i].addr;

		if (!e) {
			rte_tel_data_free(list);
			return -ENOMEM;
		}
		rte_tel_data_start_dict(e);
		rte_tel_data_add_dict_string(e, "name", rows[i].name);
		snprintf(addr, sizeof(addr), "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
			(a >> 8) & 0xff, a & 0xff);
		rte_tel_data_add_dict_string(e, "address", addr);
		rte_tel_data_add_dict_u64(e, "ttl", rows[i].ttl_left);
		snprintf(key, sizeof(key), "n%u", i);
		if (rte_tel_data_add_dict_container(list, key, e, 0) != 0) {
			rte_tel_data_free(e);
			rte_tel_data_free(list);
			return -ENOMEM;
		}
	}
	if (rte_tel_data_add_dict_container(d, "names", list, 0) != 0) {
		rte_tel_data_free(list);
		return -ENOMEM;
	}
	return 0;
}

int egw_tel_names(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct egw_tel_source *s = egw_tel_src;
	struct egw_names_cursor cur = { 0 };
	struct egw_names_filter f;
	struct egw_names_row *rows;
	char err[160];
	unsigned n = 0;
	bool more = false;
	int id, rc;

	(void)cmd;
	if (egw_names_filter_parse(params, &f, err, sizeof(err)) < 0)
		return egw_tel_error(d, err);
	rows = malloc(EGW_NAMES_LIST_MAX * sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	if (s->names) {
		id = egw_rcu_read_begin(s->names);
		if (id < 0) {
			free(rows);
			return egw_tel_error(d, EGW_TEL_BUSY);
		}
		{
			const struct egw_names_view *v = egw_rcu_load(s->names);
			/* The workers' clock: seconds of TSC. */
			uint32_t now = (uint32_t)(rte_get_tsc_cycles() / rte_get_tsc_hz());

			n = egw_names_list(v, &f, now, &cur, rows, f.limit);
			more = !cur.done;
		}
		egw_rcu_read_end(s->names, id);
	}
	rte_tel_data_start_dict(d);
	add_counters(d, s);
	rte_tel_data_add_dict_u64(d, "listed", n);
	rte_tel_data_add_dict_u64(d, "limit", f.limit);
	rte_tel_data_add_dict_string(d, "more", more ? "yes" : "no");
	rc = add_rows(d, rows, n);
	free(rows);
	return rc;
}
