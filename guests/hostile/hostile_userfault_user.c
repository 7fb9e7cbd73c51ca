/* guests/hostile/hostile_userfault_user.c: the user half of
 * hostile_userfault: three faults, each caught by the guest kernel
 * (rt_catch) and recorded; returns how many were caught. */
#include "hostile.h"

struct hostile_uf hostile_uf;
const char *const hostile_uf_names[HOSTILE_UF_N] = { "read 0", "read 0xe0000000",
						     "LOAD_IDT(NULL)" };

static void take(struct hostile_uf_fault *f, ulong want_ip)
{
	f->vector = rt_catch.vector;
	f->err = rt_catch.err;
	f->cr2 = rt_catch.cr2;
	f->ip_ok = want_ip ? rt_catch.ip == want_ip : 1;
}

static void read_at(ulong va, struct hostile_uf_fault *f)
{
	ulong v, at;

	catch_arm(1u << VEC_PF);
#ifdef __x86_64__
	__asm__ volatile(CATCH_RESUME_AT_1 "lea 2f(%%rip), %[at]\n2:\tmov (%[a]), %[v]\n1:"
			 : [v] "=&r"(v), [at] "=&r"(at) : [a] "r"(va) : "memory", CATCH_CLOBBER);
#else
	__asm__ volatile(CATCH_RESUME_AT_1 "mov $2f, %[at]\n2:\tmov (%[a]), %[v]\n1:"
			 : [v] "=&r"(v), [at] "=&r"(at) : [a] "r"(va) : "memory", CATCH_CLOBBER);
#endif
	take(f, at);
}

/* LOAD_IDT(NULL) from ring 3: the ROM's entry (its lidt faults) or, with
 * no ROM, lidt itself. The IP is the ROM's business: not compared. */
static void load_idt_null(ulong entry, struct hostile_uf_fault *f)
{
	catch_arm((1u << VEC_GP) | (1u << VEC_PF));
	if (!entry) {
		__asm__ volatile(CATCH_RESUME_AT_1 "lidt 0\n1:" : : : "memory", CATCH_CLOBBER);
	} else {
#ifdef __x86_64__
		__asm__ volatile(CATCH_RESUME_AT_1 "mov %%rsp, %%rbx\n\txor %%edi, %%edi\n\t"
				 "call *%[e]\n1:\tmov %%rbx, %%rsp"
				 : : [e] "r"(entry)
				 : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "rbx",
				   "memory", CATCH_CLOBBER);
#else
		__asm__ volatile(CATCH_RESUME_AT_1 "mov %%esp, %%ebx\n\tpush $0\n\t"
				 "call *%[e]\n1:\tmov %%ebx, %%esp"
				 : : [e] "r"(entry) : "eax", "ecx", "edx", "ebx", "memory",
				   CATCH_CLOBBER);
#endif
	}
	take(f, 0);
}

long hostile_userfault(void *arg)
{
	struct hostile_uf *u = arg;
	long n = 0;

	read_at(0, &u->f[0]);
	read_at(0xe0000000ul, &u->f[1]);
	load_idt_null(u->load_idt, &u->f[2]);
	for (unsigned i = 0; i < HOSTILE_UF_N; i++)
		n += u->f[i].vector >= 0;
	return n;
}
