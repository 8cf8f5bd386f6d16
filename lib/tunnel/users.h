/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_TUNNEL_USERS_H
#define EGW_TUNNEL_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The tunnel users file: one "name:hash" per line, where hash is a crypt(3) hash of a method
 * libxcrypt considers strong (yescrypt "$y$", SHA-512 "$6$", SHA-256 "$5$", bcrypt "$2b$";
 * not DES or MD5). Create a line with `printf 'alice:%s\n' "$(openssl passwd -6)"` or
 * `mkpasswd -m yescrypt`. Blank lines and lines starting with '#' are ignored. Names are
 * 1-255 printable ASCII bytes without ':' or blanks (RFC 1929 allows 255), unique. The file
 * must be a regular file of at most 16 MiB.
 */
#define EGW_TUNNEL_USERS_FILE_MAX (16u << 20)
#define EGW_TUNNEL_USERS_LINE_MAX 1024

struct egw_tunnel_users;
struct egw_conf_errors;

/*
 * Reads PATH into *OUT. 0; -EINVAL with every problem in ERRS as "PATH:LINE: message" (line 0:
 * the file as a whole); -errno when it cannot be read (also in ERRS); -ENOMEM. Control thread.
 */
int egw_tunnel_users_load(const char *path, struct egw_tunnel_users **out,
	struct egw_conf_errors *errs);

/* The same over LEN bytes of TEXT; NAME is used in messages (tests, fuzzing). */
int egw_tunnel_users_parse(const char *name, const char *text, size_t len,
	struct egw_tunnel_users **out, struct egw_conf_errors *errs);

uint32_t egw_tunnel_users_count(const struct egw_tunnel_users *u);

/*
 * The user's name as stored (valid while U lives) when USER exists and PASS is its password,
 * else NULL. A password that verified once is
 * remembered (a keyed SHA-256 of it), so a client reconnecting with it costs one hash instead
 * of a crypt(3) run (milliseconds by design); a wrong password always costs the full run.
 * Not thread-safe (the cache): the tunnel thread only.
 */
const char *egw_tunnel_users_check(struct egw_tunnel_users *u, const char *user, const char *pass);

void egw_tunnel_users_free(struct egw_tunnel_users *u);

#endif
