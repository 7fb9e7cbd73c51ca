/* dev.h: the PC devices and the board that wires them. Each device claims
 * its ports through io_register(), locks its own state (vCPU threads and the
 * main loop call it concurrently), raises interrupts with vm_set_irq(), and
 * runs timers on the VM's timer list. Constructors return NULL and log why. */
#ifndef VMM_DEV_DEV_H
#define VMM_DEV_DEV_H

#include "vmm/core/chardev.h"
#include "vmm/core/vm.h"

/* ---- i8259A pair: master 0x20-0x21, slave 0xa0-0xa1, ELCR 0x4d0-0x4d1 ----
 * ICW1-4, OCW1-3, IRR/ISR/IMR, specific/non-specific/rotating EOI, cascade
 * on IRQ2, edge and level (ELCR) triggering, spurious IRQ7/IRQ15, poll mode,
 * special mask mode. The output (INTR) drives vCPU 0 via vm_set_intr(). */
struct pic;
struct pic *pic_create(struct vm *vm);
void pic_destroy(struct pic *p);
/* Drive input line (irq) 0-15 to (level). Any thread. */
void pic_set_irq(struct pic *p, unsigned irq, int level);
/* INTA cycle: the vector of the highest-priority request, now in service
 * (spurious: base + 7 of the chip concerned). Any thread. */
int pic_ack(struct pic *p);
/* The INTR output level (for tests and the monitor). */
bool pic_intr(struct pic *p);
/* Send the INTR output to (out) instead of vCPU 0 (the local APICs'
 * LINT0); called with the PIC's lock held, at once with the current level
 * and on every change. Call before the VM runs. */
void pic_set_output(struct pic *p, void (*out)(void *opaque, int level), void *opaque);
extern const struct irq_ops pic_irq_ops; /* .ack = pic_ack for cpu 0 */

/* ---- local APICs (one per vCPU) and the IOAPIC ----
 * The local APIC (SDM 3A chapter 10): xAPIC page at IA32_APIC_BASE
 * (0xfee00000 after reset, relocatable; the fallback of vm->mmio serves a
 * moved page), x2APIC MSRs, TPR/PPR/CR8, EOI, LDR/DFR, SVR, ISR/TMR/IRR,
 * ESR, LVT (timer, thermal, perf, LINT0, LINT1, error), the ICR's IPIs,
 * and the timer (one-shot, periodic, TSC-deadline) on host time at 1 GHz
 * before the divider. The IOAPIC (82093AA, version 0x20 with the EOI
 * register) has 24 pins at IOAPIC_BASE. apic_create() makes the APICs the
 * VM's interrupt controller (vm->irqchip, apic_irq_ops) and takes the
 * i8259's INTR output onto LINT0 (ExtINT, virtual wire mode). */
#define APIC_DEFAULT_BASE 0xfee00000ull
#define IOAPIC_BASE 0xfec00000ull
#define IOAPIC_PINS 24
struct apic_bus;
/* One local APIC per vCPU of (vm) (vm->nr_vcpus), the IOAPIC, their MMIO.
 * (pic) may be NULL. NULL + logged on failure. */
struct apic_bus *apic_create(struct vm *vm, struct pic *pic);
void apic_destroy(struct apic_bus *b);
/* Drive IOAPIC input (gsi) 0-23 to (level). Any thread. */
void apic_set_irq(struct apic_bus *b, unsigned gsi, int level);
/* The host TSC frequency for TSC-deadline (else measured at first use). */
void apic_set_tsc_hz(struct apic_bus *b, uint64_t hz);
extern const struct irq_ops apic_irq_ops;

/* ---- i8254 PIT: 0x40-0x43, and port 0x61 (gate 2, speaker, OUT2) ----
 * Channels 0-2, modes 0-5 (0, 2 and 3 exact), LSB/MSB/word access, counter
 * latch, read-back (status and count), BCD counting. Counters run on host
 * monotonic time (1193182 Hz); channel 0 raises (irq) on its output edges
 * through a VM timer. Port 0x61: bit 0 gate 2, bit 1 speaker data,
 * bit 4 refresh toggle, bit 5 OUT2. */
#define PIT_HZ 1193182ull
struct pit;
struct pit *pit_create(struct vm *vm, unsigned irq);
void pit_destroy(struct pit *p);

/* ---- 16550A UART ----
 * DLAB/divisor, IER, IIR (priority order, FIFO bits), FCR (FIFO enable,
 * clear, trigger level), LCR, MCR (loopback), LSR (DR, OE, THRE, TEMT),
 * MSR, SCR; 16-byte FIFOs; THR-empty, receive-data, receive-timeout and
 * line-status interrupts on (irq). Output goes to (chr) as it is written;
 * input is pulled from (chr) as the receive FIFO has room. */
