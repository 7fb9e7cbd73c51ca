/* cli_config.c: the run configuration: defaults, then a JSON file (jansson),
 * then command-line flags. Every error is one line naming the file or flag
 * and the field and value, then exit status 2. docs/config.md documents it. */
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/monitor.h"
#include "vmm/cli/cli.h"
#include "vmm/core/engine.h"
#include "vmm/select/select.h"

#define DEFAULT_MEM (128 * MiB)

static void VMM_NORETURN VMM_PRINTF(1, 2) fail(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "triplex: %s\n", buf);
	exit(2);
}

static const char *keep(struct run_config *rc, char *s)
{
	if (!s)
		fail("out of memory");
	if (rc->nr_owned == VMM_ARRAY_SIZE(rc->owned))
		fail("internal error: too many config strings");
	rc->owned[rc->nr_owned++] = s;
	return s;
}

void cli_config_free(struct run_config *rc)
{
	json_decref(rc->workload);
	rc->workload = NULL;
	for (unsigned i = 0; i < rc->nr_owned; i++)
		free(rc->owned[i]);
	rc->nr_owned = 0;
}

/* Setters shared by the JSON reader and the flag parser: (src) names where
 * the value came from ("guest.json: field 'mem'" or "--mem"). */
static void set_mem(struct run_config *rc, const char *src, const char *v)
{
	if (vmm_parse_size(v, &rc->mem_size) || rc->mem_size < MEM_MIN_SIZE ||
	    rc->mem_size > MEM_MAX_SIZE)
		fail("%s: '%s' is not a memory size between 2M and 1024G (e.g. 128M, 1G)", src, v);
}

static void set_smp(struct run_config *rc, const char *src, const char *v)
{
	uint64_t n;
	if (vmm_parse_u64(v, &n) || n == 0 || n > 64)
		fail("%s: '%s' is not a vCPU count from 1 to 64", src, v);
	if (n > 1)
		fail("%s: %llu vCPUs requested, but this build supports 1 (SMP needs the local "
		     "APIC and IOAPIC, not built yet)", src, (unsigned long long)n);
	rc->smp = (unsigned)n;
}

static void set_mode(struct run_config *rc, const char *src, const char *v)
{
	char names[64];
	if (strcmp(v, "auto") && !engine_find(v))
		fail("%s: unknown mode '%s' (expected %s)", src, v,
		     engine_names("auto", names, sizeof(names)));
	rc->mode = v;
}

static void set_chardev(const char **dst, const char *src, const char *v)
{
	if (strcmp(v, "stdio") && strcmp(v, "none") && (strncmp(v, "file:", 5) || !v[5]))
		fail("%s: unknown back end '%s' (expected stdio, file:PATH or none)", src, v);
	*dst = v;
}

static void set_format(struct run_config *rc, const char *src, const char *v)
{
	if (load_format_parse(v, &rc->load.format))
		fail("%s: unknown format '%s' (expected auto, multiboot, elf64, bzimage or flat)",
		     src, v);
}

static void set_addr(uint64_t *dst, const char *src, const char *v)
{
	if (vmm_parse_u64(v, dst) || *dst >= 4 * GiB)
		fail("%s: '%s' is not an address below 4 GiB", src, v);
}

static void set_bits(struct run_config *rc, const char *src, const char *v)
{
	if (strcmp(v, "16") && strcmp(v, "32"))
		fail("%s: '%s' must be 16 or 32", src, v);
	rc->load.flat_bits = (unsigned)atoi(v);
}

/* A path from the config file is relative to the file's directory. */
static const char *config_path(struct run_config *rc, const char *v)
{
	if (v[0] == '/' || !rc->config_path)
		return v;
	char *copy = strdup(rc->config_path);
	if (!copy)
		fail("out of memory");
	char *path = NULL;
	if (asprintf(&path, "%s/%s", dirname(copy), v) < 0)
		path = NULL;
	free(copy);
	return keep(rc, path);
}

static const char *json_text(const char *file, const char *key, json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	fail("%s: field '%s': expected a string%s", file, key,
	     strcmp(key, "smp") && strcmp(key, "mem") && strcmp(key, "entry_bits") ? "" : " or a number");
}

