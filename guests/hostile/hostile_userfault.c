/* guests/hostile/hostile_userfault.c: user mode faults as a buggy program
 * would: it reads address 0 and 0xe0000000 (neither mapped) and calls the
 * VMI ROM's LOAD_IDT with a null pointer (a privileged call). Each must
 * reach the guest kernel as the CPU raises it (#PF with its error code and
 * CR2, #GP(0)), under every engine: a user process's fault is the guest's
 * business, never a reason to stop the VM. The kernel prints what it
 * caught; the output is the same everywhere. */
#include "hostile.h"

int guest_main(void)
{
	struct hostile_uf *u = &hostile_uf;

	pg_ensure();
	/* the ROM entry for user mode to call (user code cannot read rt_vmi) */
	u->load_idt = rt_vmi ? (ulong)rt_vmi->entry[PV_CALL_LOAD_IDT] : 0;
	kprintf("hostile: user mode reads 0 and 0xe0000000, calls LOAD_IDT(NULL)\n");
	long r = user_run(hostile_userfault, u);
	for (unsigned i = 0; i < HOSTILE_UF_N; i++)
		kprintf("%s: vector %d err %lx cr2 %lx ip %s\n", hostile_uf_names[i], u->f[i].vector,
			u->f[i].err, u->f[i].cr2, u->f[i].ip_ok ? "ok" : "wrong");
	kprintf("user mode went on and returned %ld\n", r);
	return r == 3 ? 0 : RT_EXIT_FAIL;
}
