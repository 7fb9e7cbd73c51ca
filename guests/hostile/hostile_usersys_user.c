/* guests/hostile/hostile_usersys_user.c: the user half of hostile_usersys:
 * the host's write(1, msg, len) through int 0x80; returns its result. */
#include "hostile.h"

long hostile_user(void *arg)
{
	static const char msg[] = "this must not reach the host\n";
	long r;

	__asm__ volatile("int $0x80" : "=a"(r) : "a"(4L), "b"(1L), "c"(msg), "d"(sizeof(msg) - 1)
			 : "memory");
	return r;
}
