/* test_i8042.c: the keyboard controller as Linux's i8042 and atkbd/psmouse
 * drivers probe it (every reply is there at once, so no 0.5 s timeout), the
 * command byte, port enables, the AUX loop, the output port, A20 and the
 * reset line, IRQ 1/12, and keys injected with i8042_key(). */
#include "tests/unit/util.h"

#include <errno.h>

#include "vmm/dev/dev.h"

struct fixture {
	struct vm *vm;
	struct i8042 *k;
};

static int setup(void **state)
{
	static struct fixture f;
	f.vm = test_vm_create(16 * MiB);
	assert_non_null(f.vm);
	test_vm_capture_irqs(f.vm);
	f.k = i8042_create(f.vm);
	assert_non_null(f.k);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	i8042_destroy(f->k);
	vm_destroy(f->vm);
	return 0;
}

#define VM (((struct fixture *)*state)->vm)
#define KBC (((struct fixture *)*state)->k)

#define ST_OBF 0x01
#define ST_AUX 0x20

/* A byte the guest reads right after its command (Linux's i8042_wait_read
 * would wait up to 0.5 s for OBF). */
static uint8_t read_data(struct vm *vm)
{
	assert_true(inb(vm, 0x64) & ST_OBF);
	return inb(vm, 0x60);
}

static void assert_empty(struct vm *vm)
{
	assert_false(inb(vm, 0x64) & ST_OBF);
}

static void test_i8042_self_test_and_interface_tests_answer_at_once(void **state)
{
	assert_int_equal(inb(VM, 0x64) & 0x04, 0x04); /* system flag */
	outb(VM, 0x64, 0xaa);
	assert_int_equal(read_data(VM), 0x55);
	outb(VM, 0x64, 0xab);
	assert_int_equal(read_data(VM), 0x00);
	outb(VM, 0x64, 0xa9);
	assert_int_equal(read_data(VM), 0x00);
	assert_empty(VM);
	assert_false(vm_stopping(VM));
}

static void test_i8042_command_byte_reads_back_what_was_written(void **state)
{
	outb(VM, 0x64, 0x20);
	uint8_t ctr = read_data(VM);
	assert_int_equal(ctr & 0x40, 0x40); /* translation on, as firmware leaves it */
	outb(VM, 0x64, 0x60);
	outb(VM, 0x60, 0x45);
	assert_int_equal(inb(VM, 0x64) & 0x08, 0); /* last write was data */
	outb(VM, 0x64, 0x20);
	assert_int_equal(read_data(VM), 0x45);
	/* 0xA7/0xA8 and 0xAD/0xAE set and clear the disable bits */
	outb(VM, 0x64, 0xa7);
	outb(VM, 0x64, 0xad);
	outb(VM, 0x64, 0x20);
	assert_int_equal(read_data(VM), 0x45 | 0x20 | 0x10);
	outb(VM, 0x64, 0xa8);
	outb(VM, 0x64, 0xae);
	outb(VM, 0x64, 0x20);
	assert_int_equal(read_data(VM), 0x45);
}

static void test_i8042_aux_loop_returns_the_byte_as_mouse_data_on_irq12(void **state)
{
	outb(VM, 0x64, 0xd3);
	outb(VM, 0x60, 0x5a);
	uint8_t st = inb(VM, 0x64);
	assert_int_equal(st & (ST_OBF | ST_AUX), ST_OBF | ST_AUX);
	assert_int_equal(test_irq_level[12], 1);
	assert_int_equal(test_irq_level[1], 0);
	assert_int_equal(inb(VM, 0x60), 0x5a);
	assert_int_equal(test_irq_level[12], 0);
	assert_empty(VM);
}

