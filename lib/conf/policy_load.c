/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loading the policy files: the glob of [egress] policies, each file through the main config's
 * line reader and inih handler (policy_section.c opens the sections, policy_keys.c holds the
 * keys), then the group references across all files. Like egw_conf_load: no side effects, and
 * every problem goes into the caller's error list.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "policy_internal.h"

static void begin_file(struct pol_ctx *pol, const char *file, FILE *fp, const char *text)
{
	struct conf_ctx *ctx = &pol->c;

	memset(ctx, 0, sizeof(*ctx));
	ctx->errs = pol->errs;
	ctx->file = file;
	ctx->open_section = pol_section_open;
	ctx->cont_keys = "sources, destinations, hosts and ports";
	ctx->owner = pol;
	ctx->errs_start = pol->errs->n; /* the cap on errors is per file, as for the config */
	ctx->src.fp = fp;
	ctx->src.text = text;
	pol->open = CONF_SECT_NONE;
}

/*
 * A file the glob matched that is no policy file (a FIFO, a device, a directory, too big): an
 * error in the main config at the key that named it, [egress] policies.
 */
static void add_named_error(struct pol_ctx *pol, const char *file, const char *why)
{
	const struct egw_conf_origin *o = &pol->conf->egress.policies_origin;
	const char *at = o->line ? o->file : pol->conf->path;

	if (egw_conf_errors_add(pol->errs, at, o->line, "[egress] policies: %s %s", file, why) < 0)
		pol->nomem = true;
}

static void read_one(struct pol_ctx *pol, const char *file, FILE *fp, const char *text)
{
	struct egw_policy_set *set = pol->set;
	char **files;

	begin_file(pol, file, fp, text);
	files = pol_grow(&pol->c, set->files, set->n_files, sizeof(*files));
	if (!files) {
		pol->nomem = true;
		return;
	}
	set->files = files;
	files[set->n_files] = strdup(file);
	if (!files[set->n_files]) {
		pol->nomem = true;
		return;
	}
	set->n_files++;
	/* A read error is reported; what was read before it still counts. */
	if (conf_run(&pol->c) == -EFBIG)
		add_named_error(pol, file, "is larger than " EGW_FILE_MAX_TEXT);
	pol_section_close(pol);
	pol->nomem |= pol->c.nomem;
}

static void add_error(struct pol_ctx *pol, const char *file, const char *fmt, const char *arg)
{
	if (egw_conf_errors_add(pol->errs, file, 0, fmt, arg) < 0)
		pol->nomem = true;
}

/* Origins and error entries hold EGW_PATH_MAX bytes: a longer name would be cut silently. */
static bool path_ok(struct pol_ctx *pol, const char *file)
{
	char max[16];

	if (strlen(file) < EGW_PATH_MAX)
		return true;
	snprintf(max, sizeof(max), "%d", EGW_PATH_MAX - 1);
	add_error(pol, file, "path too long (max %s bytes)", max);
	return false;
}

static void read_path(struct pol_ctx *pol, const char *path)
{
	char why[128];
	FILE *fp;

	if (!path_ok(pol, path))
		return;
	fp = conf_open(path, why, sizeof(why));
	if (!fp && (errno == EINVAL || errno == EFBIG)) {
		add_named_error(pol, path, why);
		return;
	}
	if (!fp) {
		add_error(pol, path, "%s", why);
		return;
	}
	read_one(pol, path, fp, NULL);
	fclose(fp);
}

/* Relative to the main config's directory: the result must not depend on the caller's cwd. */
static char *full_pattern(const struct egw_conf *conf)
{
	const char *pat = conf->egress.policies, *slash = strrchr(conf->path, '/');
	char *full;

	if (pat[0] == '/' || !slash)
		return strdup(pat);
	if (asprintf(&full, "%.*s/%s", (int)(slash - conf->path), conf->path, pat) < 0)
		return NULL;
	return full;
}

