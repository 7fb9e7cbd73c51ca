/* sel_calib.h: constants shared by the calibration guests (assembly) and the
 * calibration runner (C). The guest writes CALIB_START and CALIB_STOP to
 * CALIB_PORT around CALIB_N_* operations; the VMM times the interval. An
 * exception the guest did not expect reports 0xE0VV (vector VV). */
#ifndef VMM_SELECT_SEL_CALIB_H
#define VMM_SELECT_SEL_CALIB_H

#define CALIB_BASE 0x1000
#define CALIB_PORT 0x9a
#define CALIB_START 0xc0de0001
#define CALIB_STOP 0xc0de0002
#define CALIB_MEM (4 * 1024 * 1024)

/* Operations per test. Ring-0 loops are short because a software KVM
 * emulates ring-0 code at ~1 us per instruction; 4 instructions per loop. */
#define CALIB_N_RING0 4000
#define CALIB_N_RING3 500000
#define CALIB_N_EXIT 1000
#define CALIB_N_PF 256
#define CALIB_N_PTE 500
#define CALIB_N_SYSCALL 500
#define CALIB_INSNS_PER_LOOP 4

/* Test order, also the order of the entry table (32-bit entries first,
 * then 64-bit). */
#define CALIB_T_RING0 0
#define CALIB_T_RING3 1
#define CALIB_T_EXIT 2
#define CALIB_T_PF 3
#define CALIB_T_PTE 4
#define CALIB_T_SYSCALL 5
#define CALIB_NR_TESTS 6

#endif
