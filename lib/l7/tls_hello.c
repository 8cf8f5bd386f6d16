/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS ClientHello (RFC 8446 4.1.2, RFC 5246 7.4.1.2) for its server_name (RFC 6066 3), ALPN
 * (RFC 7301) and encrypted_client_hello (0xfe0d) extensions.
 *
 * Two steps. Framing walks the record headers to learn where the handshake message ends,
 * which may be several records and TCP segments away (RFC 8446 5.1 lets a handshake message
 * span records; post-quantum key shares make hellos bigger than one MSS), and says how many
 * bytes are needed when they are not all there. Then a cursor reads the message across the
 * record boundaries in place: no copy, no scratch buffer, and every read checked against both
 * the enclosing length field and the buffer.
 */
#include <stddef.h>
#include <string.h>

#include "l7.h"

#define TLS_HANDSHAKE 22
#define TLS_CLIENT_HELLO 1
#define TLS_RECORD_MAX 16384 /* RFC 8446 5.1: 2^14 bytes of plaintext */
#define EXT_SERVER_NAME 0
#define EXT_ALPN 16
#define EXT_ECH 0xfe0d
#define SNI_HOST_NAME 0

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

/* ---- framing ---- */

struct framing {
	uint32_t total;	    /* handshake message length (4 + body), 0 until its header is read */
	uint32_t first_len; /* payload length of the first record */
	uint8_t n_records;
};

/*
 * Walks the records. DONE when the whole handshake message is in BUF (out->need = where it
 * ends); NEED_MORE with out->need; NOT_PROTO; MALFORMED.
 */
static enum egw_l7_status frame(const uint8_t *buf, uint32_t len, struct framing *f,
	struct egw_l7_tls *out)
{
	uint8_t hh[4];			      /* the handshake header, gathered across records */
	uint32_t hh_n = 0, have = 0, pos = 0; /* have: message bytes in the records walked */

	if ((len >= 1 && buf[0] != TLS_HANDSHAKE) || (len >= 2 && buf[1] != 3))
		return EGW_L7_NOT_PROTO;
	for (;;) {
		uint32_t start = pos + 5, rlen;

		if (start > len) {
			/* The next header, then (at least) what the message still misses. */
			out->need = start + (f->total ? f->total - have : 4 - hh_n);
			return EGW_L7_NEED_MORE;
		}
		if (buf[pos] != TLS_HANDSHAKE || buf[pos + 1] != 3)
			return EGW_L7_MALFORMED; /* an alert or data inside the hello */
		rlen = be16(buf + pos + 3);
		if (rlen == 0 || rlen > TLS_RECORD_MAX || ++f->n_records > EGW_L7_TLS_RECORDS_MAX)
			return EGW_L7_MALFORMED;
		if (f->n_records == 1)
			f->first_len = rlen;
		for (; hh_n < 4 && hh_n < have + rlen && start + (hh_n - have) < len; hh_n++)
			hh[hh_n] = buf[start + (hh_n - have)];
		if (hh_n >= 1 && hh[0] != TLS_CLIENT_HELLO)
			return EGW_L7_MALFORMED;
		if (hh_n == 4 && f->total == 0) {
			f->total = 4 + ((uint32_t)hh[1] << 16 | be16(hh + 2));
			if (f->total > EGW_L7_TLS_HELLO_MAX)
				return EGW_L7_MALFORMED;
		}
		have += rlen;
		pos = start + rlen;
		if (f->total && have >= f->total) {
			out->need = pos - (have - f->total);
			return out->need <= len ? EGW_L7_DONE : EGW_L7_NEED_MORE;
		}
		if (pos > len) {
			/* This record is not all here: wait for it (or, while the handshake
			 * header is missing, for the next header byte), then the rest. */
			if (f->total)
				out->need = pos + 5 + (f->total - have);
			else
				out->need = hh_n < have ? len + 1 : pos + 5 + (4 - hh_n);
			return EGW_L7_NEED_MORE;
		}
	}
}

/* ---- reading the message across records ---- */

struct rd {
	const uint8_t *buf;
	uint32_t len;	  /* bytes of BUF that may be read */
	uint32_t pos;	  /* physical offset of the next byte */
	uint32_t rec_end; /* physical end of the current record's payload */
	uint32_t off;	  /* logical offset in the handshake message */
};

/* Takes N bytes into DST (NULL: skips them); false when they would pass LIMIT (a logical
 * offset: the end of the enclosing field) or the buffer. */
static bool take(struct rd *r, void *dst, uint32_t n, uint32_t limit)
{
	uint8_t *d = dst;

	if (r->off > limit || n > limit - r->off)
		return false;
	r->off += n;
	while (n > 0) {
		uint32_t chunk;

		if (r->pos >= r->rec_end) {
			/* Next record; framing checked its header, this keeps inside BUF. */
			if (r->rec_end + 5 > r->len)
				return false;
			r->pos = r->rec_end + 5;
			r->rec_end = r->pos + be16(r->buf + r->rec_end + 3);
			if (r->rec_end > r->len)
				r->rec_end = r->len;
			continue;
		}
		chunk = r->rec_end - r->pos < n ? r->rec_end - r->pos : n;
		if (d) {
			memcpy(d, r->buf + r->pos, chunk);
			d += chunk;
		}
		r->pos += chunk;
		n -= chunk;
	}
	return true;
}

static bool take16(struct rd *r, uint32_t *v, uint32_t limit)
{
	uint8_t b[2];

	if (!take(r, b, 2, limit))
		return false;
	*v = be16(b);
	return true;
}

