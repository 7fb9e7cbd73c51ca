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

/* hostile_userfault: what user mode caught (in user-accessible memory). */
#define HOSTILE_UF_N 3
struct hostile_uf_fault {
	int vector;
	ulong err, cr2;
	int ip_ok;
};
struct hostile_uf {
	ulong load_idt; /* the ROM's LOAD_IDT entry, 0 without a ROM */
	struct hostile_uf_fault f[HOSTILE_UF_N];
};
extern struct hostile_uf hostile_uf;
extern const char *const hostile_uf_names[HOSTILE_UF_N];
long hostile_userfault(void *arg);

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
