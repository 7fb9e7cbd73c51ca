/* guests/selftest/st_stack.c: stack operations (st_asm_*.S fills st_out):
 * sign-extended push imm8, PUSH ESP, POP to (ESP), ENTER/LEAVE with
 * nesting levels 0 and 1, PUSHA/POPA (32-bit), RET imm16, PUSHF/POPF and
 * pushing a segment register. */
#include "st.h"

ulong st_out[32];
void st_stack_asm(void);
void st_ctl_asm(void);

#define W sizeof(ulong)

void st_stack(void)
{
	memset(st_out, 0xa5, sizeof(st_out));
	st_stack_asm();
	st_begin("stack.push_pop");
	st_eq("push_imm8_sext", (ulong)-2, st_out[0]);
	st_eq("push_sp_old_value", 0, st_out[1]);
	st_eq("pop_to_sp_mem", 0x2222, st_out[2]);
	st_eq("ret_imm", 0, st_out[10]);
	st_end();
	st_begin("stack.enter_leave");
	st_eq("enter0_sp", W + 16, st_out[3]);
	st_eq("enter0_bp", W, st_out[4]);
	st_eq("leave_sp", 0, st_out[5]);
	st_eq("enter1_sp", 2 * W + 8, st_out[6]);
	st_eq("enter1_frame_ptr", 0, st_out[7]);
	st_end();
#ifndef __x86_64__
	st_begin("stack.pusha_popa");
	st_eq("pushed_sp", 0, st_out[8]);
	st_eq("sp_after", 0, st_out[9]);
	st_end();
#endif
	st_begin("stack.flags_segments");
	st_eq("popf_cf_df", 0x401, st_out[11]);
	st_eq("push_sreg", sizeof(ulong) == 8 ? 0 : SEL_KDATA, st_out[12]);
	st_end();
}

void st_ctl(void)
{
	memset(st_out, 0xa5, sizeof(st_out));
	st_ctl_asm();
	st_begin("ctl.far");
	st_eq("call_cs", SEL_KCODE_ALIAS, st_out[0] & 0xffff);
	st_eq("ret_cs", SEL_KCODE, st_out[1] & 0xffff);
	st_eq("jmp_cs", SEL_KCODE_ALIAS, st_out[2] & 0xffff);
	st_eq("jmp_back_cs", SEL_KCODE, st_out[3] & 0xffff);
	st_eq("call_mem_cs", SEL_KCODE_ALIAS, st_out[4] & 0xffff);
	st_eq("ret_imm_sp", 0, st_out[5]);
	st_end();
	st_begin("ctl.iret_same_ring");
	st_eq("cf", 1, st_out[6]);
	st_end();
	st_begin("ctl.near");
	st_eq("call_reg", 0x77, st_out[7]);
	st_eq("call_mem", 0x77, st_out[8]);
	st_eq("jump_table", 30, st_out[9]);
	st_eq("loop", 15, st_out[10]);
	st_eq("jcxz", 1, st_out[11]);
	st_end();
#ifdef __x86_64__
	st_begin("ctl.compat_mode");
	st_eq("cs", SEL_KCODE32, st_out[12] & 0xffff);
	st_eq("inc_eax", 0x80000000u, st_out[13]);
	st_end();
#endif
}