struct uart;
struct uart *uart_create(struct vm *vm, uint16_t base, unsigned irq, struct chardev *chr);
void uart_destroy(struct uart *u);

/* ---- CMOS/RTC at 0x70-0x71 ----
 * Time and date from the host clock (BCD or binary per status B, 12/24 h),
 * status registers A-D (UIP, periodic/alarm/update-ended flags and IRQ (irq)),
 * NMI-disable bit in port 0x70, 128 bytes of CMOS with the memory-size bytes
 * (0x15-0x18, 0x30-0x31, 0x34-0x35, 0x5b-0x5d) as SeaBIOS/QEMU fill them. */
struct rtc;
struct rtc *rtc_create(struct vm *vm, unsigned irq);
void rtc_destroy(struct rtc *r);

/* ---- QEMU fw_cfg on 0x510 (selector, 16-bit) and 0x511 (data, 8-bit) ----
 * Signature "QEMU", ID (bit 0: traditional interface), file directory
 * (key 0x19, big-endian), ram size, cpu count, and whatever the loader
 * adds (kernel, initrd, cmdline keys). Items are copied in. */
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID 0x01
#define FW_CFG_UUID 0x02
#define FW_CFG_RAM_SIZE 0x03
#define FW_CFG_NOGRAPHIC 0x04
#define FW_CFG_NB_CPUS 0x05
#define FW_CFG_MACHINE_ID 0x06
#define FW_CFG_KERNEL_ADDR 0x07
#define FW_CFG_KERNEL_SIZE 0x08
#define FW_CFG_KERNEL_CMDLINE 0x09
#define FW_CFG_INITRD_ADDR 0x0a
#define FW_CFG_INITRD_SIZE 0x0b
#define FW_CFG_BOOT_DEVICE 0x0c
#define FW_CFG_NUMA 0x0d
#define FW_CFG_BOOT_MENU 0x0e
#define FW_CFG_MAX_CPUS 0x0f
#define FW_CFG_KERNEL_ENTRY 0x10
#define FW_CFG_KERNEL_DATA 0x11
#define FW_CFG_INITRD_DATA 0x12
#define FW_CFG_CMDLINE_ADDR 0x13
#define FW_CFG_CMDLINE_SIZE 0x14
#define FW_CFG_CMDLINE_DATA 0x15
#define FW_CFG_SETUP_ADDR 0x16
#define FW_CFG_SETUP_SIZE 0x17
#define FW_CFG_SETUP_DATA 0x18
#define FW_CFG_FILE_DIR 0x19
#define FW_CFG_FILE_FIRST 0x20
struct fwcfg;
struct fwcfg *fwcfg_create(struct vm *vm);
void fwcfg_destroy(struct fwcfg *f);
/* Add or replace item (key) with a copy of (data). 0 or -errno. */
VMM_MUST_CHECK int fwcfg_add_bytes(struct fwcfg *f, uint16_t key, const void *data, uint32_t len);
VMM_MUST_CHECK int fwcfg_add_u16(struct fwcfg *f, uint16_t key, uint16_t v);
VMM_MUST_CHECK int fwcfg_add_u32(struct fwcfg *f, uint16_t key, uint32_t v);
VMM_MUST_CHECK int fwcfg_add_u64(struct fwcfg *f, uint16_t key, uint64_t v);
/* Add a named file ("etc/e820"): it gets the next key >= FW_CFG_FILE_FIRST and
 * an entry in the directory (sorted by name, as QEMU). 0 or -errno. */
VMM_MUST_CHECK int fwcfg_add_file(struct fwcfg *f, const char *name, const void *data, uint32_t len);

/* ---- PCI bus 0 (docs/platform.md): configuration mechanism #1 ----
 * 0xcf8 (address, dword accesses), 0xcfc-0xcff (data: byte, word and dword
 * at any offset), 0xcf9 (PIIX3 reset control: bit 2 resets). Functions:
 * 00:00.0 i440FX host bridge (8086:1237), 00:01.0 PIIX3 ISA bridge
 * (8086:7000); absent functions and other buses read all-ones. Devices add
 * functions with BARs; the bus gives each BAR an address (I/O from
 * PCI_IO_BASE, memory from PCI_MMIO_BASE) and enables its decoding, and
 * routes guest accesses in those windows to the BAR's handler at offsets
 * into the BAR. The guest may size (write all-ones) and move BARs. */
