/* guests/lib/rt_trap.c: the IDT and the C side of every interrupt and
 * exception. All vectors go through one dispatcher: an installed handler
 * wins, then an armed expected-fault catch, else the trap is fatal and
 * printed with vector, error code, IP and CR2. */
#include "rt_internal.h"

#include <stddef.h>

_Static_assert(offsetof(struct rt_catch, resume) == sizeof(ulong), "CATCH_RESUME_AT_1 offset");

/* Gate descriptors (SDM 3A 6.11 / 6.14.1). */
struct __attribute__((packed)) gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
#ifdef __x86_64__
	uint32_t off_hi, reserved;
#endif
};

#define GATE_INTR 0x8e	      /* present, DPL 0, interrupt gate: IF cleared */
#define GATE_USER (3u << 5)   /* DPL 3: "int n" allowed from ring 3 */

static struct gate idt[RT_TRAP_VECTORS];
static trap_fn handlers[RT_TRAP_VECTORS];

static const struct __attribute__((packed)) {
	uint16_t limit;
	ulong base;
} idt_ptr = { sizeof(idt) - 1, (ulong)idt };

static void set_gate(unsigned vec, uint8_t type)
{
	ulong off = (ulong)rt_trap_stubs + vec * RT_TRAP_STUB_SIZE;
	struct gate *g = &idt[vec];

	g->off_lo = (uint16_t)off;
	g->sel = SEL_KCODE;
	g->ist = 0;
	g->type = type;
	g->off_mid = (uint16_t)(off >> 16);
#ifdef __x86_64__
	g->off_hi = (uint32_t)(off >> 32);
#endif
}

void trap_init(void)
{
	for (unsigned v = 0; v < RT_TRAP_VECTORS; v++)
		set_gate(v, GATE_INTR);
	/* int3 and int 0x80 may be used from ring 3; VEC_PRIV stays DPL 0
	 * so that "int 0x81" in ring 3 raises #GP (SDM 3A 6.12.1.1). */
	set_gate(VEC_BP, GATE_INTR | GATE_USER);
	set_gate(VEC_SYSCALL, GATE_INTR | GATE_USER);
#ifdef RT_PV
	if (rt_vmi) {
		vmi_call1(PV_CALL_LOAD_IDT, (ulong)&idt_ptr);
		return;
	}
#endif
	__asm__ volatile("lidt %0" : : "m"(idt_ptr));
}

void trap_set_handler(unsigned vec, trap_fn fn)
{
	if (vec < RT_TRAP_VECTORS)
		handlers[vec] = fn;
}

static bool catch_take(struct trap_frame *f)
{
	if (f->vector >= 32 || !(rt_catch.mask & (1u << f->vector)))
		return false;
	rt_catch.mask = 0;
	rt_catch.vector = (int)f->vector;
	rt_catch.err = f->err;
	rt_catch.ip = f->ip;
	rt_catch.cs = f->cs;
	rt_catch.cr2 = f->vector == VEC_PF ? read_cr2() : 0;
	f->ip = rt_catch.resume;
	return true;
}

static const char *const exc_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS",
	"#NP", "#SS", "#GP", "#PF", "?15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

void trap_fatal(const struct trap_frame *f)
{
	const char *name = f->vector < 32 && exc_names[f->vector] ? exc_names[f->vector] : "?";
	const char *ipname = sizeof(ulong) == 8 ? "rip" : "eip";

	if (f->vector < 32)
		kprintf("FATAL exception %lu (%s) err=%#lx %s=%#lx cr2=%#lx cs=%#lx\n", f->vector,
			name, f->err, ipname, f->ip, read_cr2(), f->cs);
	else
		kprintf("FATAL unexpected interrupt %#lx %s=%#lx cs=%#lx\n", f->vector, ipname,
			f->ip, f->cs);
	rt_exit(RT_EXIT_FATAL);
}

void trap_dispatch(struct trap_frame *f)
{
	if (f->vector < RT_TRAP_VECTORS && handlers[f->vector]) {
		handlers[f->vector](f);
		return;
	}
	if (catch_take(f))
		return;
	/* Spurious IRQ 7 / 15 (8259A datasheet): no ISR bit is set, so no
	 * EOI, except the master's for the cascade on IRQ 15. */
	if (f->vector == VEC_IRQ0 + 7)
		return;
	if (f->vector == VEC_IRQ0 + 15) {
		outb(0x20, 0x20);
		return;
	}
	trap_fatal(f);
}
