/* vm.h: the virtual machine and its vCPUs: memory, io spaces, timers, the
 * engine, one host thread per vCPU, and the main loop that runs timers and
 * host input. Devices and engines use it; nothing here assumes one vCPU.
 *
 * Lifecycle (what the machine builder, vmm/machine/machine.c, does for
 * `triplex run`):
 *     struct vm *vm = vm_create(&cfg);          // memory, io spaces, timers
 *     board_pc_create(vm, &bcfg);               // devices
 *     load_kernel(vm, &params, &entry);         // image into memory
 *     vm_engine_init(vm, engine, &entry);       // engine + vCPUs, BSP state
 *     int status = vm_run(vm);                  // until the guest stops
 *     vm_destroy(vm);
 */
#ifndef VMM_CORE_VM_H
#define VMM_CORE_VM_H

#include <pthread.h>

#include "vmm/core/counters.h"
#include "vmm/core/engine.h"
#include "vmm/core/io.h"
#include "vmm/core/mem.h"
#include "vmm/core/timer.h"
#include "vmm/core/vmm.h"
#include "vmm/core/x86.h"

#define VM_MAX_VCPUS 64
#define VM_MAX_FDS 32
#define VM_MAX_LISTENERS 8
#define VM_EVENT_RING 64

/* Process exit statuses (the guest's isa-debug-exit statuses are odd). */
#define VM_EXIT_OK 0          /* clean shutdown, reset, or quit */
#define VM_EXIT_USAGE 2       /* bad command line, config or image */
#define VM_EXIT_GUEST 4       /* the guest stopped abnormally: triple fault,
			       * engine error */
#define VM_EXIT_REFUSED 8     /* the requested mode cannot run this guest */
#define VM_EXIT_HOST 6        /* a host failure (e.g. an unexpected KVM error) */
#define VM_EXIT_HALTED 10     /* every vCPU halted with interrupts disabled:
			       * nothing can wake the guest (poweroff -f
			       * without ACPI) */

enum vm_stop_reason {
	VM_RUNNING = 0,
	VM_STOP_DEBUG_EXIT,  /* isa-debug-exit: status (v << 1) | 1 */
	VM_STOP_POWEROFF,    /* the guest powered off */
	VM_STOP_RESET,       /* the guest asked for a reset (treated as -no-reboot) */
	VM_STOP_QUIT,        /* the user quit (Ctrl-A x, monitor) */
	VM_STOP_SIGNAL,      /* the host process got SIGINT/SIGTERM/SIGHUP */
	VM_STOP_HALTED,      /* every vCPU halted with interrupts disabled */
	VM_STOP_GUEST_ERROR, /* triple fault, engine could not continue */
	VM_STOP_HOST_ERROR,  /* host failure */
};

/* vCPU requests (bits in vcpu->requests), honoured at the next boundary. */
#define VCPU_REQ_STOP (1u << 0)   /* the VM is stopping: return for good */
#define VCPU_REQ_PAUSE (1u << 1)  /* park at the next boundary (debug.c) */
#define VCPU_REQ_SWITCH (1u << 2) /* move the guest to vcpu->switch_to (switch.c) */

