/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_byteorder.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_errno.h>

#include "app.h"
#include "common/log.h"

#define RX_DESC 1024
#define TX_DESC 1024

/* The ethdev name of a vdev is its devargs up to the first comma. */
static void vdev_name(const char *device, char *name, size_t len)
{
	size_t n = strcspn(device, ",");
	snprintf(name, len, "%.*s", (int)n, device);
}

/*
 * af_packet rings of this many frames unless the device string sets framecnt: the PMD's 512
 * overflowed under one iperf3 flow on a shared CPU (82,894 of 2,039,534 frames dropped in 15 s,
 * 15% of a 10/s probe lost); 2048 lost none. Each ring is framecnt x 2048 bytes of kernel
 * memory, an RX and a TX ring per queue pair: 8 MiB per worker and port.
 */
#define AFP_FRAMECNT 2048

/*
 * Probes a virtual device now that the worker count is known: af_packet gets one queue pair
 * per worker (PACKET_FANOUT spreads the receive side) unless the operator set qpairs, and
 * AFP_FRAMECNT frames per ring unless the operator set framecnt.
 */
static int probe_vdev(const struct egw_port_conf *pc, unsigned n_workers, uint16_t *port_id)
{
	char devargs[EGW_DEVICE_MAX + 64], name[EGW_DEVICE_MAX];
	int rc;

	vdev_name(pc->device, name, sizeof(name));
	snprintf(devargs, sizeof(devargs), "%s", pc->device);
	if (strncmp(name, "net_af_packet", 13) == 0) {
		size_t n = strlen(devargs);
		if (!strstr(pc->device, "qpairs="))
			n += (size_t)snprintf(devargs + n, sizeof(devargs) - n, ",qpairs=%u",
				n_workers);
		if (!strstr(pc->device, "framecnt="))
			snprintf(devargs + n, sizeof(devargs) - n, ",framecnt=%u", AFP_FRAMECNT);
	}
	rc = rte_dev_probe(devargs);
	if (rc < 0) {
		EGW_ERR("[port %s] device '%s': probe failed: %s", pc->name, devargs,
			rte_strerror(-rc));
		return rc;
	}
	if (rte_eth_dev_get_port_by_name(name, port_id) != 0) {
		EGW_ERR("[port %s] device '%s' is not an ethernet device", pc->name, name);
		return -ENODEV;
	}
	return 0;
}

/* The iface= of a net_af_packet device string into IFNAME; false for other devices. */
static bool afp_iface(const char *device, char *ifname, size_t len)
{
	const char *v = strstr(device, ",iface=");

	if (strncmp(device, "net_af_packet", 13) != 0 || !v)
		return false;
	v += strlen(",iface=");
	snprintf(ifname, len, "%.*s", (int)strcspn(v, ","), v);
	return true;
}

/* Ring drops of an af_packet port are counted from its queue sockets (lib/net/afpacket.h). */
static void afp_setup(struct egw_app *app, const struct egw_port_conf *pc, uint16_t port_id)
{
	char ifname[IF_NAMESIZE];
	int n;

	if (pc->is_pci || !afp_iface(pc->device, ifname, sizeof(ifname)))
		return;
	n = egw_afp_port_open(egw_dataplane_afp(app->dp, port_id), ifname);
	if (n <= 0)
		EGW_WARN("[port %s] %s: no af_packet socket found (%s): RX ring drops not counted",
			pc->name, ifname, n < 0 ? strerror(-n) : "none bound");
}

/* The first port before conf.ports[I] on the same device (its VLANs), or I. */
static unsigned device_owner(const struct egw_conf *conf, unsigned i)
{
	for (unsigned j = 0; j < i; j++)
		if (strcmp(conf->ports[j].device, conf->ports[i].device) == 0)
			return j;
	return i;
}

/* Does any port of OWNER's device use VLANs? Then every port of it is a VLAN port. */
static bool device_tagged(const struct egw_conf *conf, unsigned owner)
{
	for (unsigned i = owner; i < conf->n_ports; i++)
		if (device_owner(conf, i) == owner && conf->ports[i].vlan)
			return true;
	return false;
}

/* The device MTU: the largest of its ports'. */
static uint16_t device_mtu(const struct egw_conf *conf, unsigned owner)
{
	uint16_t mtu = 0;

	for (unsigned i = owner; i < conf->n_ports; i++)
		if (device_owner(conf, i) == owner && conf->ports[i].mtu > mtu)
			mtu = conf->ports[i].mtu;
	return mtu;
}

