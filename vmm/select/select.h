/* select.h: the policy that picks an engine per guest, and its inputs: the
 * host probe (libcpuid and /dev/kvm, filling the core's struct host_caps),
 * the guest probe (struct guest_desc), calibration and workload profiles.
 * sel_host_probe() does the I/O; all decisions take a filled struct
 * host_caps, so tests feed fake hosts. */
#ifndef VMM_SELECT_SELECT_H
#define VMM_SELECT_SELECT_H

#include <jansson.h>
#include <stdio.h>

#include "vmm/core/guest.h"
#include "vmm/core/host.h"
#include "vmm/core/vmm.h"
#include "vmm/load/load.h"

/* Fill (caps) from the running host. Never fails: what cannot be learned is
 * recorded as unknown, with the reason where it matters (kvm_why). */
void sel_host_probe(struct host_caps *caps);

/* The host as JSON (for `triplex probe --json`). New reference. */
json_t *sel_host_json(const struct host_caps *caps);
/* The host as text lines (for `triplex probe`). */
void sel_host_print(FILE *f, const struct host_caps *caps);

/* ---- the guest probe (sel_guest.c): fills a struct guest_desc (vmm/core/guest.h) ---- */
/* Read (p->kernel), probe its format (load_probe_image), scan its code and
 * look for a Triplex VMI note (g->pv; a malformed note is logged and leaves
 * the guest not PV-capable). 0 or -errno (logged, naming the file). */
VMM_MUST_CHECK int sel_guest_probe(const struct load_params *p, struct guest_desc *g);
/* Scan an image already in memory (for tests). */
VMM_MUST_CHECK int sel_guest_scan(const uint8_t *img, uint64_t len, struct guest_desc *g);
/* ---- calibration (sel_calib.c) ----
 * Short guests run on every available engine measure what the cost model
 * needs, per engine and code width: ns per ring-0 and ring-3 instruction,
 * per exit (port I/O from ring 0), per guest page fault, per PTE update
 * (write, invlpg, touch) and per system call round trip. A test the engine
 * cannot run on this host is recorded as unsupported with the reason. */
enum sel_cost {
	SEL_COST_RING0, SEL_COST_RING3, SEL_COST_EXIT, SEL_COST_PF, SEL_COST_PTE,
	SEL_COST_SYSCALL, SEL_COST_NR
};

#define SEL_MAX_ENGINES 4

struct sel_calib_engine {
	char name[8];
	double ns[2][SEL_COST_NR];      /* [0] 32-bit, [1] 64-bit; < 0: unsupported;
					 * the fastest of SEL_CALIB_RUNS runs */
	double spread[2][SEL_COST_NR];  /* slowest / fastest run (1: they agreed) */
	char why[2][SEL_COST_NR][96];   /* for unsupported costs */
};

struct sel_calib {
	struct sel_calib_engine e[SEL_MAX_ENGINES];
	unsigned n;
	double ms;                      /* how long calibrating took */
	bool cached;
};

/* Each calibration test runs this many times and keeps the fastest run:
 * a run only gets slower than the engine's cost (a preempted vCPU, a cold
 * cache), never faster, so the minimum is the estimate and max/min the
 * noise the policy's thresholds must clear. */
#define SEL_CALIB_RUNS 3

extern const char *const sel_cost_names[SEL_COST_NR];

/* Calibrate every engine that is available on (caps), or load the cached
 * result for this host. 0 or -errno. */
int sel_calibrate(const struct host_caps *caps, struct sel_calib *out, bool refresh);
/* The entry for engine (name), or NULL. */
const struct sel_calib_engine *sel_calib_find(const struct sel_calib *c, const char *name);
json_t *sel_calib_json(const struct sel_calib *c);
void sel_calib_print(FILE *f, const struct sel_calib *c);

/* ---- workload profiles (sel_profile.c) ----
 * What a guest does per millisecond of native execution, from a named class
 * or explicit rates in the config ("workload"), and what a profiled run
 * (`triplex perf`) measured per engine on this host for this image. */
struct sel_profile {
	char source[96];              /* where the rates came from */
	double ring0_insns, ring3_insns; /* per native ms */
	double exits, page_faults, pte_updates, syscalls; /* per native ms */
	struct {
		char engine[8];
		double wall_ms;       /* median wall time of a whole run */
	} measured[SEL_MAX_ENGINES];
	unsigned nr_measured;
	char measured_when[32];       /* ISO date of the profiled run */
};

/* The rates of a named class: "compute", "kernel", "io", "syscall",
 * "pagefault", "mixed" (the default). 0 or -EINVAL. */
int sel_profile_class(const char *name, struct sel_profile *p);
/* The comma-separated class names, for messages. */
const char *sel_profile_classes(void);
/* Fill (p) from a config "workload" object: {"class": NAME} and/or explicit
 * rates ("kernel_share" 0..1, "io_per_ms", "pagefaults_per_ms",
 * "pte_updates_per_ms", "syscalls_per_ms"). On error writes the field and
 * problem to (err) and returns -EINVAL. */