static bool take8(struct rd *r, uint32_t *v, uint32_t limit)
{
	uint8_t b;

	if (!take(r, &b, 1, limit))
		return false;
	*v = b;
	return true;
}

/* server_name: a list of (type, name); at most one host_name (RFC 6066 3). */
static bool parse_sni(struct rd *r, uint32_t ext_end, struct egw_l7_tls *out)
{
	uint32_t list, type, n;
	size_t nlen;

	if (!take16(r, &list, ext_end) || list == 0 || list != ext_end - r->off)
		return false;
	while (r->off < ext_end) {
		if (!take8(r, &type, ext_end) || !take16(r, &n, ext_end))
			return false;
		if (type != SNI_HOST_NAME)
			goto skip;
		if (out->sni_state != EGW_HOSTNAME_ABSENT)
			return false;
		out->sni_state = EGW_HOSTNAME_INVALID;
		if (n > sizeof(out->sni))
			goto skip;
		if (!take(r, out->sni, n, ext_end))
			return false;
		if (egw_hostname_normalize(out->sni, n, 0, out->sni, &nlen) == EGW_HOSTNAME_OK) {
			out->sni_state = EGW_HOSTNAME_VALID;
			out->sni_len = (uint8_t)nlen;
		} else {
			out->sni[0] = '\0';
		}
		continue;
	skip:
		if (!take(r, NULL, n, ext_end))
			return false;
	}
	return true;
}

static bool printable(const char *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	return true;
}

/* ALPN: a non-empty list of non-empty protocol names (RFC 7301 3.1); keeps the first. */
static bool parse_alpn(struct rd *r, uint32_t ext_end, struct egw_l7_tls *out)
{
	uint32_t list, n;
	bool first = true;

	if (!take16(r, &list, ext_end) || list < 2 || list != ext_end - r->off)
		return false;
	while (r->off < ext_end) {
		if (!take8(r, &n, ext_end) || n == 0)
			return false;
		if (first && n <= EGW_L7_ALPN_MAX) {
			if (!take(r, out->alpn, n, ext_end))
				return false;
			out->alpn[n] = '\0';
			out->alpn_len = printable(out->alpn, n) ? (uint8_t)n : 0;
			if (!out->alpn_len)
				out->alpn[0] = '\0';
		} else if (!take(r, NULL, n, ext_end)) {
			return false;
		}
		first = false;
	}
	return true;
}

static bool parse_extensions(struct rd *r, uint32_t end, struct egw_l7_tls *out)
{
	bool seen_sni = false, seen_alpn = false;
	uint32_t total, type, n;

	if (!take16(r, &total, end) || total != end - r->off)
		return false;
	while (r->off < end) {
		uint32_t ext_end;
		bool ok;

		if (!take16(r, &type, end) || !take16(r, &n, end) || n > end - r->off)
			return false;
		ext_end = r->off + n;
		switch (type) {
		case EXT_SERVER_NAME:
			ok = !seen_sni && parse_sni(r, ext_end, out);
			seen_sni = true;
			break;
		case EXT_ALPN:
			ok = !seen_alpn && parse_alpn(r, ext_end, out);
			seen_alpn = true;
			break;
		case EXT_ECH:
			ok = !out->ech && take(r, NULL, n, ext_end);
			out->ech = true;
			break;
		default:
			ok = take(r, NULL, n, ext_end);
			break;
		}
		if (!ok || r->off != ext_end)
			return false;
	}
	return true;
}

/* The ClientHello body (RFC 8446 4.1.2); END is the logical end of the message. */
static bool parse_hello(struct rd *r, uint32_t end, struct egw_l7_tls *out)
{
	uint32_t version, n;

	if (!take(r, NULL, 4, end) || !take16(r, &version, end) || (version >> 8) != 3 ||
		!take(r, NULL, 32, end))
		return false;
	if (!take8(r, &n, end) || n > 32 || !take(r, NULL, n, end)) /* legacy_session_id */
		return false;
	if (!take16(r, &n, end) || n < 2 || (n & 1) || !take(r, NULL, n, end)) /* cipher suites */
		return false;
	if (!take8(r, &n, end) || n < 1 || !take(r, NULL, n, end)) /* compression methods */
		return false;
	if (r->off == end) /* no extensions at all: no name */
		return true;
	return parse_extensions(r, end, out);
}

enum egw_l7_status egw_l7_tls_parse(const uint8_t *buf, uint32_t len, struct egw_l7_tls *out)
{
	struct framing f = { 0 };
	enum egw_l7_status st;
	struct rd r;

	memset(out, 0, offsetof(struct egw_l7_tls, sni));
	out->sni[0] = '\0';
	out->alpn[0] = '\0';
	st = frame(buf, len, &f, out);
	out->n_records = f.n_records;
	if (st != EGW_L7_DONE)
		return st;
	/* The message's bytes are all before out->need, which is within LEN. */
	r = (struct rd){ .buf = buf, .len = out->need, .pos = 5, .rec_end = 5 + f.first_len };
	if (r.rec_end > r.len)
		r.rec_end = r.len;
	if (!parse_hello(&r, f.total, out) || r.off != f.total) {
		out->sni_state = EGW_HOSTNAME_ABSENT;
		out->sni_len = 0;
		out->sni[0] = '\0';
		return EGW_L7_MALFORMED;
	}
	return EGW_L7_DONE;
}
