/* test_uart.c: the 16550A: divisor latch, FIFOs and trigger levels,
 * interrupt priority and acknowledgement, THRE re-arming, OUT2 gating,
 * overrun, loopback, modem status, and output reaching a file. */
#include "tests/unit/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/dev/dev.h"

#define COM1 0x3f8
#define RBR (COM1 + 0)
#define IER (COM1 + 1)
#define IIR (COM1 + 2)
#define FCR (COM1 + 2)
#define LCR (COM1 + 3)
#define MCR (COM1 + 4)
#define LSR (COM1 + 5)
#define MSR (COM1 + 6)
#define SCR (COM1 + 7)

struct fixture {
	struct vm *vm;
	struct chardev *chr;
	struct uart *uart;
};

static int setup(void **state)
{
	static struct fixture f;
	f.vm = test_vm_create(16 * MiB);
	assert_non_null(f.vm);
	f.chr = chardev_open("none");
	assert_non_null(f.chr);
	f.uart = uart_create(f.vm, COM1, 4, f.chr);
	assert_non_null(f.uart);
	test_vm_capture_irqs(f.vm);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	uart_destroy(f->uart);
	chardev_close(f->chr);
	vm_destroy(f->vm);
	return 0;
}

#define F (*(struct fixture *)*state)

/* What the main loop does when host input arrives. */
static void host_input(struct chardev *c, const char *s)
{
	pthread_mutex_lock(&c->lock);
	for (; *s; s++)
		c->ring[c->head++ % CHARDEV_RING] = (uint8_t)*s;
	pthread_mutex_unlock(&c->lock);
	if (c->notify)
		c->notify(c->notify_opaque);
}

static void test_uart_dlab_switches_first_two_registers_to_divisor_latch(void **state)
{
	outb(F.vm, IER, 0x05);
	outb(F.vm, LCR, 0x83);
	assert_int_equal(inb(F.vm, RBR), 12); /* 9600 baud at reset */
	assert_int_equal(inb(F.vm, IER), 0);
	outb(F.vm, RBR, 0x01);
	outb(F.vm, IER, 0x02);
	assert_int_equal(inb(F.vm, RBR), 0x01);
	assert_int_equal(inb(F.vm, IER), 0x02);
	assert_int_equal(F.chr->bytes_out, 0); /* not a THR write */
	outb(F.vm, LCR, 0x03);
	assert_int_equal(inb(F.vm, LCR), 0x03);
	assert_int_equal(inb(F.vm, IER), 0x05);
}

static void test_uart_fifo_enable_shows_in_iir_bits_6_and_7(void **state)
{
	assert_int_equal(inb(F.vm, IIR), 0x01);
	outb(F.vm, FCR, 0x01);
	assert_int_equal(inb(F.vm, IIR), 0xc1);
	outb(F.vm, FCR, 0xc7);
	assert_int_equal(inb(F.vm, IIR), 0xc1);
	outb(F.vm, FCR, 0x00);
	assert_int_equal(inb(F.vm, IIR), 0x01);
}

static void test_uart_scratch_register_holds_a_byte(void **state)
{
	outb(F.vm, SCR, 0x5a);
	assert_int_equal(inb(F.vm, SCR), 0x5a);
}

static void test_uart_lsr_shows_transmitter_empty(void **state)
{
	assert_int_equal(inb(F.vm, LSR), 0x60);
	outb(F.vm, RBR, 'x');
	assert_int_equal(inb(F.vm, LSR), 0x60);
}

static void test_uart_thre_interrupt_clears_on_iir_read_and_rearms_on_thr_write(void **state)
{
	outb(F.vm, MCR, 0x08);
	outb(F.vm, IER, 0x02);
	assert_int_equal(test_irq_level[4], 1);
	assert_int_equal(test_irq_raises[4], 1);
	assert_int_equal(inb(F.vm, IIR), 0x02);
	assert_int_equal(test_irq_level[4], 0);
	assert_int_equal(inb(F.vm, IIR), 0x01);
	outb(F.vm, RBR, 'a');
	assert_int_equal(test_irq_level[4], 1);
	assert_int_equal(test_irq_raises[4], 2);
	assert_int_equal(inb(F.vm, IIR), 0x02);
}

static void test_uart_each_thr_write_gives_a_new_interrupt_edge(void **state)
{
	outb(F.vm, MCR, 0x08);
	outb(F.vm, IER, 0x02);
	for (int i = 0; i < 5; i++)
		outb(F.vm, RBR, 'a' + i); /* without reading IIR in between */
	assert_int_equal(test_irq_raises[4], 6);
	assert_int_equal(test_irq_level[4], 1);
	outb(F.vm, IER, 0x00);
	assert_int_equal(test_irq_level[4], 0);
}

static void test_uart_out2_gates_the_irq_line(void **state)
{
	outb(F.vm, IER, 0x02);
	assert_int_equal(test_irq_level[4], 0);
	assert_int_equal(inb(F.vm, IIR) & 0x0f, 0x02); /* pending, but gated */
	outb(F.vm, IER, 0x00);
	outb(F.vm, IER, 0x02);
	outb(F.vm, MCR, 0x08);
	assert_int_equal(test_irq_level[4], 1);
	outb(F.vm, MCR, 0x00);
	assert_int_equal(test_irq_level[4], 0);
}