/* The role the device of conf.ports[OWNER] steers for; mixed roles (VLANs) steer for none. */
static bool device_role(const struct egw_conf *conf, unsigned owner, enum egw_steer_role *role)
{
	const enum egw_port_role first = conf->ports[owner].role;

	for (unsigned i = owner; i < conf->n_ports; i++)
		if (device_owner(conf, i) == owner && conf->ports[i].role != first)
			return false;
	*role = first == EGW_ROLE_INSIDE ? EGW_STEER_INSIDE : EGW_STEER_OUTSIDE;
	return true;
}

/* How the device of conf.ports[IDX] spreads what it receives (net/steer.h), from what it
 * reports, and the port configuration that asks for it. */
static void steer_plan(struct egw_app *app, unsigned idx, const struct rte_eth_dev_info *info,
	struct rte_eth_conf *eth_conf)
{
	struct egw_steer_plan *plan = &app->steer[idx];
	const struct egw_steer_caps caps = {
		.max_rx_queues = info->max_rx_queues,
		.flow_type_rss_offloads = info->flow_type_rss_offloads,
		.spreads_itself = strcmp(info->driver_name, "net_af_packet") == 0,
	};
	const unsigned n_workers = egw_dataplane_n_workers(app->dp);
	enum egw_steer_role role = EGW_STEER_INSIDE;

	if (device_role(&app->conf, idx, &role)) {
		egw_steer_plan(role, n_workers, &caps, plan);
	} else {
		/* VLANs of both roles: no one plan fits; as a device without steering. */
		egw_steer_plan(role, 1, &caps, plan);
		plan->nb_rxq = (uint16_t)RTE_MIN(n_workers, info->max_rx_queues);
		plan->why = "inside and outside ports on one device";
	}
	if (plan->rss_hf) {
		eth_conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		eth_conf->rx_adv_conf.rss_conf.rss_hf = plan->rss_hf;
	}
}

/* The receive offloads of the device of conf.ports[IDX] (net/rx_offload.h) into the port
 * configuration, logged and named for telemetry. */
static void rx_offload_setup(struct egw_app *app, unsigned idx, const struct rte_eth_dev_info *info,
	struct rte_eth_conf *eth_conf)
{
	const struct egw_rx_offload_caps caps = {
		.rx_offload_capa = info->rx_offload_capa,
		.soft_checksum = strcmp(info->driver_name, "net_tap") == 0,
	};
	struct egw_rx_offload_plan plan;
	char *names = app->rx_offload_buf[idx];

	egw_rx_offload_plan(&caps, &plan);
	eth_conf->rxmode.offloads = plan.offloads;
	egw_rx_offload_names(plan.offloads, names, sizeof(app->rx_offload_buf[idx]));
	for (unsigned i = idx; i < app->conf.n_ports; i++)
		if (device_owner(&app->conf, i) == idx)
			app->rx_offload_names[i] = names;
	EGW_INFO("[port %s] rx offloads: %s (offered 0x%" PRIx64 "): %s", app->conf.ports[idx].name,
		names, info->rx_offload_capa, plan.why);
}

/* Why the software hash owns inside endpoints after egw_dataplane_set_rss() returned RC. */
static const char *owner_refusal(int rc)
{
	if (rc == -EEXIST)
		return "its RSS key or RETA differ from another inside port's: the software hash "
		       "for every port";
	if (rc == -EPERM)
		return "another inside port's RSS could not be followed: the software hash for "
		       "every port";
	return "its RSS cannot be followed: the software hash for every port";
}

/* The RSS of an inside device steered on the source fields, made explicit and handed to the
 * data plane, so that the worker its RSS picks owns each inside endpoint (no handoff). */
