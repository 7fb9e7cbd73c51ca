/* guests/selftest/st.h: the selftest's case bookkeeping. A case is
 * st_begin(name), any number of st_eq(what, expected, got), st_end():
 * st_end prints "ok NAME" when every check passed; each failed check
 * prints "FAIL NAME.what expected X got Y" at once. Also the groups of
 * cases (one function per file). */
#ifndef GUESTS_SELFTEST_ST_H
#define GUESTS_SELFTEST_ST_H

#include "rt.h"

void st_begin(const char *name);
bool st_eq(const char *what, uint64_t expected, uint64_t got);
void st_end(void);
/* Failed checks since the start; guest_main returns nonzero if any. */
extern unsigned st_failures;

/* Expected-fault helpers. In inline asm, ST_IP0(op) loads the address of
 * local label "0" (put it on the faulting instruction) into operand (op);
 * with CATCH_RESUME_AT_1 (rt.h) the fault resumes at label "1". */
#ifdef __x86_64__
#define ST_IP0(op) "lea 0f(%%rip), %" op "\n\t"
#else
#define ST_IP0(op) "movl $0f, %" op "\n\t"
#endif

/* A caught fault, copied out of rt_catch (user-accessible memory). */
struct st_fault {
	long vector; /* -1: none */
	ulong err, ip, cr2, cs;
};
/* Copy rt_catch into (f); callable from ring 0 and ring 3. */
void st_fault_take(struct st_fault *f);
/* Check (f) against the expected vector, error code, IP (0: skip) and
 * CR2 (0: skip), as checks of the current case. */
void st_check_fault(const struct st_fault *f, int vector, ulong err, ulong ip, ulong cr2);

void st_cpu(void);
void st_alu(void);
void st_string(void);
void st_bits(void);
void st_stack(void);
void st_ctl(void);
void st_exc(void);
void st_ring(void);
void st_paging(void);
void st_sse(void);
void st_fpu(void);
#ifdef RT_PV
void st_vmi(void);
#endif

#endif