/* Core per-vCPU counters, in vcpu->core_ctr. */
enum vcpu_ctr {
	VCPU_CTR_HALT,       /* HLT exits; ns = time halted */
	VCPU_CTR_IRQ,        /* external interrupts acknowledged */
	VCPU_CTR_KICK,       /* kicks sent to this vCPU */
	VCPU_CTR_SWITCH,     /* engine switches; ns = time the switch took */
	VCPU_CTR_SWITCH_TRY, /* switch requests met at a point no engine could take */
	VCPU_CTR_NR
};

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned id;
	void *engine_priv;          /* typed only inside the engine */
	pthread_t thread;
	bool thread_started;
	unsigned requests;          /* VCPU_REQ_*, atomic */
	unsigned intr;              /* INTR line from the interrupt controller, atomic */
	unsigned nmi;               /* an NMI is pending (the local APIC sent it), atomic */
	unsigned wake_seq;          /* bumped by every kick, atomic */
	pthread_mutex_t lock;       /* only for the halt wait */
	pthread_cond_t cond;
	bool halted;                /* owned by the vCPU thread */
	bool dead;                  /* halted with IF=0: only NMI/INIT could wake it */
	struct perf_set stats;      /* the engine's and the core's counters */
	const struct engine_ops *switch_to; /* VCPU_REQ_SWITCH's target, atomic */
	char switch_why[192];       /* ... and why (printed when it happens) */
	uint64_t switch_at_ns;      /* when the last switch happened (0: never) */
	struct vm_timer switch_timer; /* vcpu_switch_at: asks until it happens */
	const struct engine_ops *switch_want; /* asked for and not yet made, atomic */
	uint64_t switch_when_ns;    /* ... from this time on, atomic */
	uint64_t switch_tried_ns;   /* the vCPU thread's last try at an exit */
	uint64_t switch_first_ns;   /* the first ask (for giving up) */
	struct perf_ctr core_ctr[VCPU_CTR_NR];

	/* pause, step and breakpoints (debug.c), all under ctl_lock */
	pthread_mutex_t ctl_lock;
	pthread_cond_t ctl_cond;
	bool paused;                /* parked at an instruction boundary */
	bool exited;                /* the vCPU thread is gone */
	bool hold;                  /* a controller wants it parked */
	bool step;                  /* ... for one instruction */
	bool stepping;              /* the engine was told to step */
	bool step_over;             /* stepping off a breakpoint, then run on */
	unsigned stop_cause;        /* VCPU_STOP_*: why it parked last */
	uint64_t stop_rip;          /* where (for breakpoints and steps) */
	int (*work)(struct vcpu *v, void *arg); /* run on the parked thread */
	void *work_arg;
	int work_ret;
	bool work_done;
	unsigned dbg_gen;           /* vm->dbg.gen the engine has */
	const struct engine_ops *dbg_engine; /* ... and which engine has it */
};

/* Why a vCPU parked (vcpu->stop_cause). */
enum vcpu_stop_cause {
	VCPU_STOP_NONE,
	VCPU_STOP_REQUEST,   /* a controller asked (monitor stop, QMP, gdb Ctrl-C) */
	VCPU_STOP_STEP,      /* one instruction done */
	VCPU_STOP_BREAK,     /* reached a breakpoint */
	VCPU_STOP_START,     /* started paused (-S) */
};

/* Breakpoints every vCPU stops at (linear addresses), vm->dbg. */
struct vm_debug {
	pthread_mutex_t lock;
	unsigned gen;               /* bumped by every change */
	unsigned nr;
	uint64_t addr[VCPU_DEBUG_MAX_BP];
};

/* Events for controllers (QMP, gdb, the console), delivered on the main
 * loop in order (vm_listen). */
enum vm_event_kind {
	VM_EV_STOP,       /* the VM paused (detail: "user", "debug", "start") */
	VM_EV_RESUME,
	VM_EV_SWITCH,     /* the engine changed (detail: "from to: why") */
	VM_EV_SHUTDOWN,   /* the VM is stopping (detail: the stop message) */
	VM_EV_POWERDOWN,  /* system_powerdown was asked */
	VM_EV_RESET,      /* a reset was asked (the guest's or system_reset) */
};

struct vm_event {
	enum vm_event_kind kind;
	unsigned cpu;
	int reason;        /* VM_EV_SHUTDOWN: enum vm_stop_reason; VM_EV_STOP:
			    * enum vcpu_stop_cause */
	bool guest;        /* VM_EV_SHUTDOWN/RESET: the guest asked */
	uint64_t wall_us;  /* CLOCK_REALTIME when it happened */
	char detail[160];
};

