/* vmi_rom_32.S: the 32-bit ROM code, two flavours (vmi_rom_asm.h explains the
 * blobs and their tables). Calling convention: cdecl, arguments at 4(%esp),
 * 8(%esp), ...; EAX (EDX:EAX for 64-bit results) returned; EAX, ECX, EDX
 * clobbered; DF stays 0.
 *   pv_rom32n  native: the instruction sequences themselves, for bt and hw
 *   pv_rom32p  pv: cheap calls on the shared page, the rest int3 hypercalls
 *              (the engine preserves every register but EAX/EDX) */
#include "vmm/vmi/vmi_rom_asm.h"

#define N pv_rom32n
#define VERSION_NATIVE (PV_ABI_VERSION | (PV_FLAVOUR_NATIVE << 16) | (32 << 24))
#define VERSION_PV (PV_ABI_VERSION | (PV_FLAVOUR_PV << 16) | (32 << 24))
#define COM1 0x3f8

	PV_BLOB_BEGIN N, 32

	PV_ENTRY N, PV_MAX_CALLS	/* the default: unknown calls */
	mov $-PV_ENOSYS, %eax
	ret

	PV_ENTRY N, PV_CALL_VERSION
	PV_NREDIR N, PV_CALL_VERSION, 0, mov $VERSION_NATIVE, %eax
	ret

	PV_ENTRY N, PV_CALL_IRQ_SAVE
	PV_NREDIR N, PV_CALL_IRQ_SAVE, 0, pushf
	pop %eax
	ret

	PV_ENTRY N, PV_CALL_IRQ_RESTORE
	PV_NREDIR N, PV_CALL_IRQ_RESTORE, 0, push 4(%esp)
	PV_NREDIR N, PV_CALL_IRQ_RESTORE, 4, popf
	xor %eax, %eax
	ret

	PV_ENTRY N, PV_CALL_IRQ_DISABLE
	PV_NREDIR N, PV_CALL_IRQ_DISABLE, 0, cli
	xor %eax, %eax
	ret

	PV_ENTRY N, PV_CALL_IRQ_ENABLE
	PV_NREDIR N, PV_CALL_IRQ_ENABLE, 0, sti
	xor %eax, %eax
	ret

	/* SDM 2B STI: the interrupt shadow makes sti; hlt atomic. */
	PV_ENTRY N, PV_CALL_SAFE_HALT
	PV_NREDIR N, PV_CALL_SAFE_HALT, 0, sti
	PV_NREDIR N, PV_CALL_SAFE_HALT, 0, hlt
	xor %eax, %eax
	ret

	PV_ENTRY N, PV_CALL_HALT
	PV_NREDIR N, PV_CALL_HALT, 0, hlt
	xor %eax, %eax
	ret

	PV_ENTRY N, PV_CALL_READ_CR0
	PV_NREDIR N, PV_CALL_READ_CR0, 0, mov %cr0, %eax
	ret
	PV_ENTRY N, PV_CALL_WRITE_CR0
	PV_NREDIR N, PV_CALL_WRITE_CR0, 0, mov 4(%esp), %eax
	PV_NREDIR N, PV_CALL_WRITE_CR0, 0, mov %eax, %cr0
	xor %eax, %eax
	ret
	PV_ENTRY N, PV_CALL_READ_CR2
	PV_NREDIR N, PV_CALL_READ_CR2, 0, mov %cr2, %eax
	ret
	PV_ENTRY N, PV_CALL_WRITE_CR2
	PV_NREDIR N, PV_CALL_WRITE_CR2, 0, mov 4(%esp), %eax
	PV_NREDIR N, PV_CALL_WRITE_CR2, 0, mov %eax, %cr2
	xor %eax, %eax
	ret
	PV_ENTRY N, PV_CALL_READ_CR3
	PV_NREDIR N, PV_CALL_READ_CR3, 0, mov %cr3, %eax
	ret
	PV_ENTRY N, PV_CALL_WRITE_CR3
	PV_NREDIR N, PV_CALL_WRITE_CR3, 0, mov 4(%esp), %eax
	PV_NREDIR N, PV_CALL_WRITE_CR3, 0, mov %eax, %cr3
	xor %eax, %eax
	ret
	PV_ENTRY N, PV_CALL_READ_CR4
	PV_NREDIR N, PV_CALL_READ_CR4, 0, mov %cr4, %eax
	ret
	PV_ENTRY N, PV_CALL_WRITE_CR4
	PV_NREDIR N, PV_CALL_WRITE_CR4, 0, mov 4(%esp), %eax
	PV_NREDIR N, PV_CALL_WRITE_CR4, 0, mov %eax, %cr4
	xor %eax, %eax
	ret

	/* SDM 3A 4.10.4.1: MOV to CR3 flushes non-global TLB entries. */
	PV_ENTRY N, PV_CALL_FLUSH_TLB
	PV_NREDIR N, PV_CALL_FLUSH_TLB, 0, mov %cr3, %eax
	PV_NREDIR N, PV_CALL_FLUSH_TLB, 0, mov %eax, %cr3
	xor %eax, %eax
	ret

	PV_ENTRY N, PV_CALL_INVLPG
	PV_NREDIR N, PV_CALL_INVLPG, 0, mov 4(%esp), %eax
	PV_NREDIR N, PV_CALL_INVLPG, 0, invlpg (%eax)
	xor %eax, %eax
	ret

	/* (ptep, lo, hi, va, flags): a PAE entry from 32-bit code takes two
	 * stores; clear P first so the walker never sees half of each (SDM
	 * 3A 4.10.4.1, as Linux's set_pte for PAE). */
	PV_ENTRY N, PV_CALL_PTE_SET
	PV_NREDIR N, PV_CALL_PTE_SET, 0, mov 4(%esp), %edx
	PV_NREDIR N, PV_CALL_PTE_SET, 0, mov 8(%esp), %eax
	PV_NREDIR N, PV_CALL_PTE_SET, 0, testb $PV_PTE_WIDE, 20(%esp)
	jz 1f
	PV_NREDIR N, PV_CALL_PTE_SET, 0, movl $0, (%edx)
	PV_NREDIR N, PV_CALL_PTE_SET, 0, mov 12(%esp), %ecx
	PV_NREDIR N, PV_CALL_PTE_SET, 0, mov %ecx, 4(%edx)
