/* bt_run.c: the bt engine's ops and its run loop. Each turn of the loop
 * honours core requests, delivers a pending external interrupt when the
 * guest can take it (IF=1, no STI/MOV SS shadow), finds the block at CS:EIP
 * and runs it, translated or interpreted. Exceptions raised anywhere below
 * longjmp back here and are delivered through the guest IDT; a triple
 * fault stops the vCPU with VCPU_EXIT_SHUTDOWN. HLT returns VCPU_EXIT_HLT
 * and the core sleeps until an interrupt is pending. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/bt/bt_fpu.h"
#include "vmm/bt/bt_internal.h"
#include "vmm/bt/bt_trans.h"
#include "vmm/bt/bt_window.h"
#include "vmm/core/guest.h"
#include "vmm/core/host.h"

static const char *const ctr_labels[BT_CTR_NR] = {
	[BT_CTR_BLOCKS] = "blocks decoded",
	[BT_CTR_TRANSLATED] = "blocks translated",
	[BT_CTR_TRANS_INSNS] = "insns translated",
	[BT_CTR_CODE_BYTES] = "code-cache bytes",
	[BT_CTR_CHAIN] = "chain links",
	[BT_CTR_CHAIN_HITS] = "chained transfers (profile)",
	[BT_CTR_DISPATCH] = "dispatcher block entries",
	[BT_CTR_IND_LOOKUP] = "indirect lookups",
	[BT_CTR_IND_MISS] = "indirect misses",
	[BT_CTR_INTERP_INSNS] = "interpreted insns",
	[BT_CTR_GUEST_PF] = "guest page faults",
	[BT_CTR_EXCEPTIONS] = "exceptions delivered",
	[BT_CTR_IRQS] = "interrupts delivered",
	[BT_CTR_TLB_MISS] = "tlb misses (walks)",
	[BT_CTR_TLB_FLUSH] = "tlb flushes",
	[BT_CTR_WIN_FAULTS] = "window faults (maps)",
	[BT_CTR_WIN_PROT] = "shadow/permission faults",
	[BT_CTR_WIN_PF] = "window faults: guest #PF",
	[BT_CTR_WIN_INVAL] = "window pages invalidated",
	[BT_CTR_WIN_FLUSH] = "window flushes",
	[BT_CTR_INVAL_PAGES] = "invalidated pages",
	[BT_CTR_INVAL_BLOCKS] = "invalidated blocks",
	[BT_CTR_CACHE_FLUSH] = "code-cache flushes",
	[BT_CTR_RETRANSLATE] = "retranslations",
	[BT_CTR_SMC_INTERP] = "self-modifying: blocks interpreted",
};

/* Sensitive operations by kind, whether a helper or the interpreter ran
 * them; "interpret insn" counts helper calls into the interpreter. */
static const char *const helper_labels[BT_H_NR] = {
	[BT_H_IO] = "port i/o",	      [BT_H_STRING] = "string",   [BT_H_CPUID] = "cpuid",
	[BT_H_RDTSC] = "rdtsc",	      [BT_H_MSR] = "rdmsr/wrmsr", [BT_H_CR] = "mov cr",
	[BT_H_DESC] = "descriptor",   [BT_H_SEG] = "segment load", [BT_H_FLAGS] = "flags",
	[BT_H_INT] = "int",	      [BT_H_IRET] = "iret",	  [BT_H_FAR] = "far jmp/call/ret",
	[BT_H_HLT] = "hlt",	      [BT_H_INVLPG] = "invlpg",	  [BT_H_INTERP] = "interpret insn",
	[BT_H_MEM] = "memory",	      [BT_H_OTHER] = "other",
};

static const char *const xlate_labels[BT_X_NR] = {
	[BT_X_DECODE] = "decode (blocks)",
	[BT_X_DECODE_INSNS] = "decode (insns)",
	[BT_X_TRANSLATE] = "translate (blocks)",
	[BT_X_TRANSLATE_INSNS] = "translate (insns)",
};

static const char *const excp_labels[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "vec9", "#TS", "#NP",
	"#SS", "#GP", "#PF", "vec15", "#MF", "#AC", "#MC", "#XM", "vec20", "vec21", "vec22",
	"vec23", "vec24", "vec25", "vec26", "vec27", "vec28", "vec29", "vec30", "vec31",
};

