/* guests/hostile/hostile.h: the hostile test guests (docs/vmi.md "Hostile
 * guests"): PV images whose kernel tries to reach the host from inside a pv
 * sandbox. Each prints what it is about to try, then tries it; the pv
 * engine must stop it with a report (exit status 4) and the VMM must stay
 * unharmed. They are only meaningful under pv (tests/guest/hostile.list). */
#ifndef GUESTS_HOSTILE_HOSTILE_H
#define GUESTS_HOSTILE_HOSTILE_H

#include "rt.h"

/* hostile_usersys: the user-mode half. */
long hostile_user(void *arg);

/* Print "hostile: (what)" and the line that must never follow. */
static inline void hostile_try(const char *what)
{
	kprintf("hostile: %s\n", what);
}

static inline int hostile_survived(void)
{
	kprintf("FAIL hostile: the guest was not stopped\n");
	return RT_EXIT_FAIL;
}

#endif