typedef void (*vm_event_fn)(void *opaque, const struct vm_event *ev);

/* The board's interrupt controller, as a CPU sees it. */
struct irq_ops {
	/* Acknowledge the highest-priority interrupt for (cpu): its vector
	 * (a spurious vector if none). Called by engines when they inject. */
	int (*ack)(void *chip, unsigned cpu);
	/* Optional (NULL: no local APIC): the controller's MSRs as (cpu) reads
	 * and writes them (IA32_APIC_BASE, IA32_TSC_DEADLINE, the x2APIC range
	 * 0x800-0x8ff). 0; -ENOENT: not the controller's MSR; -EINVAL: the
	 * access raises #GP. (tsc) is the guest's TSC at the write. */
	int (*msr_read)(void *chip, unsigned cpu, uint32_t msr, uint64_t *v);
	int (*msr_write)(void *chip, unsigned cpu, uint32_t msr, uint64_t v, uint64_t tsc);
	/* Optional: CR8 (64-bit mode) is TPR[7:4] of (cpu)'s local APIC. */
	uint64_t (*cr8_get)(void *chip, unsigned cpu);
	void (*cr8_set)(void *chip, unsigned cpu, uint64_t v);
};

typedef bool (*vm_fd_fn)(void *opaque);     /* false: stop polling this fd */
typedef bool (*vm_fd_ready_fn)(void *opaque); /* poll the fd only when true */

struct vm_fd {
	int fd;
	vm_fd_fn fn;
	vm_fd_ready_fn ready;
	void *opaque;
	bool active;
};

struct vm_config {
	uint64_t mem_size;
	unsigned nr_vcpus;
};

struct vm {
	struct guest_mem mem;
	struct io_space pio, mmio;
	const struct engine_ops *engine;
	void *engine_priv;          /* typed only inside the engine */
	const struct host_caps *caps;
	unsigned nr_vcpus;
	struct vcpu *vcpu[VM_MAX_VCPUS];

	struct timer_list timers;
	int wake_fd;                /* eventfd: wakes the main loop */
	struct vm_fd fds[VM_MAX_FDS];
	unsigned nr_fds;

	/* interrupt routing, filled by the board */
	void *board;
	void (*set_irq)(void *board, unsigned irq, int level);
	void *irqchip;
	const struct irq_ops *irq_ops;
	/* Set by an engine whose interrupt controller is not the board's (hw's
	 * in-kernel irqchip experiment): device lines go there instead. */
	void (*irq_bypass)(struct vm *vm, unsigned irq, int level);

	/* stop state: the first request wins */
	int stop_reason;            /* enum vm_stop_reason, atomic */
	int stop_status;
	char stop_msg[4096];
	pthread_mutex_t stop_lock;

	/* The clock devices and timers use: vmm_now_ns() unless a test fakes it. */
	uint64_t (*now_ns)(void);

	uint64_t start_ns;          /* vm_run() start */
	/* Guest code only the engine that booted the guest can be stopped in
	 * (the native VMI ROM, whose privileged instructions the pv engine
	 * cannot run): [switch_unsafe_lo, switch_unsafe_hi) guest-virtual. */
	uint64_t switch_unsafe_lo, switch_unsafe_hi;
	uint64_t first_output_ns;   /* first byte of guest console output, atomic */

	/* pause/step/breakpoints (debug.c) */
	struct vm_debug dbg;
	bool paused;                /* the VM's run state as controllers see it */
	bool start_paused;          /* -S: vCPUs park before the first instruction */
	unsigned pause_cause;       /* enum vcpu_stop_cause of the last stop */
	unsigned pause_cpu;
	pthread_mutex_t ev_lock;    /* the event ring */
	struct vm_event ev_ring[VM_EVENT_RING];
	unsigned ev_head, ev_tail;
	struct { vm_event_fn fn; void *opaque; } listeners[VM_MAX_LISTENERS];
	unsigned nr_listeners;
	/* Why the engine was chosen (info mode, x-triplex-query-mode). */
	char engine_why[256];
	/* Set when a named mode runs the guest although the guest scan hints
	 * that the engine may not manage (the hint, naming the limit): an
	 * engine error or a triple fault then stops with VM_EXIT_REFUSED. */
	char engine_hint[512];
	char guest_name[128];
};