1:	PV_NREDIR N, PV_CALL_PTE_SET, 0, mov %eax, (%edx)
	xor %eax, %eax
	ret

	/* (ptep, va, flags) */
	PV_ENTRY N, PV_CALL_PTE_CLEAR
	PV_NREDIR N, PV_CALL_PTE_CLEAR, 0, mov 4(%esp), %edx
	PV_NREDIR N, PV_CALL_PTE_CLEAR, 0, movl $0, (%edx)
	PV_NREDIR N, PV_CALL_PTE_CLEAR, 0, testb $PV_PTE_WIDE, 12(%esp)
	jz 1f
	PV_NREDIR N, PV_CALL_PTE_CLEAR, 0, movl $0, 4(%edx)
1:	xor %eax, %eax
	ret

	PV_ENTRY N, PV_CALL_PTE_FLUSH
	PV_NREDIR N, PV_CALL_PTE_FLUSH, 0, xor %eax, %eax
	ret

	/* (ptr, cs, ds): lgdt, data segments, then CS by a far return to the
	 * caller (SDM 3A 3.4.3: far transfers load CS). */
	PV_ENTRY N, PV_CALL_LOAD_GDT
	PV_NREDIR N, PV_CALL_LOAD_GDT, 0, mov 4(%esp), %eax
	lgdt (%eax)
	mov 12(%esp), %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs
	mov 8(%esp), %ecx
	pop %edx
	push %ecx
	push %edx
	lret

	PV_ENTRY N, PV_CALL_LOAD_IDT
	PV_NREDIR N, PV_CALL_LOAD_IDT, 0, mov 4(%esp), %eax
	PV_NREDIR N, PV_CALL_LOAD_IDT, 0, lidt (%eax)
	xor %eax, %eax
	ret

	PV_ENTRY N, PV_CALL_LOAD_TR
	PV_NREDIR N, PV_CALL_LOAD_TR, 0, mov 4(%esp), %eax
	PV_NREDIR N, PV_CALL_LOAD_TR, 0, ltr %ax
	xor %eax, %eax
	ret

	/* (tss, sp): TSS.ESP0 (SDM 3A 8.2.1). */
	PV_ENTRY N, PV_CALL_SET_KSTACK
	PV_NREDIR N, PV_CALL_SET_KSTACK, 0, mov 4(%esp), %edx
	PV_NREDIR N, PV_CALL_SET_KSTACK, 0, mov 8(%esp), %eax
	PV_NREDIR N, PV_CALL_SET_KSTACK, 0, mov %eax, 4(%edx)
	xor %eax, %eax
	ret

	/* Jumped to with an iret frame. Returning to ring 3, DS and ES get the
	 * frame's SS: iret would null kernel data segments (SDM 3A 6.12.1). */
	PV_ENTRY N, PV_CALL_IRET
	PV_ENTRY N, PV_CALL_SYSRET
	PV_NSITE N, PV_CALL_IRET, testb $3, 4(%esp)
	jz 1f
	push %eax
	mov 20(%esp), %eax
	mov %eax, %ds
	mov %eax, %es
	pop %eax