static void steer_owner(struct egw_app *app, unsigned idx, uint16_t port_id)
{
	const struct egw_steer_plan *plan = &app->steer[idx];
	const char *name = app->conf.ports[idx].name;
	struct egw_steer_rss *rss = calloc(1, sizeof(*rss));
	char err[128] = "";
	int rc = rss ? egw_steer_rss_program(port_id, egw_dataplane_n_workers(app->dp),
			       plan->rss_hf, rss, err, sizeof(err)) :
		       -ENOMEM;

	if (rc < 0) {
		EGW_INFO("[port %s] RSS key and RETA not usable (%s: %s): the software hash owns "
			 "its endpoints",
			name, err, rte_strerror(-rc));
		rc = egw_dataplane_set_rss(app->dp, port_id, NULL, 0, NULL, 0, false);
		EGW_WARN("[port %s] %s", name, owner_refusal(rc));
		free(rss);
		return;
	}
	rc = egw_dataplane_set_rss(app->dp, port_id, rss->key, rss->key_len, rss->reta,
		rss->reta_size, rss->hash_is_owner);
	if (rc < 0)
		EGW_WARN("[port %s] %s", name, owner_refusal(rc));
	else
		EGW_INFO("[port %s] owner of inside endpoints: nic-rss (%u-byte key%s, %u-entry "
			 "RETA%s, %s)",
			name, rss->key_len, rss->key_refused ? " the device kept" : "",
			rss->reta_size, rss->reta_refused ? " the device kept" : "",
			rss->hash_is_owner ? "the NIC's hash taken" : "the hash computed");
	free(rss);
}

/* The rte_flow rules the plan of conf.ports[IDX] needs, on its started device; the plan
 * settles on what the device took; the RSS of an inside device then names the owner of its
 * endpoints. Logged either way. */
static void steer_apply(struct egw_app *app, unsigned idx, uint16_t port_id)
{
	struct egw_steer_plan *plan = &app->steer[idx];
	const struct egw_port_conf *pc = &app->conf.ports[idx];
	char err[128] = "";

	if (plan->needs_rules) {
		int rc = egw_steer_rules_apply(port_id, egw_dataplane_n_workers(app->dp), plan,
			&app->steer_rules[idx], err, sizeof(err));
		if (rc < 0)
			EGW_INFO("[port %s] %s rules refused: %s (%s)", pc->name,
				egw_steer_mode_name(plan->mode), err, rte_strerror(-rc));
		egw_steer_settle(plan, rc == 0);
	}
	for (unsigned i = idx; i < app->conf.n_ports; i++)
		if (device_owner(&app->conf, i) == idx)
			app->steer_names[i] = egw_steer_mode_name(plan->mode);
	EGW_INFO("[port %s] receive steering: %s, %u RX queue(s): %s", pc->name,
		egw_steer_mode_name(plan->mode), plan->nb_rxq, plan->why);
	if (plan->mode == EGW_STEER_RSS_SRC || plan->mode == EGW_STEER_RSS_SRC_FLOW)
		steer_owner(app, idx, port_id);
	else if (pc->role == EGW_ROLE_INSIDE)
		EGW_INFO("[port %s] owner of inside endpoints: software (no RSS on the source "
			 "fields to follow)",
			pc->name);
}

/* Queues (one RX queue per worker as far as the device has them, one TX queue each), RSS or
 * flow rules that steer packets to their worker (steer_plan), MAC and MTU of the device of
 * conf.ports[IDX], started. */
