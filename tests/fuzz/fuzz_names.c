/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for learned names (lib/names): the listing filter an operator types, and a
 * program run on a table. The input's first line is a filter (egw_names_filter_parse). The rest
 * is steps of 4 bytes, a control byte and its operands:
 *   0-4: learn a name (from a small set, with a label made of an operand) for one of 32
 *        addresses, with a TTL;          5: time passes;        6: expire with a budget;
 *   7: build a view and check it;        8: new limits (min TTL, per name, in all);
 *   9: 16 raw bytes (the operands and the next step) into a journal, then drain it;
 *  10: an answer through a journal.
 * Checked: the caps hold; a view gives only live names, latest expiry first; the listing gives
 * exactly what lookups give, with the filter applied, whatever the page size. EAL runs
 * without hugepages or PCI (journals are rte_rings).
 */
#include <arpa/inet.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "dns/dns.h"
#include "names/names.h"

#define N_ADDRS 32
#define ADDR(i) (0x0a000001u + (i))

static struct egw_names_journal *journal;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *eal[] = { "fuzz_names", "--no-huge", "--no-pci", "--no-shconf", "-m", "128",
		"--no-telemetry", "--log-level", "lib.*:error", "-l", "0", NULL };

	(void)argc;
	(void)argv;
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0)
		abort();
	journal = egw_names_journal_create("fuzz_names", 1024, 0);
	if (!journal)
		abort();
	return 0;
}

static void name_for(char *out, size_t len, uint8_t a, uint8_t b)
{
	static const char *const base[] = { "example.com", "github.com", "a.cdn.example",
		"b.cdn.example", "example.org" };

	if (b & 1)
		snprintf(out, len, "h%u.%s", b >> 1, base[a % 5]);
	else
		snprintf(out, len, "%s", base[a % 5]);
}

static bool passes(const struct egw_names_filter *f, uint32_t addr, const char *name)
{
	size_t n = strlen(name), s = strlen(f->name);

	if (f->addr_on && (addr & f->mask) != f->prefix)
		return false;
	if (f->name_kind == 1)
		return fnmatch(f->name, name, 0) == 0;
	if (f->name_kind == 2)
		return n == s ? strcmp(name, f->name) == 0 :
				n > s && name[n - s - 1] == '.' &&
					strcmp(name + n - s, f->name) == 0;
	return true;
}

/* Lookups: live, latest first; the listing: the same entries, filtered, in any page size. */
static void check_view(const struct egw_names_view *v, const struct egw_names_filter *f,
	uint32_t now, unsigned page, uint32_t max_entries)
{
	struct egw_names_hit hit[64];
	struct egw_names_row rows[EGW_NAMES_LIST_MAX];
	struct egw_names_cursor cur = { 0 };
	unsigned want = 0, got = 0, n;

	for (unsigned a = 0; a < N_ADDRS; a++) {
		n = egw_names_lookup(v, ADDR(a), now, hit, 64);
		for (unsigned i = 0; i < n; i++) {
			if (hit[i].expiry <= now || (i && hit[i].expiry > hit[i - 1].expiry) ||
				strlen(hit[i].name) != hit[i].len)
				abort();
			want += passes(f, ADDR(a), hit[i].name);
		}
	}
	if (egw_names_view_entries(v) > max_entries)
		abort();
	do {
		n = egw_names_list(v, f, now, &cur, rows, page);
		if (n > page)
			abort();
		for (unsigned i = 0; i < n; i++)
			if (rows[i].ttl_left == 0 || !passes(f, rows[i].addr, rows[i].name))
				abort();
		got += n;
	} while (!cur.done);
	if (got != want)
		abort();
}

static void journal_answer(struct egw_names_table *t, uint8_t a, uint8_t b, uint8_t c, uint32_t now)
{
	struct egw_dns_answer ans;

	memset(&ans, 0, sizeof(ans));
	ans.q.name_state = EGW_HOSTNAME_VALID;
	name_for(ans.q.name, sizeof(ans.q.name), a, b);
	ans.q.name_len = (uint8_t)strlen(ans.q.name);
	ans.n_addrs = (uint8_t)(1 + c % 4);
	for (unsigned i = 0; i < ans.n_addrs; i++)
		ans.addrs[i] = (struct egw_dns_addr){ htonl(ADDR((c + i) % N_ADDRS)), c };
	egw_names_journal_push(journal, &ans, now);
	egw_names_journal_drain(journal, t, 1000);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct egw_names_limits lim = { 10, 4, 64 };
	struct egw_names_table *t = egw_names_table_create(&lim, 1);
	struct egw_names_filter f;
	struct egw_names_stats st;
	const uint8_t *nl = memchr(data, '\n', size < 600 ? size : 600);
	size_t flen = nl ? (size_t)(nl - data) : 0, i;
	char filter[601], err[160], name[64];
	uint32_t now = 1000;
	uint64_t gen = 0;

	if (!t)
		abort();
	memcpy(filter, data, flen);
	filter[flen] = '\0';
	err[0] = '\0';
	if (egw_names_filter_parse(filter, &f, err, sizeof(err)) < 0) {
		if (!memchr(err, '\0', sizeof(err)) || !err[0])
			abort();
		egw_names_filter_parse(NULL, &f, err, sizeof(err));
	}
	for (i = nl ? flen + 1 : 0; i + 4 <= size; i += 4) {
		const uint8_t *s = data + i;
		struct egw_names_view *v;

		switch (s[0] % 11) {
		case 5:
			now += s[1];
			break;
		case 6:
			egw_names_table_expire(t, now, s[1]);
			break;
		case 7:
			v = egw_names_table_view(t, ++gen, now);
			if (!v)
				abort();
			check_view(v, &f, now, 1 + s[1] % EGW_NAMES_LIST_MAX, lim.max_entries);
			egw_names_view_free(v);
			break;
		case 8:
			lim = (struct egw_names_limits){ s[1], 1 + s[2] % 8, 1 + s[3] };
			egw_names_table_set_limits(t, &lim);
			break;
		case 9:
			/* garbage cells: the drain must skip them, whatever they say */
			if (i + 20 <= size) {
				rte_ring_sp_enqueue_bulk_elem(egw_names_journal_ring(journal),
					s + 4, 16, 1, NULL);
				egw_names_journal_drain(journal, t, 1000);
				i += 16;
			}
			break;
		case 10:
			journal_answer(t, s[1], s[2], s[3], now);
			break;
		default:
			name_for(name, sizeof(name), s[1], s[2]);
			egw_names_table_learn(t, name, strlen(name), ADDR(s[3] % N_ADDRS), s[3],
				now);
			break;
		}
		egw_names_table_stats(t, &st);
		if (st.entries > lim.max_entries || st.names > st.entries ||
			st.addresses > st.entries)
			abort();
	}
	egw_names_journal_drain(journal, t, 1u << 20);
	egw_names_table_free(t);
	return 0;
}
