/* tests/fuzz/fuzz_board.c: the PC board's device model driven by a guest
 * that does nothing but port and MMIO accesses: i8259 pair and ELCR, i8254
 * and port 0x61, RTC/CMOS, COM1, fw_cfg, i8042, PCI configuration and its
 * windows, the local APIC, the IOAPIC, the HPET, the ACPI PM block (events,
 * control, timer), debugcon/isa-debug-exit/POST/A20, interleaved with time passing (timers fire) and interrupt
 * acknowledges, as an engine would do them. A fresh 4 MiB machine per
 * input. Input: [focus] then 8-byte operations [kind][device][offset u16]
 * [value u32]; (focus) != 0 limits the devices to one, so each gets the
 * fuzzer's whole attention. */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include "vmm/core/io.h"
#include "vmm/core/timer.h"
#include "vmm/core/vcpu_internal.h"
#include "vmm/core/vm.h"
#include "vmm/dev/dev.h"

struct range {
	bool mmio;
	uint64_t base, len;
};

/* Where the board's devices answer (vmm/dev/): index 0 is unused. */
static const struct range devs[] = {
	{ false, 0, 0 },
	{ false, 0x20, 2 },   { false, 0xa0, 2 },   { false, 0x4d0, 2 }, /* PIC, ELCR */
	{ false, 0x40, 4 },   { false, 0x61, 1 },                        /* PIT */
	{ false, 0x70, 2 },                                              /* RTC/CMOS */
	{ false, 0x3f8, 8 },                                             /* COM1 */
	{ false, 0x510, 12 },                                            /* fw_cfg */
	{ false, 0x60, 1 },   { false, 0x64, 1 },                        /* i8042 */
	{ false, 0xcf8, 8 },  { false, 0xc000, 0x4000 },                 /* PCI */
	{ true, 0xfee00000, 0x1000 },                                    /* local APIC */
	{ true, 0xfec00000, 0x1000 },                                    /* IOAPIC */
	{ true, 0xc0000000, 0x10000 },                                   /* PCI MMIO */
	{ true, 0xfed00000, 0x1000 },                                    /* HPET */
	{ false, 0xe9, 1 },   { false, 0xf4, 4 },   { false, 0x80, 1 },  /* debug ports */
	{ false, 0x92, 1 },   { false, 0x600, 12 }, { false, 0xb004, 2 }, /* ACPI PM */
	{ false, 0, 0x10000 },                                           /* any port */
};
#define NR_DEVS (sizeof(devs) / sizeof(devs[0]))

static uint64_t fake_ns;

static uint64_t fake_now(void)
{
	return fake_ns;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	fuzz_init();
	struct fuzz_in in = { d, n, 0 };
	unsigned focus = fuzz_u8(&in) % NR_DEVS;
	fake_ns = 1000000000ull;
	struct vm_config cfg = { .mem_size = 4ull << 20, .nr_vcpus = 1 };
	struct vm *vm = vm_create(&cfg);
	if (!vm)
		__builtin_trap();
	vm->now_ns = fake_now;
	struct vcpu *v = vcpu_alloc(vm, 0);
	if (!v)
		__builtin_trap();
	vm->vcpu[0] = v; /* freed by vm_destroy */
	struct board_config bcfg = { .serial = "none", .debugcon = NULL };
	struct board_pc *b = board_pc_create(vm, &bcfg);
	if (!b)
		__builtin_trap();
	vcpu_set_current(v);
	for (unsigned ops = 0; !fuzz_done(&in) && ops < 4096; ops++) {
		uint8_t kind = fuzz_u8(&in), dev = fuzz_u8(&in);
		uint16_t off = fuzz_u16(&in);
		uint32_t val = fuzz_u32(&in);
		const struct range *r = &devs[focus ? focus : 1 + dev % (NR_DEVS - 1)];
		unsigned size = 1u << ((kind >> 3) & 3);
		uint64_t addr = r->base + off % r->len;
		uint64_t data = val | (uint64_t)val << 32;
		switch (kind & 7) {
		case 0: case 1: case 2: /* read */
			io_dispatch(r->mmio ? &vm->mmio : &vm->pio, addr, &data,
				    r->mmio ? size : VMM_MIN(size, 4u), false);
			break;
		case 3: case 4: case 5: /* write */
			io_dispatch(r->mmio ? &vm->mmio : &vm->pio, addr, &data,
				    r->mmio ? size : VMM_MIN(size, 4u), true);
			break;
		case 6: /* time passes: up to ~67 ms, timers fire */
			fake_ns += val & 0x3ffffff;
			timer_run_due(&vm->timers, fake_ns);
			break;
		default: /* the CPU takes an interrupt if one is pending */
			if (vcpu_intr_pending(v))
				(void)vcpu_intr_ack(v);
			break;
		}
	}
	vcpu_set_current(NULL);
	board_pc_destroy(b);
	vm_destroy(vm);
	return 0;
}