static void test_i8042_keyboard_reset_identify_and_scancode_set(void **state)
{
	outb(VM, 0x60, 0xff);                 /* reset */
	assert_int_equal(test_irq_level[1], 1);
	assert_int_equal(read_data(VM), 0xfa);
	assert_int_equal(read_data(VM), 0xaa);
	outb(VM, 0x60, 0xf2);                 /* identify, translated */
	assert_int_equal(read_data(VM), 0xfa);
	assert_int_equal(read_data(VM), 0xab);
	assert_int_equal(read_data(VM), 0x41);
	outb(VM, 0x60, 0xf0);                 /* which scancode set? */
	outb(VM, 0x60, 0x00);
	assert_int_equal(read_data(VM), 0xfa);
	assert_int_equal(read_data(VM), 0xfa);
	assert_int_equal(read_data(VM), 0x41); /* set 2, as translated */
	outb(VM, 0x60, 0xed);                 /* LEDs + parameter */
	outb(VM, 0x60, 0x07);
	assert_int_equal(read_data(VM), 0xfa);
	assert_int_equal(read_data(VM), 0xfa);
	outb(VM, 0x60, 0xee);                 /* echo */
	assert_int_equal(read_data(VM), 0xee);
	outb(VM, 0x60, 0x01);                 /* not a command */
	assert_int_equal(read_data(VM), 0xfe);
	assert_empty(VM);
	assert_int_equal(test_irq_level[1], 0);
	/* untranslated, the keyboard says what it is on the wire */
	outb(VM, 0x64, 0x60);
	outb(VM, 0x60, 0x07);
	outb(VM, 0x60, 0xf2);
	assert_int_equal(read_data(VM), 0xfa);
	assert_int_equal(read_data(VM), 0xab);
	assert_int_equal(read_data(VM), 0x83);
}

static void test_i8042_mouse_answers_through_d4(void **state)
{
	outb(VM, 0x64, 0xd4);
	outb(VM, 0x60, 0xff);                 /* reset */
	assert_int_equal(read_data(VM), 0xfa);
	assert_int_equal(read_data(VM), 0xaa);
	assert_int_equal(read_data(VM), 0x00);
	outb(VM, 0x64, 0xd4);
	outb(VM, 0x60, 0xf3);                 /* sample rate 200 */
	outb(VM, 0x64, 0xd4);
	outb(VM, 0x60, 200);
	assert_int_equal(read_data(VM), 0xfa);
	assert_int_equal(read_data(VM), 0xfa);
	outb(VM, 0x64, 0xd4);
	outb(VM, 0x60, 0xe9);                 /* status */
	assert_int_equal(read_data(VM), 0xfa);
	assert_int_equal(read_data(VM), 0x00);
	assert_int_equal(read_data(VM), 0x02);
	assert_int_equal(read_data(VM), 200);
	outb(VM, 0x64, 0xd4);
	outb(VM, 0x60, 0xf2);                 /* identify: plain PS/2 mouse */
	assert_int_equal(inb(VM, 0x64) & ST_AUX, ST_AUX);
	assert_int_equal(read_data(VM), 0xfa);
	assert_int_equal(read_data(VM), 0x00);
	assert_empty(VM);
}

static void test_i8042_disabled_keyboard_port_holds_its_bytes(void **state)
{
	static const uint8_t a = 0x1e;
	outb(VM, 0x64, 0xad);
	assert_int_equal(i8042_key(KBC, &a, 1), 0); /* a key while disabled */
	assert_empty(VM);
	outb(VM, 0x64, 0xaa);                 /* the controller still answers */
	assert_int_equal(read_data(VM), 0x55);
	assert_empty(VM);
	outb(VM, 0x64, 0xae);
	assert_int_equal(read_data(VM), 0x1e);
}

/* Linux's multiplexer probe loops bytes through 0xD3 with the mouse port
 * disabled: the controller puts them out anyway (else a 0.5 s timeout
 * per byte). */
static void test_i8042_aux_loop_works_with_the_mouse_port_disabled(void **state)
{
	outb(VM, 0x64, 0x60);
	outb(VM, 0x60, 0x74);                 /* both ports disabled, no IRQs */
	static const uint8_t seq[] = { 0xf0, 0x56, 0xa4 };
	for (unsigned i = 0; i < sizeof(seq); i++) {
		outb(VM, 0x64, 0xd3);
		outb(VM, 0x60, seq[i]);
		assert_int_equal(inb(VM, 0x64) & (ST_OBF | ST_AUX), ST_OBF | ST_AUX);
		assert_int_equal(inb(VM, 0x60), seq[i]);
	}
	outb(VM, 0x64, 0xd2);                 /* and 0xD2 with the keyboard's disabled */
	outb(VM, 0x60, 0x1c);
	assert_int_equal(read_data(VM), 0x1c);
	assert_int_equal(test_irq_raises[1] + test_irq_raises[12], 0);
}

