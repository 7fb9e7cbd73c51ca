/* test_pic.c: the i8259A pair: initialization, masking, priority, EOI
 * flavours, cascade, spurious vectors, edge/level triggering, poll mode. */
#include "tests/unit/util.h"

#include "vmm/core/vcpu_internal.h"
#include "vmm/dev/dev.h"

struct fixture {
	struct vm *vm;
	struct pic *pic;
};

/* What Linux's init_8259A() does: vectors 0x20 and 0x28, cascade on IR2. */
static void pic_init_pc(struct vm *vm, uint8_t icw4)
{
	outb(vm, 0x20, 0x11);
	outb(vm, 0x21, 0x20);
	outb(vm, 0x21, 0x04);
	outb(vm, 0x21, icw4);
	outb(vm, 0xa0, 0x11);
	outb(vm, 0xa1, 0x28);
	outb(vm, 0xa1, 0x02);
	outb(vm, 0xa1, icw4);
	outb(vm, 0x21, 0x00);
	outb(vm, 0xa1, 0x00);
}

static int setup(void **state)
{
	static struct fixture f;
	f.vm = test_vm_create(16 * MiB);
	assert_non_null(f.vm);
	f.pic = pic_create(f.vm);
	assert_non_null(f.pic);
	pic_init_pc(f.vm, 0x01);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	pic_destroy(f->pic);
	vm_destroy(f->vm);
	return 0;
}

#define F (*(struct fixture *)*state)

static void pulse(struct pic *p, unsigned irq)
{
	pic_set_irq(p, irq, 1);
	pic_set_irq(p, irq, 0);
}

static uint8_t read_isr(struct vm *vm, uint16_t port)
{
	outb(vm, port, 0x0b);
	uint8_t v = inb(vm, port);
	outb(vm, port, 0x0a);
	return v;
}

static void test_pic_init_sequence_sets_vector_offsets(void **state)
{
	assert_false(pic_intr(F.pic));
	pulse(F.pic, 1);
	assert_true(pic_intr(F.pic));
	assert_int_equal(pic_ack(F.pic), 0x21);
	assert_false(pic_intr(F.pic));
	outb(F.vm, 0x20, 0x20);
	pulse(F.pic, 14);
	assert_int_equal(pic_irq_ops.ack(F.pic, 0), 0x2e);
}

static void test_pic_icw4_is_optional_and_single_mode_skips_icw3(void **state)
{
	outb(F.vm, 0x20, 0x12); /* ICW1: single, no ICW4 */
	outb(F.vm, 0x21, 0x40); /* ICW2; the next write is OCW1 */
	outb(F.vm, 0x21, 0xfe);
	assert_int_equal(inb(F.vm, 0x21), 0xfe);
	outb(F.vm, 0x21, 0x00);
	pulse(F.pic, 0);
	assert_int_equal(pic_ack(F.pic), 0x40);
	pulse(F.pic, 3);
	assert_false(pic_intr(F.pic)); /* IR0 in service (no AEOI without ICW4) */
}

static void test_pic_icw1_clears_mask_and_in_service(void **state)
{
	outb(F.vm, 0x21, 0xff);
	pulse(F.pic, 5);
	outb(F.vm, 0x21, 0x00);
	assert_int_equal(pic_ack(F.pic), 0x25);
	outb(F.vm, 0x21, 0x0f);
	outb(F.vm, 0x20, 0x11);
	outb(F.vm, 0x21, 0x20);
	outb(F.vm, 0x21, 0x04);
	outb(F.vm, 0x21, 0x01);
	assert_int_equal(inb(F.vm, 0x21), 0x00);
	assert_int_equal(read_isr(F.vm, 0x20), 0x00);
}

/* Between ICW1 (which clears the mask) and the last ICW the chip has no
 * vector base yet: a request waits for the end of the sequence instead of
 * being acknowledged as vector 0 + IRQ. */
static void test_pic_no_interrupt_during_initialization(void **state)
{
	pic_set_irq(F.pic, 0, 1);
	assert_int_equal(pic_ack(F.pic), 0x20);
	outb(F.vm, 0x20, 0x20); /* EOI */
	pic_set_irq(F.pic, 0, 0);
	outb(F.vm, 0x20, 0x11);
	pic_set_irq(F.pic, 0, 1);
	assert_false(pic_intr(F.pic));
	outb(F.vm, 0x21, 0x30);
	outb(F.vm, 0x21, 0x04);
	assert_false(pic_intr(F.pic));
	outb(F.vm, 0x21, 0x01);
	assert_true(pic_intr(F.pic));
	assert_int_equal(pic_ack(F.pic), 0x30);
}

