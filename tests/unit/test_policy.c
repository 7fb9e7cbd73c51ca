/* test_policy.c: sel_choose() on fake hosts. Each host is a calibration
 * (ns per operation for each engine) plus which engines can run the guest;
 * the workload classes decide the rest. */
#include "tests/unit/util.h"

#include <errno.h>
#include <string.h>

#include "vmm/select/select.h"

enum { R0, R3, EXIT, PF, PTE, SYS };

struct fake_host {
	const char *name;
	/* 64-bit costs in ns for hw and bt; <0 = unsupported */
	double hw[SEL_COST_NR], bt[SEL_COST_NR];
	bool hw_ok;
	const char *hw_why;
};

/* Plausible figures: VT-x/AMD-V run guest code natively and exit in ~1 us;
 * without EPT, page faults and PTE writes go through shadow paging; PVM
 * emulates ring 0. bt is the same everywhere. */
#define BT_COSTS { 0.36, 0.36, 60, 900, 600, 150 } /* ~1.2x native per instruction */
static const struct fake_host vtx_ept = { "VT-x+EPT", { 0.3, 0.3, 1100, 350, 80, 90 }, BT_COSTS, true, "" };
static const struct fake_host vtx_noept = { "VT-x, no EPT", { 0.3, 0.3, 1500, 4500, 3800, 90 }, BT_COSTS, true, "" };
static const struct fake_host amd_npt = { "AMD-V+NPT", { 0.3, 0.3, 900, 300, 70, 80 }, BT_COSTS, true, "" };
static const struct fake_host pvm = { "PVM", { 900, 0.3, 11000, 19000, 5500, -1 }, BT_COSTS, true, "" };
static const struct fake_host no_kvm = { "no KVM", { 0 }, BT_COSTS, false, "/dev/kvm: No such file or directory" };
static const struct fake_host kvm_eacces = { "KVM not permitted", { 0 }, BT_COSTS, false, "/dev/kvm: Permission denied (add the user to group 'kvm')" };

struct world {
	struct sel_calib calib;
	struct sel_avail avail[2];
	struct sel_profile prof;
	struct guest_desc guest;
	struct sel_input in;
	struct sel_result res;
};

static void world_init(struct world *w, const struct fake_host *h, const char *cls, const char *mode)
{
	memset(w, 0, sizeof(*w));
	unsigned n = 0;
	if (h->hw_ok) {
		struct sel_calib_engine *e = &w->calib.e[n++];
		snprintf(e->name, sizeof(e->name), "hw");
		for (unsigned t = 0; t < SEL_COST_NR; t++)
			e->ns[0][t] = e->ns[1][t] = h->hw[t];
	}
	struct sel_calib_engine *b = &w->calib.e[n++];
	snprintf(b->name, sizeof(b->name), "bt");
	for (unsigned t = 0; t < SEL_COST_NR; t++)
		b->ns[0][t] = b->ns[1][t] = h->bt[t];
	w->calib.n = n;
	snprintf(w->avail[0].engine, 8, "hw");
	w->avail[0].ok = h->hw_ok;
	snprintf(w->avail[0].why, sizeof(w->avail[0].why), "%s", h->hw_why);
	snprintf(w->avail[1].engine, 8, "bt");
	w->avail[1].ok = true;
	assert_int_equal(sel_profile_class(cls, &w->prof), 0);
	w->guest.info.bits = 32;
	w->guest.needs = GUEST_NEEDS_PROT32 | GUEST_NEEDS_LONG_SWITCH | GUEST_NEEDS_LONG;
	snprintf(w->guest.info.name, sizeof(w->guest.info.name), "guest.elf");
	w->in = (struct sel_input){ .calib = &w->calib, .guest = &w->guest, .profile = &w->prof,
				    .avail = w->avail, .nr_avail = 2, .mode = mode };
}

static const char *pick(const struct fake_host *h, const char *cls)
{
	static struct world w;
	world_init(&w, h, cls, "auto");
	assert_int_equal(sel_choose(&w.in, &w.res), 0);
	assert_non_null(w.res.engine);
	return w.res.engine;
}

static void test_policy_vtx_with_ept_runs_everything_but_port_io_on_hw(void **state)
{
	assert_string_equal(pick(&vtx_ept, "compute"), "hw");
	assert_string_equal(pick(&vtx_ept, "kernel"), "hw");
	assert_string_equal(pick(&vtx_ept, "mixed"), "hw");
	assert_string_equal(pick(&vtx_ept, "syscall"), "hw");
	assert_string_equal(pick(&vtx_ept, "pagefault"), "hw");
	/* 300 exits per native ms at ~1 us each: bt's cheap I/O wins */
	assert_string_equal(pick(&vtx_ept, "io"), "bt");
}

static void test_policy_vtx_without_ept_leaves_page_table_churn_to_bt(void **state)
{
	assert_string_equal(pick(&vtx_noept, "compute"), "hw");
	assert_string_equal(pick(&vtx_noept, "pagefault"), "bt");
}