static void test_uart_received_byte_sets_dr_and_data_interrupt(void **state)
{
	outb(F.vm, MCR, 0x08);
	outb(F.vm, IER, 0x01);
	host_input(F.chr, "A");
	assert_int_equal(test_irq_level[4], 1);
	assert_int_equal(inb(F.vm, LSR), 0x61);
	assert_int_equal(inb(F.vm, IIR), 0x04);
	assert_int_equal(inb(F.vm, RBR), 'A');
	assert_int_equal(inb(F.vm, LSR), 0x60);
	assert_int_equal(inb(F.vm, IIR), 0x01);
	assert_int_equal(test_irq_level[4], 0);
}

static void test_uart_without_fifo_holds_one_byte_and_leaves_the_rest_in_the_ring(void **state)
{
	host_input(F.chr, "xyz");
	assert_int_equal(chardev_pending(F.chr), 2);
	assert_int_equal(inb(F.vm, RBR), 'x');
	assert_int_equal(inb(F.vm, RBR), 'y');
	assert_int_equal(inb(F.vm, RBR), 'z');
	assert_int_equal(inb(F.vm, LSR) & 0x03, 0x00); /* no overrun */
}

static void test_uart_rx_fifo_trigger_level_14_and_timeout_below_it(void **state)
{
	outb(F.vm, MCR, 0x08);
	outb(F.vm, FCR, 0xc1);
	outb(F.vm, IER, 0x01);
	host_input(F.chr, "hello");
	assert_int_equal(inb(F.vm, IIR), 0xcc); /* character timeout */
	assert_int_equal(test_irq_level[4], 1);
	host_input(F.chr, "123456789");
	assert_int_equal(inb(F.vm, IIR), 0xc4); /* 14 bytes: trigger reached */
	assert_int_equal(inb(F.vm, RBR), 'h');
	assert_int_equal(inb(F.vm, IIR), 0xcc);
	for (int i = 0; i < 13; i++)
		(void)inb(F.vm, RBR);
	assert_int_equal(inb(F.vm, IIR), 0xc1);
	assert_int_equal(test_irq_level[4], 0);
}

static void test_uart_rx_fifo_trigger_levels_4_and_8(void **state)
{
	outb(F.vm, FCR, 0x41);
	outb(F.vm, IER, 0x01);
	host_input(F.chr, "abc");
	assert_int_equal(inb(F.vm, IIR), 0xcc);
	host_input(F.chr, "d");
	assert_int_equal(inb(F.vm, IIR), 0xc4);
	outb(F.vm, FCR, 0x83); /* level 8, clear RX */
	assert_int_equal(inb(F.vm, LSR) & 0x01, 0);
	host_input(F.chr, "1234567");
	assert_int_equal(inb(F.vm, IIR), 0xcc);
	host_input(F.chr, "8");
	assert_int_equal(inb(F.vm, IIR), 0xc4);
}

static void test_uart_fifo_refills_from_the_ring_as_the_guest_reads(void **state)
{
	outb(F.vm, FCR, 0x01);
	const char *msg = "the quick brown fox jumps";
	host_input(F.chr, msg);
	assert_int_equal(chardev_pending(F.chr), strlen(msg) - 16);
	for (size_t i = 0; i < strlen(msg); i++) {
		assert_int_equal(inb(F.vm, LSR) & 0x03, 0x01);
		assert_int_equal(inb(F.vm, RBR), msg[i]);
	}
	assert_int_equal(inb(F.vm, LSR) & 0x01, 0);
}

static void test_uart_loopback_sends_thr_to_rbr_not_to_the_chardev(void **state)
{
	outb(F.vm, MCR, 0x10);
	outb(F.vm, RBR, 0xae);
	assert_int_equal(F.chr->bytes_out, 0);
	assert_int_equal(inb(F.vm, LSR) & 0x01, 0x01);
	assert_int_equal(inb(F.vm, RBR), 0xae);
	host_input(F.chr, "q"); /* the serial input is disconnected */
	assert_int_equal(inb(F.vm, LSR) & 0x01, 0x00);
	outb(F.vm, MCR, 0x00);
	assert_int_equal(inb(F.vm, RBR), 'q');
}

static void test_uart_overrun_sets_oe_until_lsr_is_read(void **state)
{
	outb(F.vm, MCR, 0x10);
	outb(F.vm, FCR, 0x01);
	for (int i = 0; i < 17; i++)
		outb(F.vm, RBR, 'A' + i);
	assert_int_equal(inb(F.vm, LSR), 0x63);
	assert_int_equal(inb(F.vm, LSR), 0x61);
	for (int i = 0; i < 16; i++)
		assert_int_equal(inb(F.vm, RBR), 'A' + i); /* the 17th was lost */
	/* 16450 mode: the new byte overwrites the holding register */
	outb(F.vm, FCR, 0x00);
	outb(F.vm, RBR, '1');
	outb(F.vm, RBR, '2');
	assert_int_equal(inb(F.vm, LSR), 0x63);
	assert_int_equal(inb(F.vm, RBR), '2');
}