static int device_configure(struct egw_app *app, unsigned idx, uint16_t port_id)
{
	const struct egw_port_conf *pc = &app->conf.ports[idx];
	unsigned n_workers = egw_dataplane_n_workers(app->dp);
	struct rte_eth_dev_info info;
	struct rte_eth_conf eth_conf;
	uint16_t nb_rxq, mtu, want_mtu = device_mtu(&app->conf, idx);
	int rc;

	rc = rte_eth_dev_info_get(port_id, &info);
	if (rc < 0)
		return rc;
	/* Each worker owns one TX queue on every port: without enough of them workers would
	 * have to share a queue, and that needs a lock. */
	if (info.max_tx_queues < n_workers) {
		EGW_ERR("[port %s] '%s' has %u TX queues, %u workers need one each", pc->name,
			pc->device, info.max_tx_queues, n_workers);
		return -EINVAL;
	}
	memset(&eth_conf, 0, sizeof(eth_conf));
	steer_plan(app, idx, &info, &eth_conf);
	rx_offload_setup(app, idx, &info, &eth_conf);
	nb_rxq = app->steer[idx].nb_rxq;
	rc = rte_eth_dev_configure(port_id, nb_rxq, (uint16_t)n_workers, &eth_conf);
	if (rc < 0 && app->steer[idx].rss_hf) {
		/* A driver that lists RSS types it then refuses: start without RSS. */
		EGW_INFO("[port %s] RSS refused (%s): configured without", pc->name,
			rte_strerror(-rc));
		egw_steer_settle_no_rss(&app->steer[idx]);
		eth_conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
		memset(&eth_conf.rx_adv_conf, 0, sizeof(eth_conf.rx_adv_conf));
		rc = rte_eth_dev_configure(port_id, nb_rxq, (uint16_t)n_workers, &eth_conf);
	}
	if (rc < 0) {
		EGW_ERR("[port %s] configure: %s", pc->name, rte_strerror(-rc));
		return rc;
	}
	for (uint16_t q = 0; q < nb_rxq; q++) {
		rc = rte_eth_rx_queue_setup(port_id, q, RX_DESC, rte_eth_dev_socket_id(port_id),
			NULL, app->pool);
		if (rc < 0)
			return rc;
		/* RX queue q is polled by worker q. */
		struct egw_worker_run *c = &app->wrun[q];
		c->rxq[c->n_rxq].port = port_id;
		c->rxq[c->n_rxq++].queue = q;
	}
	for (unsigned q = 0; q < n_workers; q++) {
		rc = rte_eth_tx_queue_setup(port_id, (uint16_t)q, TX_DESC,
			rte_eth_dev_socket_id(port_id), NULL);
		if (rc < 0)
			return rc;
	}
	for (unsigned i = idx; i < app->conf.n_ports; i++) {
		const struct egw_port_conf *vp = &app->conf.ports[i];
		struct rte_ether_addr mac;

		if (device_owner(&app->conf, i) != idx || !vp->has_mac)
			continue;
		memcpy(mac.addr_bytes, vp->mac, 6);
		rc = rte_eth_dev_default_mac_addr_set(port_id, &mac);
		if (rc < 0) {
			EGW_ERR("[port %s] cannot set MAC: %s", vp->name, rte_strerror(-rc));
			return rc;
		}
		break;
	}
	if (rte_eth_dev_get_mtu(port_id, &mtu) == 0 && mtu != want_mtu) {
		rc = rte_eth_dev_set_mtu(port_id, want_mtu);
		if (rc < 0)
			EGW_WARN("[port %s] cannot set MTU %u (device keeps %u): %s", pc->name,
				want_mtu, mtu, rte_strerror(-rc));
	}
	rc = rte_eth_dev_start(port_id);
	if (rc < 0) {
		EGW_ERR("[port %s] start: %s", pc->name, rte_strerror(-rc));
		return rc;
	}
	steer_apply(app, idx, port_id);
	afp_setup(app, pc, port_id);
	return 0;
}

/* What the workers know of conf.ports[IDX]: a port of its own device, or one VLAN of it. */
static int port_register(struct egw_app *app, unsigned idx)
{
	const struct egw_port_conf *pc = &app->conf.ports[idx];
	const unsigned owner = device_owner(&app->conf, idx);
	struct egw_port_info port = { 0 };
	int rc = 0;

	port.zone = pc->role == EGW_ROLE_INSIDE ? EGW_ZONE_INSIDE : EGW_ZONE_OUTSIDE;
	port.mtu = pc->mtu;
	port.addr_be = rte_cpu_to_be_32(pc->addr);
	port.dev = app->dev_ids[idx];
	port.vlan = (uint16_t)pc->vlan;
	snprintf(port.name, sizeof(port.name), "%s", pc->name);
	rte_eth_macaddr_get(port.dev, &port.mac);
	if (device_tagged(&app->conf, owner))
		rc = egw_dataplane_set_vlan_port(app->dp, app->port_ids[idx], &port);
	else
		egw_dataplane_set_port(app->dp, app->port_ids[idx], &port);
	if (rc < 0) {
		EGW_ERR("[port %s] vlan %u on port %u: %s", pc->name, pc->vlan, port.dev,
			strerror(-rc));
		return rc;
	}
	EGW_INFO("port %s: %s id %u (device %u%s%.0u), %s, " RTE_ETHER_ADDR_PRT_FMT, pc->name,
		pc->device, app->port_ids[idx], port.dev, pc->vlan ? ", vlan " : "", pc->vlan,
		egw_role_name(pc->role), RTE_ETHER_ADDR_BYTES(&port.mac));
	return 0;
}

