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

/* Expected-fault helpers: the recorded vector, error code, IP, CR2 after a
 * catch. */
void st_check_fault(int vector, ulong err, ulong ip, ulong cr2);

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

#endif
