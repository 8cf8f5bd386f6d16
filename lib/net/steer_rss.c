/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "steer.h"

#define RETA_GROUPS (EGW_RSS_RETA_MAX / RTE_ETH_RETA_GROUP_SIZE)
#define SRC_ONLY (RTE_ETH_RSS_L3_SRC_ONLY | RTE_ETH_RSS_L4_SRC_ONLY)

/* The device's hashing: what it can take (a key and a RETA we can follow), the key. */
static int key_set(uint16_t port_id, const struct rte_eth_dev_info *info, uint64_t rss_hf,
	struct egw_steer_rss *out, char *err, size_t err_len)
{
	/* A device that reports no key size (net_null) has the 40 bytes of the Toeplitz
	 * standard. */
	const unsigned key_len =
		info->hash_key_size ? info->hash_key_size : EGW_RSS_DEFAULT_KEY_LEN;
	uint8_t key[EGW_RSS_KEY_MAX];
	struct rte_eth_rss_conf conf = { .rss_key = key,
		.rss_key_len = (uint8_t)key_len,
		.rss_hf = rss_hf };
	int rc;

	if (info->reta_size == 0 || info->reta_size > EGW_RSS_RETA_MAX ||
		key_len < EGW_RSS_KEY_MIN || key_len > EGW_RSS_KEY_MAX) {
		snprintf(err, err_len, "RETA of %u entries, key of %u bytes", info->reta_size,
			key_len);
		return -ENOTSUP;
	}
	/* The default key, repeated to the device's key size (ice: 52 bytes). A device that
	 * refuses it keeps its own, which the read-back below then follows. */
	for (unsigned i = 0; i < key_len; i++)
		key[i] = egw_rss_default_key[i % EGW_RSS_DEFAULT_KEY_LEN];
	out->key_refused = rte_eth_dev_rss_hash_update(port_id, &conf) < 0;
	conf.rss_key = out->key;
	conf.rss_key_len = (uint8_t)key_len;
	conf.rss_hf = 0;
	rc = rte_eth_dev_rss_hash_conf_get(port_id, &conf);
	if (rc < 0) {
		snprintf(err, err_len, "RSS key not readable");
		return rc;
	}
	out->key_len = conf.rss_key_len ? conf.rss_key_len : key_len;
	out->hash_is_owner = (conf.rss_hf & SRC_ONLY) == SRC_ONLY;
	return 0;
}

/* Entries spread round robin over the workers' queues, then the RETA as the device has it. */
static int reta_set(uint16_t port_id, uint16_t reta_size, unsigned n_queues,
	struct egw_steer_rss *out, char *err, size_t err_len)
{
	struct rte_eth_rss_reta_entry64 conf[RETA_GROUPS];
	uint16_t want[EGW_RSS_RETA_MAX];
	int rc;

	memset(conf, 0, sizeof(conf));
	egw_rss_reta_spread(want, reta_size, n_queues);
	for (unsigned i = 0; i < reta_size; i++) {
		conf[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ull << (i % RTE_ETH_RETA_GROUP_SIZE);
		conf[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] = want[i];
	}
	out->reta_refused = rte_eth_dev_rss_reta_update(port_id, conf, reta_size) < 0;
	rc = rte_eth_dev_rss_reta_query(port_id, conf, reta_size);
	if (rc < 0) {
		snprintf(err, err_len, "RETA not readable");
		return rc;
	}
	for (unsigned i = 0; i < reta_size; i++)
		out->reta[i] = conf[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
	out->reta_size = reta_size;
	return 0;
}

int egw_steer_rss_program(uint16_t port_id, unsigned n_workers, uint64_t rss_hf,
	struct egw_steer_rss *out, char *err, size_t err_len)
{
	struct rte_eth_dev_info info;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = rte_eth_dev_info_get(port_id, &info);
	if (rc < 0) {
		snprintf(err, err_len, "no device info");
		return rc;
	}
	rc = key_set(port_id, &info, rss_hf, out, err, err_len);
	return rc < 0 ? rc : reta_set(port_id, info.reta_size, n_workers, out, err, err_len);
}
