/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_PIPELINE_LATENCY_H
#define EGW_PIPELINE_LATENCY_H

/*
 * The time a packet spends inside the appliance (issue 16): each received mbuf gets the TSC
 * of the worker loop that took it from its queue, in a dynamic field, and the worker that
 * hands it to a TX queue adds the difference to its histogram. Off by default ([metrics]
 * latency): then nothing is stamped or read, and the data path pays one predictable branch
 * per received burst and per TX burst.
 *
 * Log-linear buckets (HDR-histogram style): exact below 8 cycles, then 8 per power of two, so
 * a bucket is at most 1/8 of its value wide; 4 KiB per worker, written only by its worker.
 */
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#define EGW_LAT_DYNFIELD "egw_rx_tsc"

#define EGW_LAT_SUB_BITS 3
#define EGW_LAT_SUB (1u << EGW_LAT_SUB_BITS)
/* up to the bucket of 2^64 - 1 (bit 63 set: 61 powers of two above the exact ones) */
#define EGW_LAT_BUCKETS (62u * EGW_LAT_SUB)

struct egw_latency {
	uint64_t bucket[EGW_LAT_BUCKETS];
};

static inline unsigned egw_latency_bucket(uint64_t cycles)
{
	unsigned msb;

	if (cycles < EGW_LAT_SUB)
		return (unsigned)cycles;
	msb = 63u - (unsigned)__builtin_clzll(cycles);
	return (msb - EGW_LAT_SUB_BITS + 1) * EGW_LAT_SUB +
	       (unsigned)((cycles >> (msb - EGW_LAT_SUB_BITS)) & (EGW_LAT_SUB - 1));
}

/* The smallest value of bucket B. */
static inline uint64_t egw_latency_bucket_low(unsigned b)
{
	unsigned shift;

	if (b < EGW_LAT_SUB)
		return b;
	shift = b / EGW_LAT_SUB - 1;
	return (uint64_t)(EGW_LAT_SUB + b % EGW_LAT_SUB) << shift;
}

/* The RX stamp of the N packets in PKTS (the mbuf field at OFF): TSC. 0 marks a packet that
 * was not received (a frame the control thread built): not counted. */
static inline void egw_latency_stamp(struct rte_mbuf **pkts, unsigned n, int off, uint64_t tsc)
{
	for (unsigned i = 0; i < n; i++)
		*RTE_MBUF_DYNFIELD(pkts[i], off, uint64_t *) = tsc;
}

/* The N packets in PKTS leave at TSC NOW: their time since their stamp, into H. */
static inline void egw_latency_record(struct egw_latency *h, struct rte_mbuf *const *pkts,
	unsigned n, int off, uint64_t now)
{
	for (unsigned i = 0; i < n; i++) {
		const uint64_t t = *RTE_MBUF_DYNFIELD(pkts[i], off, const uint64_t *);

		if (t != 0 && t <= now)
			h->bucket[egw_latency_bucket(now - t)]++;
	}
}

/* Packets in H. */
uint64_t egw_latency_count(const struct egw_latency *h);

/* The value below which a fraction Q (0 < Q <= 1) of H's packets lie: the middle of the
 * bucket that holds the packet of that rank. 0 when H is empty. */
uint64_t egw_latency_quantile(const struct egw_latency *h, double q);

/* Adds H to SUM. */
void egw_latency_add(struct egw_latency *sum, const struct egw_latency *h);

#endif
