/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_NET_RSS_OWNER_H
#define EGW_NET_RSS_OWNER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_mbuf.h>

/*
 * The worker that owns an inside endpoint, chosen as the NIC chooses its RX queue (issue 16):
 * an inside port steered by RSS on the source address and port (net/steer.h rss-src,
 * rss-src-flow) delivers every packet of one endpoint to queue reta[toeplitz(key, source
 * address, source port) mod reta_size], and worker q polls queue q. Making that queue's worker
 * the owner means inside packets arrive where they are processed: no software handoff.
 *
 * The Toeplitz hash is linear over GF(2): the hash of the 6 input bytes is the XOR of one
 * table entry per byte position, built from the key once (6 x 256 x 4 B), about ten cycles
 * where rte_softrss takes one per input bit. Where the NIC already computed the hash (the mbuf
 * carries RTE_MBUF_F_RX_RSS_HASH from such a port), its hash.rss is taken instead.
 *
 * Input: TCP and UDP hash the source address and port (RTE_ETH_RSS_L3_SRC_ONLY |
 * RTE_ETH_RSS_L4_SRC_ONLY), anything else (ICMP) the source address alone, in network order,
 * as the NIC reads them from the packet.
 */
#define EGW_RSS_KEY_MAX 64    /* ice: 52 bytes, i40e and mlx5: 40 */
#define EGW_RSS_RETA_MAX 2048 /* ice: up to 2048 entries, i40e 512, mlx5 512 by default */
#define EGW_RSS_INPUT 6	      /* source address (4) and source port (2) */
/* The last input bit's 32-bit window ends in byte INPUT + 3; key_window() reads 5 bytes. */
#define EGW_RSS_KEY_MIN (EGW_RSS_INPUT + 4)

struct egw_rss_owner {
	uint32_t table[EGW_RSS_INPUT][256]; /* [byte position][byte value]: its hash share */
	uint32_t reta_mask;		    /* reta size - 1 (a power of two) */
	uint8_t reta[EGW_RSS_RETA_MAX];	    /* entry -> worker (= its RX queue) */
};

/* The key programmed into inside ports: the Microsoft RSS verification key (any key works;
 * this one spreads well and its test vectors are published). */
#define EGW_RSS_DEFAULT_KEY_LEN 40
extern const uint8_t egw_rss_default_key[EGW_RSS_DEFAULT_KEY_LEN];

/* The owner function of KEY (KEY_LEN bytes) and RETA (RETA_SIZE entries: queue numbers, each
 * below N_WORKERS). 0, or -EINVAL: key shorter than EGW_RSS_KEY_MIN, a reta size that is not
 * a power of two up to EGW_RSS_RETA_MAX, or an entry naming no worker. */
int egw_rss_owner_init(struct egw_rss_owner *o, const uint8_t *key, unsigned key_len,
	const uint16_t *reta, unsigned reta_size, unsigned n_workers);

/* RETA_SIZE entries spread round robin over N_QUEUES queues (entry i -> queue i % N). */
void egw_rss_reta_spread(uint16_t *reta, unsigned reta_size, unsigned n_queues);

/* The Toeplitz hash of source ADDR_BE and, when L4, PORT_BE (both network order). */
static inline uint32_t egw_rss_hash(const struct egw_rss_owner *o, uint32_t addr_be,
	uint16_t port_be, bool l4)
{
	uint8_t in[EGW_RSS_INPUT];
	uint32_t h;

	memcpy(in, &addr_be, 4);
	memcpy(in + 4, &port_be, 2);
	h = o->table[0][in[0]] ^ o->table[1][in[1]] ^ o->table[2][in[2]] ^ o->table[3][in[3]];
	if (l4)
		h ^= o->table[4][in[4]] ^ o->table[5][in[5]];
	return h;
}

/* The worker the NIC sends a packet of hash H to. */
static inline unsigned egw_rss_owner_of(const struct egw_rss_owner *o, uint32_t h)
{
	return o->reta[h & o->reta_mask];
}

/*
 * The owner of inside endpoint ADDR_BE:PORT_BE (PORT_BE ignored unless L4). NIC_M: the mbuf
 * of a TCP or UDP packet from that endpoint, unfragmented, received on a port hashing with
 * this key on the source fields, else NULL; its hash is used when the NIC set one.
 */
static inline unsigned egw_rss_endpoint_owner(const struct egw_rss_owner *o,
	const struct rte_mbuf *nic_m, uint32_t addr_be, uint16_t port_be, bool l4)
{
	if (nic_m && (nic_m->ol_flags & RTE_MBUF_F_RX_RSS_HASH))
		return egw_rss_owner_of(o, nic_m->hash.rss);
	return egw_rss_owner_of(o, egw_rss_hash(o, addr_be, port_be, l4));
}

#endif
