/* guests/hostile/hostile_usersys.c: user mode makes a host system call
 * (write(1, ...) by the i386 numbers, with int 0x80, as a Linux program
 * would). In a pv guest a system call from user mode is the guest's: it
 * must reach the guest kernel, which records the number it got, and never
 * the host. The guest then ends normally. */
#include "hostile.h"

#define HOST_SYS_WRITE 4 /* i386 __NR_write */

static volatile ulong got_nr, got_len;

static long sys_host_write(struct trap_frame *f, ulong a1, ulong a2)
{
	got_nr = f->ax;
	got_len = f->dx;
	return 0; /* "no bytes written": the host was not asked */
}

int guest_main(void)
{
	long r;

	syscall_set_handler(HOST_SYS_WRITE, sys_host_write);
	kprintf("hostile: host system call write(1, ...) with int 0x80 from user mode\n");
	r = user_run(hostile_user, NULL);
	kprintf("the guest kernel got system call %lu (%lu bytes); user mode saw %ld\n", got_nr,
		got_len, r);
	return got_nr == HOST_SYS_WRITE ? 0 : RT_EXIT_FAIL;
}