static int bt_probe(const struct host_caps *caps, char *why, size_t len)
{
	(void)caps;
#if defined(__x86_64__)
	(void)why;
	(void)len;
	return 0;
#else
	snprintf(why, len, "bt needs an x86-64 host");
	return -ENODEV;
#endif
}

static int bt_check_guest(const struct host_caps *caps, const struct guest_desc *g, char *why,
			  size_t len)
{
	/* 16-, 32- and 64-bit guests: IA-32e mode runs on the interpreter
	 * (bt_long.c); an instruction it lacks stops with an error naming it */
	(void)caps;
	/* CPUID leaf 1 EDX bit 0: the model's x87 FPU (bt_cpuid.c) */
	unsigned fpu = __builtin_ctz(GUEST_NEEDS_FPU);
	if ((g->needs & GUEST_NEEDS_FPU) && !bt_cpuid_has(1, 3, 0)) {
		snprintf(why, len, "bt has no x87/MMX/SSE FPU yet; this guest needs one (%s)",
			 g->evidence[fpu]);
		return -ENOTSUP;
	}
	return 0;
}

static int bt_vm_create(struct vm *vm)
{
	struct bt_vm *bvm = calloc(1, sizeof(*bvm));
	if (!bvm)
		return -ENOMEM;
	const char *e = getenv("TRIPLEX_BT_INTERP");
	bvm->interp_only = e && *e && strcmp(e, "0");
	/* guest memory for translated code: windows (default) or the
	 * software TLB alone (TRIPLEX_BT_MEM=softmmu), to compare the two */
	const char *m = getenv("TRIPLEX_BT_MEM");
	bvm->use_window = !(m && !strcmp(m, "softmmu"));
	vm->engine_priv = bvm;
	return 0;
}

static void bt_vm_destroy(struct vm *vm)
{
	free(vm->engine_priv);
	vm->engine_priv = NULL;
}

static void bt_vcpu_destroy(struct vcpu *v)
{
	struct bt_cpu *c = v->engine_priv;
	if (!c)
		return;
	bt_win_fini(c);
	bt_trans_fini(c);
	bt_fpu_fini(c);
	free(c->soft);
	if (c->tmp_block)
		bt_block_free(c->tmp_block);
	bt_bcache_destroy(c->bc);
	bt_decoder_destroy(c->dec);
	free(c->jc);
	free(c);
	v->engine_priv = NULL;
}

static int bt_vcpu_create(struct vcpu *v)
{
	struct bt_cpu *c = aligned_alloc(64, VMM_ALIGN_UP(sizeof(*c), 64));
	if (!c)
		return -ENOMEM;
	memset(c, 0, sizeof(*c));
	v->engine_priv = c;
	c->vcpu = v;
	c->vm = v->vm;
	c->bvm = v->vm->engine_priv;
	c->interp_only = c->bvm->interp_only;
	const char *prof = getenv("TRIPLEX_BT_PROFILE");
	c->profile = prof && *prof && strcmp(prof, "0");
	c->dec = bt_decoder_create();
	c->bc = bt_bcache_create();
	c->jc = calloc(BT_JC_SIZE, sizeof(*c->jc));
	if (!c->dec || !c->bc || !c->jc) {
		vmm_err("bt: vcpu%u: out of memory", v->id);
		bt_vcpu_destroy(v);
		return -ENOMEM;
	}
	bt_cpu_init(c);
	int r = bt_fpu_init(c);
	if (!r && !c->interp_only)
		r = bt_trans_init(c);
	if (!r && c->tc && c->bvm->use_window)
		r = bt_win_init(c);
	if (!r)
		r = perf_set_add(&v->stats, "bt.events", "events", ctr_labels, BT_CTR_NR, c->ctr,
				 false);
	if (!r)
		r = perf_set_add(&v->stats, "bt.helpers", "calls", helper_labels, BT_H_NR,
				 c->helper, false);
	if (!r)
		r = perf_set_add(&v->stats, "bt.exceptions", "exceptions", excp_labels, 32,
				 c->excp, false);
	if (!r)
		r = perf_set_add(&v->stats, "bt.translation", "events", xlate_labels, BT_X_NR,
				 c->xlate, true);
	if (r) {
		bt_vcpu_destroy(v);
		return r;
	}
	return 0;
}

