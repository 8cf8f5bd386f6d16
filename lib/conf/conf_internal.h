/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EGW_CONF_INTERNAL_H
#define EGW_CONF_INTERNAL_H

/*
 * Shared by the files of lib/conf only. Everything a load needs lives in one struct conf_ctx
 * that travels through inih's user pointer, so loads are re-entrant (the control thread may
 * check a new file while another is being applied, and the fuzzer runs many loads).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf.h"

/*
 * A garbage file (a binary, a wrong path) would otherwise produce one error per line; past
 * this many nobody reads on, so reading stops with a note saying so.
 */
#define CONF_MAX_ERRORS 1000

#define CONF_MAX_KEYS 24
#define CONF_QUOTE_MAX 72 /* a value quoted in a message: at most 64 bytes + "..." */

enum conf_sect {
	CONF_SECT_NONE = 0, /* before the first section header */
	CONF_SECT_SKIP,	    /* a header that was reported as wrong: its keys are ignored */
	CONF_SECT_DPDK,
	CONF_SECT_PORT,
	CONF_SECT_EGRESS,
	CONF_SECT_POOL,
	CONF_SECT_FLOWS,
	CONF_SECT_CONTROL,
	CONF_SECT_METRICS,
	CONF_SECT_LOG,
	CONF_SECT_TUNNEL,
	CONF_SECT_GROUP,  /* policy files (policy_*.c) */
	CONF_SECT_POLICY, /* policy files */
	CONF_SECT_MAX
};

/* How inih will treat the line the reader hands it (mirrors ini_parse_stream of inih 55). */
enum conf_line {
	CONF_LINE_BLANK,   /* empty, comment, or replaced by "" after an error */
	CONF_LINE_SECTION, /* "[...]": inih calls no handler (INI_CALL_HANDLER_ON_NEW_SECTION 0) */
	CONF_LINE_KEY,	   /* "name = value": one handler call */
	CONF_LINE_CONT,	   /* indented line after a key: one handler call with the previous name */
	CONF_LINE_BAD,	   /* syntax error: inih calls no handler */
};

/* What an indented continuation line does to the key it continues. */
enum conf_cont {
	CONF_CONT_NONE,	  /* no key yet in this section */
	CONF_CONT_APPEND, /* list key: the line holds more items */
	CONF_CONT_REJECT, /* scalar key: a continuation line is an error */
	CONF_CONT_IGNORE, /* the key was already reported (unknown, duplicate, lost line) */
};

/* Key indexes, also the positions in the key tables of conf_keys.c. */
enum {
	CONF_DPDK_LCORES,
	CONF_DPDK_MEMORY_MB,
	CONF_DPDK_HUGEPAGES,
	CONF_DPDK_FILE_PREFIX,
	CONF_DPDK_EXTRA_ARGS,
	CONF_DPDK_IDLE_SLEEP_US,
	CONF_DPDK_MBUFS
};
enum {
	CONF_PORT_DEVICE,
	CONF_PORT_ROLE,
	CONF_PORT_ADDRESS,
	CONF_PORT_GATEWAY,
	CONF_PORT_ROUTES,
	CONF_PORT_NEIGHBORS,
	CONF_PORT_MAC,
	CONF_PORT_MTU,
	CONF_PORT_NEIGHBOR_REACHABLE,
	CONF_PORT_NEIGHBOR_PROBES,
	CONF_PORT_NEIGHBOR_GC,
	CONF_PORT_VLAN
};
enum {
	CONF_EGRESS_MODE,
	CONF_EGRESS_POLICIES,
	CONF_EGRESS_DEFAULT_POOL,
	CONF_EGRESS_REVALIDATE,
	CONF_EGRESS_HOST_TIMEOUT,
	CONF_EGRESS_HOST_HOLD_BYTES,
	CONF_EGRESS_HOST_HOLD_TOTAL,
	CONF_EGRESS_ECH,
	CONF_EGRESS_HOST_BINDING,
	CONF_EGRESS_DNS_MIN_TTL,
	CONF_EGRESS_DNS_MAX_PER_NAME,
	CONF_EGRESS_DNS_MAX_ENTRIES,
	CONF_EGRESS_DNS_FILTER,
	CONF_EGRESS_IP_OPTIONS,
	CONF_EGRESS_DENY_ACTION,
	CONF_EGRESS_EXHAUSTION_ACTION,
	CONF_EGRESS_REJECT_RATE
};
enum { CONF_FLOWS_MAX };
enum {
	CONF_TUNNEL_HTTP,
	CONF_TUNNEL_HTTPS,
	CONF_TUNNEL_SOCKS5,
	CONF_TUNNEL_TLS_CERT,
	CONF_TUNNEL_TLS_KEY,
	CONF_TUNNEL_USERS,
	CONF_TUNNEL_RESOLVERS,
	CONF_TUNNEL_SOURCE,
};
enum {
	CONF_POOL_ADDRESSES,
	CONF_POOL_PORTS,
	CONF_POOL_MAPPING,
	CONF_POOL_PAIRING,
	CONF_POOL_FILTERING,
	CONF_POOL_MAX_PER_SOURCE
};