/* No firmware runs before a Triplex guest: from power-on to the guest's
 * first initialization the pair has no vector base, and a PIT edge there
 * (a guest calibrating its TSC on channel 0) must wait for it instead of
 * being acknowledged as vector 0 (#DE in timer-pv-64 under pv). */
static void test_pic_no_interrupt_before_first_initialization(void **state)
{
	(void)state;
	struct vm *vm = test_vm_create(16 * MiB);
	assert_non_null(vm);
	struct pic *p = pic_create(vm);
	assert_non_null(p);
	pic_set_irq(p, 0, 1);
	assert_false(pic_intr(p));
	outb(vm, 0x21, 0xfe); /* a mask write before ICW1 changes nothing */
	assert_false(pic_intr(p));
	pic_init_pc(vm, 0x01); /* ICW1 resets the edge sense: the next edge counts */
	assert_false(pic_intr(p));
	pic_set_irq(p, 0, 0);
	pic_set_irq(p, 0, 1);
	assert_true(pic_intr(p));
	assert_int_equal(pic_ack(p), 0x20);
	pic_destroy(p);
	vm_destroy(vm);
}

static void test_pic_masked_irq_waits_until_unmasked(void **state)
{
	outb(F.vm, 0x21, 0x08);
	pulse(F.pic, 3);
	assert_false(pic_intr(F.pic));
	assert_int_equal(inb(F.vm, 0x20), 0x08); /* IRR shows it */
	outb(F.vm, 0x21, 0x00);
	assert_true(pic_intr(F.pic));
	assert_int_equal(pic_ack(F.pic), 0x23);
}

static void test_pic_lower_irq_waits_for_eoi_of_higher(void **state)
{
	pulse(F.pic, 1);
	assert_int_equal(pic_ack(F.pic), 0x21);
	pulse(F.pic, 4);
	assert_false(pic_intr(F.pic));
	pulse(F.pic, 0); /* higher priority nests */
	assert_true(pic_intr(F.pic));
	assert_int_equal(pic_ack(F.pic), 0x20);
	assert_int_equal(read_isr(F.vm, 0x20), 0x03);
	outb(F.vm, 0x20, 0x20);
	assert_int_equal(read_isr(F.vm, 0x20), 0x02);
	assert_false(pic_intr(F.pic));
	outb(F.vm, 0x20, 0x20);
	assert_true(pic_intr(F.pic));
	assert_int_equal(pic_ack(F.pic), 0x24);
}

static void test_pic_specific_eoi_clears_only_that_isr_bit(void **state)
{
	pulse(F.pic, 6);
	assert_int_equal(pic_ack(F.pic), 0x26);
	pulse(F.pic, 3);
	assert_int_equal(pic_ack(F.pic), 0x23);
	assert_int_equal(read_isr(F.vm, 0x20), 0x48);
	outb(F.vm, 0x20, 0x66); /* specific EOI for IR6 */
	assert_int_equal(read_isr(F.vm, 0x20), 0x08);
	outb(F.vm, 0x20, 0x20);
	assert_int_equal(read_isr(F.vm, 0x20), 0x00);
}

static void test_pic_ocw3_selects_irr_or_isr(void **state)
{
	outb(F.vm, 0x21, 0x80);
	pulse(F.pic, 7);
	pulse(F.pic, 2 + 8); /* slave IR2 = IRQ10 */
	outb(F.vm, 0x20, 0x0a);
	assert_int_equal(inb(F.vm, 0x20), 0x84);
	assert_int_equal(inb(F.vm, 0x21), 0x80); /* data port: IMR */
	assert_int_equal(pic_ack(F.pic), 0x2a);
	outb(F.vm, 0x20, 0x0b);
	assert_int_equal(inb(F.vm, 0x20), 0x04);
	outb(F.vm, 0xa0, 0x0b);
	assert_int_equal(inb(F.vm, 0xa0), 0x04);
}

static void test_pic_slave_irq_cascades_through_irq2(void **state)
{
	pulse(F.pic, 12);
	assert_true(pic_intr(F.pic));
	assert_int_equal(pic_ack(F.pic), 0x2c);
	assert_int_equal(read_isr(F.vm, 0x20), 0x04);
	assert_int_equal(read_isr(F.vm, 0xa0), 0x10);
	pulse(F.pic, 9);
	assert_false(pic_intr(F.pic)); /* master IR2 in service blocks it */
	outb(F.vm, 0xa0, 0x20);
	outb(F.vm, 0x20, 0x20);
	assert_true(pic_intr(F.pic));
	assert_int_equal(pic_ack(F.pic), 0x29);
}

static void test_pic_masking_irq2_blocks_the_whole_slave(void **state)
{
	outb(F.vm, 0x21, 0x04);
	pulse(F.pic, 8);
	assert_false(pic_intr(F.pic));
	outb(F.vm, 0x21, 0x00);
	assert_int_equal(pic_ack(F.pic), 0x28);
}

