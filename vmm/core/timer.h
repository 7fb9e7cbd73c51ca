/* timer.h: host-monotonic timers that devices arm (the PIT's periodic tick,
 * the RTC's update interrupt). The VM's main loop sleeps until the earliest
 * deadline and runs the callbacks on the main thread. */
#ifndef VMM_CORE_TIMER_H
#define VMM_CORE_TIMER_H

#include <pthread.h>

#include "vmm/core/vmm.h"

struct timer_list;

/* Runs on the main-loop thread with no core lock held; (now) is vmm_now_ns(). */
typedef void (*timer_fn)(void *opaque, uint64_t now);

struct vm_timer {
	struct timer_list *list;
	timer_fn fn;
	void *opaque;
	uint64_t deadline;     /* vmm_now_ns() time; valid while armed */
	bool armed;
	struct vm_timer *next; /* in the armed list, sorted by deadline */
};

struct timer_list {
	pthread_mutex_t lock;
	struct vm_timer *head;
	void (*wake)(void *opaque); /* tell the sleeper a deadline moved earlier */
	void *wake_opaque;
};

void timer_list_init(struct timer_list *tl, void (*wake)(void *), void *wake_opaque);
void timer_list_fini(struct timer_list *tl);

void timer_init(struct vm_timer *t, struct timer_list *tl, timer_fn fn, void *opaque);
/* Arm (t) for (deadline) (vmm_now_ns() time), replacing any earlier arming.
 * Any thread. */
void timer_mod(struct vm_timer *t, uint64_t deadline);
/* Disarm; after return the callback is not started again (it may be running). */
void timer_del(struct vm_timer *t);

/* The earliest deadline, or UINT64_MAX when nothing is armed. */
uint64_t timer_next_deadline(struct timer_list *tl);
/* Run every timer due at (now), each once, in deadline order. Returns how many. */
unsigned timer_run_due(struct timer_list *tl, uint64_t now);

#endif