/* Create a VM with (cfg->mem_size) bytes of RAM and no devices or engine.
 * NULL + logged error on failure. */
struct vm *vm_create(const struct vm_config *cfg);
/* Free everything; call after vm_run() returned (or if it never ran). */
void vm_destroy(struct vm *vm);

/* Attach (engine): engine vm_create, one vCPU per cfg->nr_vcpus, and the BSP
 * set to (entry). Call after the board and loader, before vm_run().
 * 0 or -errno (logged by whoever knew the cause). */
VMM_MUST_CHECK int vm_engine_init(struct vm *vm, const struct engine_ops *engine,
				  const struct x86_state *entry);

/* Start the vCPU threads and run the main loop (timers, host input, signals)
 * on the calling thread until the guest stops. Returns the process exit
 * status (see VM_EXIT_* and the debug-exit rule). */
int vm_run(struct vm *vm);

/* Run vCPU 0 on the calling thread, without the main loop (no timers, no
 * host input): for probe and calibration guests that only do port I/O.
 * Returns when the VM is asked to stop, the vCPU halts, shuts down or fails,
 * or (timeout_ns) passes; (*last) says which (VCPU_EXIT_REQUEST for a stop
 * or the timeout; *timed_out tells them apart). 0, or -errno if the engine
 * failed. Call after vm_engine_init(). */
VMM_MUST_CHECK int vm_run_here(struct vm *vm, uint64_t timeout_ns, struct vcpu_exit *last,
			       bool *timed_out);

/* Ask the VM to stop for (reason) with process exit (status); the first
 * request wins, later ones are ignored. (fmt) may be NULL; otherwise the
 * message is printed when vm_run() returns. Any thread. */
void vm_request_stop(struct vm *vm, enum vm_stop_reason reason, int status,
		     const char *fmt, ...) VMM_PRINTF(4, 5);
static inline bool vm_stopping(const struct vm *vm)
{
	return __atomic_load_n(&vm->stop_reason, __ATOMIC_ACQUIRE) != VM_RUNNING;
}

/* A device drives interrupt line (irq) to (level); the board routes it. */
void vm_set_irq(struct vm *vm, unsigned irq, int level);
/* The interrupt controller drives (cpu)'s INTR line; a rising line kicks it. */
void vm_set_intr(struct vm *vm, unsigned cpu, int level);

/* Poll (fd) for input on the main loop; (fn) runs there. (ready) may be NULL.
 * 0 or -ENOSPC. Call before vm_run() or on the main loop's thread. */
VMM_MUST_CHECK int vm_add_fd(struct vm *vm, int fd, vm_fd_fn fn, vm_fd_ready_fn ready,
			     void *opaque);
/* Wake the main loop (re-evaluates timers and fd readiness). Any thread,
 * async-signal-safe. */
void vm_wake(struct vm *vm);

/* Record that the guest produced console output (for start-up latency). */
void vm_note_output(struct vm *vm);

/* --- controllers: pause, resume, step, breakpoints (debug.c) ---
 * One mechanism for the monitor, QMP and gdb: a vCPU asked to pause parks
 * at an instruction boundary, where its state can be read and written
 * (vm_cpu_call runs code on its thread). All of these are for the main
 * loop's thread (or before vm_run); they wait at most VM_CTL_TIMEOUT_NS
 * for a vCPU to answer. */
#define VM_CTL_TIMEOUT_NS 3000000000ull