static void test_pic_spurious_irq7_when_level_request_vanished(void **state)
{
	outb(F.vm, 0x4d0, 0x20); /* IRQ5 level-triggered */
	pic_set_irq(F.pic, 5, 1);
	assert_true(pic_intr(F.pic));
	pic_set_irq(F.pic, 5, 0); /* gone before the INTA cycle */
	assert_false(pic_intr(F.pic));
	assert_int_equal(pic_ack(F.pic), 0x27);
	assert_int_equal(read_isr(F.vm, 0x20), 0x00); /* no ISR bit for it */
}

static void test_pic_spurious_irq7_when_masked_before_ack(void **state)
{
	pulse(F.pic, 4);
	outb(F.vm, 0x21, 0x10);
	assert_int_equal(pic_ack(F.pic), 0x27);
	assert_int_equal(read_isr(F.vm, 0x20), 0x00);
	outb(F.vm, 0x21, 0x00);
	assert_int_equal(pic_ack(F.pic), 0x24); /* the edge is still latched */
}

static void test_pic_spurious_irq15_on_slave_puts_master_irq2_in_service(void **state)
{
	outb(F.vm, 0x4d1, 0x08); /* IRQ11 level-triggered */
	pic_set_irq(F.pic, 11, 1);
	assert_true(pic_intr(F.pic));
	pic_set_irq(F.pic, 11, 0);
	/* the master latched the slave's edge on IR2 */
	assert_true(pic_intr(F.pic));
	assert_int_equal(pic_ack(F.pic), 0x2f);
	assert_int_equal(read_isr(F.vm, 0x20), 0x04);
	assert_int_equal(read_isr(F.vm, 0xa0), 0x00);
}

static void test_pic_edge_input_latches_once_per_rising_edge(void **state)
{
	pic_set_irq(F.pic, 3, 1);
	assert_int_equal(pic_ack(F.pic), 0x23);
	outb(F.vm, 0x20, 0x20);
	assert_false(pic_intr(F.pic)); /* line still high: no new edge */
	pic_set_irq(F.pic, 3, 1);
	assert_false(pic_intr(F.pic));
	pic_set_irq(F.pic, 3, 0);
	pic_set_irq(F.pic, 3, 1);
	assert_true(pic_intr(F.pic));
}

static void test_pic_level_input_requests_again_after_eoi_while_high(void **state)
{
	outb(F.vm, 0x4d0, 0x08);
	assert_int_equal(inb(F.vm, 0x4d0), 0x08);
	pic_set_irq(F.pic, 3, 1);
	assert_int_equal(pic_ack(F.pic), 0x23);
	assert_false(pic_intr(F.pic));
	outb(F.vm, 0x20, 0x20);
	assert_true(pic_intr(F.pic));
	pic_set_irq(F.pic, 3, 0);
	assert_false(pic_intr(F.pic));
}

static void test_pic_elcr_cannot_make_timer_cascade_rtc_or_fpu_level(void **state)
{
	outb(F.vm, 0x4d0, 0xff);
	outb(F.vm, 0x4d1, 0xff);
	assert_int_equal(inb(F.vm, 0x4d0), 0xf8);
	assert_int_equal(inb(F.vm, 0x4d1), 0xde);
}

static void test_pic_poll_mode_reads_highest_request_as_ack(void **state)
{
	outb(F.vm, 0x21, 0xff); /* polled systems mask INTR */
	pulse(F.pic, 6);
	pulse(F.pic, 4);
	outb(F.vm, 0x20, 0x0c);
	assert_int_equal(inb(F.vm, 0x20), 0x00); /* masked: nothing */
	outb(F.vm, 0x21, 0x00);
	outb(F.vm, 0x20, 0x0c);
	assert_int_equal(inb(F.vm, 0x20), 0x84);
	assert_int_equal(read_isr(F.vm, 0x20), 0x10);
	assert_int_equal(inb(F.vm, 0x20), 0x40); /* poll is one-shot: IRR again */
	outb(F.vm, 0x20, 0x20);
	outb(F.vm, 0x20, 0x0c);
	assert_int_equal(inb(F.vm, 0x21), 0x86);
}

static void test_pic_auto_eoi_leaves_isr_clear(void **state)
{
	pic_init_pc(F.vm, 0x03);
	pulse(F.pic, 4);
	assert_int_equal(pic_ack(F.pic), 0x24);
	assert_int_equal(read_isr(F.vm, 0x20), 0x00);
	pulse(F.pic, 5); /* no EOI needed for the next one */
	assert_true(pic_intr(F.pic));
	assert_int_equal(pic_ack(F.pic), 0x25);
}