static void read_config(struct run_config *rc, const char *file)
{
	json_error_t err;
	json_t *root = json_load_file(file, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		if (err.line < 0)
			fail("%s: %s", file, err.text);
		fail("%s:%d:%d: %s", file, err.line, err.column, err.text);
	}
	if (!json_is_object(root))
		fail("%s: expected a JSON object at the top level", file);
	rc->config_path = file;
	const char *key;
	json_t *v;
	json_object_foreach(root, key, v) {
		char src[300], num[32];
		snprintf(src, sizeof(src), "%s: field '%s'", file, key);
		if (json_is_null(v))
			continue;
		if (!strcmp(key, "comment") || !strcmp(key, "name"))
			continue; /* free text for people and reports */
		if (!strcmp(key, "workload")) {
			struct sel_profile prof;
			char why[256];
			if (sel_profile_from_json(v, &prof, why, sizeof(why)))
				fail("%s: %s", file, why);
			rc->workload = json_incref(v);
			continue;
		}
		const char *s = json_text(file, key, v, num, sizeof(num));
		s = keep(rc, strdup(s));
		if (!strcmp(key, "kernel"))
			rc->load.kernel = config_path(rc, s);
		else if (!strcmp(key, "initrd"))
			rc->load.initrd = config_path(rc, s);
		else if (!strcmp(key, "append"))
			rc->load.cmdline = s;
		else if (!strcmp(key, "format"))
			set_format(rc, src, s);
		else if (!strcmp(key, "load_addr"))
			set_addr(&rc->load.flat_addr, src, s);
		else if (!strcmp(key, "entry"))
			set_addr(&rc->load.flat_entry, src, s);
		else if (!strcmp(key, "entry_bits"))
			set_bits(rc, src, s);
		else if (!strcmp(key, "mem"))
			set_mem(rc, src, s);
		else if (!strcmp(key, "smp"))
			set_smp(rc, src, s);
		else if (!strcmp(key, "mode"))
			set_mode(rc, src, s);
		else if (!strcmp(key, "serial"))
			set_chardev(&rc->serial, src, s);
		else if (!strcmp(key, "debugcon"))
			set_chardev(&rc->debugcon, src, s);
		else
			fail("%s: unknown field '%s' (docs/config.md lists the fields)", file, key);
	}
	json_decref(root);
}

struct flag {
	const char *name;
	bool takes_value;
	bool run_only;
};

static const struct flag flags[] = {
	{ "--kernel", true, true },   { "--initrd", true, true },   { "--append", true, true },
	{ "--format", true, true },   { "--load-addr", true, true }, { "--entry", true, true },
	{ "--entry-bits", true, true }, { "--mem", true, true },   { "--smp", true, true },
	{ "--mode", true, false },    { "--serial", true, true },   { "--debugcon", true, true },
	{ "--stats", false, true },   { "--log", true, false },     { "--quiet", false, false },
	{ "-q", false, false },       { "--explain", false, false },
	{ "--stats-json", true, true }, { "--workload", true, false },
	{ "--bt-interp", false, true }, { "--switch", true, true },
	{ "--no-adapt", false, true }, { "--no-profile", false, false },
	{ "--monitor", true, true },  { "-S", false, true },	 { "--qmp", true, true },
};

/* ENGINE@MS: move the running guest to ENGINE after MS milliseconds. */
static void set_switch(struct run_config *rc, const char *src, const char *v)
{
	const char *at = strchr(v, '@');
	char *end = NULL;
	double ms = at ? strtod(at + 1, &end) : -1;
	size_t n = at ? (size_t)(at - v) : 0;
	if (!at || end == at + 1 || *end || !(ms >= 0 && ms <= 86400e3) || n == 0 ||
	    n >= sizeof(rc->switch_to))
		fail("%s: '%s' is not ENGINE@MS (an engine and the milliseconds after the start, "
		     "e.g. pv@50)", src, v);
	memcpy(rc->switch_to, v, n);
	rc->switch_to[n] = 0;
	char names[64];
	if (!engine_find(rc->switch_to))
		fail("%s: unknown engine '%s' (expected %s)", src, rc->switch_to,
		     engine_names(NULL, names, sizeof(names)));
	rc->switch_ms = ms;
}

/* --monitor/--qmp/--gdb SPEC: checked here, opened by run (monitor.h). */
static void set_monitor(const char **dst, const char *kind, const char *v)
{
	char why[300];
	if (mon_spec_check(kind, v, why, sizeof(why)))
		fail("%s", why);
	*dst = v;
}