/* Pause every vCPU; posts VM_EV_STOP if the VM was running. 0, -ESHUTDOWN
 * (the VM is stopping), -ETIMEDOUT (a vCPU did not park in time). */
VMM_MUST_CHECK int vm_pause(struct vm *vm);
/* Let every vCPU run (stepping off a breakpoint it stands on); posts
 * VM_EV_RESUME if it was paused. 0 or -ESHUTDOWN. */
VMM_MUST_CHECK int vm_resume(struct vm *vm);
/* With the VM paused, execute one instruction on vCPU (cpu) and wait for it
 * to park again (no events posted). 0; -EBUSY (running), -ENOTSUP (the
 * engine cannot step: why says so), -ETIMEDOUT (halted: no instruction),
 * -ESHUTDOWN. */
VMM_MUST_CHECK int vm_step(struct vm *vm, unsigned cpu, char *why, size_t len);
static inline bool vm_paused(const struct vm *vm)
{
	return __atomic_load_n(&vm->paused, __ATOMIC_ACQUIRE);
}
/* Run (fn)(vcpu, arg) on vCPU (cpu)'s thread while it is parked, pausing
 * it briefly (no events) if the VM runs. Returns fn's value, or -ESHUTDOWN,
 * -ETIMEDOUT, -EINVAL (no such vCPU). */
int vm_cpu_call(struct vm *vm, unsigned cpu, int (*fn)(struct vcpu *v, void *arg), void *arg);
/* Read / write vCPU (cpu)'s architectural state through its engine
 * (vm_cpu_call). 0 or -errno. */
VMM_MUST_CHECK int vm_regs_get(struct vm *vm, unsigned cpu, struct x86_state *s);
VMM_MUST_CHECK int vm_regs_set(struct vm *vm, unsigned cpu, const struct x86_state *s);
/* Tell every vCPU's engine that the VMM wrote guest-physical memory. */
void vm_mem_written(struct vm *vm, gpa_t gpa, uint64_t len);
/* Add / remove a breakpoint at linear address (addr). 0; -EEXIST,
 * -ENOENT, -ENOSPC (VCPU_DEBUG_MAX_BP), -ENOTSUP (the engine cannot stop
 * at breakpoints; why says so). */
VMM_MUST_CHECK int vm_bp_add(struct vm *vm, uint64_t addr, char *why, size_t len);
VMM_MUST_CHECK int vm_bp_del(struct vm *vm, uint64_t addr);
/* Copy the breakpoint list; returns the count. */
unsigned vm_bp_list(struct vm *vm, uint64_t *addr, unsigned max);

/* Be told about events (on the main loop's thread). 0 or -ENOSPC. */
VMM_MUST_CHECK int vm_listen(struct vm *vm, vm_event_fn fn, void *opaque);
void vm_unlisten(struct vm *vm, vm_event_fn fn, void *opaque);
/* Queue an event for the listeners and wake the main loop. Any thread. */
void vm_post_event(struct vm *vm, enum vm_event_kind kind, unsigned cpu, int reason,
		   const char *fmt, ...) VMM_PRINTF(5, 6);
/* Deliver queued events (the main loop does; vm_run once more at the end). */
void vm_events_drain(struct vm *vm);

/* --- vCPU side, for engines --- */

/* Make (v) leave its engine soon (and wake it if halted). Any thread. */
void vcpu_kick(struct vcpu *v);
/* Post (req) bits and kick. */
void vcpu_request(struct vcpu *v, unsigned req);
/* Switch vCPU (v) to engine (to) from (when) (vmm_now_ns() time) on: ask
 * then, and again every millisecond (main-loop timer, which kicks a guest
 * that runs without exits) and at the vCPU's exits (at most every 100 us)
 * until the guest stands where (to) can take it; give up with a warning
 * after 2 s. Main thread or before the VM runs. */
void vcpu_switch_at(struct vcpu *v, const struct engine_ops *to, const char *why,
		    uint64_t when);
