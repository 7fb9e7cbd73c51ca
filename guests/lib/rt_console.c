/* guests/lib/rt_console.c: console output on COM1 (16550A at 0x3f8,
 * polled, no interrupts) or, with console=e9, on the debug port 0xe9.
 * Never both, so a VMM that shows both streams on stdio shows each line
 * once. */
#include "rt.h"

#define COM1 0x3f8
#define UART_THR 0 /* transmit holding register (DLAB=0) */
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_LSR_THRE 0x20

void con_init(void)
{
	if (rt_cmd.e9)
		return;
	outb(COM1 + UART_IER, 0x00);	/* no interrupts */
	outb(COM1 + UART_LCR, 0x80);	/* DLAB: divisor 1 = 115200 baud */
	outb(COM1 + 0, 0x01);
	outb(COM1 + 1, 0x00);
	outb(COM1 + UART_LCR, 0x03);	/* 8N1 */
	outb(COM1 + UART_FCR, 0x07);	/* FIFOs on and cleared */
	outb(COM1 + UART_MCR, 0x03);	/* DTR, RTS */
}

void con_putc(char c)
{
	if (rt_cmd.e9) {
		outb(0xe9, (uint8_t)c);
		return;
	}
	/* Wait for THRE; an absent UART reads 0xff and does not hang us. */
	while (!(inb(COM1 + UART_LSR) & UART_LSR_THRE))
		;
	outb(COM1 + UART_THR, (uint8_t)c);
}

void con_write(const char *s, size_t n)
{
#ifdef RT_PV
	/* One call per line instead of two port accesses per character. */
	if (rt_vmi && !rt_cmd.e9) {
		for (size_t off = 0; off < n; off += PV_CONSOLE_MAX)
			vmi_call2(PV_CALL_CONSOLE_WRITE, (ulong)(s + off),
				  n - off < PV_CONSOLE_MAX ? n - off : PV_CONSOLE_MAX);
		return;
	}
#endif
	for (size_t i = 0; i < n; i++)
		con_putc(s[i]);
}
