/* acpi_pm.c: the ACPI fixed hardware of a PIIX4-style PM block at
 * ACPI_PM_BASE (ACPI 6.4 4.8.3): PM1a status (+0) and enable (+2), PM1a
 * control (+4), the PM timer (+8). The FADT (acpi_build.c) points at them.
 *
 * The PM timer counts at 3.579545 MHz from the VM's creation, on the VM
 * clock (vm->now_ns), 24 bits wide (FADT TMR_VAL_EXT clear). TMR_STS is set
 * each time bit 23 of the count changes; nothing ticks: the status is
 * derived from how many carries have happened since the guest last cleared
 * it, and a VM timer is armed at the next carry only while TMR_EN is set,
 * to raise the SCI then. SCI_EN reads 1 (there is no SMI command port, so
 * the machine is always in ACPI mode). SLP_EN with SLP_TYP = ACPI_SLP_TYP_S5
 * (what \_S5 says) powers the machine off; the other sleep states are not
 * offered in the DSDT and a request for one is ignored (logged once). */
#include <stdlib.h>
#include <string.h>

#include "vmm/dev/dev_internal.h"

#define NS_PER_S 1000000000ull
#define PM1_TMR_STS (1u << 0)
#define PM1_GBL_STS (1u << 5)
#define PM1_PWRBTN_STS (1u << 8)
#define PM1_RTC_STS (1u << 10)
#define PM1_WAK_STS (1u << 15)
#define PM1_STS_MASK (PM1_TMR_STS | PM1_GBL_STS | PM1_PWRBTN_STS | PM1_RTC_STS | PM1_WAK_STS)
/* the fixed events an OS enables (4.8.3.1.2): timer carry, global lock
 * release, power button, RTC alarm; only the timer ever sets its status */
#define PM1_EN_MASK (PM1_TMR_STS | PM1_GBL_STS | PM1_PWRBTN_STS | PM1_RTC_STS)
#define PM1_CNT_SCI_EN (1u << 0)
#define PM1_CNT_SLP_EN (1u << 13)
#define PM1_CNT_WMASK 0x1c06 /* BM_RLD, GBL_RLS (reads 0), SLP_TYP */
#define PM_TMR_CARRY_SHIFT 23 /* a 24-bit timer: TMR_STS at each bit 23 change */

struct acpi_pm {
	struct vm *vm;
	pthread_mutex_t lock;
	uint64_t start_ns;   /* count 0 */
	uint64_t carries_seen; /* carries when TMR_STS was last cleared */
	uint16_t sts, en, cnt;
	int sci;
	bool warned_sleep;
	uint64_t now;        /* the time of the access being handled: one
			      * instant for all its bytes (no torn counts) */
	struct vm_timer timer;
};

static uint64_t pm_ticks(const struct acpi_pm *pm, uint64_t now)
{
	uint64_t ns = now - pm->start_ns;
	return ns / NS_PER_S * ACPI_PM_TIMER_HZ + ns % NS_PER_S * ACPI_PM_TIMER_HZ / NS_PER_S;
}

/* The VM time at which the count reaches (ticks) (rounded up). */
static uint64_t pm_ticks_to_ns(const struct acpi_pm *pm, uint64_t ticks)
{
	return pm->start_ns + ticks / ACPI_PM_TIMER_HZ * NS_PER_S +
	       (ticks % ACPI_PM_TIMER_HZ * NS_PER_S + ACPI_PM_TIMER_HZ - 1) / ACPI_PM_TIMER_HZ;
}

static uint16_t pm_status(const struct acpi_pm *pm, uint64_t now)
{
	uint16_t s = pm->sts;
	if ((pm_ticks(pm, now) >> PM_TMR_CARRY_SHIFT) != pm->carries_seen)
		s |= PM1_TMR_STS;
	return s;
}

/* Recompute the SCI line and (re)arm the carry timer. Lock held; the line
 * is driven after unlocking, by the caller, from the returned level. */
static int pm_update(struct acpi_pm *pm, uint64_t now)
{
	int level = (pm_status(pm, now) & pm->en & PM1_EN_MASK) != 0;
	if ((pm->en & PM1_TMR_STS) && !level) {
		uint64_t next = ((pm_ticks(pm, now) >> PM_TMR_CARRY_SHIFT) + 1) << PM_TMR_CARRY_SHIFT;
		timer_mod(&pm->timer, pm_ticks_to_ns(pm, next));
	} else {
		timer_del(&pm->timer);
	}
	return level;
}