#define PCI_IO_BASE 0xc000ull      /* I/O window: [PCI_IO_BASE, 0x10000) */
#define PCI_MMIO_BASE 0xc0000000ull /* MMIO hole: [PCI_MMIO_BASE, PCI_MMIO_END) */
#define PCI_MMIO_END 0xfec00000ull  /* the IOAPIC, HPET and local APIC follow */
#define PCI_SLOT_ISA 1              /* the PIIX3 (slot of 00:01.x) */
#define PCI_BAR_MAX 6
enum pci_bar_kind { PCI_BAR_UNUSED = 0, PCI_BAR_IO, PCI_BAR_MEM32, PCI_BAR_MEM64 };
struct pci_bar {
	enum pci_bar_kind kind;
	uint64_t size;      /* power of two: I/O 4-256 bytes, memory 16 B-1 GiB */
	bool prefetch;      /* memory BARs */
	io_fn fn;           /* accesses inside the BAR, at offsets into it */
	void *dev;
};
/* A device-specific register at 0x40-0xff: its reset value and the bits the
 * guest may write. */
struct pci_cfg_reg {
	uint8_t off, size;
	uint32_t value, wmask;
};
struct pci_func_info {
	const char *name;
	uint16_t vendor, device, subsys_vendor, subsys;
	uint8_t revision, header_type; /* header_type bit 7: multi-function */
	uint32_t class_code;           /* class << 16 | subclass << 8 | prog-if */
	uint8_t irq_pin;               /* 0: none, 1-4: INTA#-INTD# */
	struct pci_bar bar[PCI_BAR_MAX]; /* a MEM64 BAR leaves the next slot unused */
	const struct pci_cfg_reg *regs;
	unsigned nr_regs;
};
struct pci;
/* Create the bus with its two bridges and claim the ports and windows.
 * NULL + logged on failure. */
struct pci *pci_create(struct vm *vm);
void pci_destroy(struct pci *p);
/* Add function (slot, func) of bus 0 described by (info) (copied; handlers
 * and (regs) must outlive the bus). 0, -EEXIST (taken), -EINVAL (bad BAR),
 * -ENOSPC (window full); logged. Call before the VM runs. */
VMM_MUST_CHECK int pci_register(struct pci *p, unsigned slot, unsigned func,
				const struct pci_func_info *info);
/* Drive the INTx# pin of (slot, func): PIRQ[(slot + pin - 1) & 3], routed by
 * the PIIX3's registers 0x60-0x63 to an ISA IRQ (vm_set_irq). Any thread. */
void pci_set_irq(struct pci *p, unsigned slot, unsigned func, int level);
/* The address BAR (bar) of (slot, func) decodes now (0: unused or disabled). */
uint64_t pci_bar_addr(struct pci *p, unsigned slot, unsigned func, unsigned bar);

/* ---- firmware tables: ACPI and the Intel MP table (docs/platform.md) ----
 * Built from the machine's configuration into the BIOS area
 * [FW_AREA_BASE, 1 MiB) (reserved in e820): the ACPI tables from
 * FW_AREA_BASE, the RSDP (revision 2: RSDT and XSDT) at ACPI_RSDP_ADDR, the
 * MP floating pointer and configuration table at MP_FLOAT_ADDR. */
#define HPET_ADDR 0xfed00000ull
#define HPET_SIZE 0x400
#define HPET_TIMERS 3
/* HPET capabilities bits 31-0: vendor 8086, LEG_RT_CAP, COUNT_SIZE_CAP
 * (64-bit), NUM_TIM_CAP = timers - 1, revision 1 */
#define HPET_ID_LOW (0x8086u << 16 | 1u << 15 | 1u << 13 | (HPET_TIMERS - 1u) << 8 | 1u)
#define FW_AREA_BASE 0xe0000ull
#define FW_AREA_SIZE 0x20000ull
#define ACPI_RSDP_ADDR 0xf0000ull
#define MP_FLOAT_ADDR 0xf0040ull
#define ACPI_PM_BASE 0x600      /* PIIX4's: PM1a event block (4 bytes) */
#define ACPI_PM1_CNT (ACPI_PM_BASE + 4) /* PM1a control (2 bytes) */
#define ACPI_PM_TMR (ACPI_PM_BASE + 8)  /* PM timer (4 bytes, 24-bit count) */
#define ACPI_SCI_IRQ 9
#define ACPI_SLP_TYP_S5 0       /* \_S5's SLP_TYP, as QEMU's PIIX4 */
#define ACPI_PM_TIMER_HZ 3579545ull
struct fw_config {
	unsigned nr_cpus;       /* local APIC IDs 0 .. nr_cpus - 1 */
	uint8_t ioapic_id;      /* the IOAPIC's ID in the MADT and MP table */
	uint64_t pci_hole;      /* where the PCI memory window starts */
	bool hpet;              /* an HPET at HPET_ADDR */
};
/* The configuration of (vm): its vCPUs, the IOAPIC's reset ID (0, as
 * QEMU's), an HPET. */
void fw_config_of(const struct vm *vm, struct fw_config *c);
/* Fill (area), FW_AREA_SIZE bytes that will sit at FW_AREA_BASE, with the
 * ACPI tables and the MP table for (c). */
