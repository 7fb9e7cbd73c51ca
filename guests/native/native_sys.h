/* guests/native/native_sys.h: the host equivalents in native_sys.c, and the
 * report and clock they share with native.c. */
#ifndef GUESTS_NATIVE_NATIVE_SYS_H
#define GUESTS_NATIVE_NATIVE_SYS_H

#include <stdint.h>

uint64_t native_now_ns(void);
void native_report(const char *name, uint64_t iters, uint64_t cycles, uint64_t ns);

int native_syscall(uint64_t iters);
int native_pgfault(uint64_t iters);
int native_ptemod(uint64_t iters);
int native_divzero(uint64_t iters);

#endif