static void pm_set_sci(struct acpi_pm *pm, int level)
{
	if (level != pm->sci) {
		pm->sci = level;
		vm_set_irq(pm->vm, ACPI_SCI_IRQ, level);
	}
}

static void pm_timer_fn(void *opaque, uint64_t now)
{
	(void)now;
	struct acpi_pm *pm = opaque;
	pthread_mutex_lock(&pm->lock);
	int level = pm_update(pm, pm->vm->now_ns());
	pm_set_sci(pm, level);
	pthread_mutex_unlock(&pm->lock);
}

static void pm_sleep(struct acpi_pm *pm, uint16_t v)
{
	unsigned typ = (v >> 10) & 7;
	if (typ == ACPI_SLP_TYP_S5) {
		vm_request_stop(pm->vm, VM_STOP_POWEROFF, 0, "guest powered off");
		return;
	}
	if (!pm->warned_sleep)
		vmm_warn("acpi: guest asked for sleep type %u, which \\_S5 does not name; ignored",
			 typ);
	pm->warned_sleep = true;
}

/* One byte of the block at (off). Lock held. */
static void pm_byte(void *dev, unsigned off, uint8_t *b, bool is_write)
{
	struct acpi_pm *pm = dev;
	uint64_t now = pm->now;
	unsigned sh = 8 * (off & 1);
	if (off >= 8) {
		if (!is_write) /* PM timer: read-only, 24 bits */
			*b = (uint8_t)((pm_ticks(pm, now) & 0xffffff) >> (8 * (off - 8)));
		return;
	}
	if (!is_write) {
		uint16_t v = off < 2 ? pm_status(pm, now) : off < 4 ? pm->en :
			     off < 6 ? (uint16_t)(pm->cnt | PM1_CNT_SCI_EN) : 0;
		*b = (uint8_t)(v >> sh);
		return;
	}
	uint16_t v = (uint16_t)(*b << sh);
	if (off < 2) { /* write 1 to clear */
		pm->sts &= (uint16_t)~(v & PM1_STS_MASK);
		if (v & PM1_TMR_STS)
			pm->carries_seen = pm_ticks(pm, now) >> PM_TMR_CARRY_SHIFT;
	} else if (off < 4) {
		uint16_t m = (uint16_t)(0xff << sh) & PM1_EN_MASK;
		pm->en = (uint16_t)((pm->en & ~m) | (v & m));
	} else if (off < 6) {
		uint16_t m = (uint16_t)(0xff << sh);
		pm->cnt = (uint16_t)((pm->cnt & ~m) | (v & m & PM1_CNT_WMASK & ~0x0004));
		if (v & PM1_CNT_SLP_EN)
			pm_sleep(pm, (uint16_t)((pm->cnt & ~m) | (v & m)));
	}
}

static int pm_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	struct acpi_pm *pm = dev;
	pthread_mutex_lock(&pm->lock);
	pm->now = pm->vm->now_ns();
	dev_split_bytes(pm_byte, pm, off, data, size, is_write);
	int level = pm_update(pm, pm->now);
	pm_set_sci(pm, level);
	pthread_mutex_unlock(&pm->lock);
	return 0;
}

static int pm_evt_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	return pm_io(dev, off, data, size, is_write);
}

static int pm_cnt_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	return pm_io(dev, off + 4, data, size, is_write);
}

static int pm_tmr_io(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	return pm_io(dev, off + 8, data, size, is_write);
}

struct acpi_pm *acpi_pm_create(struct vm *vm)
{
	struct acpi_pm *pm = calloc(1, sizeof(*pm));
	if (!pm) {
		vmm_err("acpi: out of memory");
		return NULL;
	}
	pm->vm = vm;
	pm->start_ns = vm->now_ns();
	pthread_mutex_init(&pm->lock, NULL);
	timer_init(&pm->timer, &vm->timers, pm_timer_fn, pm);
	if (io_register(&vm->pio, ACPI_PM_BASE, 4, "acpi-pm1a-evt", pm_evt_io, pm) ||
	    io_register(&vm->pio, ACPI_PM1_CNT, 2, "acpi-pm1a-cnt", pm_cnt_io, pm) ||
	    io_register(&vm->pio, ACPI_PM_TMR, 4, "acpi-pm-tmr", pm_tmr_io, pm)) {
		acpi_pm_destroy(pm);
		return NULL;
	}
	return pm;
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
	if (!pm)
		return;
	timer_del(&pm->timer);
	pthread_mutex_destroy(&pm->lock);
	free(pm);
}
