/* guests/selftest/st_vmi.c: the VMI ROM itself (docs/vmi.md), in the PV
 * image: the version call, an unknown call and malformed arguments get
 * error codes, the interrupt flag round-trips through save/restore, CR
 * reads agree with what was written, and a queued PTE update is seen after
 * a flush. Without a ROM (QEMU) the same lines are printed from the native
 * answers, so the output is the same everywhere. */
#ifdef RT_PV
#include "st.h"

static void vmi_version(void)
{
	long v = rt_vmi ? vmi_call0(PV_CALL_VERSION) : (long)(PV_ABI_VERSION | (sizeof(ulong) * 8) << 24);

	st_begin("vmi.version");
	st_eq("abi", PV_ABI_VERSION, (uint64_t)v & 0xffff);
	st_eq("bits", sizeof(ulong) * 8, ((uint64_t)v >> 24) & 0xff);
	kprintf("info vmi.version flavour=%lu\n", ((ulong)v >> 16) & 0xff);
	st_end();
}

/* Calls the ROM does not have, or arguments it must refuse. */
static void vmi_errors(void)
{
	long unknown = -PV_ENOSYS, bad_size = -PV_EINVAL, too_long = -PV_EINVAL;

	if (rt_vmi) {
		unknown = VMI_FN(PV_MAX_CALLS - 1, long (*)(void))();
		bad_size = vmi_call3(PV_CALL_IO_OUT, 0x80, 3, 0);
		too_long = vmi_call2(PV_CALL_CONSOLE_WRITE, (ulong)"x", PV_CONSOLE_MAX + 1);
	}
	st_begin("vmi.errors");
	st_eq("unknown_call", (uint64_t)-PV_ENOSYS, (uint64_t)unknown);
	st_eq("io_size_3", (uint64_t)-PV_EINVAL, (uint64_t)bad_size);
	st_eq("console_too_long", (uint64_t)-PV_EINVAL, (uint64_t)too_long);
	st_end();
}

static void vmi_irq_flag(void)
{
	ulong before, off, on;

	pic_mask_all(); /* no firmware-programmed IRQ may land in the STI window */
	before = read_flags();
	cli();
	off = read_flags();
	sti();
	on = read_flags();
	cli();
	st_begin("vmi.irq_flag");
	st_eq("initially_off", 0, before & X86_FL_IF);
	st_eq("after_cli", 0, off & X86_FL_IF);
	st_eq("after_sti", X86_FL_IF, on & X86_FL_IF);
	st_end();
}

static void vmi_cr(void)
{
	ulong cr4 = read_cr4();

	st_begin("vmi.cr");
	st_eq("cr0_pe", X86_CR0_PE, read_cr0() & X86_CR0_PE);
	write_cr4(cr4 | X86_CR4_OSFXSR);
	st_eq("cr4_osfxsr", X86_CR4_OSFXSR, read_cr4() & X86_CR4_OSFXSR);
	write_cr4(cr4);
	st_eq("cr4_restored", cr4, read_cr4());
	st_end();
}

/* A window page retargeted through the ROM's queue, flushed explicitly. */
static void vmi_pte_queue(void)
{
	const ulong va = PG_WINDOW + 0x300000ul;
	uint32_t *f0 = page_alloc(), *f1 = page_alloc();
	void *pte;

	pg_ensure();
	f0[0] = 0x0f0f0000;
	f1[0] = 0x0f0f0001;
	pte = pg_pte(&pg_kernel, va);
	pg_pte_set(pte, (ulong)f0 | PG_P | PG_RW | PG_A | PG_D, va);
	invlpg(va);
	st_begin("vmi.pte_queue");
	st_eq("first", 0x0f0f0000, *(volatile uint32_t *)va);
	pg_pte_set(pte, (ulong)f1 | PG_P | PG_RW | PG_A | PG_D, va);
	if (rt_vmi)
		vmi_call0(PV_CALL_PTE_FLUSH);
	invlpg(va);
	st_eq("second", 0x0f0f0001, *(volatile uint32_t *)va);
	pg_pte_set(pte, 0, va);
	invlpg(va);
	st_end();
}

void st_vmi(void)
{
	vmi_version();
	vmi_errors();
	vmi_irq_flag();
	vmi_cr();
	vmi_pte_queue();
}
#endif