/* Connected subnets, static routes and the default gateway, per direction. */
static int routes_setup(struct egw_app *app)
{
	struct egw_dataplane *dp = app->dp;

	for (unsigned i = 0; i < app->conf.n_ports; i++) {
		const struct egw_port_conf *pc = &app->conf.ports[i];
		struct egw_route_table *rt = egw_dataplane_routes(dp,
			pc->role == EGW_ROLE_INSIDE ? EGW_ZONE_INSIDE : EGW_ZONE_OUTSIDE);
		uint16_t port = app->port_ids[i];
		int rc = egw_route_add(rt, pc->addr, pc->prefix_len, 0, port);
		for (unsigned r = 0; rc == 0 && r < pc->n_routes; r++)
			rc = egw_route_add(rt, pc->routes[r].prefix, pc->routes[r].prefix_len,
				rte_cpu_to_be_32(pc->routes[r].via), port);
		if (rc == 0 && pc->gateway)
			rc = egw_route_add(rt, 0, 0, rte_cpu_to_be_32(pc->gateway), port);
		if (rc == 0)
			rc = egw_dataplane_add_port_addr(dp, pc->addr, pc->prefix_len);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The device of conf.ports[I], probed (a vdev) or looked up (PCI), into *PORT_ID. */
static int device_find(struct egw_app *app, unsigned i, uint16_t *port_id)
{
	const struct egw_port_conf *pc = &app->conf.ports[i];
	int rc;

	if (pc->is_pci) {
		if (rte_eth_dev_get_port_by_name(pc->device, port_id) != 0) {
			EGW_ERR("[port %s] PCI device %s not found (bound to vfio-pci?)", pc->name,
				pc->device);
			return -ENODEV;
		}
	} else {
		rc = probe_vdev(pc, egw_dataplane_n_workers(app->dp), port_id);
		if (rc < 0)
			return rc;
	}
	if (*port_id >= EGW_PORT_IDS) {
		EGW_ERR("[port %s] port id %u beyond the supported %u", pc->name, *port_id,
			EGW_PORT_IDS);
		return -ERANGE;
	}
	return 0;
}

/* A port id for a second port of a device: the highest no DPDK port has nor a port took. */
static int spare_port_id(const struct egw_app *app, unsigned upto, uint16_t *id)
{
	for (int c = EGW_PORT_IDS - 1; c >= 0; c--) {
		bool taken = rte_eth_dev_is_valid_port((uint16_t)c);
		for (unsigned i = 0; i < upto && !taken; i++)
			taken = app->port_ids[i] == c;
		if (!taken) {
			*id = (uint16_t)c;
			return 0;
		}
	}
	return -ENOSPC;
}

int egw_ports_setup(struct egw_app *app)
{
	const struct egw_conf *conf = &app->conf;
	int rc;

	/* Every device first, so that the ids VLAN ports take are known to be free. */
	for (unsigned i = 0; i < conf->n_ports; i++) {
		if (device_owner(conf, i) != i)
			continue;
		rc = device_find(app, i, &app->dev_ids[i]);
		if (rc < 0)
			return rc;
		app->port_ids[i] = app->dev_ids[i];
		app->n_ports = i + 1;
		rc = device_configure(app, i, app->dev_ids[i]);
		if (rc < 0)
			return rc;
	}
	for (unsigned i = 0; i < conf->n_ports; i++) {
		const unsigned owner = device_owner(conf, i);

		if (owner != i) {
			app->dev_ids[i] = app->dev_ids[owner];
			rc = spare_port_id(app, i, &app->port_ids[i]);
			if (rc < 0) {
				EGW_ERR("[port %s] no port id left below %u", conf->ports[i].name,
					EGW_PORT_IDS);
				return rc;
			}
		}
		rc = port_register(app, i);
		if (rc < 0)
			return rc;
		app->n_ports = RTE_MAX(app->n_ports, i + 1);
	}
	return routes_setup(app);
}

void egw_ports_stop(struct egw_app *app)
{
	for (unsigned i = 0; i < app->n_ports; i++) {
		if (device_owner(&app->conf, i) != i)
			continue;
		egw_afp_port_close(egw_dataplane_afp(app->dp, app->dev_ids[i]));
		egw_steer_rules_remove(&app->steer_rules[i]);
		rte_eth_dev_stop(app->dev_ids[i]);
		rte_eth_dev_close(app->dev_ids[i]);
	}
}
