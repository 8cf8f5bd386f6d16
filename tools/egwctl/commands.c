/* SPDX-License-Identifier: BSD-3-Clause */
/* The commands: ask the daemon, check the reply, print it as a table or as JSON. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "egwctl.h"
#include "http.h"
#include "render.h"

/* Pages of a paged listing; a reload between two pages restarts it this often. */
#define PAGES_MAX 4096
#define PAGE_RESTARTS 3

struct reply {
	char *raw;
	size_t len;
	json_t *doc;
	json_t *value; /* under the command's key */
};

static void reply_free(struct reply *r)
{
	free(r->raw);
	r->raw = NULL;
	json_decref(r->doc);
	r->doc = NULL;
}

/*
 * CMD[,PARAMS] over telemetry, parsed. DPDK answers {"CMD": VALUE}; VALUE is null when the
 * command is unknown (an older daemon) or its callback failed, {"error": "..."} when egressgw
 * refused the parameters. Those, and anything unreadable, are said on stderr: -1.
 */
static int query(const struct egw_ctl_opts *o, const char *cmd, const char *params, struct reply *r)
{
	json_error_t err;
	json_t *msg;

	memset(r, 0, sizeof(*r));
	if (egw_ctl_telemetry(o->prefix, cmd, params, &r->raw, &r->len) < 0)
		return -1;
	/* Counters are u64: jansson refuses integers above 2^63 (that many bytes take a
	 * 100 Gb/s link 23 years), and reads none as a double, which would round them. */
	r->doc = json_loadb(r->raw, r->len, 0, &err);
	if (!r->doc) {
		fprintf(stderr, "egwctl: %s: unreadable reply (byte %d: %s)\n", cmd, err.position,
			err.text);
		goto fail;
	}
	r->value = json_object_get(r->doc, cmd);
	if (!r->value) {
		fprintf(stderr, "egwctl: %s: the reply is not {\"%s\": ...}\n", cmd, cmd);
		goto fail;
	}
	if (json_is_null(r->value)) {
		fprintf(stderr,
			"egwctl: %s: no answer (an egressgw without this command, or it "
			"refused %s)\n",
			cmd, params ? "the parameters" : "the request");
		goto fail;
	}
	msg = json_object_get(r->value, "error");
	if (msg) {
		fprintf(stderr, "egwctl: %s\n",
			json_is_string(msg) ? json_string_value(msg) : "error");
		goto fail;
	}
	return 0;
fail:
	reply_free(r);
	return -1;
}

typedef int (*render_fn)(json_t *v, FILE *out);

static int show(const struct egw_ctl_opts *o, const char *cmd, const char *params, render_fn render)
{
	struct reply r;
	int rc;

	if (query(o, cmd, params, &r) < 0)
		return EGW_CTL_FAIL;
	if (o->json) {
		fwrite(r.raw, 1, r.len, stdout);
		putchar('\n');
		rc = 0;
	} else {
		rc = render(r.value, stdout);
	}
	reply_free(&r);
	return rc < 0 ? EGW_CTL_FAIL : EGW_CTL_OK;
}

int egw_ctl_status(const struct egw_ctl_opts *o, int argc, char **argv)
{
	return argc != 1 ? EGW_CTL_USAGE : show(o, "/egw/info", NULL, egw_render_status);
}

int egw_ctl_stats(const struct egw_ctl_opts *o, int argc, char **argv)
{
	return argc != 1 ? EGW_CTL_USAGE : show(o, "/egw/stats", NULL, egw_render_stats);
}

int egw_ctl_ports(const struct egw_ctl_opts *o, int argc, char **argv)
{
	return argc != 1 ? EGW_CTL_USAGE : show(o, "/egw/ports", NULL, egw_render_ports);
}

int egw_ctl_sources(const struct egw_ctl_opts *o, int argc, char **argv)
{
	return argc != 1 ? EGW_CTL_USAGE : show(o, "/egw/sources", NULL, egw_render_sources);
}

