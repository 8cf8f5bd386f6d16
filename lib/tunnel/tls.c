/* SPDX-License-Identifier: BSD-3-Clause */
/* The TLS listener's context: the key pair, TLS 1.2+, ALPN h2 or http/1.1. */
#include <string.h>

#include <openssl/err.h>

#include "conf/conf.h"
#include "tunnel_int.h"

/* RFC 7301: the server picks; h2 first when the client offers it (RFC 9113 3.2). */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
	const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char ours[] = "\x02h2\x08http/1.1";
	unsigned char *sel;

	if (SSL_select_next_proto(&sel, outlen, ours, sizeof(ours) - 1, in, inlen) !=
		OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK; /* no ALPN in common: HTTP/1.1 */
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

static void tls_error(struct egw_conf_errors *errs, const char *file, const char *what)
{
	char msg[256];

	ERR_error_string_n(ERR_get_error(), msg, sizeof(msg));
	ERR_clear_error();
	egw_conf_errors_add(errs, file, 0, "%s: %s", what, msg);
}

SSL_CTX *tun_tls_ctx(const struct egw_tunnel_conf *conf, struct egw_conf_errors *errs)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx) {
		tls_error(errs, "tunnel", "cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* A peer closing without close_notify is an ordinary end of a tunnel. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
	/* Idle connections give their read/write buffers back (~34 KiB each). */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	if (SSL_CTX_use_certificate_chain_file(ctx, conf->tls_cert) != 1) {
		tls_error(errs, conf->tls_cert, "cannot use the certificate");
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, conf->tls_key, SSL_FILETYPE_PEM) != 1) {
		tls_error(errs, conf->tls_key, "cannot use the key");
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_error(errs, conf->tls_key, "the key does not match the certificate");
		goto fail;
	}
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}