static void apply_flag(struct run_config *rc, const char *name, const char *v)
{
	if (!strcmp(name, "--kernel"))
		rc->load.kernel = v;
	else if (!strcmp(name, "--initrd"))
		rc->load.initrd = v;
	else if (!strcmp(name, "--append"))
		rc->load.cmdline = v;
	else if (!strcmp(name, "--format"))
		set_format(rc, name, v);
	else if (!strcmp(name, "--load-addr"))
		set_addr(&rc->load.flat_addr, name, v);
	else if (!strcmp(name, "--entry"))
		set_addr(&rc->load.flat_entry, name, v);
	else if (!strcmp(name, "--entry-bits"))
		set_bits(rc, name, v);
	else if (!strcmp(name, "--mem"))
		set_mem(rc, name, v);
	else if (!strcmp(name, "--smp"))
		set_smp(rc, name, v);
	else if (!strcmp(name, "--mode"))
		set_mode(rc, name, v);
	else if (!strcmp(name, "--serial"))
		set_chardev(&rc->serial, name, v);
	else if (!strcmp(name, "--debugcon"))
		set_chardev(&rc->debugcon, name, v);
	else if (!strcmp(name, "--stats"))
		rc->stats = true;
	else if (!strcmp(name, "--explain"))
		rc->explain = true;
	else if (!strcmp(name, "--stats-json"))
		rc->stats_json = v;
	else if (!strcmp(name, "--no-profile"))
		rc->no_profile = true;
	else if (!strcmp(name, "--no-adapt"))
		rc->no_adapt = true;
	else if (!strcmp(name, "--switch"))
		set_switch(rc, name, v);
	else if (!strcmp(name, "--monitor"))
		set_monitor(&rc->monitor, "monitor", v);
	else if (!strcmp(name, "--qmp"))
		set_monitor(&rc->qmp, "qmp", v);
	else if (!strcmp(name, "-S"))
		rc->start_paused = true;
	else if (!strcmp(name, "--bt-interp"))
		setenv("TRIPLEX_BT_INTERP", "1", 1); /* read by the bt engine's vm_create */
	else if (!strcmp(name, "--workload")) {
		struct sel_profile prof;
		if (sel_profile_class(v, &prof))
			fail("--workload: unknown class '%s' (classes: %s)", v, sel_profile_classes());
		rc->workload_class = v;
	}
	else if (!strcmp(name, "--log")) {
		if (vmm_log_parse(v))
			exit(2);
	} else if (!strcmp(name, "--quiet") || !strcmp(name, "-q"))
		vmm_log_quiet = 1;
}

void cli_config_parse(struct run_config *rc, int argc, char **argv, bool for_run)
{
	memset(rc, 0, sizeof(*rc));
	rc->mem_size = DEFAULT_MEM;
	rc->smp = 1;
	rc->mode = "auto";
	rc->serial = "stdio";
	rc->load.flat_bits = 32;
	/* the config file first, so flags override it wherever they stand */
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] == '-') {
			const struct flag *f = NULL;
			const char *eq = strchr(argv[i], '=');
			size_t n = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
			for (unsigned k = 0; k < VMM_ARRAY_SIZE(flags); k++)
				if (strlen(flags[k].name) == n && !strncmp(flags[k].name, argv[i], n))
					f = &flags[k];
			if (f && f->takes_value && !eq)
				i++;
			continue;
		}
		if (rc->config_path)
			fail("unexpected argument '%s' (one config file only: %s)", argv[i],
			     rc->config_path);
		if (!for_run)
			fail("unexpected argument '%s'", argv[i]);
		read_config(rc, argv[i]);
	}
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] != '-')
			continue;
		const char *eq = strchr(argv[i], '=');
		size_t n = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
		const struct flag *f = NULL;
		for (unsigned k = 0; k < VMM_ARRAY_SIZE(flags); k++)
			if (strlen(flags[k].name) == n && !strncmp(flags[k].name, argv[i], n))
				f = &flags[k];
		if (!f || (f->run_only && !for_run))
			fail("unknown option '%.*s' (see triplex --help)", (int)n, argv[i]);
		const char *v = NULL;
		if (f->takes_value) {
			if (eq)
				v = eq + 1;
			else if (i + 1 < argc)
				v = argv[++i];
			else
				fail("option %s needs a value", f->name);
		} else if (eq) {
			fail("option %s takes no value", f->name);
		}
		apply_flag(rc, f->name, v);
	}
	if (for_run && rc->load.format == LOAD_FLAT && !rc->load.flat_addr)
		fail("--format flat needs --load-addr (or \"load_addr\" in the config)");
}

const char *cli_exe_dir(void)
{
	static char dir[PATH_MAX];
	if (!dir[0]) {
		char exe[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n > 0) {
			exe[n] = 0;
			snprintf(dir, sizeof(dir), "%s", dirname(exe));
		}
	}
	return dir;
}

char *cli_find_guest(const char *name)
{
	const char *env = getenv("TRIPLEX_GUESTS");
	char cand[3][PATH_MAX];
	unsigned n = 0;
	if (env && *env)
		snprintf(cand[n++], PATH_MAX, "%s/%s", env, name);
	snprintf(cand[n++], PATH_MAX, "%s/../guests/%s", cli_exe_dir(), name);
	snprintf(cand[n++], PATH_MAX, "%s/../share/triplex/guests/%s", cli_exe_dir(), name);
	for (unsigned i = 0; i < n; i++)
		if (access(cand[i], R_OK) == 0)
			return realpath(cand[i], NULL);
	return NULL;
}
