/* pv_seccomp.c: the seccomp filter of a pv sandbox (Linux
 * Documentation/userspace-api/seccomp_filter.rst). Everything traps
 * (SECCOMP_RET_TRAP: SIGSYS, which the sandbox reports or turns into a
 * guest system call) except, from the gateway pv_sys.S only:
 *   rt_sigreturn, exit, exit_group, sched_yield
 *   futex on the channel
 *   mmap of the VM's memfd, MAP_SHARED|MAP_FIXED[|MAP_POPULATE], below
 *     the guest's top address, at most that long
 *   munmap, mprotect below the guest's top address, at most that long
 * 32-bit system calls (int 0x80, AUDIT_ARCH_I386) and x32 numbers always
 * trap: that is how a guest's int 0x80 reaches the guest kernel. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "vmm/pv/pv_internal.h"

#define SF (struct sock_filter)
#define LD_W(off) SF BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define JEQ(k, t, f) SF BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))
#define JGE(k, t, f) SF BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (k), (t), (f))
#define JGT(k, t, f) SF BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (k), (t), (f))
#define JA(k) SF BPF_JUMP(BPF_JMP | BPF_JA, (k), 0, 0)
#define RET(k) SF BPF_STMT(BPF_RET | BPF_K, (k))

#define SD_NR offsetof(struct seccomp_data, nr)
#define SD_ARCH offsetof(struct seccomp_data, arch)
#define SD_IP_LO offsetof(struct seccomp_data, instruction_pointer)
#define SD_IP_HI (SD_IP_LO + 4)
#define SD_ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define SD_ARG_HI(i) (SD_ARG_LO(i) + 4)

#define PV_FILTER_MAX 160

struct filter {
	struct sock_filter f[PV_FILTER_MAX];
	unsigned n;
	bool overflow;
};

static void put(struct filter *f, struct sock_filter s)
{
	if (f->n < PV_FILTER_MAX)
		f->f[f->n++] = s;
	else
		f->overflow = true;
}

/* Allow if 64-bit argument (i) is below (top) (and (top) > 0), else trap;
 * leaves the accumulator undefined. Jumps are relative, so each check is a
 * self-contained block ending in allow/trap for the "no" case and falling
 * through on "yes" (4 instructions). */
static void arg_below(struct filter *f, unsigned i, uint64_t top)
{
	uint32_t hi = (uint32_t)(top >> 32), lo = (uint32_t)top;
	put(f, LD_W(SD_ARG_HI(i)));
	/* hi > top.hi: trap; hi < top.hi: fine (skip the low check) */
	put(f, JGT(hi, 4, 0));
	put(f, JEQ(hi, 0, 2));
	put(f, LD_W(SD_ARG_LO(i)));
	put(f, JGE(lo, 1, 0)); /* lo >= top.lo: trap */
	put(f, JA(1));
	put(f, RET(SECCOMP_RET_TRAP));
}

/* Allow if 64-bit argument (i) equals (v), else trap. */
static void arg_eq(struct filter *f, unsigned i, uint64_t v)
{
	put(f, LD_W(SD_ARG_HI(i)));
	put(f, JEQ((uint32_t)(v >> 32), 0, 2));
	put(f, LD_W(SD_ARG_LO(i)));
	put(f, JEQ((uint32_t)v, 1, 0));
	put(f, RET(SECCOMP_RET_TRAP));
}

/* A block for system call (nr): checks emitted by (body), then allow. The
 * jump over the block is patched once its length is known. */
static unsigned block_begin(struct filter *f, unsigned nr)
{
	put(f, LD_W(SD_NR));
	put(f, JEQ(nr, 0, 0)); /* jf patched */
	return f->n;
}

static void block_end(struct filter *f, unsigned at)
{
	put(f, RET(SECCOMP_RET_ALLOW));
	if (!f->overflow)
		f->f[at - 1].jf = (uint8_t)(f->n - at);
}

/* Architecture, x32, and the instruction pointer in the gateway (one 4 GiB
 * page: checked by build()). */
static void prologue(struct filter *f, uint64_t gw_lo, uint64_t gw_hi)
{
	put(f, LD_W(SD_ARCH));
	put(f, JEQ(AUDIT_ARCH_X86_64, 1, 0));
	put(f, RET(SECCOMP_RET_TRAP));
	put(f, LD_W(SD_NR));
	put(f, JGE(0x40000000u, 0, 1)); /* x32 */
	put(f, RET(SECCOMP_RET_TRAP));
	put(f, LD_W(SD_IP_HI));
	put(f, JEQ((uint32_t)(gw_hi >> 32), 1, 0));
	put(f, RET(SECCOMP_RET_TRAP));
	put(f, LD_W(SD_IP_LO));
	put(f, JGE((uint32_t)gw_lo, 0, 1));
	put(f, JGE((uint32_t)gw_hi, 0, 1));
	put(f, RET(SECCOMP_RET_TRAP));
}

static void build(struct filter *f, const struct pv_child *c)
{
	uint64_t gw_lo = (uint64_t)(uintptr_t)pv_sys_start, gw_hi = (uint64_t)(uintptr_t)pv_sys_end;
	uint64_t ch = (uint64_t)(uintptr_t)c->chan, ch_end = ch + sizeof(*c->chan);
	uint64_t top = c->vm->va_top;
	prologue(f, gw_lo, gw_hi);
	static const unsigned plain[] = { SYS_rt_sigreturn, SYS_exit, SYS_exit_group,
					  SYS_sched_yield };
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(plain); i++)
		block_end(f, block_begin(f, plain[i]));
	unsigned b = block_begin(f, SYS_futex);
	arg_below(f, 0, ch_end);
	put(f, LD_W(SD_ARG_HI(0)));
	put(f, JGE((uint32_t)(ch >> 32), 1, 0));
	put(f, RET(SECCOMP_RET_TRAP));
	put(f, LD_W(SD_ARG_LO(0)));
	put(f, JGE((uint32_t)ch, 1, 0));
	put(f, RET(SECCOMP_RET_TRAP));
	block_end(f, b);
	b = block_begin(f, SYS_mmap);
	arg_below(f, 0, top);
	arg_below(f, 1, top + 1);
	arg_eq(f, 4, (uint64_t)c->memfd);
	put(f, LD_W(SD_ARG_LO(3)));
	put(f, JEQ(MAP_SHARED | MAP_FIXED, 2, 0));
	put(f, JEQ(MAP_SHARED | MAP_FIXED | MAP_POPULATE, 1, 0));
	put(f, RET(SECCOMP_RET_TRAP));
	block_end(f, b);
	static const unsigned ranged[] = { SYS_munmap, SYS_mprotect };
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(ranged); i++) {
		b = block_begin(f, ranged[i]);
		arg_below(f, 0, top);
		arg_below(f, 1, top + 1);
		block_end(f, b);
	}
	put(f, RET(SECCOMP_RET_TRAP));
	if ((gw_lo >> 32) != (gw_hi >> 32) || (ch >> 32) != (ch_end >> 32))
		f->overflow = true;
}

int pv_seccomp_install(const struct pv_child *c)
{
	static struct filter f; /* not on the signal stack */
	f.n = 0;
	f.overflow = false;
	build(&f, c);
	if (f.overflow)
		return -E2BIG;
	struct sock_fprog prog = { .len = (unsigned short)f.n, .filter = f.f };
	long r = pv_sys(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0);
	if (!r)
		r = pv_sys(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&prog, 0, 0, 0);
	return (int)r;
}
