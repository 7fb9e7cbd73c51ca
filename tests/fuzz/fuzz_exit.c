/* tests/fuzz/fuzz_exit.c: exit() for targets linked with -Wl,--wrap=exit
 * (fuzz.h): the config reader's exit(2) on bad input returns to the target. */
#include "tests/fuzz/fuzz.h"

#include <stdlib.h>

jmp_buf fuzz_exit_jmp;
volatile int fuzz_exit_armed;

/* -Wl,--wrap=exit: the config reader's exit(2) on bad input comes here. */
void __real_exit(int status) __attribute__((noreturn));
void __wrap_exit(int status) __attribute__((noreturn));
void __wrap_exit(int status)
{
	if (fuzz_exit_armed) {
		fuzz_exit_armed = 0;
		longjmp(fuzz_exit_jmp, status ? status : 256);
	}
	__real_exit(status);
}
