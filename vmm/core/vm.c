/* vm.c: VM creation, the engine attach, the main loop (timers, host input,
 * host signals) and the stop protocol shared by every engine. */
#include "vmm/core/vm.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "vmm/core/vcpu_internal.h"

static void vm_timer_wake(void *opaque)
{
	vm_wake(opaque);
}

struct vm *vm_create(const struct vm_config *cfg)
{
	if (!cfg->nr_vcpus || cfg->nr_vcpus > VM_MAX_VCPUS) {
		vmm_err("vm: %u vCPUs requested; supported: 1 to %u", cfg->nr_vcpus,
			VM_MAX_VCPUS);
		return NULL;
	}
	struct vm *vm = calloc(1, sizeof(*vm));
	if (!vm) {
		vmm_err("vm: out of memory");
		return NULL;
	}
	vm->wake_fd = -1;
	vm->nr_vcpus = cfg->nr_vcpus;
	vm->now_ns = vmm_now_ns;
	pthread_mutex_init(&vm->stop_lock, NULL);
	pthread_mutex_init(&vm->dbg.lock, NULL);
	pthread_mutex_init(&vm->ev_lock, NULL);
	io_space_init(&vm->pio, "pio", 0x10000);
	io_space_init(&vm->mmio, "mmio", 0);
	timer_list_init(&vm->timers, vm_timer_wake, vm);
	if (mem_init(&vm->mem, cfg->mem_size))
		goto fail;
	vm->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->wake_fd < 0) {
		vmm_err("vm: eventfd: %s", strerror(errno));
		goto fail;
	}
	return vm;
fail:
	vm_destroy(vm);
	return NULL;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = vm->vcpu[i];
		if (!v)
			continue;
		if (vm->engine && vm->engine->vcpu_destroy)
			vm->engine->vcpu_destroy(v);
		vcpu_free(v);
	}
	if (vm->engine && vm->engine->vm_destroy)
		vm->engine->vm_destroy(vm);
	mem_fini(&vm->mem);
	io_space_fini(&vm->pio);
	io_space_fini(&vm->mmio);
	timer_list_fini(&vm->timers);
	if (vm->wake_fd >= 0)
		(void)close(vm->wake_fd);
	pthread_mutex_destroy(&vm->stop_lock);
	pthread_mutex_destroy(&vm->dbg.lock);
	pthread_mutex_destroy(&vm->ev_lock);
	free(vm);
}

int vm_engine_init(struct vm *vm, const struct engine_ops *engine,
		   const struct x86_state *entry)
{
	vm->engine = engine;
	int r = engine->vm_create(vm);
	if (r) {
		vm->engine = NULL; /* nothing to destroy */
		return r;
	}
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = vcpu_alloc(vm, i);
		if (!v)
			return -ENOMEM;
		r = engine->vcpu_create(v);
		if (r) {
			vcpu_free(v);
			return r;
		}
		vm->vcpu[i] = v;
		r = perf_set_add(&v->stats, "core.vcpu", "events", vcpu_ctr_labels,
				 VCPU_CTR_NR, v->core_ctr, true);
		if (r)
			return r;
	}
	return engine->regs_set(vm->vcpu[0], entry);
}

void vm_request_stop(struct vm *vm, enum vm_stop_reason reason, int status, const char *fmt,
		     ...)
{
	pthread_mutex_lock(&vm->stop_lock);
	bool first = vm->stop_reason == VM_RUNNING;
	if (first) {
		vm->stop_status = status;
		if (fmt) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(vm->stop_msg, sizeof(vm->stop_msg), fmt, ap);
			va_end(ap);
		}
		__atomic_store_n(&vm->stop_reason, reason, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&vm->stop_lock);
	if (!first)
		return;
	if (reason == VM_STOP_RESET)
		vm_post_event(vm, VM_EV_RESET, 0, reason, "%s", vm->stop_msg);
	vm_post_event(vm, VM_EV_SHUTDOWN, 0, reason, "%s", vm->stop_msg);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpu[i])
			vcpu_request(vm->vcpu[i], VCPU_REQ_STOP);
	vm_wake(vm);
}

void vm_set_irq(struct vm *vm, unsigned irq, int level)
{
	if (vm->irq_bypass)
		vm->irq_bypass(vm, irq, level);
	else if (vm->set_irq)
		vm->set_irq(vm->board, irq, level);
}

void vm_set_intr(struct vm *vm, unsigned cpu, int level)
{
	if (cpu >= vm->nr_vcpus || !vm->vcpu[cpu])
		return;
	struct vcpu *v = vm->vcpu[cpu];
	unsigned old = __atomic_exchange_n(&v->intr, level ? 1u : 0u, __ATOMIC_ACQ_REL);
	if (level && !old)
		vcpu_kick(v);
}

void vm_set_nmi(struct vm *vm, unsigned cpu)
{
	if (cpu >= vm->nr_vcpus || !vm->vcpu[cpu])
		return;
	struct vcpu *v = vm->vcpu[cpu];
	__atomic_store_n(&v->nmi, 1u, __ATOMIC_RELEASE);
	__atomic_store_n(&v->dead, false, __ATOMIC_RELEASE); /* an NMI wakes a dead halt */
	vcpu_kick(v);
}