1:	iret

	/* (nr, a1, a2): the guest's int 0x80 convention. */
	PV_ENTRY N, PV_CALL_USER_INT80
	push %ebx
	mov 8(%esp), %eax
	mov 12(%esp), %ebx
	mov 16(%esp), %ecx
	PV_NSITE N, PV_CALL_USER_INT80, int $0x80
	pop %ebx
	ret

	/* (port, size) */
	PV_ENTRY N, PV_CALL_IO_IN
	PV_NREDIR N, PV_CALL_IO_IN, 0, mov 4(%esp), %edx
	mov 8(%esp), %ecx
	xor %eax, %eax
	cmp $1, %ecx
	jne 1f
	PV_NREDIR N, PV_CALL_IO_IN, 0, inb %dx, %al
	ret
1:	cmp $2, %ecx
	jne 2f
	PV_NREDIR N, PV_CALL_IO_IN, 0, inw %dx, %ax
	ret
2:	cmp $4, %ecx
	jne 3f
	PV_NREDIR N, PV_CALL_IO_IN, 0, inl %dx, %eax
	ret
3:	mov $-PV_EINVAL, %eax
	ret

	/* (port, size, value) */
	PV_ENTRY N, PV_CALL_IO_OUT
	PV_NREDIR N, PV_CALL_IO_OUT, 0, mov 4(%esp), %edx
	mov 8(%esp), %ecx
	mov 12(%esp), %eax
	cmp $1, %ecx
	jne 1f
	PV_NREDIR N, PV_CALL_IO_OUT, 0, outb %al, %dx
	jmp 4f
1:	cmp $2, %ecx
	jne 2f
	PV_NREDIR N, PV_CALL_IO_OUT, 0, outw %ax, %dx
	jmp 4f
2:	cmp $4, %ecx
	jne 3f
	PV_NREDIR N, PV_CALL_IO_OUT, 0, outl %eax, %dx
4:	xor %eax, %eax
	ret
3:	mov $-PV_EINVAL, %eax
	ret

	/* (hz): PIT channel 0, mode 2, divisor (1193182 + hz/2) / hz; hz = 0:
	 * mode 0 with no count written, which never fires (8254 datasheet). */
	PV_ENTRY N, PV_CALL_TIMER_SET
	PV_NREDIR N, PV_CALL_TIMER_SET, 0, mov 4(%esp), %ecx
	test %ecx, %ecx
	jz 1f
	mov %ecx, %eax
	shr $1, %eax
	add $1193182, %eax
	xor %edx, %edx
	div %ecx
	mov %eax, %ecx
	mov $0x34, %al
	PV_NREDIR N, PV_CALL_TIMER_SET, 0, outb %al, $0x43
	mov %cl, %al
	PV_NREDIR N, PV_CALL_TIMER_SET, 0, outb %al, $0x40
	mov %ch, %al
	PV_NREDIR N, PV_CALL_TIMER_SET, 0, outb %al, $0x40
	xor %eax, %eax
	ret