#define CONF_KEY_LIST 0x1     /* comma list; indented continuation lines add items */
#define CONF_KEY_REQUIRED 0x2 /* the section is incomplete without it */
#define CONF_KEY_NONEMPTY 0x4 /* string keys: "" is an error */

struct conf_ctx;

struct conf_key {
	const char *name;
	/* Called with the value of the key line, then with each continuation line (lists). */
	void (*set)(struct conf_ctx *ctx, const struct conf_key *key, const char *value);
	unsigned flags;
	size_t off;	    /* generic setters: field offset from the section's struct */
	size_t size;	    /* string fields: buffer size */
	uint32_t min, max;  /* integer fields */
	const char *expect; /* string fields: what a valid value looks like, for messages */
};

struct conf_sect_state {
	int line;		     /* the header line; 0 = section not seen */
	int key_line[CONF_MAX_KEYS]; /* first line of each key; 0 = not given */
};

/* One item of a pool's addresses, kept with its line for the overlap checks. */
struct conf_pool_item {
	uint32_t first, last;
	unsigned pool;
	int line;
};

struct conf_src {
	FILE *fp;	  /* file source, or NULL */
	const char *text; /* string source, advanced as lines are read */
	int read_errno;	  /* first read error of the file */
	size_t n_read;	  /* bytes read from FP */
	bool too_big;	  /* FP held more than EGW_FILE_MAX_BYTES: reading stopped there */
};

struct conf_ctx {
	struct egw_conf *conf; /* NULL while reading policy files */
	struct egw_conf_errors *errs;
	const char *file;
	/* What kind of file is read: the reader hands section headers to OPEN_SECTION, and
	 * CONT_KEYS names the keys that span lines in the continuation-line message. */
	void (*open_section)(struct conf_ctx *ctx, const char *text, size_t len);
	const char *cont_keys;
	void *owner;	     /* policy files: the policy loader's state */
	void *base;	     /* policy files: the struct the open section's key offsets are from */
	unsigned errs_start; /* errs->n when this load started */
	bool nomem;
	bool stop; /* too many errors: the reader reports end of file */

	/* Reader state. */
	struct conf_src src;
	int lineno;
	enum conf_line kind;
	bool ini_prev_name;	/* mirror of inih's prev_name[0] != 0 */
	unsigned handler_calls; /* on the current line, to check the mirror */

	/* Current section. */
	enum conf_sect sect;
	unsigned idx; /* port or pool index */
	char label[48];
	const struct conf_key *keys;
	unsigned n_keys;
	struct conf_sect_state *st;

	enum conf_cont cont;
	const struct conf_key *cont_key;

	struct conf_sect_state single[CONF_SECT_MAX];
	struct conf_sect_state ports[EGW_MAX_PORTS];
	struct conf_sect_state pools[EGW_MAX_POOLS];

	/* Per port: what later cross-checks may rely on, and where items came from. */
	bool port_addr_ok[EGW_MAX_PORTS];
	bool port_role_ok[EGW_MAX_PORTS];
	bool port_routes_full[EGW_MAX_PORTS];
	bool port_neighbors_full[EGW_MAX_PORTS];
	int route_line[EGW_MAX_PORTS][EGW_MAX_ROUTES];
	int neighbor_line[EGW_MAX_PORTS][EGW_MAX_STATIC_NEIGHBORS];

	bool pool_full[EGW_MAX_POOLS];
	unsigned pool_items_tried[EGW_MAX_POOLS];
	struct conf_pool_item *items; /* every pool's address items, in file order */
	unsigned n_items, cap_items;
};

/* conf_parse_util.c */
const char *conf_scan_ipv4(const char *s, uint32_t *addr);
/* "a.b.c.d/len" with MINLEN <= len <= 32, host bits allowed; 0 or -EINVAL. */
int conf_parse_prefix(const char *s, uint32_t minlen, uint32_t *addr, uint8_t *len);
int conf_name_index(const char *const *names, unsigned n, const char *s);
uint32_t conf_mask(unsigned len);
bool conf_addr_usable(uint32_t a);
void conf_copy(char *dst, size_t size, const char *src); /* truncates, always terminates */

