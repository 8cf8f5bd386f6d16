/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SOCKS5 negotiation (RFC 1928) with username/password (RFC 1929), as a machine that
 * reads what the client sent and says what to answer. Only CONNECT with IPv4 or a domain name
 * is served: BIND and UDP ASSOCIATE get 0x07, IPv6 0x08; a request that breaks the format gets
 * 0x01 and the connection closes. Where nothing sensible can be answered (another version, no
 * acceptable method) the reply is the one RFC 1928 3 gives (0xFF) or nothing.
 */
#include <string.h>

#include "conf/conf.h"
#include "tunnel_proto.h"

#define VER 5
#define AUTH_VER 1 /* RFC 1929 2 */
#define M_NONE 0x00
#define M_USERPASS 0x02
#define M_NO_ACCEPTABLE 0xff
#define CMD_CONNECT 1
#define ATYP_V4 1
#define ATYP_NAME 3
#define ATYP_V6 4
#define REP_CMD_UNSUPPORTED 0x07
#define REP_ATYP_UNSUPPORTED 0x08

void egw_tunnel_socks5_init(struct egw_socks5 *s, bool need_auth)
{
	memset(s, 0, sizeof(*s));
	s->phase = EGW_SOCKS5_GREETING;
	s->need_auth = need_auth;
}

static enum egw_socks5_action send2(struct egw_socks5 *s, uint8_t a, uint8_t b)
{
	s->reply[0] = a;
	s->reply[1] = b;
	s->reply_len = 2;
	return EGW_SOCKS5_SEND;
}

/* Closes with RESULT once ->reply (maybe empty) is sent. */
static enum egw_socks5_action fail(struct egw_socks5 *s, enum egw_tunnel_result result)
{
	s->phase = EGW_SOCKS5_CLOSED;
	s->result = (uint8_t)result;
	return EGW_SOCKS5_FAIL;
}

/* A request reply: VER REP RSV ATYP=IPv4 BND.ADDR BND.PORT (RFC 1928 6). */
static void request_reply(struct egw_socks5 *s, uint8_t rep, uint32_t addr, uint16_t port)
{
	s->reply[0] = VER;
	s->reply[1] = rep;
	s->reply[2] = 0;
	s->reply[3] = ATYP_V4;
	s->reply[4] = (uint8_t)(addr >> 24);
	s->reply[5] = (uint8_t)(addr >> 16);
	s->reply[6] = (uint8_t)(addr >> 8);
	s->reply[7] = (uint8_t)addr;
	s->reply[8] = (uint8_t)(port >> 8);
	s->reply[9] = (uint8_t)port;
	s->reply_len = 10;
}

static enum egw_socks5_action greeting(struct egw_socks5 *s, const uint8_t *b, uint32_t n)
{
	uint8_t want = s->need_auth ? M_USERPASS : M_NONE;

	if (n >= 1 && b[0] != VER)
		return fail(s, EGW_TUNNEL_R_BAD_REQUEST); /* not SOCKS5: nothing to answer */
	if (n < 2 || n < 2u + b[1])
		return EGW_SOCKS5_MORE;
	s->used = 2u + b[1];
	if (!memchr(b + 2, want, b[1])) {
		send2(s, VER, M_NO_ACCEPTABLE);
		return fail(s, s->need_auth ? EGW_TUNNEL_R_AUTH_FAILED : EGW_TUNNEL_R_BAD_REQUEST);
	}
	s->phase = s->need_auth ? EGW_SOCKS5_AUTH : EGW_SOCKS5_REQUEST;
	return send2(s, VER, want);
}

static enum egw_socks5_action userpass(struct egw_socks5 *s, const uint8_t *b, uint32_t n)
{
	uint32_t ulen, plen;

	if (n >= 1 && b[0] != AUTH_VER) {
		send2(s, AUTH_VER, 1);
		return fail(s, EGW_TUNNEL_R_BAD_REQUEST);
	}
	if (n < 2)
		return EGW_SOCKS5_MORE;
	ulen = b[1];
	if (n < 3 + ulen)
		return EGW_SOCKS5_MORE;
	plen = b[2 + ulen];
	if (n < 3 + ulen + plen)
		return EGW_SOCKS5_MORE;
	s->used = 3 + ulen + plen;
	memcpy(s->user, b + 2, ulen);
	s->user[ulen] = '\0';
	memcpy(s->pass, b + 3 + ulen, plen);
	s->pass[plen] = '\0';
	/* A NUL inside would make the checked name differ from the logged one. */
	if (ulen == 0 || strlen(s->user) != ulen || strlen(s->pass) != plen) {
		send2(s, AUTH_VER, 1);
		return fail(s, EGW_TUNNEL_R_AUTH_FAILED);
	}
	s->phase = EGW_SOCKS5_AUTH_WAIT;
	return EGW_SOCKS5_CHECK;
}