#define VCPU_SWITCH_RETRY_NS 1000000ull
#define VCPU_SWITCH_GIVE_UP_NS 2000000000ull
#define VCPU_SWITCH_EXIT_RETRY_NS 100000ull
/* On the vCPU thread, between two runs of the engine: whether a switch that
 * was asked for is due another try now (then vcpu_switch_try() makes it). */
bool vcpu_switch_due(struct vcpu *v);
/* On the vCPU thread, the engine stopped: switch if the guest stands where
 * (to) can take it, else count and drop the request. 0, or -errno when the
 * new engine failed (the VM is then stopping with a host error). */
int vcpu_switch_try(struct vcpu *v);

static inline bool vcpu_has_requests(const struct vcpu *v)
{
	return __atomic_load_n(&v->requests, __ATOMIC_ACQUIRE) != 0;
}
/* Whether an external interrupt is pending on (v)'s INTR line. */
static inline bool vcpu_intr_pending(const struct vcpu *v)
{
	return __atomic_load_n(&v->intr, __ATOMIC_ACQUIRE) != 0;
}
/* Acknowledge and return the vector to deliver; call when the guest can
 * take it (IF=1, no interrupt shadow). */
int vcpu_intr_ack(struct vcpu *v);

/* NMI: the local APIC raises it (LINT1, ICR); the engine takes it with
 * vcpu_nmi_take() when the guest is not blocking NMIs. */
void vm_set_nmi(struct vm *vm, unsigned cpu);
static inline bool vcpu_nmi_pending(const struct vcpu *v)
{
	return __atomic_load_n(&v->nmi, __ATOMIC_ACQUIRE) != 0;
}
/* True (and the NMI is no longer pending) if one was pending. */
static inline bool vcpu_nmi_take(struct vcpu *v)
{
	return __atomic_exchange_n(&v->nmi, 0u, __ATOMIC_ACQ_REL) != 0;
}

/* The board's MSRs (the local APIC's) for vCPU (v); see struct irq_ops.
 * 0, -ENOENT (not the board's: the engine handles or refuses it) or
 * -EINVAL (the guest gets #GP). Call on (v)'s thread. */
int vcpu_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);
int vcpu_msr_write(struct vcpu *v, uint32_t msr, uint64_t val, uint64_t guest_tsc);
/* CR8 (TPR[7:4]) of (v)'s local APIC; 0 and ignored without one. */
uint64_t vcpu_cr8_get(struct vcpu *v);
void vcpu_cr8_set(struct vcpu *v, uint64_t cr8);
/* The vCPU whose thread calls (its engine runs here), or NULL on other
 * threads: devices with per-CPU registers (the local APIC's MMIO page) use
 * it to know which CPU accessed them. */
struct vcpu *vcpu_current(void);
/* Mark (v) as the calling thread's vCPU (the vCPU threads and
 * vm_run_here do it; tests may). */
void vcpu_set_current(struct vcpu *v);

/* The signal used to interrupt a vCPU thread blocked in the engine (e.g. in
 * KVM_RUN); its handler does nothing. */
int vcpu_kick_signal(void);
/* Install the (no-op) handler for the kick signal; idempotent. vm_run()
 * does it; code that runs a vCPU on its own thread (probes) calls it. */
void vcpu_kick_signal_install(void);
/* Send the kick signal to (v)'s thread if it runs. */
void vcpu_signal(struct vcpu *v);

/* Guest memory access for engines, loaders and devices. */
static inline void *gpa_to_hva(struct vm *vm, gpa_t gpa, uint64_t len)
{
	return mem_gpa_to_hva(&vm->mem, gpa, len);
}

/* Gather every vCPU's counter set (for --stats and reports). (sets) must hold
 * nr_vcpus entries. Returns the count. */
unsigned vm_stats_sets(struct vm *vm, struct perf_set **sets);

#endif
