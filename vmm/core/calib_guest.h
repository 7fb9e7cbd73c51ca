/* calib_guest.h: constants shared by the calibration guests (assembly:
 * vmm/select/sel_calib_guests.S, and an engine's own versions such as
 * vmm/pv/pv_calib_guests.S) and the calibration runner (C, sel_calib.c).
 * The guest writes CALIB_START and CALIB_STOP to CALIB_PORT around
 * CALIB_N_* operations; the VMM times the interval. An
 * exception the guest did not expect reports 0xE0VV (vector VV). */
#ifndef VMM_CORE_CALIB_GUEST_H
#define VMM_CORE_CALIB_GUEST_H

#define CALIB_BASE 0x1000
#define CALIB_PORT 0x9a
#define CALIB_START 0xc0de0001
#define CALIB_STOP 0xc0de0002
#define CALIB_MEM (4 * 1024 * 1024)

/* Operations per test. Ring-0 loops are short because a software KVM
 * emulates ring-0 code at ~1 us per instruction; 4 instructions per loop. */
#define CALIB_N_RING0 4000
#define CALIB_N_RING3 4000000 /* iterations of LOOPU32 / LOOPU64 (~8 ms) */
#define CALIB_N_EXIT 1000
#define CALIB_N_PF 256
#define CALIB_N_PTE 500
#define CALIB_N_SYSCALL 500
#define CALIB_INSNS_PER_LOOP 4
#define CALIB_INSNS_PER_ULOOP 12.5 /* the ring-3 loop: 12 or 13 instructions */

/* Test order, also the order of the entry table (32-bit entries first,
 * then 64-bit). */
#define CALIB_T_RING0 0
#define CALIB_T_RING3 1
#define CALIB_T_EXIT 2
#define CALIB_T_PF 3
#define CALIB_T_PTE 4
#define CALIB_T_SYSCALL 5
#define CALIB_NR_TESTS 6

#ifdef __ASSEMBLER__
/* The measured ring-3 loop: what compiled user code does, not a register
 * loop an engine turns into the same host instructions. Per iteration a
 * load and a store on the stack (indexed), a call and its return, and a
 * branch taken every other iteration: 12.5 instructions on average.
 * (sp, ix): the stack pointer and EAX at the code's width. */
	.macro LOOPU count, sp, ix
	mov $\count, %ecx
	sub $256, \sp
1:	mov %ecx, %eax
	and $63, %eax
	mov (\sp,\ix,4), %edx
	add %ecx, %edx
	mov %edx, (\sp,\ix,4)
	call 3f
	test $1, %cl
	jz 2f
	inc %ebx
2:	dec %ecx
	jnz 1b
	add $256, \sp
	jmp 4f
3:	xor %edx, %esi
	ret
4:
	.endm
#define LOOPU32(n) LOOPU n, %esp, %eax
#define LOOPU64(n) LOOPU n, %rsp, %rax
#endif

#endif
