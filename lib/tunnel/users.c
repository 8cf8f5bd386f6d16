/* SPDX-License-Identifier: BSD-3-Clause */
/* The tunnel users file (users.h): loader with FILE:LINE errors, crypt(3) checks, cache. */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "conf/conf.h"
#include "users.h"

struct user {
	const char *name; /* into ->text */
	const char *hash;
	int line;
	bool ok_set;
	uint8_t ok[SHA256_DIGEST_LENGTH]; /* keyed digest of the last password that verified */
};

struct egw_tunnel_users {
	char *text; /* the file, lines NUL-terminated in place */
	struct user *v;
	uint32_t n;
	uint8_t key[32];
	struct crypt_data cd; /* ~32 KiB of crypt_rn scratch, reused */
};

uint32_t egw_tunnel_users_count(const struct egw_tunnel_users *u)
{
	return u ? u->n : 0;
}

void egw_tunnel_users_free(struct egw_tunnel_users *u)
{
	if (!u)
		return;
	if (u->text)
		OPENSSL_cleanse(u->text, strlen(u->text));
	free(u->text);
	free(u->v);
	OPENSSL_cleanse(u, sizeof(*u));
	free(u);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct user *)a)->name, ((const struct user *)b)->name);
}

static bool name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == ':')
			return false;
	return true;
}

/* One line (NUL-terminated, no newline) into U->v[U->n]; 0 or an error added to ERRS. */
static int parse_line(struct egw_tunnel_users *u, const char *file, int lineno, char *line,
	struct egw_conf_errors *errs)
{
	char *colon = strchr(line, ':');
	size_t n = strlen(line);

	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	if (n == 0 || line[0] == '#')
		return 0;
	if (n > EGW_TUNNEL_USERS_LINE_MAX)
		return egw_conf_errors_add(errs, file, lineno, "line too long (max %u bytes)", EGW_TUNNEL_USERS_LINE_MAX) ?:
			       -EINVAL;
	if (!colon)
		return egw_conf_errors_add(errs, file, lineno, "expected name:hash") ?: -EINVAL;
	*colon = '\0';
	if (!name_ok(line, (size_t)(colon - line)))
		return egw_conf_errors_add(errs, file, lineno, "user name must be 1-255 printable bytes without ':' or blanks") ?:
			       -EINVAL;
	if (crypt_checksalt(colon + 1) != CRYPT_SALT_OK || colon[1] != '$')
		return egw_conf_errors_add(errs, file, lineno,
			       "user '%s': not a crypt(3) hash of a strong method ($y$, $6$, $5$, "
			       "$2b$; e.g. from 'openssl passwd -6')",
			       line)
			       ?: -EINVAL;
	u->v[u->n++] = (struct user){ .name = line, .hash = colon + 1, .line = lineno };
	return 0;
}

int egw_tunnel_users_parse(const char *name, const char *text, size_t len,
	struct egw_tunnel_users **out, struct egw_conf_errors *errs)
{
	struct egw_tunnel_users *u = calloc(1, sizeof(*u));
	uint32_t lines = 1;
	int ret = 0, lineno = 0;
	char *p, *next;

	*out = NULL;
	if (!u || !(u->text = malloc(len + 1)))
		goto nomem;
	memcpy(u->text, text, len);
	u->text[len] = '\0';
	if (strlen(u->text) != len) {
		egw_conf_errors_add(errs, name, 0, "the file contains a NUL byte");
		ret = -EINVAL;
		goto out;
	}
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	if (!(u->v = calloc(lines, sizeof(*u->v))))
		goto nomem;
	for (p = u->text; p; p = next) {
		next = strchr(p, '\n');
		if (next)
			*next++ = '\0';
		if (parse_line(u, name, ++lineno, p, errs) < 0)
			ret = -EINVAL;
	}
	qsort(u->v, u->n, sizeof(*u->v), by_name);
	for (uint32_t i = 1; i < u->n; i++)
		if (strcmp(u->v[i - 1].name, u->v[i].name) == 0) {
			const struct user *a = &u->v[i - 1], *b = &u->v[i];

			egw_conf_errors_add(errs, name, a->line > b->line ? a->line : b->line,
				"duplicate user '%s' (first at line %d)", a->name,
				a->line < b->line ? a->line : b->line);
			ret = -EINVAL;
		}
	if (ret == 0 && RAND_bytes(u->key, sizeof(u->key)) != 1)
		ret = -EIO;
out:
	if (ret < 0) {
		egw_tunnel_users_free(u);
		return ret;
	}
	*out = u;
	return 0;
nomem:
	egw_tunnel_users_free(u);
	egw_conf_errors_add(errs, name, 0, "out of memory");
	return -ENOMEM;
}

int egw_tunnel_users_load(const char *path, struct egw_tunnel_users **out,
	struct egw_conf_errors *errs)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), ret;
	struct stat st;
	char *buf = NULL;
	size_t got = 0;

	*out = NULL;
	if (fd < 0) {
		ret = -errno;
		egw_conf_errors_add(errs, path, 0, "cannot open: %s", strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		egw_conf_errors_add(errs, path, 0, "cannot read: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)EGW_TUNNEL_USERS_FILE_MAX) {
		ret = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
		egw_conf_errors_add(errs, path, 0, "%s",
			ret == -EFBIG ? "larger than 16 MiB" : "not a regular file");
		goto out;
	}
	ret = -ENOMEM;
	if (!(buf = malloc((size_t)st.st_size + 1)))
		goto out;
	/* Read one byte more than stat said: a file that grew is refused, not cut. */
	while (got <= (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size + 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			egw_conf_errors_add(errs, path, 0, "cannot read: %s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got > (size_t)st.st_size) {
		ret = -EINVAL;
		egw_conf_errors_add(errs, path, 0, "changed while being read");
		goto out;
	}
	ret = egw_tunnel_users_parse(path, buf, got, out, errs);
out:
	if (buf)
		OPENSSL_cleanse(buf, got);
	free(buf);
	close(fd);
	return ret;
}

static void digest(const struct egw_tunnel_users *u, const char *pass, uint8_t out[32])
{
	uint8_t in[sizeof(u->key) + 256];
	size_t n = strnlen(pass, 255);

	memcpy(in, u->key, sizeof(u->key));
	memcpy(in + sizeof(u->key), pass, n);
	SHA256(in, sizeof(u->key) + n, out);
	OPENSSL_cleanse(in, sizeof(in));
}

const char *egw_tunnel_users_check(struct egw_tunnel_users *u, const char *user, const char *pass)
{
	struct user key = { .name = user }, *e;
	uint8_t d[SHA256_DIGEST_LENGTH];
	const char *h;

	if (!u || !user || !pass)
		return NULL;
	e = bsearch(&key, u->v, u->n, sizeof(*u->v), by_name);
	if (!e)
		return NULL;
	digest(u, pass, d);
	if (e->ok_set && CRYPTO_memcmp(d, e->ok, sizeof(d)) == 0)
		return e->name;
	memset(&u->cd, 0, sizeof(u->cd.initialized));
	h = crypt_rn(pass, e->hash, &u->cd, sizeof(u->cd));
	if (!h || strlen(h) != strlen(e->hash) || CRYPTO_memcmp(h, e->hash, strlen(h)) != 0)
		return NULL;
	memcpy(e->ok, d, sizeof(d));
	e->ok_set = true;
	return e->name;
}