int vm_add_fd(struct vm *vm, int fd, vm_fd_fn fn, vm_fd_ready_fn ready, void *opaque)
{
	struct vm_fd f = { fd, fn, ready, opaque, true };
	for (unsigned i = 0; i < vm->nr_fds; i++)
		if (!vm->fds[i].active) { /* one that stopped polling (a closed client) */
			vm->fds[i] = f;
			return 0;
		}
	if (vm->nr_fds == VM_MAX_FDS) {
		vmm_err("vm: too many polled file descriptors");
		return -ENOSPC;
	}
	vm->fds[vm->nr_fds++] = f;
	return 0;
}

void vm_wake(struct vm *vm)
{
	uint64_t one = 1;
	ssize_t w = write(vm->wake_fd, &one, sizeof(one));
	(void)w; /* EAGAIN means a wake-up is already pending */
}

void vm_note_output(struct vm *vm)
{
	uint64_t zero = 0;
	if (!__atomic_load_n(&vm->first_output_ns, __ATOMIC_RELAXED))
		__atomic_compare_exchange_n(&vm->first_output_ns, &zero, vmm_now_ns(), false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

unsigned vm_stats_sets(struct vm *vm, struct perf_set **sets)
{
	unsigned n = 0;
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpu[i])
			sets[n++] = &vm->vcpu[i]->stats;
	return n;
}

/* --- host signals: SIGINT/SIGTERM/SIGHUP stop the VM cleanly --- */

static struct vm *signal_vm;
static volatile sig_atomic_t signal_seen;

static void stop_signal_handler(int sig)
{
	signal_seen = sig;
	if (signal_vm)
		vm_wake(signal_vm);
}

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };

static void signals_install(struct vm *vm)
{
	signal_vm = vm;
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(stop_signals); i++) {
		struct sigaction sa = { .sa_handler = stop_signal_handler };
		sigemptyset(&sa.sa_mask);
		sigaction(stop_signals[i], &sa, NULL);
	}
	signal(SIGPIPE, SIG_IGN); /* a closed console pipe is an error, not death */
}

/* --- the main loop --- */

static void main_loop(struct vm *vm)
{
	struct pollfd pfd[VM_MAX_FDS + 1];
	unsigned map[VM_MAX_FDS + 1];
	/* PIT ticks at 1 kHz need sub-millisecond wake-ups: ask for 1 us slack. */
	(void)prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0); /* best effort */
	while (!vm_stopping(vm)) {
		unsigned n = 0;
		pfd[n].fd = vm->wake_fd;
		pfd[n].events = POLLIN;
		map[n++] = ~0u;
		for (unsigned i = 0; i < vm->nr_fds; i++) {
			struct vm_fd *f = &vm->fds[i];
			if (!f->active || (f->ready && !f->ready(f->opaque)))
				continue;
			pfd[n].fd = f->fd;
			pfd[n].events = POLLIN;
			map[n++] = i;
		}
		/* ppoll gives the deadline to the microsecond, poll() only to the ms */
		uint64_t d = timer_next_deadline(&vm->timers);
		struct timespec ts, *tsp = NULL;
		if (d != UINT64_MAX) {
			uint64_t now = vm->now_ns(), left = d > now ? d - now : 0;
			ts.tv_sec = (time_t)(left / 1000000000ull);
			ts.tv_nsec = (long)(left % 1000000000ull);
			tsp = &ts;
		}
		int r = ppoll(pfd, n, tsp, NULL);
		if (r < 0 && errno != EINTR) {
			vm_request_stop(vm, VM_STOP_HOST_ERROR, VM_EXIT_HOST, "vm: poll: %s",
					strerror(errno));
			break;
		}
		if (signal_seen) {
			int sig = signal_seen;
			vm_request_stop(vm, VM_STOP_SIGNAL, 128 + sig, "stopped by signal %d (%s)",
					sig, strsignal(sig));
			break;
		}
		timer_run_due(&vm->timers, vm->now_ns());
		vm_events_drain(vm);
		for (unsigned i = 0; r > 0 && i < n; i++) {
			if (!pfd[i].revents)
				continue;
			if (map[i] == ~0u) {
				uint64_t v;
				ssize_t rd = read(vm->wake_fd, &v, sizeof(v));
				(void)rd; /* only the wake-up matters */
				continue;
			}
			struct vm_fd *f = &vm->fds[map[i]];
			if (!f->fn(f->opaque))
				f->active = false;
		}
	}
}

int vm_run(struct vm *vm)
{
	signals_install(vm);
	vm->start_ns = vmm_now_ns();
	if (vm->start_paused) {
		vm->paused = true;
		vm->pause_cause = VCPU_STOP_START;
		for (unsigned i = 0; i < vm->nr_vcpus; i++)
			vm->vcpu[i]->hold = true;
	}
	int r = vcpus_start(vm);
	if (r)
		vm_request_stop(vm, VM_STOP_HOST_ERROR, VM_EXIT_HOST,
				"vm: cannot start vCPU threads: %s", strerror(-r));
	else
		main_loop(vm);
	vcpus_join(vm);
	vm_events_drain(vm); /* SHUTDOWN reaches the controllers */
	signal_vm = NULL;
	bool error = vm->stop_reason == VM_STOP_GUEST_ERROR || vm->stop_reason == VM_STOP_HOST_ERROR;
	/* one log line per message line: a register dump is longer than a line */
	for (char *save = NULL, *l = strtok_r(vm->stop_msg, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (error)
			vmm_err("%s", l);
		else
			vmm_info("%s", l);
	}
	return vm->stop_status;
}