int egw_ctl_tunnels(const struct egw_ctl_opts *o, int argc, char **argv)
{
	return argc != 1 ? EGW_CTL_USAGE : show(o, "/egw/tunnels", NULL, egw_render_tunnels);
}

int egw_ctl_workers(const struct egw_ctl_opts *o, int argc, char **argv)
{
	return argc != 1 ? EGW_CTL_USAGE : show(o, "/egw/workers", NULL, egw_render_workers);
}

int egw_ctl_pools(const struct egw_ctl_opts *o, int argc, char **argv)
{
	return argc > 2 ? EGW_CTL_USAGE :
			  show(o, "/egw/pools", argc == 2 ? argv[1] : NULL, egw_render_pools);
}

/* ARGV[0..ARGC) joined by blanks, or NULL when there is nothing; free() it. */
static char *join(int argc, char **argv, int *failed)
{
	size_t len = 1;
	char *s;

	*failed = 0;
	if (argc == 0)
		return NULL;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = malloc(len);
	if (!s) {
		*failed = 1;
		return NULL;
	}
	s[0] = 0;
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

/* Prints a control reply: "OK ..." to stdout (success), anything else to stderr. */
static int control(const struct egw_ctl_opts *o, const char *line)
{
	char *reply;
	int ok;

	if (egw_ctl_control(o->socket, line, &reply) < 0)
		return EGW_CTL_FAIL;
	ok = strncmp(reply, "OK", 2) == 0;
	fputs(reply, ok ? stdout : stderr);
	if (reply[0] && reply[strlen(reply) - 1] != '\n')
		fputc('\n', ok ? stdout : stderr);
	free(reply);
	reply = NULL;
	return ok ? EGW_CTL_OK : EGW_CTL_FAIL;
}

int egw_ctl_names(const struct egw_ctl_opts *o, int argc, char **argv)
{
	int failed, rc;
	char *filter = join(argc - 1, argv + 1, &failed);

	if (failed)
		return EGW_CTL_FAIL;
	rc = show(o, "/egw/names", filter, egw_render_names);
	free(filter);
	return rc;
}

/* Member KEY of V as a non-negative integer into *OUT; -1 when it is none. */
static int get_u64(json_t *v, const char *key, uint64_t *out)
{
	json_t *m = json_object_get(v, key);

	if (!json_is_integer(m) || json_integer_value(m) < 0)
		return -1;
	*out = (uint64_t)json_integer_value(m);
	return 0;
}

#define FLOWS_PAGE 40 /* EGW_FLOW_FILTER_LIMIT_MAX: what one telemetry reply holds */

/* One page of /egw/flows from OFFSET: its flows appended to LIST (keys f<N>), *NEXT set. */
static int flows_page(const struct egw_ctl_opts *o, const char *filter, uint64_t offset,
	uint32_t size, json_t *list, uint64_t *next)
{
	struct egw_member *m = NULL;
	struct reply r;
	char *param;
	int n, rc = 0;

	if (asprintf(&param, "%s%sfrom=%" PRIu64 " limit=%" PRIu32, filter ? filter : "",
		    filter ? " " : "", offset, size) < 0)
		return -ENOMEM;
	rc = query(o, "/egw/flows", param, &r);
	free(param);
	param = NULL;
	if (rc < 0)
		return -EIO;
	if (get_u64(r.value, "next_offset", next) < 0) {
		fprintf(stderr, "egwctl: /egw/flows: the reply has no next_offset (an older "
				"egressgw?)\n");
		reply_free(&r);
		return -EPROTO;
	}
	n = egw_render_sorted(json_object_get(r.value, "flows"), &m);
	for (int i = 0; i < n && rc == 0; i++) {
		char key[24];

		snprintf(key, sizeof(key), "f%zu", json_object_size(list));
		rc = json_object_set(list, key, m[i].value) < 0 ? -ENOMEM : 0;
	}
	free(m);
	m = NULL;
	reply_free(&r);
	return n < 0 ? n : rc;
}

/*
 * "flows": every match, in pages of FLOWS_PAGE (from= and next_offset: each page asks the
 * workers from where the last one ended), at most O->LIMIT when set; one table or one JSON
 * reply {"/egw/flows": {"flows": ..., "listed": N, "more": 0|1}}.
 */
static int flows_list(const struct egw_ctl_opts *o, const char *filter)
{
	json_t *list = json_object(), *v = json_object(), *doc = json_object();
	uint64_t offset = 0, next = 0;
	int rc = list && v && doc ? 0 : -ENOMEM;

	while (rc == 0) {
		size_t have = json_object_size(list);
		uint32_t size = FLOWS_PAGE;

		if (o->limit && o->limit - have < size)
			size = (uint32_t)(o->limit - have);
		rc = flows_page(o, filter, offset, size, list, &next);
		if (rc < 0 || next == 0 || (o->limit && json_object_size(list) >= o->limit))
			break;
		/* A daemon that pointed backwards would have us loop for ever. */
		if (next <= offset) {
			fprintf(stderr, "egwctl: /egw/flows: next_offset does not advance\n");
			rc = -EPROTO;
			break;
		}
		offset = next;
	}
	if (rc == 0 && (json_object_set(v, "flows", list) < 0 ||
			       json_object_set_new(v, "listed",
				       json_integer((json_int_t)json_object_size(list))) < 0 ||
			       json_object_set_new(v, "more", json_integer(next != 0)) < 0 ||
			       json_object_set(doc, "/egw/flows", v) < 0))
		rc = -ENOMEM;
	if (rc == 0 && o->json)
		rc = json_dumpf(doc, stdout, JSON_COMPACT) < 0 || putchar('\n') == EOF ? -EIO : 0;
	else if (rc == 0)
		rc = egw_render_flows(v, stdout);
	json_decref(doc);
	json_decref(v);
	json_decref(list);
	return rc < 0 ? EGW_CTL_FAIL : EGW_CTL_OK;
}

int egw_ctl_flows(const struct egw_ctl_opts *o, int argc, char **argv)
{
	int flush = argc > 1 && strcmp(argv[1], "flush") == 0, failed, rc;
	char *filter = join(argc - 1 - flush, argv + 1 + flush, &failed), *line = NULL;

	if (failed)
		return EGW_CTL_FAIL;
	if (!flush) {
		rc = flows_list(o, filter);
	} else if (asprintf(&line, "flows flush%s%s", filter ? " " : "", filter ? filter : "") <
		   0) {
		line = NULL;
		rc = EGW_CTL_FAIL;
	} else {
		rc = control(o, line);
	}
	free(line);
	line = NULL;
	free(filter);
	filter = NULL;
	return rc;
}

int egw_ctl_write(const struct egw_ctl_opts *o, int argc, char **argv)
{
	char *line;
	int failed, rc;

	if ((strcmp(argv[0], "mode") == 0) != (argc == 2) || argc > 2)
		return EGW_CTL_USAGE;
	line = join(argc, argv, &failed);
	if (!line)
		return EGW_CTL_FAIL;
	rc = control(o, line);
	free(line);
	line = NULL;
	return rc;
}

/*
 * A listing the daemon sends in pages: CMD,OFFSET replies with entries under LIST and the
 * offset of the next page ("next_offset", 0 at the end). GEN, when set, names a member that
 * must not change between pages (a reload in between restarts the listing).
 */
struct paged {
	const char *cmd, *list, *gen;
	const char *changed; /* what to say when GEN kept changing */
};

/* Every page; 0, or -EAGAIN when PG->gen changed in between. */
static int fetch_pages(const struct egw_ctl_opts *o, const struct paged *pg, struct reply *pages,
	unsigned *n)
{
	uint64_t gen = 0, offset = 0, next, g = 0;

	for (*n = 0;;) {
		char param[24];
		json_t *v;

		if (*n == PAGES_MAX) {
			fprintf(stderr, "egwctl: %s: more than %d pages\n", pg->cmd, PAGES_MAX);
			return -E2BIG;
		}
		snprintf(param, sizeof(param), "%" PRIu64, offset);
		if (query(o, pg->cmd, offset ? param : NULL, &pages[*n]) < 0)
			return -EIO;
		v = pages[(*n)++].value;
		if (!json_is_object(json_object_get(v, pg->list)) ||
			get_u64(v, "next_offset", &next) < 0 ||
			(pg->gen && get_u64(v, pg->gen, &g) < 0)) {
			fprintf(stderr, "egwctl: %s: the reply lacks %s%s%s or next_offset\n",
				pg->cmd, pg->list, pg->gen ? ", " : "", pg->gen ? pg->gen : "");
			return -EPROTO;
		}
		if (*n == 1)
			gen = g;
		else if (g != gen)
			return -EAGAIN;
		if (next == 0)
			return 0;
		/* A daemon that pointed backwards would have us loop for ever. */
		if (next <= offset) {
			fprintf(stderr, "egwctl: %s: next_offset %" PRIu64 " does not advance\n",
				pg->cmd, next);
			return -EPROTO;
		}
		offset = next;
	}
}

typedef int (*render_pages_fn)(json_t *const *pages, unsigned n, FILE *out);

/* Fetches every page of PG and prints them as one table (RENDER) or one JSON document. */
static int show_pages(const struct egw_ctl_opts *o, const struct paged *pg, render_pages_fn render)
{
	struct reply *pages = calloc(PAGES_MAX, sizeof(*pages));
	json_t **values = calloc(PAGES_MAX, sizeof(*values));
	unsigned n = 0;
	int rc = -ENOMEM;

	for (int attempt = 0; pages && values && attempt <= PAGE_RESTARTS; attempt++) {
		rc = fetch_pages(o, pg, pages, &n);
		if (rc != -EAGAIN)
			break;
		for (unsigned i = 0; i < n; i++)
			reply_free(&pages[i]);
	}
	if (rc == -EAGAIN)
		fprintf(stderr, "egwctl: %s: %s\n", pg->cmd, pg->changed);
	if (rc == 0 && o->json && n == 1) {
		fwrite(pages[0].raw, 1, pages[0].len, stdout);
		putchar('\n');
	} else if (rc == 0) {
		for (unsigned i = 0; i < n; i++)
			values[i] = pages[i].value;
		rc = o->json ? egw_render_pages_json(pg->cmd, pg->list, values, n, stdout) :
			       render(values, n, stdout);
	}
	for (unsigned i = 0; pages && i < n; i++)
		reply_free(&pages[i]);
	free(pages);
	pages = NULL;
	free(values);
	values = NULL;
	return rc < 0 ? EGW_CTL_FAIL : EGW_CTL_OK;
}

/* Member KEY of V as a string; "?" when it is none. */
static const char *str_of(json_t *v, const char *key)
{
	const char *s = json_string_value(json_object_get(v, key));

	return s ? s : "?";
}

/* One policy's rule (/egw/policies,name=NAME): printed as the INI section it was compiled
 * to, or (--json) added to ALL under its name. */
static int policy_rule(const struct egw_ctl_opts *o, const char *name, json_t *all)
{
	json_t *lines, *line;
	struct reply r;
	char *param;
	size_t i;
	int rc;

	if (asprintf(&param, "name=%s", name) < 0)
		return -ENOMEM;
	rc = query(o, "/egw/policies", param, &r);
	free(param);
	param = NULL;
	if (rc < 0)
		return -EIO;
	lines = json_object_get(r.value, "rule");
	if (!json_is_array(lines)) {
		fprintf(stderr, "egwctl: /egw/policies,name=%s: no rule in the reply\n", name);
		reply_free(&r);
		return -EPROTO;
	}
	if (o->json) {
		rc = json_object_set(all, name, r.value) < 0 ? -ENOMEM : 0;
		reply_free(&r);
		return rc;
	}
	printf("[policy %s]\n; from %s\n", name, str_of(r.value, "origin"));
	json_array_foreach(lines, i, line)
		printf("%s\n", json_is_string(line) ? json_string_value(line) : "");
	if (json_integer_value(json_object_get(r.value, "cut")))
		puts("; (cut: longer than one reply; egressgw --check --dump shows it all)");
	putchar('\n');
	reply_free(&r);
	return ferror(stdout) ? -EIO : 0;
}

/* "policies --rules": every policy of the running generation as INI, origin included. */
static int policies_rules(const struct egw_ctl_opts *o, const struct paged *pg)
{
	struct reply *pages = calloc(PAGES_MAX, sizeof(*pages));
	json_t *all = json_object(), *doc = json_object();
	unsigned n = 0;
	int rc = pages && all && doc ? fetch_pages(o, pg, pages, &n) : -ENOMEM;

	for (unsigned p = 0; rc == 0 && p < n; p++) {
		struct egw_member *m = NULL;
		int k = egw_render_sorted(json_object_get(pages[p].value, "policies"), &m);

		rc = k < 0 ? k : 0;
		for (int i = 0; i < k && rc == 0; i++) {
			const char *name = str_of(m[i].value, "name");
			/* "(mode)" is no policy of a file: it has no rule. */
			if (strcmp(name, "(mode)") != 0)
				rc = policy_rule(o, name, all);
		}
		free(m);
		m = NULL;
	}
	if (rc == 0 && o->json &&
		(json_object_set(doc, "/egw/policies", all) < 0 ||
			json_dumpf(doc, stdout, JSON_COMPACT) < 0 || putchar('\n') == EOF))
		rc = -EIO;
	for (unsigned i = 0; pages && i < n; i++)
		reply_free(&pages[i]);
	free(pages);
	pages = NULL;
	json_decref(doc);
	json_decref(all);
	return rc < 0 ? EGW_CTL_FAIL : EGW_CTL_OK;
}

int egw_ctl_policies(const struct egw_ctl_opts *o, int argc, char **argv)
{
	static const struct paged pg = { "/egw/policies", "policies", "generation",
		"the policies kept changing while being listed (reloads?); try again" };

	if (argc != 1)
		return EGW_CTL_USAGE;
	return o->rules ? policies_rules(o, &pg) : show_pages(o, &pg, egw_render_policies);
}

int egw_ctl_neighbors(const struct egw_ctl_opts *o, int argc, char **argv)
{
	static const struct paged pg = { "/egw/neighbors", "neighbors", NULL, NULL };

	return argc != 1 ? EGW_CTL_USAGE : show_pages(o, &pg, egw_render_neighbors);
}

int egw_ctl_metrics(const struct egw_ctl_opts *o, int argc, char **argv)
{
	struct reply r = { 0 };
	const char *listen = o->metrics;
	char *body = NULL;
	size_t len = 0;
	int rc;

	if (argc != 1)
		return EGW_CTL_USAGE;
	if (!listen) {
		if (query(o, "/egw/info", NULL, &r) < 0)
			return EGW_CTL_FAIL;
		listen = json_string_value(json_object_get(r.value, "metrics_listen"));
		if (!listen) {
			fprintf(stderr, "egwctl: /egw/info does not say where metrics are served; "
					"give -m HOST:PORT\n");
			reply_free(&r);
			return EGW_CTL_FAIL;
		}
		if (!listen[0]) {
			fprintf(stderr, "egwctl: metrics are off ([metrics] listen is empty)\n");
			reply_free(&r);
			return EGW_CTL_FAIL;
		}
	}
	rc = egw_http_get(listen, "/metrics", &body, &len);
	reply_free(&r);
	if (rc < 0)
		return EGW_CTL_FAIL;
	fwrite(body, 1, len, stdout);
	free(body);
	body = NULL;
	return ferror(stdout) ? EGW_CTL_FAIL : EGW_CTL_OK;
}
