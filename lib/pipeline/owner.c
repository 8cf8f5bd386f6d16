/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which function names the owner of an inside endpoint (pipeline_internal.h
 * egw_pl_endpoint_owner): the NIC's RSS choice where inside devices steer by RSS on the
 * source fields and all agree on it, else the software hash. Decided by the control thread
 * while the ports are set up, read-only once the workers run; each worker checks the NIC's
 * hashes it takes (egw_pl_nic_hash_checks_out).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane_internal.h"
#include "pipeline_internal.h"

/* Do A and B send every endpoint to the same worker? (Equal tables: equal hashes.) */
static bool same_owner(const struct egw_rss_owner *a, const struct egw_rss_owner *b)
{
	return a->reta_mask == b->reta_mask && memcmp(a->table, b->table, sizeof(a->table)) == 0 &&
	       memcmp(a->reta, b->reta, a->reta_mask + 1) == 0;
}

/* Back to the software hash for every port: devices disagree, or one cannot be followed. */
static void refuse(struct egw_dataplane *dp)
{
	dp->rss_owner_on = false;
	dp->rss_owner_refused = true;
	dp->rss_devs = 0;
	dp->rss_hash_devs = 0;
}

int egw_dataplane_set_rss(struct egw_dataplane *dp, uint16_t dev, const uint8_t *key,
	unsigned key_len, const uint16_t *reta, unsigned reta_size, bool hash_is_input)
{
	struct egw_rss_owner *o;
	int rc;

	if (dp->rss_owner_refused)
		return -EPERM;
	if (dev >= EGW_PORT_IDS) {
		refuse(dp);
		return -ERANGE;
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	rc = egw_rss_owner_init(o, key, key_len, reta, reta_size, dp->n_workers);
	if (rc == 0 && dp->rss_owner_on && !same_owner(o, &dp->rss))
		rc = -EEXIST;
	if (rc == 0) {
		if (!dp->rss_owner_on)
			dp->rss = *o;
		dp->rss_owner_on = true;
		dp->rss_devs |= 1u << dev;
		if (hash_is_input)
			dp->rss_hash_devs |= 1u << dev;
	} else {
		refuse(dp);
	}
	free(o);
	return rc;
}

bool egw_dataplane_nic_owner(const struct egw_dataplane *dp, uint16_t port_id)
{
	const uint16_t dev = dp->ports[port_id].dev;

	return dp->rss_owner_on && dev < EGW_PORT_IDS && (dp->rss_devs & (1u << dev));
}

/*
 * Is the NIC's RSS hash of M (a packet rx_key.h's egw_pl_nic_hashed() would take) the software
 * Toeplitz of its source? Checked for one packet in EGW_RSS_CHECK_EVERY, the first included.
 * A NIC that hashes other fields than it was told (a driver that takes the source-only
 * setting but hashes the 4-tuple, say) would otherwise spread one endpoint's flows over
 * workers unseen, and endpoint-independent mapping needs them on one. A mismatch is counted
 * once and the worker computes every owner from then on (the owner a right hash names).
 */
bool egw_pl_nic_hash_checks_out(struct egw_worker *w, const struct rte_mbuf *m,
	const struct egw_pkt_meta *meta)
{
	w->rss_check_in = EGW_RSS_CHECK_EVERY - 1;
	if (!(m->ol_flags & RTE_MBUF_F_RX_RSS_HASH) ||
		m->hash.rss == egw_rss_hash(&w->dp->rss, meta->src, meta->sport, true))
		return true;
	w->rss_hash_distrusted = true;
	w->stats.rss_hash_mismatch++;
	return false;
}