static void bt_vcpu_kick(struct vcpu *v)
{
	struct bt_cpu *c = v->engine_priv;
	if (!c)
		return;
	__atomic_store_n(&c->kick, 1, __ATOMIC_RELEASE);
	/* translated code polls a page at every block entry: make it fault */
	bt_poll_arm(c);
}

/* Interpret up to (max) instructions of (b). */
static void interp_block(struct bt_cpu *c, const struct bt_block *b, unsigned max)
{
	c->code_dirty = false;
	unsigned n = VMM_MIN(b->ninsn, max);
	for (unsigned i = 0; i < n; i++) {
		const struct bt_insn *in = &b->insn[i];
		if (VMM_UNLIKELY(c->dbg.nr) && bt_dbg_at_bp(c))
			break;
		bool shadow = c->int_shadow;
		bool tf = c->eflags & X86_FLAGS_TF;
		c->stop_block = false;
		bt_interp_insn(c, in);
		c->ctr[BT_CTR_INTERP_INSNS].count++;
		if (shadow)
			c->int_shadow = 0;
		if (tf) {
			/* single-step trap after the instruction (SDM 3A 17.3.1.4) */
			c->dr[6] |= 1u << 14;
			bt_raise(c, X86_EXC_DB, 0, false);
		}
		c->dbg.done = c->dbg.step;
		if (c->stop_block || c->code_dirty || c->halted_exit || c->shutdown || c->dbg.step)
			break;
	}
}

static bool want_exit(struct bt_cpu *c, struct vcpu_exit *ex)
{
	struct vcpu *v = c->vcpu;
	if (c->shutdown) {
		ex->reason = VCPU_EXIT_SHUTDOWN;
		snprintf(ex->msg, sizeof(ex->msg), "%s",
			 c->shutdown_msg[0] ? c->shutdown_msg : "triple fault");
		c->shutdown = false;
		c->shutdown_msg[0] = 0;
		return true;
	}
	if (c->error_msg[0]) {
		ex->reason = VCPU_EXIT_ERROR;
		snprintf(ex->msg, sizeof(ex->msg), "%s", c->error_msg);
		c->error_msg[0] = 0;
		return true;
	}
	if (c->halted_exit) {
		c->halted_exit = false;
		ex->reason = VCPU_EXIT_HLT;
		ex->hlt_if = c->eflags & X86_FLAGS_IF;
		return true;
	}
	if (VMM_UNLIKELY(c->dbg.hit || c->dbg.done)) {
		c->dbg.hit = c->dbg.done = false;
		ex->reason = VCPU_EXIT_DEBUG;
		return true;
	}
	if (vcpu_has_requests(v) || vm_stopping(c->vm)) {
		ex->reason = VCPU_EXIT_REQUEST;
		return true;
	}
	if (VMM_UNLIKELY(c->budget) && !--c->budget) {
		ex->reason = VCPU_EXIT_ERROR;
		snprintf(ex->msg, sizeof(ex->msg), "bt: block budget exhausted at eip %#x", c->eip);
		return true;
	}
	return false;
}

/* Run (b) translated if we can; false if it must be interpreted. */
static bool run_translated(struct bt_cpu *c, struct bt_block *b)
{
	if (!c->tc || c->int_shadow || (c->eflags & X86_FLAGS_TF) || b->uncached || c->dbg.step ||
	    (VMM_UNLIKELY(c->dbg.nr) && bt_dbg_block_has_bp(c, b)))
		return false;
	if (!b->host && !b->no_trans) {
		if (bt_block_smc_interp(c, b))
			return false;
		uint64_t t0 = vmm_now_ns();
		if (bt_translate(c, b) == -ENOSPC) {
			bt_tcache_flush(c);
			(void)bt_translate(c, b);
		}
		if (b->host) {
			perf_count(&c->xlate[BT_X_TRANSLATE], vmm_now_ns() - t0);
			c->xlate[BT_X_TRANSLATE_INSNS].count += b->ninsn;
		}
	}
	if (!b->host)
		return false;
	if (c->exit_slot > BT_EXIT_INDIRECT) {
		bt_tcache_chain(c->tc, c->exit_slot, b->host);
		c->ctr[BT_CTR_CHAIN].count++;
	} else if (c->exit_slot == BT_EXIT_INDIRECT) {
		bt_ibtc_insert(c, c->eip, b);
		c->ctr[BT_CTR_IND_MISS].count++;
	}
	bt_run_translated(c, b);
	return true;
}

