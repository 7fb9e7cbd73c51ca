/* cli_options.c: every option of every subcommand, in one table
 * (cli_opts[]), with one validator per option that both the command line
 * (--mem 128M) and the JSON config file ("mem": "128M") go through. The
 * parser (cli_config.c) and the help (cli_help.c) are driven by the table;
 * docs/config.md documents the same fields.
 *
 * To add an option: add its field to struct run_config (cli.h) and write its
 * setter below (validate, then store; on bad input call cli_fail() with
 * (src), which names the flag or the config field, and the value; a plain
 * switch or path is one line: SWITCH(name, field), PATH(name, field)); then
 * add one row to
 * cli_opts[]: the long name (without "--"), a short letter or 0, the
 * config-file field or NULL (flag only), the value's name in help or NULL
 * for a switch, the subcommands that accept it (CLI_RUN, CLI_PERF,
 * CLI_PROBE; CLI_PERF passes run options on to every run), the JSON types
 * it accepts, the setter and one line of help. Nothing else needs editing:
 * getopt_long's table, the config reader and --help follow from the row. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor.h"
#include "vmm/cli/cli.h"
#include "vmm/core/engine.h"
#include "vmm/select/select.h"

/* A value the user typed must be exactly the value: no blanks around it. */
static void no_blanks(const char *src, const char *v)
{
	size_t n = strlen(v);
	if (n && (strchr(" \t\n", v[0]) || strchr(" \t\n", v[n - 1])))
		cli_fail("%s: '%s' has blanks around the value", src, v);
}

static void set_kernel(struct run_config *rc, const char *src, const char *v)
{
	if (!*v)
		cli_fail("%s: empty path", src);
	rc->load.kernel = cli_config_relative(rc, src, v);
}

static void set_initrd(struct run_config *rc, const char *src, const char *v)
{
	if (!*v)
		cli_fail("%s: empty path", src);
	rc->load.initrd = cli_config_relative(rc, src, v);
}

static void set_append(struct run_config *rc, const char *src, const char *v)
{
	rc->load.cmdline = v;
}

static void set_format(struct run_config *rc, const char *src, const char *v)
{
	if (load_format_parse(v, &rc->load.format))
		cli_fail("%s: unknown format '%s' (expected auto, multiboot, elf64, bzimage or flat)",
			 src, v);
}

static void parse_addr(uint64_t *dst, const char *src, const char *v)
{
	no_blanks(src, v);
	if (vmm_parse_u64(v, dst) || *dst >= 4 * GiB)
		cli_fail("%s: '%s' is not an address below 4 GiB", src, v);
}

static void set_load_addr(struct run_config *rc, const char *src, const char *v)
{
	parse_addr(&rc->load.flat_addr, src, v);
}

static void set_entry(struct run_config *rc, const char *src, const char *v)
{
	parse_addr(&rc->load.flat_entry, src, v);
}

static void set_entry_bits(struct run_config *rc, const char *src, const char *v)
{
	if (strcmp(v, "16") && strcmp(v, "32"))
		cli_fail("%s: '%s' must be 16 or 32", src, v);
	rc->load.flat_bits = (unsigned)atoi(v);
}

/* A size with a K/M/G/T suffix (binary); a bare number is MiB, as QEMU's -m. */
static void set_mem(struct run_config *rc, const char *src, const char *v)
{
	no_blanks(src, v);
	uint64_t n;
	bool bare = *v && strspn(v, "0123456789") == strlen(v);
	int r = bare ? vmm_parse_u64(v, &n) : vmm_parse_size(v, &n);
	if (!r && bare)
		r = n > (~0ull >> 20) ? -ERANGE : (n <<= 20, 0);
	if (r || n < MEM_MIN_SIZE || n > MEM_MAX_SIZE)
		cli_fail("%s: '%s' is not a memory size between 2M and 1024G (e.g. 128M, 1G; a "
			 "number alone is MiB)", src, v);
	rc->mem_size = n;
}

static void set_smp(struct run_config *rc, const char *src, const char *v)
{
	uint64_t n;
	no_blanks(src, v);
	if (vmm_parse_u64(v, &n) || n == 0 || n > 64)
		cli_fail("%s: '%s' is not a vCPU count from 1 to 64", src, v);
	if (n > 1)
		cli_fail("%s: %llu vCPUs requested, but this build supports 1 (SMP needs the local "
			 "APIC and IOAPIC, not built yet)", src, (unsigned long long)n);
	rc->smp = (unsigned)n;
}

