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
#define VM_MAX_FDS 8

/* Process exit statuses (the guest's isa-debug-exit statuses are odd). */
#define VM_EXIT_OK 0          /* clean shutdown, reset, or quit */
#define VM_EXIT_USAGE 2       /* bad command line, config or image */
#define VM_EXIT_GUEST 4       /* the guest stopped abnormally: triple fault,
			       * engine error, halt with interrupts disabled */
#define VM_EXIT_HOST 6        /* a host failure (e.g. an unexpected KVM error) */

enum vm_stop_reason {
	VM_RUNNING = 0,
	VM_STOP_DEBUG_EXIT,  /* isa-debug-exit: status (v << 1) | 1 */
	VM_STOP_POWEROFF,    /* the guest powered off */
	VM_STOP_RESET,       /* the guest asked for a reset (treated as -no-reboot) */
	VM_STOP_QUIT,        /* the user quit (Ctrl-A x, monitor) */
	VM_STOP_SIGNAL,      /* the host process got SIGINT/SIGTERM/SIGHUP */
	VM_STOP_GUEST_ERROR, /* triple fault, dead halt, engine could not continue */
	VM_STOP_HOST_ERROR,  /* host failure */
};

/* vCPU requests (bits in vcpu->requests), honoured at the next boundary. */
#define VCPU_REQ_STOP (1u << 0)   /* the VM is stopping: return for good */
#define VCPU_REQ_PAUSE (1u << 1)  /* the monitor wants the vCPU parked */
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
	const struct engine_ops *switch_want;
	uint64_t switch_first_ns;   /* the first ask (for giving up) */
	struct perf_ctr core_ctr[VCPU_CTR_NR];
};

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
 * 0 or -ENOSPC. Call before vm_run(). */
VMM_MUST_CHECK int vm_add_fd(struct vm *vm, int fd, vm_fd_fn fn, vm_fd_ready_fn ready,
			     void *opaque);
/* Wake the main loop (re-evaluates timers and fd readiness). Any thread,
 * async-signal-safe. */
void vm_wake(struct vm *vm);

/* Record that the guest produced console output (for start-up latency). */
void vm_note_output(struct vm *vm);

/* --- vCPU side, for engines --- */

/* Make (v) leave its engine soon (and wake it if halted). Any thread. */
void vcpu_kick(struct vcpu *v);
/* Post (req) bits and kick. */
void vcpu_request(struct vcpu *v, unsigned req);
/* Switch vCPU (v) to engine (to) from (when) (vmm_now_ns() time) on: ask
 * then, and again every millisecond (main-loop timer) until the guest
 * stands where (to) can take it; give up with a warning after 2 s. Main
 * thread or before the VM runs. */
void vcpu_switch_at(struct vcpu *v, const struct engine_ops *to, const char *why,
		    uint64_t when);
#define VCPU_SWITCH_RETRY_NS 1000000ull
#define VCPU_SWITCH_GIVE_UP_NS 2000000000ull
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