int bt_run_loop(struct bt_cpu *c, struct vcpu_exit *ex)
{
	struct vcpu *v = c->vcpu;
	jmp_buf jb;
	c->jmp = &jb;
	if (setjmp(jb)) {
		/* an exception at c->eip (fault) or after it (trap, INT n) */
		c->exit_slot = 0;
		bt_deliver_pending(c);
		c->jmp = &jb;
		c->dbg.done = c->dbg.step; /* a step ends in the handler */
	}
	if (c->inject_pending) {
		c->inject_pending = false;
		bt_deliver_pending(c);
	}
	for (;;) {
		if (want_exit(c, ex))
			break;
		if (__atomic_load_n(&c->kick, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&c->kick, 0, __ATOMIC_RELAXED);
			bt_poll_disarm(c);
		}
		if (!c->int_shadow && !c->nmi_blocked && vcpu_nmi_pending(v) && !c->dbg.step &&
		    vcpu_nmi_take(v)) {
			c->nmi_blocked = true; /* until the handler's IRET */
			c->exit_slot = 0;
			bt_deliver_irq(c, X86_EXC_NMI);
			continue;
		}
		if (!c->int_shadow && (c->eflags & X86_FLAGS_IF) && vcpu_intr_pending(v) &&
		    !c->dbg.step) {
			int vec = vcpu_intr_ack(v);
			c->exit_slot = 0;
			bt_deliver_irq(c, (unsigned)vec);
			continue;
		}
		struct bt_block *b = bt_block_get(c);
		if (run_translated(c, b)) {
			if (c->interp_one) {
				/* the window could not take an access: interpret it */
				c->interp_one = false;
				c->exit_slot = 0;
				interp_block(c, bt_block_get(c), 1);
			}
			continue;
		}
		c->exit_slot = 0;
		interp_block(c, b, c->int_shadow || c->dbg.step ? 1 : BT_BLOCK_MAX_INSNS);
	}
	c->ctr[BT_CTR_IND_LOOKUP].count = c->ind_lookups;
	if (c->profile) {
		uint64_t other = c->ctr[BT_CTR_DISPATCH].count + c->ind_lookups -
				 c->ctr[BT_CTR_IND_MISS].count;
		c->ctr[BT_CTR_CHAIN_HITS].count =
			c->block_entries > other ? c->block_entries - other : 0;
	}
	c->jmp = NULL;
	return 0;
}

static int bt_vcpu_run(struct vcpu *v, struct vcpu_exit *ex)
{
	return bt_run_loop(bt_cpu_of(v), ex);
}

static uint64_t ld(const struct perf_ctr *c)
{
	return __atomic_load_n(&c->count, __ATOMIC_RELAXED);
}

static void bt_sample(struct vcpu *v, struct engine_sample *s)
{
	const struct bt_cpu *c = v->engine_priv;
	memset(s, 0, sizeof(*s));
	if (!c)
		return;
	/* what other engines pay a trip out of the guest for: port I/O and
	 * control-register moves; page-table writes (caught by protection) and
	 * the INVLPGs that publish them */
	s->exits = ld(&c->helper[BT_H_IO]) + ld(&c->helper[BT_H_CR]);
	s->interrupts = ld(&c->ctr[BT_CTR_IRQS]);
	uint64_t ev = ld(&c->ctr[BT_CTR_EXCEPTIONS]), ints = ld(&c->helper[BT_H_INT]);
	s->exceptions = ev > ints ? ev - ints : 0; /* INT n is counted as a syscall */
	s->pte_updates = ld(&c->ctr[BT_CTR_WIN_PROT]) + ld(&c->helper[BT_H_INVLPG]);
	s->syscalls = ld(&c->helper[BT_H_INT]);
}

const struct engine_ops bt_engine_ops = {
	.name = "bt",
	.desc = "dynamic binary translation with a reference interpreter (no KVM needed)",
	.probe = bt_probe,
	.check_guest = bt_check_guest,
	.vm_create = bt_vm_create,
	.vm_destroy = bt_vm_destroy,
	.vcpu_create = bt_vcpu_create,
	.vcpu_destroy = bt_vcpu_destroy,
	.vcpu_run = bt_vcpu_run,
	.regs_get = bt_regs_get,
	.regs_set = bt_regs_set,
	.vcpu_kick = bt_vcpu_kick,
	.set_debug = bt_set_debug,
	.mem_written = bt_mem_written,
	.sample = bt_sample,
};
