/* mptable.c: the Intel MultiProcessor Specification 1.4 tables for guests
 * that do not read ACPI: the floating pointer (4.1) and the configuration
 * table (4.2) with one processor entry per vCPU (IDs 0 .. n-1, vCPU 0 the
 * bootstrap processor), bus 0 PCI and bus 1 ISA, the IOAPIC, ISA IRQs 0-15
 * on IOAPIC pins 0-15 with IRQ 0 on pin 2 (as QEMU's pc; pin 0 gets no ISA
 * IRQ) and IRQ 9, the SCI, level/active high, and the local interrupts:
 * ExtINT on LINT0 and NMI on LINT1 of every processor (5.1, virtual wire). */
#include <string.h>

#include "vmm/dev/acpi_internal.h"

#define MP_HDR 44
#define MP_CPU_LEN 20
#define MP_SHORT_LEN 8
#define MP_BUS_PCI 0
#define MP_BUS_ISA 1
#define MP_INT_FLAGS_LEVEL_HIGH 0x000d /* EL 11 (level), PO 01 (high) */

enum { MP_PROC, MP_BUS, MP_IOAPIC, MP_IOINT, MP_LINT };
enum { MP_INT = 0, MP_NMI = 1, MP_EXTINT = 3 };

static uint8_t *mp_bus(uint8_t *p, uint8_t id, const char *type)
{
	p[0] = MP_BUS;
	p[1] = id;
	memcpy(p + 2, type, 6);
	return p + MP_SHORT_LEN;
}

static uint8_t *mp_int(uint8_t *p, uint8_t entry, uint8_t kind, uint16_t flags, uint8_t irq,
		       uint8_t dst, uint8_t pin)
{
	p[0] = entry;
	p[1] = kind;
	dev_put_le(p + 2, flags, 2);
	p[4] = MP_BUS_ISA;
	p[5] = irq;
	p[6] = dst;
	p[7] = pin;
	return p + MP_SHORT_LEN;
}

/* The configuration table at (t); returns its length and entry count. */
static size_t mp_config(const struct fw_config *c, uint8_t *t, unsigned *count)
{
	uint8_t *p = t + MP_HDR;
	unsigned n = 0;
	for (unsigned i = 0; i < c->nr_cpus; i++, n++, p += MP_CPU_LEN) {
		memset(p, 0, MP_CPU_LEN);
		p[0] = MP_PROC;
		p[1] = (uint8_t)i;               /* local APIC ID */
		p[2] = 0x14;                     /* local APIC version */
		p[3] = (uint8_t)(1 | (i == 0 ? 2 : 0)); /* EN, BP */
		dev_put_le(p + 4, 0x0663, 4);        /* family 6 model 6 stepping 3 */
		dev_put_le(p + 8, 0x0201, 4);        /* CPUID.1:EDX: FPU, APIC */
	}
	p = mp_bus(p, MP_BUS_PCI, "PCI   ");
	p = mp_bus(p, MP_BUS_ISA, "ISA   ");
	n += 2;
	p[0] = MP_IOAPIC;
	p[1] = c->ioapic_id;
	p[2] = 0x11;                             /* IOAPIC version */
	p[3] = 1;                                /* EN */
	dev_put_le(p + 4, IOAPIC_BASE, 4);
	p += MP_SHORT_LEN;
	n++;
	for (uint8_t irq = 0; irq < 16; irq++) {
		if (irq == 2)
			continue; /* the cascade: pin 2 carries IRQ 0 */
		uint16_t flags = irq == ACPI_SCI_IRQ ? MP_INT_FLAGS_LEVEL_HIGH : 0;
		p = mp_int(p, MP_IOINT, MP_INT, flags, irq, c->ioapic_id, irq == 0 ? 2 : irq);
		n++;
	}
	p = mp_int(p, MP_LINT, MP_EXTINT, 0, 0, 0xff, 0);
	p = mp_int(p, MP_LINT, MP_NMI, 0, 0, 0xff, 1);
	n += 2;
	*count = n;
	return (size_t)(p - t);
}

void mptable_build(const struct fw_config *c, uint8_t *out, gpa_t gpa)
{
	uint8_t *fp = out, *t = out + 16;
	unsigned count;
	size_t len = mp_config(c, t, &count);
	memcpy(t, "PCMP", 4);
	dev_put_le(t + 4, len, 2);
	t[6] = 4;                                /* specification 1.4 */
	memcpy(t + 8, "TRIPLEX ", 8);            /* OEM ID */
	memcpy(t + 16, "PC          ", 12);      /* product ID */
	dev_put_le(t + 34, count, 2);
	dev_put_le(t + 36, APIC_DEFAULT_BASE, 4);
	t[7] = fw_checksum(t, len);

	memcpy(fp, "_MP_", 4);
	dev_put_le(fp + 4, gpa + 16, 4);
	fp[8] = 1;                               /* length in 16-byte units */
	fp[9] = 4;
	fp[11] = 0;                              /* a configuration table exists */
	fp[12] = 0;                              /* IMCRP clear: virtual wire mode */
	fp[10] = fw_checksum(fp, 16);
}