/* Each byte raises its own edge: the line drops when a byte is read and
 * rises again for the next (Linux's IOAPIC inputs 1 and 12 are edge). */
static void test_i8042_every_byte_is_a_new_irq_edge(void **state)
{
	unsigned before = test_irq_raises[1];
	outb(VM, 0x60, 0xf2);                 /* ACK, AB, 41: three bytes */
	for (unsigned i = 0; i < 3; i++)
		(void)read_data(VM);
	assert_int_equal(test_irq_raises[1] - before, 3);
	assert_int_equal(test_irq_level[1], 0);
}

static void test_i8042_output_port_a20_and_reset_line(void **state)
{
	outb(VM, 0x64, 0xd0);
	uint8_t out = read_data(VM);
	assert_int_equal(out & 0x03, 0x03);   /* reset line high, A20 on */
	outb(VM, 0x64, 0xdd);
	outb(VM, 0x64, 0xd0);
	assert_int_equal(read_data(VM) & 0x02, 0);
	outb(VM, 0x64, 0xdf);
	outb(VM, 0x64, 0xd1);
	outb(VM, 0x60, 0x03);
	outb(VM, 0x64, 0xd0);
	assert_int_equal(read_data(VM) & 0x03, 0x03);
	assert_false(vm_stopping(VM));
	/* output port bit 0 cleared: the CPU's reset line */
	outb(VM, 0x64, 0xd1);
	outb(VM, 0x60, 0x02);
	assert_int_equal(VM->stop_reason, VM_STOP_RESET);
}

static void test_i8042_pulse_0xfe_resets_like_a_guest_reset(void **state)
{
	outb(VM, 0x64, 0xff);                 /* pulse nothing: bit 0 set */
	assert_false(vm_stopping(VM));
	outb(VM, 0x64, 0xfe);
	assert_int_equal(VM->stop_reason, VM_STOP_RESET);
	assert_int_equal(VM->stop_status, 0);
	assert_string_equal(VM->stop_msg,
			    "guest requested a reset; stopping (Triplex does not reboot)");
}

static void test_i8042_injected_keys_arrive_in_order_on_irq1(void **state)
{
	static const uint8_t a[] = { 0x1e, 0x9e, 0xe0, 0x48 }; /* 'a' down, up, up-arrow */
	assert_int_equal(i8042_key(KBC, a, sizeof(a)), 0);
	assert_int_equal(test_irq_level[1], 1);
	for (unsigned i = 0; i < sizeof(a); i++)
		assert_int_equal(read_data(VM), a[i]);
	assert_int_equal(test_irq_level[1], 0);
	/* the command byte's KBDINT off: no IRQ, the byte is still there */
	outb(VM, 0x64, 0x60);
	outb(VM, 0x60, 0x44);
	assert_int_equal(i8042_key(KBC, a, 1), 0);
	assert_int_equal(test_irq_level[1], 0);
	assert_int_equal(read_data(VM), 0x1e);
	/* keyboard disabled by the guest */
	outb(VM, 0x60, 0xf5);
	assert_int_equal(read_data(VM), 0xfa);
	assert_int_equal(i8042_key(KBC, a, 1), -EAGAIN);
	/* untranslated set 2: refused, not garbled */
	outb(VM, 0x60, 0xf4);
	assert_int_equal(read_data(VM), 0xfa);
	outb(VM, 0x64, 0x60);
	outb(VM, 0x60, 0x03);
	assert_int_equal(i8042_key(KBC, a, 1), -ENOTSUP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_i8042_self_test_and_interface_tests_answer_at_once),
		T(test_i8042_command_byte_reads_back_what_was_written),
		T(test_i8042_aux_loop_returns_the_byte_as_mouse_data_on_irq12),
		T(test_i8042_keyboard_reset_identify_and_scancode_set),
		T(test_i8042_mouse_answers_through_d4),
		T(test_i8042_disabled_keyboard_port_holds_its_bytes),
		T(test_i8042_aux_loop_works_with_the_mouse_port_disabled),
		T(test_i8042_every_byte_is_a_new_irq_edge),
		T(test_i8042_output_port_a20_and_reset_line),
		T(test_i8042_pulse_0xfe_resets_like_a_guest_reset),
		T(test_i8042_injected_keys_arrive_in_order_on_irq1),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