static void test_policy_amd_npt_behaves_like_ept(void **state)
{
	assert_string_equal(pick(&amd_npt, "compute"), "hw");
	assert_string_equal(pick(&amd_npt, "mixed"), "hw");
}

/* On a software KVM ring-0 code is emulated (~900 ns per instruction): even
 * the 1% kernel share of "compute" costs hw ~27x native, so bt wins; only
 * purely user-mode work belongs on hw there. */
static void test_policy_software_kvm_gives_hw_only_pure_user_work(void **state)
{
	struct world w;
	world_init(&w, &pvm, "compute", "auto");
	json_t *j = json_pack("{s:f, s:f, s:f, s:f, s:f}", "kernel_share", 0.0, "io_per_ms", 0.0,
			      "pagefaults_per_ms", 0.0, "pte_updates_per_ms", 0.0,
			      "syscalls_per_ms", 0.0);
	char err[128];
	assert_int_equal(sel_profile_from_json(j, &w.prof, err, sizeof(err)), 0);
	json_decref(j);
	assert_int_equal(sel_choose(&w.in, &w.res), 0);
	assert_string_equal(w.res.engine, "hw");
	assert_string_equal(pick(&pvm, "compute"), "bt");
	assert_string_equal(pick(&pvm, "kernel"), "bt");
	assert_string_equal(pick(&pvm, "mixed"), "bt");
	assert_string_equal(pick(&pvm, "io"), "bt");
}

static void test_policy_without_kvm_uses_bt_and_says_why_not_hw(void **state)
{
	struct world w;
	world_init(&w, &no_kvm, "compute", "auto");
	assert_int_equal(sel_choose(&w.in, &w.res), 0);
	assert_string_equal(w.res.engine, "bt");
	assert_non_null(strstr(w.res.reason, "hw: /dev/kvm: No such file"));
}

static void test_policy_summary_cuts_a_long_refusal_at_a_boundary(void **state)
{
	(void)state;
	struct fake_host h = no_kvm;
	h.hw_why = "guest needs interrupt and exception handling in 32-bit code (iretd at 0x1016d8), "
		   "which this host's KVM (kvm_pvm) cannot run: compatibility probe 'interrupts-32': "
		   "KVM could not emulate 'int 0x81' at 0x1278 (32-bit code)";
	struct world w;
	world_init(&w, &h, "compute", "auto");
	assert_int_equal(sel_choose(&w.in, &w.res), 0);
	assert_non_null(strstr(w.res.reason, "; hw: guest needs interrupt and exception handling"));
	assert_non_null(strstr(w.res.reason, "KVM (kvm_pvm) cannot run)"));
	assert_null(strstr(w.res.reason, "compatibility probe"));
	/* the full reason stays in the candidate table (--explain) */
	bool whole = false;
	for (unsigned i = 0; i < w.res.nr_pred; i++)
		whole |= strstr(w.res.pred[i].why, "'int 0x81' at 0x1278") != NULL;
	assert_true(whole);
}

static void test_policy_kvm_not_permitted_is_named(void **state)
{
	struct world w;
	world_init(&w, &kvm_eacces, "compute", "auto");
	assert_int_equal(sel_choose(&w.in, &w.res), 0);
	assert_string_equal(w.res.engine, "bt");
	assert_non_null(strstr(w.res.reason, "Permission denied"));
}

static void test_policy_named_mode_that_cannot_run_is_an_error_not_a_fallback(void **state)
{
	struct world w;
	world_init(&w, &no_kvm, "compute", "hw");
	assert_int_equal(sel_choose(&w.in, &w.res), -ENOENT);
	assert_null(w.res.engine);
	assert_non_null(strstr(w.res.reason, "mode hw cannot run guest.elf here"));
	world_init(&w, &no_kvm, "compute", "pv");
	assert_int_equal(sel_choose(&w.in, &w.res), -ENOENT);
	assert_non_null(strstr(w.res.reason, "no pv engine"));
}

/* A hint from the scan never refuses a named mode; auto prefers another
 * engine and says why; with nothing else, auto runs the hinted engine. */
static void test_policy_scan_hints_steer_auto_but_never_refuse_a_named_mode(void **state)
{
	struct world w;
	world_init(&w, &vtx_ept, "compute", "hw");
	w.avail[0].ok = false;
	w.avail[0].hint = true;
	snprintf(w.avail[0].why, sizeof(w.avail[0].why),
		 "hint from the scan: guest may need software interrupts in 32-bit code");
	assert_int_equal(sel_choose(&w.in, &w.res), 0);
	assert_string_equal(w.res.engine, "hw");
	assert_non_null(w.res.hint);
	assert_non_null(strstr(w.res.hint, "hint from the scan"));
	w.in.mode = "auto";
	assert_int_equal(sel_choose(&w.in, &w.res), 0);
	assert_string_equal(w.res.engine, "bt");
	assert_null(w.res.hint);
	assert_non_null(strstr(w.res.reason, "hw: hint from the scan"));
	w.avail[1].ok = false;
	snprintf(w.avail[1].why, sizeof(w.avail[1].why), "no");
	assert_int_equal(sel_choose(&w.in, &w.res), 0);
	assert_string_equal(w.res.engine, "hw");
	assert_non_null(w.res.hint);
}