static void test_pic_rotate_on_nonspecific_eoi_makes_served_irq_lowest(void **state)
{
	pulse(F.pic, 1);
	assert_int_equal(pic_ack(F.pic), 0x21);
	outb(F.vm, 0x20, 0xa0); /* rotate on non-specific EOI: IR1 lowest */
	pulse(F.pic, 1);
	pulse(F.pic, 5);
	assert_int_equal(pic_ack(F.pic), 0x25);
	outb(F.vm, 0x20, 0xc4); /* set priority: IR4 lowest, IR5 highest */
	assert_false(pic_intr(F.pic)); /* IR5 in service is now the highest */
	outb(F.vm, 0x20, 0x65);
	assert_int_equal(pic_ack(F.pic), 0x21);
}

static void test_pic_special_mask_mode_enables_lower_priorities(void **state)
{
	pulse(F.pic, 2 + 1); /* IR3 */
	assert_int_equal(pic_ack(F.pic), 0x23);
	pulse(F.pic, 6);
	assert_false(pic_intr(F.pic));
	outb(F.vm, 0x21, 0x08);  /* mask the level in service */
	outb(F.vm, 0x20, 0x68); /* OCW3: set special mask */
	assert_true(pic_intr(F.pic));
	assert_int_equal(pic_ack(F.pic), 0x26);
	outb(F.vm, 0x20, 0x48); /* reset special mask */
}

static void test_pic_intr_line_drops_when_request_is_acknowledged(void **state)
{
	assert_false(pic_intr(F.pic));
	pulse(F.pic, 0);
	pulse(F.pic, 8);
	assert_true(pic_intr(F.pic));
	assert_int_equal(pic_ack(F.pic), 0x20);
	assert_false(pic_intr(F.pic));
	outb(F.vm, 0x20, 0x20);
	assert_true(pic_intr(F.pic));
	assert_int_equal(pic_ack(F.pic), 0x28);
	assert_false(pic_intr(F.pic));
}

static void test_pic_ack_with_nothing_pending_is_spurious(void **state)
{
	assert_int_equal(pic_ack(F.pic), 0x27);
	assert_int_equal(read_isr(F.vm, 0x20), 0x00);
}

static void test_pic_drives_vcpu0_intr_line_and_engines_ack_through_irq_ops(void **state)
{
	struct vcpu *v = vcpu_alloc(F.vm, 0);
	assert_non_null(v);
	F.vm->vcpu[0] = v; /* freed by vm_destroy */
	F.vm->irqchip = F.pic;
	F.vm->irq_ops = &pic_irq_ops;
	assert_false(vcpu_intr_pending(v));
	unsigned seq = v->wake_seq;
	pulse(F.pic, 4);
	assert_true(vcpu_intr_pending(v));
	assert_int_not_equal(v->wake_seq, seq); /* the rising line kicked it */
	assert_int_equal(vcpu_intr_ack(v), 0x24);
	assert_false(vcpu_intr_pending(v));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_pic_init_sequence_sets_vector_offsets),
		T(test_pic_icw4_is_optional_and_single_mode_skips_icw3),
		T(test_pic_icw1_clears_mask_and_in_service),
		T(test_pic_no_interrupt_during_initialization),
		cmocka_unit_test(test_pic_no_interrupt_before_first_initialization),
		T(test_pic_masked_irq_waits_until_unmasked),
		T(test_pic_lower_irq_waits_for_eoi_of_higher),
		T(test_pic_specific_eoi_clears_only_that_isr_bit),
		T(test_pic_ocw3_selects_irr_or_isr),
		T(test_pic_slave_irq_cascades_through_irq2),
		T(test_pic_masking_irq2_blocks_the_whole_slave),
		T(test_pic_spurious_irq7_when_level_request_vanished),
		T(test_pic_spurious_irq7_when_masked_before_ack),
		T(test_pic_spurious_irq15_on_slave_puts_master_irq2_in_service),
		T(test_pic_edge_input_latches_once_per_rising_edge),
		T(test_pic_level_input_requests_again_after_eoi_while_high),
		T(test_pic_elcr_cannot_make_timer_cascade_rtc_or_fpu_level),
		T(test_pic_poll_mode_reads_highest_request_as_ack),
		T(test_pic_auto_eoi_leaves_isr_clear),
		T(test_pic_rotate_on_nonspecific_eoi_makes_served_irq_lowest),
		T(test_pic_special_mask_mode_enables_lower_priorities),
		T(test_pic_intr_line_drops_when_request_is_acknowledged),
		T(test_pic_ack_with_nothing_pending_is_spurious),
		T(test_pic_drives_vcpu0_intr_line_and_engines_ack_through_irq_ops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
