/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <rte_cycles.h>
#include <rte_telemetry.h>

#include "conf/conf.h"
#include "telemetry.h"

static const struct egw_tel_source *source;

static int cmd_info(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct egw_tel_source *s = source;

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "version", s->version);
	rte_tel_data_add_dict_string(d, "mode", egw_mode_name((enum egw_mode)*s->mode));
	rte_tel_data_add_dict_u64(d, "uptime_s",
		(rte_get_tsc_cycles() - s->start_tsc) / rte_get_tsc_hz());
	rte_tel_data_add_dict_string(d, "config_path", s->config_path);
	rte_tel_data_add_dict_string(d, "config_sha256", s->config_sha256);
	rte_tel_data_add_dict_u64(d, "policy_generation", *s->generation);
	rte_tel_data_add_dict_u64(d, "workers", s->dp->n_workers);
	rte_tel_data_add_dict_string(d, "last_reload", s->last_reload);
	return 0;
}

static int cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct egw_worker_stats st;
	struct rte_tel_data *drops;
	uint64_t total = 0;

	egw_dataplane_stats(source->dp, &st);
	drops = rte_tel_data_alloc();
	if (!drops)
		return -ENOMEM;
	rte_tel_data_start_dict(drops);
	for (unsigned i = 1; i < EGW_DROP_MAX; i++) {
		rte_tel_data_add_dict_u64(drops, egw_drop_name((enum egw_drop_reason)i), st.drops[i]);
		total += st.drops[i];
	}
	rte_tel_data_start_dict(d);
#define U64(name, v) rte_tel_data_add_dict_u64(d, name, v)
	U64("packets_in", st.rx_packets);
	U64("bytes_in", st.rx_bytes);
	U64("packets_out", st.tx_packets);
	U64("bytes_out", st.tx_bytes);
	U64("outbound_packets", st.outbound_packets);
	U64("outbound_bytes", st.outbound_bytes);
	U64("inbound_packets", st.inbound_packets);
	U64("inbound_bytes", st.inbound_bytes);
	U64("flows_active", egw_dataplane_flows_active(source->dp));
	U64("flows_created", st.flows_created);
	U64("flows_expired", st.flows_expired);
	U64("handoffs", st.handoffs_out);
	U64("punted", st.punted);
	U64("held_for_arp", st.held);
	U64("icmp_errors_sent", st.icmp_errors_sent);
	U64("drops_total", total);
#undef U64
	rte_tel_data_add_dict_container(d, "drops", drops, 0);
	return 0;
}

int egw_telemetry_register(const struct egw_tel_source *src)
{
	int rc;

	source = src;
	rc = rte_telemetry_register_cmd("/egw/info", cmd_info,
		"Version, mode, uptime, config path and SHA-256, policy generation, workers, "
		"last reload result. No parameters.");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/egw/stats", cmd_stats,
			"Totals: packets/bytes in and out per direction, flows active/created/"
			"expired, drops by reason. No parameters.");
	return rc;
}

int egw_sha256_file(const char *path, char hex[65])
{
	unsigned char buf[4096], md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	EVP_MD_CTX *ctx;
	FILE *f;
	size_t n;
	int rc = 0;

	f = fopen(path, "rb");
	if (!f)
		return -errno;
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		rc = -ENOMEM;
		goto out;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (EVP_DigestUpdate(ctx, buf, n) != 1) {
			rc = -EIO;
			goto out;
		}
	if (ferror(f) || EVP_DigestFinal_ex(ctx, md, &md_len) != 1) {
		rc = -EIO;
		goto out;
	}
	for (unsigned i = 0; i < md_len && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
out:
	EVP_MD_CTX_free(ctx);
	fclose(f);
	return rc;
}