static void test_policy_named_mode_is_used_even_when_predicted_slower(void **state)
{
	struct world w;
	world_init(&w, &pvm, "kernel", "hw");
	assert_int_equal(sel_choose(&w.in, &w.res), 0);
	assert_string_equal(w.res.engine, "hw");
	assert_true(w.res.requested);
}

static void test_policy_prefers_measured_times_over_the_model(void **state)
{
	struct world w;
	world_init(&w, &vtx_ept, "compute", "auto"); /* the model says hw */
	w.prof.nr_measured = 2;
	snprintf(w.prof.measured[0].engine, 8, "hw");
	w.prof.measured[0].wall_ms = 20;
	snprintf(w.prof.measured[1].engine, 8, "bt");
	w.prof.measured[1].wall_ms = 10;
	snprintf(w.prof.measured_when, sizeof(w.prof.measured_when), "2026-11-21T12:00:00Z");
	assert_int_equal(sel_choose(&w.in, &w.res), 0);
	assert_string_equal(w.res.engine, "bt");
	assert_non_null(strstr(w.res.reason, "measured"));
	assert_non_null(strstr(w.res.reason, "hw: measured 2.0x slower"));
}

static void test_policy_scales_unmeasured_engines_to_the_measured_one(void **state)
{
	struct world w;
	world_init(&w, &pvm, "kernel", "auto");
	/* only bt was measured: hw's prediction is scaled by bt's model error */
	w.prof.nr_measured = 1;
	snprintf(w.prof.measured[0].engine, 8, "bt");
	w.prof.measured[0].wall_ms = 50;
	assert_int_equal(sel_choose(&w.in, &w.res), 0);
	assert_string_equal(w.res.engine, "bt");
	const struct sel_prediction *hw = &w.res.pred[0];
	assert_false(hw->measured);
	assert_true(hw->cost > 50 * 100); /* ring 0 at 900 ns vs 0.45 ns */
}

static void test_policy_with_no_runnable_engine_lists_every_reason(void **state)
{
	struct world w;
	world_init(&w, &no_kvm, "compute", "auto");
	w.avail[1].ok = false;
	snprintf(w.avail[1].why, sizeof(w.avail[1].why), "bt: 64-bit guests not supported yet");
	assert_int_equal(sel_choose(&w.in, &w.res), -ENOENT);
	assert_null(w.res.engine);
	assert_non_null(strstr(w.res.reason, "hw: /dev/kvm"));
	assert_non_null(strstr(w.res.reason, "64-bit guests not supported yet"));
}

static void test_profile_from_config_validates_fields(void **state)
{
	struct sel_profile p;
	char err[256];
	json_t *w = json_pack("{s:s, s:f}", "class", "io", "kernel_share", 0.25);
	assert_int_equal(sel_profile_from_json(w, &p, err, sizeof(err)), 0);
	assert_true(p.exits == 300);
	assert_true(p.ring0_insns > 0 && p.ring3_insns == 3 * p.ring0_insns);
	json_decref(w);
	w = json_pack("{s:f}", "kernel_share", 1.5);
	assert_int_equal(sel_profile_from_json(w, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "workload.kernel_share"));
	json_decref(w);
	w = json_pack("{s:s}", "class", "quantum");
	assert_int_equal(sel_profile_from_json(w, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "workload.class"));
	json_decref(w);
	w = json_pack("{s:i}", "iops", 3);
	assert_int_equal(sel_profile_from_json(w, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "workload.iops"));
	json_decref(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_vtx_with_ept_runs_everything_but_port_io_on_hw),
		cmocka_unit_test(test_policy_vtx_without_ept_leaves_page_table_churn_to_bt),
		cmocka_unit_test(test_policy_amd_npt_behaves_like_ept),
		cmocka_unit_test(test_policy_software_kvm_gives_hw_only_pure_user_work),
		cmocka_unit_test(test_policy_without_kvm_uses_bt_and_says_why_not_hw),
		cmocka_unit_test(test_policy_kvm_not_permitted_is_named),
		cmocka_unit_test(test_policy_named_mode_that_cannot_run_is_an_error_not_a_fallback),
		cmocka_unit_test(test_policy_named_mode_is_used_even_when_predicted_slower),
		cmocka_unit_test(test_policy_prefers_measured_times_over_the_model),
		cmocka_unit_test(test_policy_scales_unmeasured_engines_to_the_measured_one),
		cmocka_unit_test(test_policy_with_no_runnable_engine_lists_every_reason),
		cmocka_unit_test(test_policy_summary_cuts_a_long_refusal_at_a_boundary),
		cmocka_unit_test(test_policy_scan_hints_steer_auto_but_never_refuse_a_named_mode),
		cmocka_unit_test(test_profile_from_config_validates_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