void fw_tables_build(const struct fw_config *c, uint8_t *area);
/* Build the tables for (vm) and write them into its memory. 0 or -errno. */
VMM_MUST_CHECK int fw_tables_install(struct vm *vm);

/* ---- ACPI PM (PIIX4-style) at ACPI_PM_BASE ----
 * PM1a status/enable (0x600/0x602: timer carry, power button; status bits
 * are write-1-to-clear), PM1a control (0x604: SCI_EN reads 1 as no SMI_CMD
 * exists; SLP_EN with SLP_TYP ACPI_SLP_TYP_S5 powers off: the VM stops with
 * status 0), the PM timer (0x608: 3.579545 MHz, 24 bits, from vm->now_ns).
 * The SCI (ACPI_SCI_IRQ, level) is high while an enabled status bit is set. */
struct acpi_pm;
struct acpi_pm *acpi_pm_create(struct vm *vm);
void acpi_pm_destroy(struct acpi_pm *pm);

/* ---- HPET at HPET_ADDR (IA-PC HPET 1.0a) ----
 * 64-bit main counter at 100 MHz on vm->now_ns, HPET_TIMERS comparators
 * (one-shot or periodic, edge or level, 64- or 32-bit), legacy replacement
 * routing (timer 0 -> IRQ 0, timer 1 -> IRQ 8), else IOAPIC inputs 20-23;
 * interrupts through vm_set_irq(). */
struct hpet;
struct hpet *hpet_create(struct vm *vm);
void hpet_destroy(struct hpet *h);

/* ---- small ports ----
 * isa-debug-exit (port, 4 bytes): a write of v stops the VM with exit status
 * (v << 1) | 1, as QEMU's -device isa-debug-exit.
 * debugcon (port 0xe9): bytes written go to (chr) (may be NULL: dropped);
 * reads return 0xe9 (Bochs/QEMU detection).
 * System control: port 0x80 (POST code, ignored), 0x92 (A20 always on; bit 0
 * resets), 0xb004 (Bochs's ACPI PM1a control: SLP_EN with type 0 powers
 * off; QEMU's at 0x604 is the ACPI PM block's). Reset and power-off stop the
 * VM with status 0. */
VMM_MUST_CHECK int debugexit_create(struct vm *vm, uint16_t port);
VMM_MUST_CHECK int debugcon_create(struct vm *vm, uint16_t port, struct chardev *chr);
VMM_MUST_CHECK int sysctl_create(struct vm *vm);

/* ---- i8042 keyboard controller at 0x60/0x64 (i8042.c) ----
 * Self-test, command byte, port tests and enables, input/output ports, A20,
 * the reset line (0xFE and output-port writes reset the machine as port 0x92
 * does), a PS/2 keyboard on IRQ 1 and a PS/2 mouse on IRQ 12, in the state
 * the firmware leaves them (translation to set 1 on). */
struct i8042;
struct i8042 *i8042_create(struct vm *vm);
void i8042_destroy(struct i8042 *k);
/* Queue (n) scancode bytes from the keyboard, set 1 (a make code, 0x80|code
 * for its break; 0xE0-prefixed keys as two bytes), for the guest to read at
 * 0x60 with IRQ 1. Any thread. 0, -EAGAIN when the guest disabled the
 * keyboard (0xF5), -ENOSPC when 256 bytes wait already, -ENOTSUP when the
 * guest turned translation off and reads set 2 or 3. */
VMM_MUST_CHECK int i8042_key(struct i8042 *k, const uint8_t *codes, unsigned n);

/* ---- the PC board ---- */
struct board_config {
	const char *serial;    /* chardev spec for COM1: "stdio", "file:PATH", "none" */
	const char *debugcon;  /* chardev spec for port 0xe9, or NULL for none */
};

struct board_pc {
	struct vm *vm;
	struct pic *pic;
	struct apic_bus *apic;
	struct pit *pit;
	struct rtc *rtc;
	struct uart *com1;
	struct fwcfg *fwcfg;
	struct pci *pci;
	struct i8042 *i8042;
	struct acpi_pm *acpi_pm;
	struct hpet *hpet;
	struct chardev *console;   /* COM1's back end */
	struct chardev *debugcon;
};

/* Create the PC devices in a fixed order and wire interrupts: the local
 * APICs become vm's interrupt controller, the PIC drives their LINT0; IRQ0
 * PIT (IOAPIC pin 2), IRQ4 COM1, IRQ8 RTC (ISA IRQ n on IOAPIC pin n). Polls the
 * console's input on the VM main loop. NULL + logged on failure. */
struct board_pc *board_pc_create(struct vm *vm, const struct board_config *cfg);
void board_pc_destroy(struct board_pc *b);

#endif
