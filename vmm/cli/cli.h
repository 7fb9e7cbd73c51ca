/* cli.h: the triplex command line: configuration (JSON file plus flags, one
 * option table: cli_options.c) and the subcommands run, perf and probe.
 * Only this module and main() exit(). */
#ifndef VMM_CLI_CLI_H
#define VMM_CLI_CLI_H

#include <jansson.h>
#include <stdio.h>

#include "vmm/load/load.h"
#include "vmm/core/vmm.h"

/* Exit status when the requested engine cannot run here (host or guest). */
#define CLI_EXIT_UNAVAILABLE 8

/* The subcommands; an option row says which of them accept it. */
enum cli_cmd {
	CLI_RUN = 1u << 0,
	CLI_PERF = 1u << 1,   /* takes the run options and passes them on */
	CLI_PROBE = 1u << 2,
};

struct run_config {
	enum cli_cmd cmd;
	const char *config_path;   /* NULL: flags only */
	bool in_config;            /* reading the config file (paths are relative to it) */
	struct load_params load;
	uint64_t mem_size;
	unsigned smp;
	const char *mode;          /* "auto", "bt", "hw", "pv" */
	const char *serial;        /* chardev spec */
	const char *debugcon;      /* chardev spec or NULL */
	bool stats;
	bool explain;
	const char *stats_json;    /* write the run's counters as JSON here */
	json_t *workload;          /* the config's "workload" (validated), or NULL */
	const char *workload_class; /* --workload CLASS */
	char switch_to[8];         /* --switch ENGINE@MS: the engine ("": none) */
	double switch_ms;          /* ... and when, after the start */
	bool no_adapt;             /* --no-adapt: auto mode never switches */
	bool no_profile;           /* --no-profile: ignore this image's stored runs */
	const char *monitor;       /* --monitor SPEC (monitor/monitor.h) or NULL */
	const char *qmp;           /* --qmp SPEC or NULL */
	const char *gdb;           /* --gdb SPEC (-s: tcp::1234) or NULL */
	bool start_paused;         /* -S: the guest waits for `cont` */
	bool bt_interp;            /* --bt-interp */
	bool help, version;        /* -h/--help, --version: print and exit 0 */
	/* triplex perf */
	char perf_modes[64];
	unsigned perf_runs, perf_timeout_s;
	const char *perf_out;
	int pass_argc;             /* the arguments passed on to every run */
	char **pass_argv;
	/* triplex probe */
	bool probe_json, probe_refresh;
	const char *probe_guest;
	/* storage for strings built from the config file (paths made absolute) */
	char *owned[16];
	unsigned nr_owned;
};

/* One option (cli_options.c explains how to add one). */
enum cli_json_type {
	CLI_JSON_STRING = 1u << 0,
	CLI_JSON_NUMBER = 1u << 1, /* an integer, taken as its decimal text */
	CLI_JSON_BOOL = 1u << 2,   /* a switch: true sets it, false leaves it off */
};

struct cli_opt {
	const char *name;          /* the long flag without "--": "mem" */
	char short_name;           /* 'm' for -m, or 0 */
	const char *json;          /* the config file's field, or NULL: flag only */
	const char *arg;           /* the value's name in help, or NULL: a switch */
	unsigned cmds;             /* enum cli_cmd bits: who accepts it */
	unsigned json_types;       /* enum cli_json_type bits the field accepts */
	/* Validate (v) (NULL for a switch) and store it in (rc); on bad input
	 * cli_fail() naming (src): "--mem" or "guest.json: field 'mem'". */
	void (*set)(struct run_config *rc, const char *src, const char *v);
	const char *help;          /* one line for --help */
};

extern const struct cli_opt cli_opts[];
extern const unsigned cli_nr_opts;
/* The row whose config-file field is (key), or NULL. */
const struct cli_opt *cli_opt_by_json(const char *key);

/* Print "triplex: MESSAGE" as one line and exit 2. */
void VMM_NORETURN VMM_PRINTF(1, 2) cli_fail(const char *fmt, ...);
/* (v) as given, or relative to the config file's directory while the config
 * is read (the string is kept in rc until cli_config_free). */
const char *cli_config_relative(struct run_config *rc, const char *src, const char *v);

/* Defaults, then the JSON file (if any, run and perf), then the flags (a
 * flag wins wherever it stands). QEMU's spellings of the common options
 * (-kernel, -append, -initrd, -m, -smp, -serial, -nographic, -no-reboot)
 * are accepted; others QEMU users type get the Triplex flag to use. On any
 * error prints one line naming the file/flag and the field/value and exits
 * 2; -h/--help and --version print and exit 0. (argv) holds the arguments
 * after the subcommand. */
void cli_config_parse(struct run_config *rc, enum cli_cmd cmd, int argc, char **argv);
/* What can be checked before the guest is probed and the engine chosen:
 * the files the run will write (serial and debugcon files, --stats-json)
 * can be created, a flat image has its load address. Exits 2 with one
 * line otherwise. */
void cli_config_check(const struct run_config *rc);
void cli_config_free(struct run_config *rc);

/* The help of (cmd) (0: the overview), generated from the option table. */
void cli_usage(FILE *f, unsigned cmd);

/* The directory of the running executable ("" if unknown). */
const char *cli_exe_dir(void);
/* Find a file shipped with Triplex (a guest image): $TRIPLEX_GUESTS, then
 * <exe>/../guests, then <exe>/../share/triplex/guests. Returns a malloc'd
 * path or NULL. */
char *cli_find_guest(const char *name);

/* The workload profile for the policy: --workload, else the config's
 * "workload", else an assumption; plus measured times of this image here. */
struct host_caps;
struct guest_desc;
struct sel_profile;
void cli_build_profile(const struct run_config *rc, const struct host_caps *caps,
		       const struct guest_desc *g, struct sel_profile *prof);

/* No kernel given: the first build of the demo guest (64-bit, then 32-bit)
 * that some engine here can run, or the first found (so the error names its
 * needs). Malloc'd path, or NULL if none is installed. */
char *cli_pick_demo(const struct run_config *rc, const struct host_caps *caps);

/* The engine auto mode may move the guest to while it runs (the adaptive
 * policy, vmm/select/sel_adapt.c) after (chosen) was picked with (in), or
 * NULL: only a PV guest, from an engine that reports its events (bt, so
 * 32-bit guests today), to an engine that can adopt a running guest (pv)
 * and can run it here, and not with --no-adapt, --switch or a named mode. */
struct sel_input;
struct engine_ops;
const struct engine_ops *cli_adapt_target(const struct run_config *rc,
					  const struct sel_input *in,
					  const struct engine_ops *chosen);

int cli_run(int argc, char **argv);
int cli_perf(int argc, char **argv);
int cli_probe(int argc, char **argv);

#endif