1:	mov $0x30, %al
	PV_NREDIR N, PV_CALL_TIMER_SET, 0, outb %al, $0x43
	xor %eax, %eax
	ret

	/* Latch channel 0 and read its count, low byte first. */
	PV_ENTRY N, PV_CALL_TIMER_READ
	PV_NREDIR N, PV_CALL_TIMER_READ, 0, xor %eax, %eax
	PV_NREDIR N, PV_CALL_TIMER_READ, 0, outb %al, $0x43
	PV_NREDIR N, PV_CALL_TIMER_READ, 0, inb $0x40, %al
	mov %al, %cl
	PV_NREDIR N, PV_CALL_TIMER_READ, 0, inb $0x40, %al
	mov %al, %ah
	mov %cl, %al
	movzwl %ax, %eax
	ret

	/* (buf, len): COM1, polled on LSR.THRE; an absent UART reads 0xff.
	 * With interrupts off, so no context stops half way (take-over). */
	PV_ENTRY N, PV_CALL_CONSOLE_WRITE
	PV_NREDIR N, PV_CALL_CONSOLE_WRITE, 0, push %esi
	PV_NREDIR N, PV_CALL_CONSOLE_WRITE, 4, pushf
	PV_NREDIR N, PV_CALL_CONSOLE_WRITE, 8, cli
	mov 12(%esp), %esi
	mov 16(%esp), %ecx
	cmp $PV_CONSOLE_MAX, %ecx
	ja 3f
1:	test %ecx, %ecx
	jz 2f
	mov $(COM1 + 5), %dx
5:	inb %dx, %al
	test $0x20, %al
	jz 5b
	mov $COM1, %dx
	lodsb
	outb %al, %dx
	dec %ecx
	jmp 1b
2:	mov 16(%esp), %eax
	popf
	pop %esi
	ret
3:	mov $-PV_EINVAL, %eax
	popf
	pop %esi
	ret

	/* (code): isa-debug-exit at 0xf4 (32-bit write); halt if absent. */
	PV_ENTRY N, PV_CALL_SHUTDOWN
	PV_NREDIR N, PV_CALL_SHUTDOWN, 0, mov 4(%esp), %eax
	PV_NREDIR N, PV_CALL_SHUTDOWN, 0, outl %eax, $0xf4
1:	PV_NREDIR N, PV_CALL_SHUTDOWN, 0, cli
	PV_NREDIR N, PV_CALL_SHUTDOWN, 0, hlt
	jmp 1b

	PV_ENTRY N, PV_CALL_READ_MSR
	PV_NREDIR N, PV_CALL_READ_MSR, 0, mov 4(%esp), %ecx
	PV_NREDIR N, PV_CALL_READ_MSR, 0, rdmsr
	ret

	/* (msr, lo, hi) */
	PV_ENTRY N, PV_CALL_WRITE_MSR
	PV_NREDIR N, PV_CALL_WRITE_MSR, 0, mov 4(%esp), %ecx
	mov 8(%esp), %eax
	mov 12(%esp), %edx
	PV_NREDIR N, PV_CALL_WRITE_MSR, 0, wrmsr
	xor %eax, %eax
	ret

	PV_BLOB_END N
#undef N

/* ---------------- the pv flavour ---------------- */
#define P pv_rom32p

	PV_BLOB_BEGIN P, 32

	PV_ENTRY P, PV_MAX_CALLS
	mov $-PV_ENOSYS, %eax
	ret

	PV_ENTRY P, PV_CALL_VERSION
	PV_SH32_ECX P
	PV_FAST32 PV_CALL_VERSION
	mov $VERSION_PV, %eax
	ret

	PV_ENTRY P, PV_CALL_IRQ_SAVE
	PV_SH32_ECX P
	PV_FAST32 PV_CALL_IRQ_SAVE
	movzbl PV_SH_VIF(%ecx), %eax
	shl $9, %eax
	or $2, %eax
	ret

	/* IF from bit 9 of the argument; an interrupt that waited for it is
	 * delivered by the engine before the call returns. */
	PV_ENTRY P, PV_CALL_IRQ_RESTORE
	PV_SH32_ECX P
	mov 4(%esp), %eax
	shr $9, %eax
	and $1, %eax
	mov %al, PV_SH_VIF(%ecx)
	jz 1f
	cmpb $0, PV_SH_IRQ_PENDING(%ecx)
	jne 2f