static void set_mode(struct run_config *rc, const char *src, const char *v)
{
	char names[64];
	if (rc->cmd == CLI_PERF)
		cli_fail("%s is per run; use --modes LIST (e.g. --modes auto,bt,hw)", src);
	if (strcmp(v, "auto") && !engine_find(v))
		cli_fail("%s: unknown mode '%s' (expected %s)", src, v,
			 engine_names("auto", names, sizeof(names)));
	rc->mode = v;
}

static void check_chardev(const char *src, const char *v)
{
	if (strcmp(v, "stdio") && strcmp(v, "none") && (strncmp(v, "file:", 5) || !v[5]))
		cli_fail("%s: unknown back end '%s' (expected stdio, file:PATH or none)", src, v);
}

static void set_serial(struct run_config *rc, const char *src, const char *v)
{
	check_chardev(src, v);
	rc->serial = v;
}

static void set_debugcon(struct run_config *rc, const char *src, const char *v)
{
	check_chardev(src, v);
	rc->debugcon = v;
}

/* ENGINE@MS: move the running guest to ENGINE after MS milliseconds. */
static void set_switch(struct run_config *rc, const char *src, const char *v)
{
	const char *at = strchr(v, '@');
	char *end = NULL;
	double ms = at ? strtod(at + 1, &end) : -1;
	size_t n = at ? (size_t)(at - v) : 0;
	if (!at || end == at + 1 || *end || !(ms >= 0 && ms <= 86400e3) || n == 0 ||
	    n >= sizeof(rc->switch_to) || strchr(" \t", at[1]))
		cli_fail("%s: '%s' is not ENGINE@MS (an engine and the milliseconds after the "
			 "start, e.g. pv@50)", src, v);
	memcpy(rc->switch_to, v, n);
	rc->switch_to[n] = 0;
	char names[64];
	if (!engine_find(rc->switch_to))
		cli_fail("%s: unknown engine '%s' (expected %s)", src, rc->switch_to,
			 engine_names(NULL, names, sizeof(names)));
	rc->switch_ms = ms;
}

static void set_workload(struct run_config *rc, const char *src, const char *v)
{
	struct sel_profile prof;
	if (sel_profile_class(v, &prof))
		cli_fail("%s: unknown class '%s' (classes: %s)", src, v, sel_profile_classes());
	rc->workload_class = v;
}

static void set_log(struct run_config *rc, const char *src, const char *v)
{
	if (!*v)
		cli_fail("%s: no module given (modules: %s)", src, vmm_log_modules());
	if (vmm_log_parse(v)) /* said which module is unknown */
		exit(2);
}

static void set_quiet(struct run_config *rc, const char *src, const char *v)
{
	vmm_log_quiet = 1;
}

/* --monitor/--qmp SPEC: checked here, opened by run (monitor.h). */
static void check_monitor(const char *kind, const char *v)
{
	char why[300];
	if (mon_spec_check(kind, v, why, sizeof(why)))
		cli_fail("%s", why);
}

static void set_monitor(struct run_config *rc, const char *src, const char *v)
{
	check_monitor("monitor", v);
	rc->monitor = v;
}

static void set_qmp(struct run_config *rc, const char *src, const char *v)
{
	check_monitor("qmp", v);
	rc->qmp = v;
}

static void set_gdb(struct run_config *rc, const char *src, const char *v)
{
	check_monitor("gdb", v);
	rc->gdb = v;
}

/* -s: QEMU's shorthand for the gdb stub on port 1234, on loopback only. */
static void set_gdb_default(struct run_config *rc, const char *src, const char *v)
{
	rc->gdb = "tcp:127.0.0.1:1234";
}

static void set_modes(struct run_config *rc, const char *src, const char *v)
{
	char buf[sizeof(rc->perf_modes)], names[64];
	if (!*v || strlen(v) >= sizeof(buf))
		cli_fail("%s: '%s' is not a list of modes (e.g. auto,bt,hw)", src, v);
	snprintf(buf, sizeof(buf), "%s", v);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (strcmp(t, "auto") && strcmp(t, "all") && !engine_find(t))
			cli_fail("%s: unknown mode '%s' (expected all or %s)", src, t,
				 engine_names("auto", names, sizeof(names)));
	snprintf(rc->perf_modes, sizeof(rc->perf_modes), "%s", v);
}