static void read_glob(struct pol_ctx *pol)
{
	glob_t g;
	char *pattern;
	int rc;

	if (!pol->conf->egress.policies[0])
		return;
	pattern = full_pattern(pol->conf);
	if (!pattern) {
		pol->nomem = true;
		return;
	}
	/* No GLOB_NOSORT: files are read, and policies numbered, in name order (SPEC 4). */
	rc = glob(pattern, 0, NULL, &g);
	if (rc == 0) {
		for (size_t i = 0; i < g.gl_pathc && !pol->nomem; i++)
			read_path(pol, g.gl_pathv[i]);
	} else if (rc == GLOB_NOSPACE) {
		pol->nomem = true;
	} else if (rc != GLOB_NOMATCH) {
		/* Matching nothing is an empty policy set; anything else is unexpected. */
		add_error(pol, pattern, "%s", "cannot list the policy files");
	}
	globfree(&g);
	free(pattern);
	pattern = NULL;
}

static struct pol_ctx *begin(const struct egw_conf *conf, struct egw_policy_set *set,
	struct egw_conf_errors *errs)
{
	/* The embedded conf_ctx is about 10 KiB: heap, not the caller's stack. */
	struct pol_ctx *pol = calloc(1, sizeof(*pol));

	memset(set, 0, sizeof(*set));
	if (!pol)
		return NULL;
	pol->conf = conf;
	pol->set = set;
	pol->errs = errs;
	return pol;
}

static int finish(struct pol_ctx *pol, unsigned start)
{
	struct egw_conf_errors *errs = pol->errs;
	int ret;

	if (!pol->nomem)
		pol_resolve(pol);
	conf_errors_sort(errs, start);
	ret = pol->nomem ? -ENOMEM : errs->n > start ? -EINVAL : 0;
	free(pol->refs);
	pol->refs = NULL;
	pol_names_free(&pol->group_names);
	pol_names_free(&pol->policy_names);
	free(pol);
	pol = NULL;
	return ret;
}

int egw_policy_load(const struct egw_conf *conf, struct egw_policy_set *set,
	struct egw_conf_errors *errs)
{
	struct pol_ctx *pol;
	unsigned start;

	if (!conf || !set || !errs)
		return -EINVAL;
	start = errs->n;
	pol = begin(conf, set, errs);
	if (!pol)
		return -ENOMEM;
	/* The main file's own policies first, then the files of the glob. */
	if (conf->egress.inline_policies) {
		pol->main_file = true;
		read_path(pol, conf->path);
		pol->main_file = false;
	}
	read_glob(pol);
	return finish(pol, start);
}

int egw_policy_load_string(const struct egw_conf *conf, const char *file, const char *text,
	struct egw_policy_set *set, struct egw_conf_errors *errs)
{
	struct pol_ctx *pol;
	unsigned start;

	if (!conf || !text || !set || !errs)
		return -EINVAL;
	if (!file)
		file = "<string>";
	start = errs->n;
	pol = begin(conf, set, errs);
	if (!pol)
		return -ENOMEM;
	if (path_ok(pol, file))
		read_one(pol, file, NULL, text);
	return finish(pol, start);
}

void egw_policy_set_free(struct egw_policy_set *set)
{
	if (!set)
		return;
	for (unsigned i = 0; i < set->n_groups; i++)
		free(set->groups[i].cidrs);
	for (unsigned i = 0; i < set->n_policies; i++) {
		struct egw_policy_conf *p = &set->policies[i];

		free(p->sources);
		free(p->destinations);
		for (unsigned h = 0; h < p->n_hosts; h++)
			free(p->hosts[h]);
		free(p->hosts);
		free(p->ports);
	}
	for (unsigned i = 0; i < set->n_files; i++)
		free(set->files[i]);
	free(set->groups);
	free(set->policies);
	free(set->files);
	memset(set, 0, sizeof(*set));
}
