/* engine.h: what every execution engine implements, and the registry.
 * An engine owns only the CPU: it runs guest code, dispatches port and MMIO
 * accesses through io_dispatch(), and returns from vcpu_run() when the core
 * must act (halt, shutdown, error, a request such as stop or pause). */
#ifndef VMM_CORE_ENGINE_H
#define VMM_CORE_ENGINE_H

#include "vmm/core/vmm.h"
#include "vmm/core/x86.h"

struct vm;
struct vcpu;
struct host_caps;   /* vmm/core/host.h */
struct guest_desc;  /* vmm/core/guest.h: the probed guest and its needs */

enum vcpu_exit_reason {
	VCPU_EXIT_NONE,
	VCPU_EXIT_HLT,      /* executed HLT; (hlt_if) says whether IF was set */
	VCPU_EXIT_REQUEST,  /* the core asked (vcpu_kick with a pending request) */
	VCPU_EXIT_SHUTDOWN, /* triple fault or shutdown: the guest cannot continue */
	VCPU_EXIT_ERROR,    /* the engine could not continue (msg says why) */
	VCPU_EXIT_DEBUG,    /* single-step or breakpoint completed */
};

struct vcpu_exit {
	enum vcpu_exit_reason reason;
	bool hlt_if;        /* for VCPU_EXIT_HLT: RFLAGS.IF at the HLT */
	char msg[256];      /* for SHUTDOWN/ERROR: what happened, for the report */
};

/* What a running guest did so far, by the cost model's events (the adaptive
 * policy, vmm/select/sel_adapt.c, turns differences into rates). */
struct engine_sample {
	uint64_t exits;       /* port I/O and other trips to the device model */
	uint64_t interrupts;  /* external interrupts delivered */
	uint64_t exceptions;  /* exceptions delivered to the guest (page faults,
			       * #DE, #UD, ...; not software interrupts) */
	uint64_t pte_updates; /* guest page-table writes the engine had to track */
	uint64_t syscalls;    /* software interrupts (system calls) */
};

/* What an engine learned about this host beyond probe(), for `triplex probe`
 * (hw: which guest modes the host's KVM can run, from short probe guests). */
#define ENGINE_MAX_CHECKS 16
struct engine_host_report {
	const char *key;     /* the JSON member: "hw_compat" */
	const char *title;   /* the text heading: "hw compatibility probe" */
	bool cached;         /* read from the per-host cache, not run now */
	double ms;           /* how long the checks took (0 if cached) */
	unsigned n;
	struct {
		const char *name;    /* "paging-32" */
		bool ok;
		char detail[96];     /* for failures: what happened */
	} check[ENGINE_MAX_CHECKS];
};

/* What a debugger asks of an engine (engine_ops.set_debug). */
#define VCPU_DEBUG_MAX_BP 16
struct vcpu_debug {
	bool step;                     /* stop after one instruction */
	unsigned nr_bp;
	uint64_t bp[VCPU_DEBUG_MAX_BP]; /* stop before an instruction here */
};

#define ENGINE_CHECK_HINT 1 /* check_guest: only the scan's hints fail */

struct engine_ops {
	const char *name;  /* "bt", "hw", "pv" */
	const char *desc;  /* one line for `triplex probe` */
	/* Can this engine run on this host at all? 0, or -errno with (why). */
	int (*probe)(const struct host_caps *caps, char *why, size_t why_len);
	/* Optional: can it run this guest on this host? 0, -errno with (why),
	 * or ENGINE_CHECK_HINT when only needs the scan guessed (guest_desc.hints)
	 * fail, with (why) saying which: a named mode runs the guest anyway, auto
	 * prefers another engine. Called after the image is loaded, before
	 * vm_create. */
	int (*check_guest)(const struct host_caps *caps, const struct guest_desc *g,
			   char *why, size_t why_len);
	int (*vm_create)(struct vm *vm);
	void (*vm_destroy)(struct vm *vm);
	int (*vcpu_create)(struct vcpu *vcpu);
	void (*vcpu_destroy)(struct vcpu *vcpu);
	/* Run guest code on the calling (vCPU) thread until the core must act.
	 * Returns 0 with (*exit) filled, or -errno for a host failure (logged). */
	int (*vcpu_run)(struct vcpu *vcpu, struct vcpu_exit *exit);
	int (*regs_get)(struct vcpu *vcpu, struct x86_state *s);
	int (*regs_set)(struct vcpu *vcpu, const struct x86_state *s);
	/* Optional: take over a running guest that another engine stopped and
	 * exported (an engine switch, vmm/core/switch.c): like regs_set before
	 * the first run, but (s) is the state of a guest in the middle of its
	 * work, not a boot state. NULL: this engine cannot be switched to. */
	int (*vcpu_adopt)(struct vcpu *vcpu, const struct x86_state *s);
	/* Optional, with vcpu_adopt: could it adopt (s) of VM (vm), which
	 * another engine runs? Asked before that engine is retired, so a "no"
	 * only defers the switch. 0, or -errno with (why). */
	int (*adopt_check)(struct vm *vm, const struct x86_state *s, char *why, size_t len);
	/* Make vcpu_run return soon; any thread, async-signal context excluded. */
	void (*vcpu_kick)(struct vcpu *vcpu);
	/* Optional (debug.c; NULL: this engine cannot step or stop at
	 * breakpoints): from the next vcpu_run on, return VCPU_EXIT_DEBUG
	 * before executing an instruction at one of (d->bp) (linear
	 * addresses) and, with (d->step), after one instruction (or at the
	 * first instruction of the handler if it raised an event); external
	 * interrupts are held while stepping. vCPU thread, stopped. 0, or
	 * -errno with (why) (-ENOSPC: more breakpoints than it can hold). */
	int (*set_debug)(struct vcpu *vcpu, const struct vcpu_debug *d, char *why, size_t len);
	/* Optional: the VMM wrote guest-physical [gpa, gpa+len) (the monitor,
	 * gdb): forget what the engine derived from those bytes (translated
	 * code). vCPU thread, stopped. */
	void (*mem_written)(struct vcpu *vcpu, gpa_t gpa, uint64_t len);
	/* Optional: the guest's events so far. Any thread; the values may be
	 * a little stale (the vCPU thread writes them without locks). */
	void (*sample)(struct vcpu *vcpu, struct engine_sample *s);
	/* Optional: put this engine's own version of calibration test (test)
	 * (CALIB_T_*, vmm/core/calib_guest.h) for (bits)-bit code into (vm),
	 * and set (*rip) to the BSP's entry. NULL: the calibrator loads the
	 * common calibration guests at CALIB_BASE. Call before vm_engine_init().
	 * 0 or -errno. */
	int (*calib_setup)(struct vm *vm, unsigned bits, unsigned test, uint64_t *rip);
	/* Optional: fill (r) with what this engine checks about host (caps);
	 * (refresh) re-runs checks instead of reading the per-host cache. 0, or
	 * -errno when there is nothing to report (e.g. no usable /dev/kvm). */
	int (*host_report)(const struct host_caps *caps, bool refresh,
			   struct engine_host_report *r);
};

/* All engines built into this binary, in preference order for --mode auto
 * until the policy decides. Returns the count; (*list) is static. */
unsigned engine_list(const struct engine_ops *const **list);
/* The engine named (name), or NULL. The registry is the only place that
 * names engines: validate mode names with this, not with strcmp chains. */
const struct engine_ops *engine_find(const char *name);
/* The built engines' names as "hw, bt or pv" (registry order), after
 * (first) if not NULL ("auto, hw, bt or pv"), for error messages. */
const char *engine_names(const char *first, char *buf, size_t len);

#endif