static unsigned parse_count(const char *src, const char *v, uint64_t max, const char *what)
{
	uint64_t n;
	no_blanks(src, v);
	if (vmm_parse_u64(v, &n) || n < 1 || n > max)
		cli_fail("%s: '%s' is not %s from 1 to %llu", src, v, what, (unsigned long long)max);
	return (unsigned)n;
}

static void set_runs(struct run_config *rc, const char *src, const char *v)
{
	rc->perf_runs = parse_count(src, v, 100, "a number of runs");
}

static void set_timeout(struct run_config *rc, const char *src, const char *v)
{
	rc->perf_timeout_s = parse_count(src, v, 86400, "a number of seconds");
}

/* A switch: sets (field) of struct run_config. */
#define SWITCH(name, field)                                                            \
	static void set_##name(struct run_config *rc, const char *src, const char *v)  \
	{                                                                              \
		rc->field = true;                                                      \
	}
/* A path the run writes or reads as it is: (field) must not be empty. */
#define PATH(name, field)                                                              \
	static void set_##name(struct run_config *rc, const char *src, const char *v)  \
	{                                                                              \
		if (!*v)                                                               \
			cli_fail("%s: empty path", src);                               \
		rc->field = v;                                                         \
	}
SWITCH(stats, stats)
SWITCH(explain, explain)
SWITCH(bt_interp, bt_interp)
SWITCH(no_adapt, no_adapt)
SWITCH(no_profile, no_profile)
SWITCH(start_paused, start_paused)
SWITCH(json, probe_json)
SWITCH(refresh, probe_refresh)
SWITCH(help, help)
SWITCH(version, version)
PATH(stats_json, stats_json)
PATH(out, perf_out)
PATH(guest, probe_guest)

#define RUN_PERF (CLI_RUN | CLI_PERF)
#define ALL (CLI_RUN | CLI_PERF | CLI_PROBE)
#define S CLI_JSON_STRING
#define SN (CLI_JSON_STRING | CLI_JSON_NUMBER)
#define B CLI_JSON_BOOL

