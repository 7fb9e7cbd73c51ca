/* timer.c: a sorted list of armed timers (a handful per VM, so a list is
 * the right structure), run from the VM's main loop. */
#include "vmm/core/timer.h"

void timer_list_init(struct timer_list *tl, void (*wake)(void *), void *wake_opaque)
{
	pthread_mutex_init(&tl->lock, NULL);
	tl->head = NULL;
	tl->wake = wake;
	tl->wake_opaque = wake_opaque;
}

void timer_list_fini(struct timer_list *tl)
{
	pthread_mutex_destroy(&tl->lock);
}

void timer_init(struct vm_timer *t, struct timer_list *tl, timer_fn fn, void *opaque)
{
	*t = (struct vm_timer){ .list = tl, .fn = fn, .opaque = opaque };
}

static void unlink_locked(struct vm_timer *t)
{
	for (struct vm_timer **p = &t->list->head; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			break;
		}
	t->armed = false;
	t->next = NULL;
}

void timer_mod(struct vm_timer *t, uint64_t deadline)
{
	struct timer_list *tl = t->list;
	pthread_mutex_lock(&tl->lock);
	if (t->armed)
		unlink_locked(t);
	t->deadline = deadline;
	t->armed = true;
	struct vm_timer **p = &tl->head;
	while (*p && (*p)->deadline <= deadline)
		p = &(*p)->next;
	t->next = *p;
	*p = t;
	bool first = tl->head == t;
	pthread_mutex_unlock(&tl->lock);
	if (first && tl->wake)
		tl->wake(tl->wake_opaque);
}

void timer_del(struct vm_timer *t)
{
	pthread_mutex_lock(&t->list->lock);
	if (t->armed)
		unlink_locked(t);
	pthread_mutex_unlock(&t->list->lock);
}

uint64_t timer_next_deadline(struct timer_list *tl)
{
	pthread_mutex_lock(&tl->lock);
	uint64_t d = tl->head ? tl->head->deadline : UINT64_MAX;
	pthread_mutex_unlock(&tl->lock);
	return d;
}

unsigned timer_run_due(struct timer_list *tl, uint64_t now)
{
	unsigned ran = 0;
	for (;;) {
		pthread_mutex_lock(&tl->lock);
		struct vm_timer *t = tl->head;
		if (!t || t->deadline > now) {
			pthread_mutex_unlock(&tl->lock);
			return ran;
		}
		unlink_locked(t);
		pthread_mutex_unlock(&tl->lock);
		t->fn(t->opaque, now);
		ran++;
	}
}
