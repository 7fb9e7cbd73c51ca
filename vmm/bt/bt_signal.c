/* bt_signal.c: host signals raised by translated code. SIGSEGV on the
 * poll page means a kick is pending at a block entry: leave to the
 * dispatcher with the guest state of that block's start. Every other
 * signal, and faults outside the code cache, go to the handler that was
 * installed before ours (the core's terminal-restoring one, or the
 * default action). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "vmm/bt/bt_trans.h"

extern __thread struct bt_cpu *bt_cur_cpu;

static struct sigaction old_segv, old_fpe;

static void chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction *old = sig == SIGSEGV ? &old_segv : &old_fpe;
	if (old->sa_flags & SA_SIGINFO) {
		old->sa_sigaction(sig, si, uc);
		return;
	}
	if (old->sa_handler == SIG_DFL || old->sa_handler == SIG_IGN) {
		/* re-run the faulting instruction with the default action */
		signal(sig, SIG_DFL);
		return;
	}
	old->sa_handler(sig);
}

static void handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	struct bt_cpu *c = bt_cur_cpu;
	struct bt_tcache *tc = c ? c->tc : NULL;
	uintptr_t rip = (uintptr_t)g[REG_RIP];
	if (tc && rip >= (uintptr_t)tc->rx && rip < (uintptr_t)tc->rx + tc->used) {
		uintptr_t addr = (uintptr_t)si->si_addr;
		if (sig == SIGSEGV && addr >= (uintptr_t)tc->poll &&
		    addr < (uintptr_t)tc->poll + BT_PAGE) {
			struct bt_block *b = bt_tcache_find(tc, rip);
			if (b && rip == (uintptr_t)b->host) {
				__atomic_store_n(&tc->poll_armed, false, __ATOMIC_RELEASE);
				(void)mprotect(tc->poll, BT_PAGE, PROT_READ);
				c->eip = b->eip;
				c->exit_slot = 0;
				g[REG_RIP] = (greg_t)(uintptr_t)bt_asm_exit;
				return;
			}
		}
	}
	chain(sig, si, ucv);
}

static int install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &old_segv) || sigaction(SIGFPE, &sa, &old_fpe))
		return -1;
	return 0;
}

static int install_result = -1;

static void install_once(void)
{
	install_result = install();
}

int bt_signal_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, install_once);
	if (install_result) {
		vmm_err("bt: cannot install the SIGSEGV/SIGFPE handlers");
		return -EINVAL;
	}
	return 0;
}
