/* guests/native/native_sys.c: host equivalents of the workloads that cross
 * into a kernel, for the pv performance table (docs/vmi.md): what the same
 * operation costs a Linux process on this host's own kernel.
 *   syscall  a system call round trip that does nothing (getppid): int 0x80,
 *            and SYSCALL in the 64-bit build
 *   pgfault  a page fault the host kernel resolves: each page of a 16-page
 *            window dropped (MADV_DONTNEED) and touched again
 *   ptemod   a mapping retargeted to the other of two pages of a memfd
 *            (mmap MAP_FIXED) and read
 *   divzero  a #DE handled in user space: SIGFPE, the handler skips the div
 * Each prints the guests' bench line; nonzero on a wrong result. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>
#include <x86intrin.h>

#include "native_sys.h"

static long sys0(long nr, int insn_syscall)
{
	long r;
#ifdef __x86_64__
	if (insn_syscall)
		__asm__ volatile("syscall" : "=a"(r) : "a"(nr) : "rcx", "r11", "memory");
	else
		__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr) : "memory");
#else
	(void)insn_syscall;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr) : "memory");
#endif
	return r;
}

static int one_syscall(const char *name, long nr, int insn, uint64_t iters)
{
	long want = sys0(nr, insn), bad = 0;
	uint64_t t0 = native_now_ns(), c0 = __rdtsc();
	for (uint64_t i = 0; i < iters; i++)
		bad += sys0(nr, insn) != want;
	native_report(name, iters, __rdtsc() - c0, native_now_ns() - t0);
	return bad != 0;
}

int native_syscall(uint64_t iters)
{
	/* getppid: 64 (i386, int 0x80), 110 (x86-64, SYSCALL) */
	int rc = one_syscall("syscall_int80", 64, 0, iters);
#ifdef __x86_64__
	rc |= one_syscall("syscall_sysret", 110, 1, iters);
#endif
	return rc;
}

int native_pgfault(uint64_t iters)
{
	const size_t pages = 16;
	volatile uint8_t *w = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t sum = 0;
	if (w == MAP_FAILED)
		return 1;
	uint64_t t0 = native_now_ns(), c0 = __rdtsc();
	for (uint64_t i = 0; i < iters; i++) {
		volatile uint8_t *p = w + (i % pages) * 4096;
		madvise((void *)p, 4096, MADV_DONTNEED);
		sum += p[0]; /* the zero page, faulted in again */
	}
	native_report("pgfault", iters, __rdtsc() - c0, native_now_ns() - t0);
	munmap((void *)w, pages * 4096);
	return sum != 0;
}

int native_ptemod(uint64_t iters)
{
	int fd = memfd_create("native-ptemod", 0);
	uint32_t bad = 0;
	if (fd < 0 || ftruncate(fd, 8192))
		return 1;
	uint32_t stamp[2] = { 0x7e570000u, 0x7e570001u };
	for (int k = 0; k < 2; k++)
		if (pwrite(fd, &stamp[k], 4, k * 4096) != 4)
			return 1;
	volatile uint32_t *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 1;
	uint64_t t0 = native_now_ns(), c0 = __rdtsc();
	for (uint64_t i = 0; i < iters; i++) {
		unsigned k = i & 1;
		mmap((void *)p, 4096, PROT_READ, MAP_SHARED | MAP_FIXED, fd, k * 4096);
		bad += *p != stamp[k];
	}
	native_report("ptemod", iters, __rdtsc() - c0, native_now_ns() - t0);
	munmap((void *)p, 4096);
	close(fd);
	return bad != 0;
}

static volatile uint64_t de_count;

static void on_sigfpe(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	(void)sig;
	(void)si;
	de_count++;
#ifdef __x86_64__
	uc->uc_mcontext.gregs[REG_RIP] += 3; /* div %rsi / div %esi: 48 f7 f6 / f7 f6 */
#else
	uc->uc_mcontext.gregs[REG_EIP] += 2;
#endif
}

int native_divzero(uint64_t iters)
{
	struct sigaction sa = { .sa_sigaction = on_sigfpe, .sa_flags = SA_SIGINFO };
	sigaction(SIGFPE, &sa, NULL);
	uint64_t t0 = native_now_ns(), c0 = __rdtsc();
	for (uint64_t i = 0; i < iters; i++) {
		unsigned long a = 1, d = 0, z = 0;
#ifdef __x86_64__
		__asm__ volatile(".byte 0x48, 0xf7, 0xf6" : "+a"(a), "+d"(d) : "S"(z));
#else
		__asm__ volatile(".byte 0xf7, 0xf6" : "+a"(a), "+d"(d) : "S"(z));
#endif
	}
	native_report("divzero", iters, __rdtsc() - c0, native_now_ns() - t0);
	signal(SIGFPE, SIG_DFL);
	return de_count != iters;
}