1:	PV_FAST32 PV_CALL_IRQ_RESTORE
	xor %eax, %eax
	ret
2:	PV_HCALL P, PV_HC_IRQ_WINDOW
	ret

	PV_ENTRY P, PV_CALL_IRQ_DISABLE
	PV_SH32_ECX P
	movb $0, PV_SH_VIF(%ecx)
	PV_FAST32 PV_CALL_IRQ_DISABLE
	xor %eax, %eax
	ret

	PV_ENTRY P, PV_CALL_IRQ_ENABLE
	PV_SH32_ECX P
	movb $1, PV_SH_VIF(%ecx)
	cmpb $0, PV_SH_IRQ_PENDING(%ecx)
	jne 1f
	PV_FAST32 PV_CALL_IRQ_ENABLE
	xor %eax, %eax
	ret
1:	PV_HCALL P, PV_HC_IRQ_WINDOW
	ret

	PV_ENTRY P, PV_CALL_SAFE_HALT
	PV_HCALL P, PV_CALL_SAFE_HALT
	ret
	PV_ENTRY P, PV_CALL_HALT
	PV_HCALL P, PV_CALL_HALT
	ret

	PV_ENTRY P, PV_CALL_READ_CR0
	PV_SH32_ECX P
	PV_FAST32 PV_CALL_READ_CR0
	mov PV_SH_CR0(%ecx), %eax
	ret
	PV_ENTRY P, PV_CALL_READ_CR2
	PV_SH32_ECX P
	PV_FAST32 PV_CALL_READ_CR2
	mov PV_SH_CR2(%ecx), %eax
	ret
	PV_ENTRY P, PV_CALL_READ_CR3
	PV_SH32_ECX P
	PV_FAST32 PV_CALL_READ_CR3
	mov PV_SH_CR3(%ecx), %eax
	ret
	PV_ENTRY P, PV_CALL_READ_CR4
	PV_SH32_ECX P
	PV_FAST32 PV_CALL_READ_CR4
	mov PV_SH_CR4(%ecx), %eax
	ret

	PV_ENTRY P, PV_CALL_WRITE_CR0
	PV_HCALL P, PV_CALL_WRITE_CR0
	ret
	PV_ENTRY P, PV_CALL_WRITE_CR2
	PV_HCALL P, PV_CALL_WRITE_CR2
	ret
	PV_ENTRY P, PV_CALL_WRITE_CR3
	PV_HCALL P, PV_CALL_WRITE_CR3
	ret
	PV_ENTRY P, PV_CALL_WRITE_CR4
	PV_HCALL P, PV_CALL_WRITE_CR4
	ret
	PV_ENTRY P, PV_CALL_FLUSH_TLB
	PV_HCALL P, PV_CALL_FLUSH_TLB
	ret
	PV_ENTRY P, PV_CALL_INVLPG
	PV_HCALL P, PV_CALL_INVLPG
	ret
	PV_ENTRY P, PV_CALL_PTE_FLUSH
	PV_HCALL P, PV_CALL_PTE_FLUSH
	ret

	/* (ptep, lo, hi, va, flags): the store as native, then queue va. */
	PV_ENTRY P, PV_CALL_PTE_SET
	mov 4(%esp), %edx
	mov 8(%esp), %eax
	testb $PV_PTE_WIDE, 20(%esp)
	jz 1f
	movl $0, (%edx)
	mov 12(%esp), %ecx
	mov %ecx, 4(%edx)
1:	mov %eax, (%edx)
	mov 16(%esp), %eax
	jmp .Lpv32_queue

	/* (ptep, va, flags) */
	PV_ENTRY P, PV_CALL_PTE_CLEAR
	mov 4(%esp), %edx
	movl $0, (%edx)
	testb $PV_PTE_WIDE, 12(%esp)
	jz 1f
	movl $0, 4(%edx)
