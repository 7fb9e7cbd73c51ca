/* guests/selftest/st_ring.h: what the ring-transition cases share between
 * ring 0 (st_ring.c) and ring 3 (st_ring_user.c, st_ring_*.S). */
#ifndef GUESTS_SELFTEST_ST_RING_H
#define GUESTS_SELFTEST_ST_RING_H

#include "st.h"

#define SYS_ST_ECHO 8 /* (x): return ~x, record the trap frame */
#define SYS_ST_GS 9   /* (): check GS bases and SWAPGS from ring 0 */

/* Registers seen by ring 3 around int 0x80 / SYSCALL (st_ring_*.S):
 * [0] return value, [1..] the registers in the order the .S stores them,
 * then the user stack pointer before the call, then (SYSCALL) RCX, R11,
 * the flags after SYSRET and the expected RCX. */
extern ulong st_user_out[24];
long st_int80_regs(void *arg);
long st_syscall_regs(void *arg);
long st_swapgs_user(void *arg);

/* Ring 3: faults that ring 3 may not cause (st_ring_user.c). */
#define ST_USER_FAULTS 4
extern struct st_fault st_user_faults[ST_USER_FAULTS];
extern ulong st_user_fault_ip[ST_USER_FAULTS];
long st_user_faults_run(void *arg);

/* The user GS area of the SWAPGS case. */
extern uint64_t st_gs_area[2];
#define ST_GS_MAGIC 0x6a5b4c3d2e1f0a09ull

#endif
