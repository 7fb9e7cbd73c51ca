/* guest.h: what a guest image needs from an engine (struct guest_desc):
 * its format and entry width (struct guest_info, from the loader's probe),
 * the CPU features its code may use (GUEST_NEEDS_*, from the guest probe's
 * Capstone sweep) and its Triplex VMI note (docs/vmi.md). Engines decide from
 * this whether they can run a guest (engine_ops.check_guest). */
#ifndef VMM_CORE_GUEST_H
#define VMM_CORE_GUEST_H

#include "vmm/core/mem.h"
#include "vmm/pv/pv_abi.h" /* the guest ABI: self-contained, <stdint.h> only */

enum load_format {
	LOAD_AUTO = 0,   /* detect: bzImage, Multiboot header, ELF64, else error */
	LOAD_MULTIBOOT,  /* Multiboot v1: ELF32 or a.out kludge */
	LOAD_ELF64,      /* ELF64 executable (e.g. vmlinux), 64-bit boot protocol */
	LOAD_BZIMAGE,    /* Linux boot protocol 2.10+, 64-bit entry */
	LOAD_FLAT,       /* raw bytes at flat_addr */
};

/* What a probe learns about an image without loading it. */
#define GUEST_MAX_CODE 16
struct guest_info {
	enum load_format format;
	unsigned bits;              /* 16, 32 or 64: the width of the entry code */
	const char *entry_mode;     /* "real", "prot32", "long" */
	gpa_t entry;
	struct {
		gpa_t gpa;          /* physical load address */
		uint64_t file_off;  /* where the bytes are in the image */
		uint64_t size;      /* bytes present in the file */
		unsigned bits;      /* code width of this segment (32 for a
				     * Multiboot image even if it later enters
				     * long mode; the probe scans for that) */
	} code[GUEST_MAX_CODE];     /* executable segments */
	unsigned nr_code;
	uint64_t image_size;
	uint64_t image_hash;        /* FNV-1a 64 of the whole image file */
	char name[64];              /* basename of the image, for reports */
};

/* What the guest's Triplex VMI note says. */
struct pv_guest_note {
	bool present;       /* the image has a note with our name and type */
	bool valid;         /* ... and it is well formed (else why says what) */
	char why[160];
	struct pv_note n;   /* as declared (valid only) */
};

/* Find and check the VMI note in an ELF32 or ELF64 image (PT_NOTE segments,
 * then SHT_NOTE sections). Always fills (out); returns 0, or -EINVAL for a
 * note that is present but malformed (out->why). No logging. */
int pv_note_parse(const uint8_t *img, uint64_t len, struct pv_guest_note *out);

/* What a guest image needs from the CPU: from its format and entry mode
 * (REAL, PROT32, LONG for a 64-bit entry) or found by decoding its code with
 * Capstone (a linear sweep of what the format says is code: the rest, in
 * guest_desc.hints). Conservative: an instruction that could enable a feature
 * counts as needing it. */
enum guest_need {
	GUEST_NEEDS_REAL = 1u << 0,        /* starts in real mode */
	GUEST_NEEDS_PROT32 = 1u << 1,      /* runs 32-bit protected-mode code */
	GUEST_NEEDS_PAGING32 = 1u << 2,    /* enables 2-level or PAE paging */
	GUEST_NEEDS_LONG_SWITCH = 1u << 3, /* switches itself into long mode */
	GUEST_NEEDS_LONG = 1u << 4,        /* runs 64-bit code */
	GUEST_NEEDS_USER_INT32 = 1u << 5,  /* software interrupts, 32-bit code */
	GUEST_NEEDS_USER_INT64 = 1u << 6,  /* software interrupts, 64-bit code */
	GUEST_NEEDS_SYSCALL64 = 1u << 7,   /* syscall/sysret */
	GUEST_NEEDS_IRET32 = 1u << 8,      /* handles interrupts (iret) in 32-bit code */
	GUEST_NEEDS_FPU = 1u << 9,         /* x87, MMX or SSE instructions */
	GUEST_NEEDS_NR = 10
};

/* A guest image: what it is, what it needs, whether it speaks the VMI ABI.
 * The guest probe (vmm/select/sel_guest.c) fills it; engines' check_guest
 * ops read it. */
struct guest_desc {
	struct guest_info info;
	char os_hint[32];                       /* "linux", "multiboot kernel", ... */
	unsigned needs;                         /* enum guest_need bits */
	unsigned hints;                         /* the needs only the scan found: a
						 * linear sweep also decodes data, so
						 * these are hints, never a reason to
						 * refuse a named mode (docs/config.md) */
	char evidence[GUEST_NEEDS_NR][80];      /* the instruction that implied each */
	struct pv_guest_note pv;                /* the Triplex VMI note (docs/vmi.md) */
};

/* A short name for one need bit ("32-bit paging"). */
const char *guest_need_name(enum guest_need n);

#endif
