/* util.h: helpers shared by the unit tests (cmocka): a small VM with a fake
 * clock, and port-I/O shorthands. */
#ifndef TESTS_UNIT_UTIL_H
#define TESTS_UNIT_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmm/core/vm.h"

/* The fake clock every test VM reads (vm->now_ns); starts at 1 s. */
extern uint64_t test_now;
void test_clock_advance(uint64_t ns);

/* A VM with (mem) bytes of RAM, one vCPU slot, no engine, the fake clock.
 * Interrupt lines raised by devices are recorded in test_irq_level[]. */
struct vm *test_vm_create(uint64_t mem);
extern int test_irq_level[32];
extern unsigned test_irq_raises[32]; /* rising edges seen per line */
/* Route vm_set_irq() into test_irq_level (call after creating only the
 * devices under test, without a board). */
void test_vm_capture_irqs(struct vm *vm);

uint32_t test_in(struct vm *vm, uint16_t port, unsigned size);
void test_out(struct vm *vm, uint16_t port, uint32_t value, unsigned size);
#define inb(vm, p) ((uint8_t)test_in(vm, p, 1))
#define outb(vm, p, v) test_out(vm, p, v, 1)

#endif
