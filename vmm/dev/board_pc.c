/* board_pc.c: the PC board: opens the console back ends, creates the
 * devices in a fixed order, routes ISA IRQ lines 0-15 to the i8259 pair
 * and the IOAPIC, makes the local APICs the VM's interrupt controller (the
 * i8259 reaches them through LINT0), publishes the e820 map on
 * fw_cfg, and polls the console's input on the VM main loop.
 *
 *     pic  (0x20, 0xa0, 0x4d0)   pit (0x40-0x43, 0x61) IRQ0 (IOAPIC pin 2)
 *     local APICs (0xfee00000)   ioapic (0xfec00000), 24 pins
 *     rtc  (0x70-0x71) IRQ8      com1 (0x3f8) IRQ4, the console
 *     isa-debug-exit (0xf4)      debugcon (0xe9)
 *     sysctl (0x80, 0x92, 0xb004)   fw_cfg (0x510)
 *     i8042 (0x60, 0x64) keyboard IRQ1, mouse IRQ12
 *     pci (0xcf8-0xcff; I/O window 0xc000-0xffff, MMIO hole 0xc0000000-0xfebfffff)
 *     acpi-pm (0x600-0x60b) SCI IRQ9   hpet (0xfed00000) IRQ0/8 or GSI 20-23
 * and writes the ACPI and MP tables into the BIOS area (0xe0000-0xfffff). */
#include <stdlib.h>

#include "vmm/dev/dev_internal.h"

#define BOARD_ISA_IRQS 16
#define BOARD_E820_ENTRY 20 /* QEMU's packed struct e820_entry */

/* GSI wiring as QEMU's pc: ISA IRQ n drives i8259 input n and IOAPIC pin
 * n, except IRQ0 (the PIT), which reaches IOAPIC pin 2 (the firmware's
 * interrupt source override IRQ0 -> GSI 2); lines 16-23 are IOAPIC only. */
static void board_set_irq(void *board, unsigned irq, int level)
{
	struct board_pc *b = board;
	if (irq < BOARD_ISA_IRQS)
		pic_set_irq(b->pic, irq, level);
	if (irq == 2)
		return; /* the cascade: no ISA device drives it */
	apic_set_irq(b->apic, irq == 0 ? 2 : irq, level);
}

static bool board_console_input(void *opaque)
{
	return chardev_input_ready(opaque);
}

static bool board_console_ready(void *opaque)
{
	return chardev_can_accept(opaque);
}

static void board_console_quit(void *opaque)
{
	vm_request_stop(opaque, VM_STOP_QUIT, 0, "quit from the console");
}

/* fw_cfg "etc/e820": { le64 address, le64 length, le32 type } per entry. */
static int board_add_e820(struct board_pc *b)
{
	struct e820_entry e[MEM_MAX_E820];
	uint8_t buf[MEM_MAX_E820 * BOARD_E820_ENTRY];
	unsigned n = mem_e820(&b->vm->mem, e, MEM_MAX_E820);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = buf + i * BOARD_E820_ENTRY;
		dev_put_le(p, e[i].addr, 8);
		dev_put_le(p + 8, e[i].size, 8);
		dev_put_le(p + 16, e[i].type, 4);
	}
	return fwcfg_add_file(b->fwcfg, "etc/e820", buf, n * BOARD_E820_ENTRY);
}

static int board_open_chardevs(struct board_pc *b, const struct board_config *cfg)
{
	b->console = chardev_open(cfg->serial ? cfg->serial : "none");
	if (!b->console)
		return -1;
	if (cfg->debugcon) {
		b->debugcon = chardev_open(cfg->debugcon);
		if (!b->debugcon)
			return -1;
	}
	return 0;
}

/* The devices, in the order the board's contract lists them. Each failure
 * was logged by the code that knew why. */
static int board_create_devices(struct board_pc *b)
{
	struct vm *vm = b->vm;
	b->pic = pic_create(vm);
	if (!b->pic)
		return -1;
	if (!(b->apic = apic_create(vm, b->pic)))
		return -1;
	vm->irqchip = b->apic;
	vm->irq_ops = &apic_irq_ops;
	vm->board = b;
	vm->set_irq = board_set_irq;
	if (!(b->pit = pit_create(vm, 0)))
		return -1;
	if (!(b->rtc = rtc_create(vm, 8)))
		return -1;
	if (!(b->com1 = uart_create(vm, 0x3f8, 4, b->console)))
		return -1;
	if (debugexit_create(vm, 0xf4) || debugcon_create(vm, 0xe9, b->debugcon) ||
	    sysctl_create(vm))
		return -1;
	if (!(b->i8042 = i8042_create(vm)))
		return -1;
	if (!(b->pci = pci_create(vm)) || !(b->acpi_pm = acpi_pm_create(vm)) ||
	    !(b->hpet = hpet_create(vm)))
		return -1;
	b->fwcfg = fwcfg_create(vm); /* with ram size and CPU counts */
	if (!b->fwcfg || board_add_e820(b) || fw_tables_install(vm))
		return -1;
	return 0;
}

struct board_pc *board_pc_create(struct vm *vm, const struct board_config *cfg)
{
	struct board_pc *b = calloc(1, sizeof(*b));
	if (!b) {
		vmm_err("board: out of memory");
		return NULL;
	}
	b->vm = vm;
	if (board_open_chardevs(b, cfg) || board_create_devices(b))
		goto fail;
	int fd = chardev_input_fd(b->console);
	if (fd >= 0 && vm_add_fd(vm, fd, board_console_input, board_console_ready, b->console))
		goto fail;
	b->console->quit_opaque = vm;
	b->console->quit = board_console_quit;
	return b;
fail:
	board_pc_destroy(b);
	return NULL;
}

void board_pc_destroy(struct board_pc *b)
{
	if (!b)
		return;
	struct vm *vm = b->vm;
	if (vm->board == b) {
		vm->set_irq = NULL;
		vm->board = NULL;
		vm->irqchip = NULL;
		vm->irq_ops = NULL;
	}
	uart_destroy(b->com1);
	rtc_destroy(b->rtc);
	pit_destroy(b->pit);
	fwcfg_destroy(b->fwcfg);
	pci_destroy(b->pci);
	i8042_destroy(b->i8042);
	acpi_pm_destroy(b->acpi_pm);
	hpet_destroy(b->hpet);
	misc_release(vm);
	apic_destroy(b->apic);
	pic_destroy(b->pic);
	chardev_close(b->console);
	chardev_close(b->debugcon);
	free(b);
}