const struct cli_opt cli_opts[] = {
	/* the guest and how to boot it */
	{ "kernel", 0, "kernel", "FILE", RUN_PERF, S, set_kernel,
	  "guest kernel: Multiboot, ELF64, bzImage or flat (default: the demo guest)" },
	{ "initrd", 0, "initrd", "FILE", RUN_PERF, S, set_initrd,
	  "Linux initrd; Multiboot modules as 'file args,file args'" },
	{ "append", 0, "append", "STRING", RUN_PERF, S, set_append, "kernel command line" },
	{ "format", 0, "format", "FMT", RUN_PERF, S, set_format,
	  "auto|multiboot|elf64|bzimage|flat (default auto)" },
	{ "load-addr", 0, "load_addr", "ADDR", RUN_PERF, SN, set_load_addr,
	  "flat images: load address" },
	{ "entry", 0, "entry", "ADDR", RUN_PERF, SN, set_entry,
	  "flat images: entry point (default: the load address)" },
	{ "entry-bits", 0, "entry_bits", "16|32", RUN_PERF, SN, set_entry_bits,
	  "flat images: real or protected mode entry (default 32)" },
	/* the machine */
	{ "mem", 'm', "mem", "SIZE", RUN_PERF, SN, set_mem,
	  "guest RAM, e.g. 128M, 1G; a number alone is MiB (default 128M)" },
	{ "smp", 0, "smp", "N", RUN_PERF, SN, set_smp, "vCPUs (default 1)" },
	{ "serial", 0, "serial", "SPEC", RUN_PERF, S, set_serial,
	  "COM1 back end: stdio|file:PATH|none (default stdio)" },
	{ "debugcon", 0, "debugcon", "SPEC", RUN_PERF, S, set_debugcon,
	  "port 0xe9 back end: stdio|file:PATH|none (default none)" },
	/* the engine */
	{ "mode", 0, "mode", "MODE", RUN_PERF, S, set_mode,
	  "auto|bt|hw|pv (default auto): the engine; a named one never falls back" },
	{ "explain", 0, "explain", NULL, RUN_PERF, B, set_explain,
	  "print the engine choice's whole cost table" },
	{ "workload", 0, NULL, "CLASS", RUN_PERF, S, set_workload,
	  "for the choice: compute|kernel|io|syscall|pagefault|mixed" },
	{ "switch", 0, "switch", "ENGINE@MS", RUN_PERF, S, set_switch,
	  "move the running guest to ENGINE after MS ms (pv)" },
	{ "no-adapt", 0, "no_adapt", NULL, RUN_PERF, B, set_no_adapt,
	  "auto mode: keep the launch engine for the whole run" },
	{ "no-profile", 0, "no_profile", NULL, RUN_PERF, B, set_no_profile,
	  "choose as on a first run (ignore triplex perf's profile)" },
	{ "bt-interp", 0, "bt_interp", NULL, RUN_PERF, B, set_bt_interp,
	  "bt: run the whole guest on the reference interpreter" },
	/* what the run reports */
	{ "stats", 0, "stats", NULL, CLI_RUN, B, set_stats,
	  "print the engine's counters when the guest stops" },
	{ "stats-json", 0, "stats_json", "FILE", CLI_RUN, S, set_stats_json,
	  "write the run's figures and counters as JSON" },
	/* control (docs/control.md) */
	{ "monitor", 0, NULL, "SPEC", CLI_RUN, 0, set_monitor,
	  "monitor console: stdio (Ctrl-A c), unix:PATH[,server] or none" },
	{ "qmp", 0, NULL, "SPEC", CLI_RUN, 0, set_qmp,
	  "QMP control socket: unix:PATH[,server,wait=off]" },
	{ "gdb", 0, NULL, "SPEC", CLI_RUN, 0, set_gdb,
	  "gdb stub: tcp:HOST:PORT (tcp::PORT: 127.0.0.1) or unix:PATH" },
	{ "gdb-local", 's', NULL, NULL, CLI_RUN, 0, set_gdb_default,
	  "gdb stub on tcp:127.0.0.1:1234 (QEMU's -s)" },
	{ "start-paused", 'S', NULL, NULL, CLI_RUN, 0, set_start_paused,
	  "start the guest paused (the monitor's cont starts it)" },
	/* triplex perf */
	{ "modes", 0, NULL, "LIST", CLI_PERF, S, set_modes,
	  "engines to measure, e.g. auto,bt,hw,pv or all (default auto,all)" },
	{ "runs", 0, NULL, "N", CLI_PERF, S, set_runs, "runs per engine (default 3)" },
	{ "out", 0, NULL, "DIR", CLI_PERF, S, set_out,
	  "where report.{txt,json,html} go (default perf-report)" },
	{ "timeout", 0, NULL, "S", CLI_PERF, S, set_timeout,
	  "seconds one run may take before it is killed (default 300)" },
	/* triplex probe */
	{ "json", 0, NULL, NULL, CLI_PROBE, 0, set_json, "print one JSON object" },
	{ "guest", 0, NULL, "KERNEL", CLI_PROBE, 0, set_guest,
	  "also what KERNEL needs and which engines can run it" },
	{ "refresh", 0, NULL, NULL, CLI_PROBE, 0, set_refresh,
	  "run the hw compatibility probe and the calibration again (not the cache)" },
	{ "calibrate", 0, NULL, NULL, CLI_PROBE, 0, set_refresh, "the same as --refresh" },
	/* everywhere */
	{ "log", 0, NULL, "MODULES", ALL, 0, set_log,
	  "debug output for modules (comma-separated; 'all')" },
	{ "quiet", 'q', NULL, NULL, ALL, 0, set_quiet, "only errors on stderr" },
	{ "help", 'h', NULL, NULL, ALL, 0, set_help, "this help" },
	{ "version", 0, NULL, NULL, ALL, 0, set_version, "the version of triplex" },
};

const unsigned cli_nr_opts = VMM_ARRAY_SIZE(cli_opts);

const struct cli_opt *cli_opt_by_json(const char *key)
{
	for (unsigned i = 0; i < cli_nr_opts; i++)
		if (cli_opts[i].json && !strcmp(cli_opts[i].json, key))
			return &cli_opts[i];
	return NULL;
}
