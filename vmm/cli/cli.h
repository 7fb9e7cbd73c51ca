/* cli.h: the triplex command line: configuration (JSON file plus flags) and
 * the subcommands run and probe. Only this module and main() exit(). */
#ifndef VMM_CLI_CLI_H
#define VMM_CLI_CLI_H

#include <jansson.h>

#include "vmm/load/load.h"
#include "vmm/core/vmm.h"

/* Exit status when the requested engine cannot run here (host or guest). */
#define CLI_EXIT_UNAVAILABLE 8

struct run_config {
	const char *config_path;   /* NULL: flags only */
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
	bool start_paused;         /* -S: the guest waits for `cont` */
	/* storage for strings built from the config file (paths made absolute) */
	char *owned[8];
	unsigned nr_owned;
};

/* Defaults, then the JSON file (if any), then the flags. On any error prints
 * one line naming the file/flag and the field/value and exits 2.
 * (argv) holds the arguments after the subcommand. */
void cli_config_parse(struct run_config *rc, int argc, char **argv, bool for_run);
void cli_config_free(struct run_config *rc);

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
 * 32-bit guests today), to pv when pv can run it here, and not with
 * --no-adapt, --switch or a named mode. */
struct sel_input;
struct engine_ops;
const struct engine_ops *cli_adapt_target(const struct run_config *rc,
					  const struct sel_input *in,
					  const struct engine_ops *chosen);

int cli_run(int argc, char **argv);
int cli_perf(int argc, char **argv);
int cli_probe(int argc, char **argv);

#endif