int sel_profile_from_json(json_t *w, struct sel_profile *p, char *err, size_t len);
/* Add what the last profiled run of image (hash) measured on host (fp).
 * Returns true if one was found. */
bool sel_profile_load_measured(const char *fp, uint64_t hash, struct sel_profile *p);
/* Record a profiled run's medians for image (hash) on host (fp). */
void sel_profile_store_measured(const char *fp, uint64_t hash, const char *name,
				const struct sel_profile *p);

/* ---- the policy (sel_policy.c): a pure function ---- */
struct sel_avail {
	char engine[8];
	bool ok;                      /* the engine can run this guest here */
	bool hint;                    /* ... except that the scan's hints say it may
				       * not (why): named modes run it, auto
				       * prefers another engine */
	char why[512];                /* otherwise, why not */
};

struct sel_input {
	const struct host_caps *caps;
	const struct sel_calib *calib;
	const struct guest_desc *guest;
	const struct sel_profile *profile;
	const struct sel_avail *avail; /* one per built engine, in registry order */
	unsigned nr_avail;
	const char *mode;             /* "auto" or an engine name */
};

struct sel_prediction {
	char engine[8];
	bool runnable;
	bool measured;                /* cost is a measured wall time */
	double cost;                  /* predicted ns per native ms, or measured ms */
	double ratio;                 /* cost / the chosen engine's cost */
	char why[512];                /* not runnable: why; else how it was costed */
};

struct sel_result {
	const char *engine;           /* the choice (an avail[] name), NULL if none */
	bool requested;               /* the user named it */
	char reason[768];             /* one line for `mode: ...` */
	const char *hint;             /* the chosen engine runs the guest despite
				       * this hint from the scan (its avail why) */
	struct sel_prediction pred[SEL_MAX_ENGINES];
	unsigned nr_pred;
};

/* Choose the engine. No I/O: everything comes in through (in). A named
 * mode that cannot run is an error (engine NULL, reason says why), never a
 * fallback. With auto: the engine with the best measured time when the
 * profile has measurements for runnable engines, else the lowest predicted
 * cost under the model cost = sum(rate x calibrated cost). Returns 0, or
 * -ENOENT when no engine can run the guest (reason says why). */
int sel_choose(const struct sel_input *in, struct sel_result *out);

/* Print the whole table (--explain). */
void sel_result_print(FILE *f, const struct sel_input *in, const struct sel_result *r);
json_t *sel_result_json(const struct sel_result *r);

/* The I/O part: fill (avail) for every built engine (probe, then the
 * engine's check_guest for (g)). Returns the count. */
unsigned sel_gather(const struct host_caps *caps, const struct guest_desc *g,
		    struct sel_avail *avail, unsigned max);

/* A short name for a KVM state ("ok", "missing", ...). */
const char *sel_kvm_state_name(enum host_kvm_state s);

/* ---- the adaptive policy (sel_adapt.c) ----
 * What one window of a running guest did on one engine. */
struct sel_window {
	double busy_ms;     /* the window's wall time minus halted time */
	double exits, interrupts;
	double exceptions;  /* delivered to the guest: costed as page faults */
	double pte_updates, syscalls;
};

struct sel_verdict {
	double from_ms;     /* measured on the current engine */
	double to_ms;       /* predicted on the other */
	double ratio;       /* to_ms / from_ms */
	char why[256];
};

#define SEL_ADAPT_WINDOW_NS 4000000ull     /* sample every 4 ms */
#define SEL_ADAPT_WINDOWS 3                /* switch after 3 windows in a row ... */
#define SEL_ADAPT_GAIN 0.9                 /* ... each predicted <= 0.9x elsewhere */
#define SEL_ADAPT_WINDOWS_STRONG 2         /* or after 2 in a row ... */
#define SEL_ADAPT_GAIN_STRONG 0.75         /* ... each predicted <= 0.75x */
#define SEL_ADAPT_MIN_BUSY_MS 2.0          /* a mostly idle window says nothing */

/* The time window (w), measured on engine (from), would take on (to), by
 * the calibration (cal) for (bits)-bit code. 0, or -ENOENT when a cost it
 * needs is not calibrated (out->why). Pure. */
int sel_adapt_predict(const struct sel_calib *cal, unsigned bits, const char *from,
		      const char *to, const struct sel_window *w, struct sel_verdict *out);

/* Watch vm's vCPU 0 from the main loop and switch it to engine (to) when
 * the windows say so. NULL when the current engine cannot be sampled or
 * (to) cannot take a running guest over (then nothing is watched). (cal)
 * must outlive the monitor. */
struct vm;
struct engine_ops;
struct sel_adapt;
struct sel_adapt *sel_adapt_start(struct vm *vm, const struct sel_calib *cal, unsigned bits,
				  const struct engine_ops *to);
void sel_adapt_stop(struct sel_adapt *a);

#endif