static void test_uart_line_status_interrupt_has_priority_over_data(void **state)
{
	outb(F.vm, MCR, 0x18);
	outb(F.vm, IER, 0x0f);
	for (int i = 0; i < 2; i++)
		outb(F.vm, RBR, 'x');
	assert_int_equal(inb(F.vm, IIR), 0x06);
	(void)inb(F.vm, LSR);
	assert_int_equal(inb(F.vm, IIR), 0x04);
	(void)inb(F.vm, RBR);
	assert_int_equal(inb(F.vm, IIR), 0x02);
	assert_int_equal(inb(F.vm, IIR), 0x00); /* modem status: loopback deltas */
	(void)inb(F.vm, MSR);
	assert_int_equal(inb(F.vm, IIR), 0x01);
}

static void test_uart_loopback_msr_mirrors_mcr_outputs_with_deltas(void **state)
{
	assert_int_equal(inb(F.vm, MSR), 0xb0); /* DCD, DSR, CTS: a peer is there */
	outb(F.vm, MCR, 0x1f);
	assert_int_equal(inb(F.vm, MSR) & 0xf0, 0xf0);
	outb(F.vm, MCR, 0x10);
	assert_int_equal(inb(F.vm, MSR), 0x0f); /* DCTS, DDSR, TERI, DDCD */
	assert_int_equal(inb(F.vm, MSR), 0x00);
	outb(F.vm, MCR, 0x11);
	assert_int_equal(inb(F.vm, MSR), 0x22);
}

static void test_uart_modem_status_interrupt_clears_on_msr_read(void **state)
{
	outb(F.vm, MCR, 0x18);
	(void)inb(F.vm, MSR);
	outb(F.vm, IER, 0x08);
	assert_int_equal(inb(F.vm, IIR), 0x01);
	outb(F.vm, MCR, 0x19); /* DTR -> DSR changes */
	assert_int_equal(inb(F.vm, IIR), 0x00);
	assert_int_equal(test_irq_level[4], 1);
	(void)inb(F.vm, MSR);
	assert_int_equal(inb(F.vm, IIR), 0x01);
	assert_int_equal(test_irq_level[4], 0);
}

static void test_uart_output_reaches_a_file_chardev(void **state)
{
	char path[] = "/tmp/triplex-test-uart-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	char spec[64];
	snprintf(spec, sizeof(spec), "file:%s", path);
	struct chardev *c = chardev_open(spec);
	assert_non_null(c);
	struct uart *u = uart_create(F.vm, 0x2f8, 3, c);
	assert_non_null(u);
	assert_int_equal(F.vm->first_output_ns, 0);
	for (const char *s = "hi\n"; *s; s++)
		outb(F.vm, 0x2f8, *s);
	assert_int_not_equal(F.vm->first_output_ns, 0);
	uart_destroy(u);
	chardev_close(c);
	char buf[16] = { 0 };
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fread(buf, 1, sizeof(buf), f), 3);
	fclose(f);
	unlink(path);
	assert_string_equal(buf, "hi\n");
}

static void test_uart_word_access_is_split_into_byte_registers(void **state)
{
	test_out(F.vm, LCR, 0x0803, 2); /* LCR = 0x03, MCR = 0x08 */
	assert_int_equal(inb(F.vm, LCR), 0x03);
	assert_int_equal(inb(F.vm, MCR), 0x08);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_uart_dlab_switches_first_two_registers_to_divisor_latch),
		T(test_uart_fifo_enable_shows_in_iir_bits_6_and_7),
		T(test_uart_scratch_register_holds_a_byte),
		T(test_uart_lsr_shows_transmitter_empty),
		T(test_uart_thre_interrupt_clears_on_iir_read_and_rearms_on_thr_write),
		T(test_uart_each_thr_write_gives_a_new_interrupt_edge),
		T(test_uart_out2_gates_the_irq_line),
		T(test_uart_received_byte_sets_dr_and_data_interrupt),
		T(test_uart_without_fifo_holds_one_byte_and_leaves_the_rest_in_the_ring),
		T(test_uart_rx_fifo_trigger_level_14_and_timeout_below_it),
		T(test_uart_rx_fifo_trigger_levels_4_and_8),
		T(test_uart_fifo_refills_from_the_ring_as_the_guest_reads),
		T(test_uart_loopback_sends_thr_to_rbr_not_to_the_chardev),
		T(test_uart_overrun_sets_oe_until_lsr_is_read),
		T(test_uart_line_status_interrupt_has_priority_over_data),
		T(test_uart_loopback_msr_mirrors_mcr_outputs_with_deltas),
		T(test_uart_modem_status_interrupt_clears_on_msr_read),
		T(test_uart_output_reaches_a_file_chardev),
		T(test_uart_word_access_is_split_into_byte_registers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