enum egw_socks5_action egw_tunnel_socks5_auth(struct egw_socks5 *s, bool ok)
{
	memset(s->pass, 0, sizeof(s->pass));
	if (s->phase != EGW_SOCKS5_AUTH_WAIT)
		return fail(s, EGW_TUNNEL_R_INTERNAL);
	/* RFC 1929 2: a non-zero status must close the connection. */
	send2(s, AUTH_VER, ok ? 0 : 1);
	if (!ok)
		return fail(s, EGW_TUNNEL_R_AUTH_FAILED);
	s->phase = EGW_SOCKS5_REQUEST;
	return EGW_SOCKS5_SEND;
}

static enum egw_socks5_action refuse(struct egw_socks5 *s, uint8_t rep, enum egw_tunnel_result r)
{
	request_reply(s, rep, 0, 0);
	return fail(s, r);
}

static enum egw_socks5_action request(struct egw_socks5 *s, const uint8_t *b, uint32_t n)
{
	uint32_t alen;
	size_t len;

	if (n >= 1 && b[0] != VER)
		return refuse(s, 0x01, EGW_TUNNEL_R_BAD_REQUEST);
	if (n < 5)
		return EGW_SOCKS5_MORE;
	if (b[2] != 0)
		return refuse(s, 0x01, EGW_TUNNEL_R_BAD_REQUEST);
	switch (b[3]) {
	case ATYP_V4:
		alen = 4;
		break;
	case ATYP_NAME:
		alen = 1u + b[4];
		break;
	case ATYP_V6:
		alen = 16;
		break;
	default:
		return refuse(s, REP_ATYP_UNSUPPORTED, EGW_TUNNEL_R_BAD_REQUEST);
	}
	if (n < 4 + alen + 2)
		return EGW_SOCKS5_MORE;
	s->used = 4 + alen + 2;
	if (b[1] != CMD_CONNECT)
		return refuse(s, REP_CMD_UNSUPPORTED, EGW_TUNNEL_R_BAD_REQUEST); /* BIND, UDP */
	if (b[3] == ATYP_V6)
		return refuse(s, REP_ATYP_UNSUPPORTED, EGW_TUNNEL_R_BAD_REQUEST);
	memset(&s->target, 0, sizeof(s->target));
	s->target.port = (uint16_t)(b[4 + alen] << 8 | b[5 + alen]);
	if (s->target.port == 0)
		return refuse(s, 0x01, EGW_TUNNEL_R_BAD_REQUEST);
	if (b[3] == ATYP_V4) {
		s->target.literal = true;
		s->target.addr =
			(uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
	} else {
		char tmp[16];
		uint32_t a;

		/* A dotted quad sent as a name is the literal address (curl does this). */
		if (b[4] > 0 && b[4] < sizeof(tmp)) {
			memcpy(tmp, b + 5, b[4]);
			tmp[b[4]] = '\0';
			if (strlen(tmp) == b[4] && egw_parse_ipv4(tmp, &a) == 0) {
				s->target.literal = true;
				s->target.addr = a;
			}
		}
		if (!s->target.literal) {
			if (egw_hostname_normalize((const char *)b + 5, b[4], 0, s->target.host,
				    &len) != EGW_HOSTNAME_OK)
				/* Not a name any policy can hold: nothing would allow it. */
				return refuse(s, 0x04, EGW_TUNNEL_R_UNRESOLVABLE);
			s->target.host_len = (uint8_t)len;
		}
	}
	s->phase = EGW_SOCKS5_CONNECT;
	return EGW_SOCKS5_DECIDE;
}

enum egw_socks5_action egw_tunnel_socks5_step(struct egw_socks5 *s, const uint8_t *buf,
	uint32_t len)
{
	s->used = 0;
	s->reply_len = 0;
	switch (s->phase) {
	case EGW_SOCKS5_GREETING:
		return greeting(s, buf, len);
	case EGW_SOCKS5_AUTH:
		return userpass(s, buf, len);
	case EGW_SOCKS5_REQUEST:
		return request(s, buf, len);
	default:
		/* Bytes while the caller decides are the tunnel's: not for this machine. */
		return EGW_SOCKS5_MORE;
	}
}

enum egw_socks5_action egw_tunnel_socks5_reply(struct egw_socks5 *s, enum egw_tunnel_result result,
	uint32_t bnd_addr, uint16_t bnd_port)
{
	if (s->phase != EGW_SOCKS5_CONNECT)
		return fail(s, EGW_TUNNEL_R_INTERNAL);
	if (result == EGW_TUNNEL_R_ALLOWED) {
		request_reply(s, 0x00, bnd_addr, bnd_port);
		s->phase = EGW_SOCKS5_CLOSED; /* negotiation over: the bytes are the tunnel's */
		return EGW_SOCKS5_SEND;
	}
	request_reply(s, egw_tunnel_result_socks(result), 0, 0);
	return fail(s, result);
}