1:	mov 8(%esp), %eax
	/* Queue the va in EAX (-1: nothing); a full queue is flushed first. */
.Lpv32_queue:
	cmp $-1, %eax
	je 2f
	PV_SH32_ECX P
3:	mov PV_SH_QUEUE_LEN(%ecx), %edx
	cmp $PV_QUEUE_MAX, %edx
	jae 4f
	mov %eax, PV_SH_QUEUE(%ecx, %edx, 8)
	movl $0, PV_SH_QUEUE + 4(%ecx, %edx, 8)
	inc %edx
	mov %edx, PV_SH_QUEUE_LEN(%ecx)
2:	PV_SH32_ECX P
	PV_FAST32 PV_CALL_PTE_SET
	xor %eax, %eax
	ret
4:	PV_HCALL P, PV_CALL_PTE_FLUSH
	jmp 3b

	PV_ENTRY P, PV_CALL_LOAD_GDT
	PV_SH32_ECX P
	PV_FAST32 PV_CALL_LOAD_GDT
	xor %eax, %eax
	ret

	/* (ptr): a pseudo-descriptor, limit then base (SDM 3A 2.4.4). */
	PV_ENTRY P, PV_CALL_LOAD_IDT
	PV_SH32_ECX P
	mov 4(%esp), %eax
	movzwl (%eax), %edx
	mov %edx, PV_SH_IDT_LIMIT(%ecx)
	mov 2(%eax), %edx
	mov %edx, PV_SH_IDT_BASE(%ecx)
	movl $0, PV_SH_IDT_BASE + 4(%ecx)
	PV_FAST32 PV_CALL_LOAD_IDT
	xor %eax, %eax
	ret

	PV_ENTRY P, PV_CALL_LOAD_TR
	PV_SH32_ECX P
	PV_FAST32 PV_CALL_LOAD_TR
	xor %eax, %eax
	ret

	/* (tss, sp): the TSS as native (the guest may read it) and the
	 * engine's copy. */
	PV_ENTRY P, PV_CALL_SET_KSTACK
	mov 4(%esp), %edx
	mov 8(%esp), %eax
	mov %eax, 4(%edx)
	PV_SH32_ECX P
	mov %eax, PV_SH_KSTACK(%ecx)
	movl $0, PV_SH_KSTACK + 4(%ecx)
	PV_FAST32 PV_CALL_SET_KSTACK
	xor %eax, %eax
	ret

	PV_ENTRY P, PV_CALL_IRET
	PV_HCALL P, PV_CALL_IRET
	PV_ENTRY P, PV_CALL_SYSRET
	PV_HCALL P, PV_CALL_SYSRET

	PV_ENTRY P, PV_CALL_USER_INT80
	push %ebx
	mov 8(%esp), %eax
	mov 12(%esp), %ebx
	mov 16(%esp), %ecx
	PV_HCALL P, PV_CALL_USER_INT80
	pop %ebx
	ret

	PV_ENTRY P, PV_CALL_IO_IN
	PV_HCALL P, PV_CALL_IO_IN
	ret
	PV_ENTRY P, PV_CALL_IO_OUT
	PV_HCALL P, PV_CALL_IO_OUT
	ret
	PV_ENTRY P, PV_CALL_TIMER_SET
	PV_HCALL P, PV_CALL_TIMER_SET
	ret
	PV_ENTRY P, PV_CALL_TIMER_READ
	PV_HCALL P, PV_CALL_TIMER_READ
	ret
	PV_ENTRY P, PV_CALL_CONSOLE_WRITE
	PV_HCALL P, PV_CALL_CONSOLE_WRITE
	ret
	PV_ENTRY P, PV_CALL_SHUTDOWN
	PV_HCALL P, PV_CALL_SHUTDOWN
	ret
	PV_ENTRY P, PV_CALL_READ_MSR
	PV_HCALL P, PV_CALL_READ_MSR
	ret
	PV_ENTRY P, PV_CALL_WRITE_MSR
	PV_HCALL P, PV_CALL_WRITE_MSR
	ret

	PV_BLOB_END P
	.section .note.GNU-stack, "", @progbits
