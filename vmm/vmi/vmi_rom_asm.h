/* vmi_rom_asm.h: assembler macros for the four ROM blobs (vmi_rom_32.S,
 * vmi_rom_64.S): native and pv flavours, 32- and 64-bit. A blob is position
 * independent code that vmi_rom.c copies into the ROM (native blobs at
 * PV_ROM_CODE_OFF, pv blobs at PV_ROM_PV_CODE_OFF); it
 * describes itself with tables the host reads (never copied to the guest):
 *   PREFIX_calls   PV_MAX_CALLS .long offsets of each call's entry (or -1)
 *   PREFIX_relocs  .long offsets of 32-bit absolute addresses of the shared
 *                  page (32-bit blobs): vmi_rom.c adds the window's address
 *   PREFIX_sites   pairs .long offset of an int3, kind (pv blobs): the
 *                  hypercall sites the engine recognizes; in native blobs,
 *                  offset of an instruction, kind | length << 16: the
 *                  take-over sites (PV_NSITE)
 * Each table ends with .long -1. */
#ifndef VMM_VMI_VMI_ROM_ASM_H
#define VMM_VMI_VMI_ROM_ASM_H

#include "vmm/pv/pv_abi.h"
#include "vmm/vmi/vmi_rom_defs.h"

/* ENTRY prefix, nr: the entry point of call (nr) starts here. */
.macro PV_ENTRY prefix, nr
.Lpv_entry\@:
	.pushsection .rodata.\prefix\()_calltab, "a"
	.long \nr, .Lpv_entry\@ - \prefix\()_start
	.popsection
.endm

/* HCALL prefix, kind: int3 recognized by the pv engine as hypercall (kind). */
.macro PV_HCALL prefix, kind
.Lpv_site\@:
	.pushsection .rodata.\prefix\()_sitetab, "a"
	.long .Lpv_site\@ - \prefix\()_start, \kind
	.popsection
	int3
.endm

/* NSITE prefix, kind, insn: a native instruction that a guest may still
 * reach after the pv engine took it over from another engine (vmi_rom.c
 * "take-over"): the pv ROM replaces it with int3 (and nops), which the
 * engine treats as hypercall (kind). Only for entries the guest caches and
 * for instructions a suspended context may return to. */
.macro PV_NSITE prefix, kind, insn:vararg
.Lpv_ns\@:
	\insn
.Lpv_ne\@:
	.pushsection .rodata.\prefix\()_sitetab, "a"
	.long .Lpv_ns\@ - \prefix\()_start, \kind | ((.Lpv_ne\@ - .Lpv_ns\@) << 16)
	.popsection
.endm

/* NREDIR prefix, kind, delta, insn: a native instruction that the pv ROM
 * replaces with int3, on which the engine drops (delta) bytes of stack and
 * resumes at the pv entry of call (kind): the native entries a guest may
 * have loaded before the switch, and every privileged instruction a context
 * may have been interrupted before. */
.macro PV_NREDIR prefix, kind, delta, insn:vararg
.Lpv_rs\@:
	\insn
.Lpv_re\@:
	.pushsection .rodata.\prefix\()_sitetab, "a"
	.long .Lpv_rs\@ - \prefix\()_start
	.long \kind | ((.Lpv_re\@ - .Lpv_rs\@) << 16) | PV_NSITE_REDIRECT | (\delta << 24)
	.popsection
.endm

/* SH32_ECX prefix: mov $shared_page, %ecx (relocated by vmi_rom.c). */
.macro PV_SH32_ECX prefix
	.byte 0xb9
.Lpv_reloc\@:
	.pushsection .rodata.\prefix\()_reloctab, "a"
	.long .Lpv_reloc\@ - \prefix\()_start
	.popsection
	.long 0
.endm

/* BLOB_BEGIN prefix, bits: open a blob and its three tables. */
.macro PV_BLOB_BEGIN prefix, bits
	.pushsection .rodata.\prefix\()_calltab, "a"
	.p2align 2
	.globl \prefix\()_calltab
\prefix\()_calltab:
	.popsection
	.pushsection .rodata.\prefix\()_sitetab, "a"
	.p2align 2
	.globl \prefix\()_sitetab
\prefix\()_sitetab:
	.popsection
	.pushsection .rodata.\prefix\()_reloctab, "a"
	.p2align 2
	.globl \prefix\()_reloctab
\prefix\()_reloctab:
	.popsection
	.section .rodata.\prefix, "a"
	.p2align 4
	.code\bits
	.globl \prefix\()_start, \prefix\()_end
\prefix\()_start:
.endm

/* BLOB_END prefix: close the blob and terminate its tables. */
.macro PV_BLOB_END prefix
\prefix\()_end:
	.pushsection .rodata.\prefix\()_calltab, "a"
	.long -1, -1
	.popsection
	.pushsection .rodata.\prefix\()_sitetab, "a"
	.long -1, -1
	.popsection
	.pushsection .rodata.\prefix\()_reloctab, "a"
	.long -1
	.popsection
	.code64
.endm

/* Count a fast call in the shared page (ecx = shared page, 32-bit). */
.macro PV_FAST32 nr
	incl PV_SH_FAST + 4 * \nr(%ecx)
.endm

#endif
