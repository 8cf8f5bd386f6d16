/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_CLASSIFIER_H
#define EGW_CLASSIFIER_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Tuple space search over (source prefix, destination prefix, destination port block,
 * protocol), as in Open vSwitch's classifier: rules are grouped by their mask, one hash table
 * per distinct mask holds the masked keys, and the masks are probed in order of the best rule
 * they hold, stopping as soon as no remaining mask can beat the match found. Lookup cost grows
 * with the number of distinct masks, not of rules.
 *
 * Rules are ranked: higher priority first, then earlier position (file order). A rule's ports
 * are a range; it is stored as the aligned power-of-two blocks that cover it (at most 30).
 * Addresses and ports are in host byte order here.
 */
struct egw_cls_rule {
	uint32_t src, dst;	   /* prefixes (host order, masked or not) */
	uint8_t src_len, dst_len;  /* 0..32; 0 = any */
	uint16_t port_lo, port_hi; /* destination ports, inclusive; 0-65535 = any */
	uint8_t proto;		   /* IPPROTO_TCP/UDP/ICMP; 0 = any */
	int32_t priority;	   /* higher wins */
	uint32_t order;		   /* lower wins among equal priority (file order) */
	uint32_t id;		   /* returned by lookups (e.g. the policy index) */
};

struct egw_cls_key {
	uint32_t src, dst; /* host order */
	uint16_t dport;	   /* 0 for ICMP: a rule with ports never matches it */
	uint8_t proto;
};

struct egw_classifier;

/* Builds a classifier from N rules (copied). NULL with rte_errno on failure. */
struct egw_classifier *egw_cls_build(const char *name, const struct egw_cls_rule *rules,
	uint32_t n);
void egw_cls_free(struct egw_classifier *c);

/* The best matching rule, or NULL. Safe from any number of reader threads at once. */
const struct egw_cls_rule *egw_cls_lookup(const struct egw_classifier *c,
	const struct egw_cls_key *key);

/* Number of distinct masks (hash tables probed at worst). */
uint32_t egw_cls_n_masks(const struct egw_classifier *c);
/* The rules C was built from (its own copy), *N their number. */
const struct egw_cls_rule *egw_cls_rules(const struct egw_classifier *c, uint32_t *n);

/* Does KEY match R? The semantics every lookup follows (ports never match ICMP). */
bool egw_cls_rule_matches(const struct egw_cls_rule *r, const struct egw_cls_key *key);

/* The reference: a linear scan with the same semantics (tests, benchmarks, the re-check). */
const struct egw_cls_rule *egw_cls_lookup_linear(const struct egw_cls_rule *rules, uint32_t n,
	const struct egw_cls_key *key);

#endif
