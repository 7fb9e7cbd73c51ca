/* guests/lib/rt_task.c: tasks and a round-robin scheduler. Every task has
 * its own ring-0 stack; switching tasks switches stacks (rt_ctx_switch),
 * the TSS ring-0 stack and, if it differs, CR3. A user task is a kernel
 * task that irets to ring 3 and comes back only through syscalls and
 * interrupts. Task 0 is the boot context ("main"); it waits in
 * sched_wait_all() while the others run. The kernel is not preemptible:
 * interrupts are off in ring 0 except where a guest enables them. */
#include "rt_internal.h"

#define MAX_TASKS 12
#define KSTACK_PAGES 2
#define USTACK_SIZE (16u << 10)

enum task_state { T_FREE, T_RUNNABLE, T_BLOCKED, T_DEAD };

struct task {
	ulong ksp;	  /* saved by rt_ctx_switch while not running */
	ulong kstack_top;
	ulong ustack_top;
	const struct aspace *as;
	enum task_state state;
	bool user;
	user_fn ufn;
	kthread_fn kfn;
	void *arg;
	long exit_code;
	const char *name;
};

static struct task tasks[MAX_TASKS] = { [0] = { .state = T_RUNNABLE, .name = "main" } };
static struct task *current = &tasks[0];

static long sys_exit(struct trap_frame *f, ulong code, ulong unused)
{
	task_exit((long)code);
}

static long sys_yield(struct trap_frame *f, ulong a1, ulong a2)
{
	sched_yield();
	return 0;
}

static ulong root_of(const struct aspace *as)
{
	return (as ? as : &pg_kernel)->root;
}

static void switch_to(struct task *next)
{
	struct task *prev = current;

	desc_set_kstack(next->kstack_top);
	if (pg_mode != PG_MODE_NONE && root_of(next->as) != root_of(prev->as))
		write_cr3(root_of(next->as));
	current = next;
	rt_ctx_switch(&prev->ksp, next->ksp);
}

void sched_yield(void)
{
	unsigned cur = (unsigned)(current - tasks);

	for (unsigned i = 1; i <= MAX_TASKS; i++) {
		struct task *t = &tasks[(cur + i) % MAX_TASKS];

		if (t->state == T_RUNNABLE) {
			if (t != current)
				switch_to(t);
			return;
		}
	}
	rt_panic("sched_yield: no runnable task");
}

static bool children_alive(void)
{
	for (unsigned i = 1; i < MAX_TASKS; i++)
		if (tasks[i].state == T_RUNNABLE || tasks[i].state == T_BLOCKED)
			return true;
	return false;
}

void task_exit(long code)
{
	current->exit_code = code;
	current->state = T_DEAD;
	if (!children_alive())
		tasks[0].state = T_RUNNABLE;
	sched_yield();
	rt_panic("task_exit: a dead task was resumed");
}

void task_entry(void)
{
	struct task *t = current;

	if (t->user)
		rt_user_enter((ulong)t->ufn, t->ustack_top, (ulong)t->arg);
	t->kfn(t->arg);
	task_exit(0);
}

static struct task *task_new(const char *name, const struct aspace *as)
{
	for (unsigned i = 1; i < MAX_TASKS; i++) {
		struct task *t = &tasks[i];
		ulong *sp;

		if (t->state != T_FREE && t->state != T_DEAD)
			continue;
		if (!t->kstack_top) {
			for (unsigned p = 0; p < KSTACK_PAGES; p++)
				t->kstack_top = (ulong)page_alloc() + 4096;
		}
		/* The frame rt_ctx_switch pops: callee-saved registers, then
		 * the return address. */
		sp = (ulong *)t->kstack_top - 8;
		memset(sp, 0, 8 * sizeof(ulong));
		sp[sizeof(ulong) == 8 ? 6 : 4] = (ulong)rt_task_start;
		t->ksp = (ulong)sp;
		t->name = name;
		t->as = as;
		t->exit_code = 0;
		t->state = T_RUNNABLE;
		return t;
	}
	rt_panic("task_new: too many tasks");
}

static void syscalls_once(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	syscall_set_handler(SYS_EXIT, sys_exit);
	syscall_set_handler(SYS_YIELD, sys_yield);
	syscall_insn_init();
}

struct task *task_spawn_user(const char *name, user_fn fn, void *arg, const struct aspace *as)
{
	struct task *t;

#ifdef __x86_64__
	pg_ensure(); /* ring 3 needs user pages in long mode */
#endif
	syscalls_once();
	t = task_new(name, as);
	if (!t->ustack_top)
		t->ustack_top = (ulong)big_alloc(USTACK_SIZE) + USTACK_SIZE;
	t->user = true;
	t->ufn = fn;
	t->arg = arg;
	return t;
}

struct task *task_spawn_kernel(const char *name, kthread_fn fn, void *arg, const struct aspace *as)
{
	struct task *t;

	syscalls_once();
	t = task_new(name, as);
	t->user = false;
	t->kfn = fn;
	t->arg = arg;
	return t;
}

long task_exit_code(const struct task *t)
{
	return t->exit_code;
}

const struct aspace *task_aspace(void)
{
	return current->as;
}

void sched_wait_all(void)
{
	if (current != &tasks[0])
		rt_panic("sched_wait_all: only main may wait");
	while (children_alive()) {
		tasks[0].state = T_BLOCKED;
		sched_yield();
	}
	tasks[0].state = T_RUNNABLE;
	for (unsigned i = 1; i < MAX_TASKS; i++)
		if (tasks[i].state == T_DEAD)
			tasks[i].state = T_FREE;
}

long user_run(user_fn fn, void *arg)
{
	struct task *t = task_spawn_user("user", fn, arg, NULL);
	long code;

	sched_wait_all();
	code = t->exit_code;
	return code;
}

void sched_preempt_hook(struct trap_frame *f)
{
	if (f->cs & 3)
		sched_yield();
}