/* conf_errors.c */
void conf_err(struct conf_ctx *ctx, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void conf_err_key(struct conf_ctx *ctx, int line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void conf_err_value(struct conf_ctx *ctx, const struct conf_key *key, const char *value,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));
const char *conf_quote(char buf[CONF_QUOTE_MAX], const char *s, size_t len);
void conf_errors_sort(struct egw_conf_errors *errs, unsigned from);

/* conf.c */
/*
 * Runs inih over CTX's source with the line reader; 0, or -errno after a read error (reported)
 * or -EFBIG when the file held more than EGW_FILE_MAX_BYTES (left to the caller to report: the
 * policy loader names the key that named the file).
 */
int conf_run(struct conf_ctx *ctx);
/* Opens PATH as a file source (egw_file_open_read); NULL with WHY set. */
FILE *conf_open(const char *path, char *why, size_t whylen);

/* conf_reader.c */
char *conf_reader(char *str, int num, void *stream);
void conf_reader_finish(struct conf_ctx *ctx, int ini_ret);

/* conf_section.c */
#define CONF_HEADER_MAX 256
void conf_section_open(struct conf_ctx *ctx, const char *text, size_t len);
/*
 * Starts a section header of any file type: forgets the previous section (its keys end
 * here) and splits "[ type  name ]" on blanks into BUF, setting *TYPE, *NAME ("" if none) and
 * WHOLE (the header text quoted for messages).
 */
void conf_section_begin(struct conf_ctx *ctx, const char *text, size_t len,
	char buf[CONF_HEADER_MAX], char **type, char **name, char whole[CONF_QUOTE_MAX]);
/* [TYPE NAME] needs a valid NAME; false after reporting why not. */
bool conf_check_name(struct conf_ctx *ctx, const char *type, const char *name);
bool conf_valid_name(const char *s);
void conf_section_lost(struct conf_ctx *ctx);
void conf_key_line(struct conf_ctx *ctx, const char *name, const char *value);
void conf_key_continue(struct conf_ctx *ctx, const char *value);
void conf_set_label(struct conf_ctx *ctx, const char *type, const char *name);
const char *conf_find_comment(const char *s);

#define CONF_FIELD(type, f) offsetof(type, f), sizeof(((type *)0)->f)
#define CONF_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* conf_keys.c */
const struct conf_key *conf_keys_of(enum conf_sect sect, unsigned *n);
int conf_parse_enum(struct conf_ctx *ctx, const struct conf_key *key, const char *value,
	const char *const *names, unsigned n);
int conf_store_string(struct conf_ctx *ctx, const struct conf_key *key, const char *value);
void conf_set_u32(struct conf_ctx *ctx, const struct conf_key *key, const char *value);
void conf_set_bool(struct conf_ctx *ctx, const struct conf_key *key, const char *value);
/*
 * "a.b.c.d/len" (and "a.b.c.d" as /32 when SINGLE_OK): 0, or -1 after reporting S as having
 * host bits set (naming the network) or as not being EXPECT.
 */
int conf_parse_network(struct conf_ctx *ctx, const struct conf_key *key, const char *s,
	bool single_ok, const char *expect, uint32_t *prefix, uint8_t *len);
/* Calls ITEM for each comma-separated item of VALUE, blanks trimmed. */
void conf_list_each(struct conf_ctx *ctx, const struct conf_key *key, const char *value,
	void (*item)(struct conf_ctx *ctx, const struct conf_key *key, const char *s));

/* conf_keys_flows.c: [flows] udp_port_timeouts = PORT:SECONDS, ... */
void conf_set_udp_port_timeouts(struct conf_ctx *ctx, const struct conf_key *key,
	const char *value);

/* conf_keys_port.c */
extern const struct conf_key conf_port_keys[];
extern const unsigned conf_n_port_keys;
void conf_port_init(struct egw_port_conf *port);
bool conf_device_is_pci(const char *s);

/* conf_keys_pool.c */
extern const struct conf_key conf_pool_keys[];
extern const unsigned conf_n_pool_keys;
void conf_pool_init(struct egw_pool_conf *pool);

/* A path stored as given, refused when something other than a regular file is there now (the
 * daemon reads or appends to it: a FIFO or a device could block it). 0 when stored. */
int conf_store_regular_file(struct conf_ctx *ctx, const struct conf_key *key, const char *value);

/* conf_keys_tunnel.c */
extern const struct conf_key conf_tunnel_keys[];
extern const unsigned conf_n_tunnel_keys;
void conf_tunnel_init(struct egw_conf *conf);
void conf_tunnel_validate(struct conf_ctx *ctx);

/* conf_validate.c */
void conf_validate(struct conf_ctx *ctx);
/* Reports each CONF_KEY_REQUIRED key of KEYS that ST has not seen, at the header line. */
void conf_check_required(struct conf_ctx *ctx, const struct conf_sect_state *st,
	const struct conf_key *keys, unsigned n);

#endif
